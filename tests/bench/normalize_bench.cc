// Normalization throughput on one core, for plain-text, HTML and JSON inputs made from the sample
// articles, against a baseline measured in the same run: copying the same bytes (memcpy). The
// table printed at the end gives MB/s, articles/s and how many times slower than the copy each
// input is, so results compare across machines and runs.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/pipeline/pipeline.h"
#include "tests/bench/bench_support.h"

namespace {

namespace fs = std::filesystem;

using newswire::bench::AsHtml;
using newswire::bench::AsJson;
using newswire::bench::SampleTexts;

enum class Input { kText, kHtml, kJson };

std::vector<newswire::RawArticle> Inputs(Input input) {
  std::vector<newswire::RawArticle> raws;
  for (const auto& text : SampleTexts()) {
    newswire::RawArticle raw;
    raw.origin.source_name = "bench";
    raw.bytes = input == Input::kText ? text : input == Input::kHtml ? AsHtml(text) : AsJson(text);
    raws.push_back(std::move(raw));
  }
  return raws;
}

std::size_t TotalBytes(const std::vector<newswire::RawArticle>& raws) {
  std::size_t bytes = 0;
  for (const auto& raw : raws) bytes += raw.bytes.size();
  return bytes;
}

void BM_Baseline_CopyBytes(benchmark::State& state) {
  auto raws = Inputs(Input::kText);
  std::string target;
  for (auto _ : state) {
    for (const auto& raw : raws) {
      target.assign(raw.bytes);
      benchmark::DoNotOptimize(target.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * TotalBytes(raws)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * raws.size()));
}

void RunPipeline(benchmark::State& state, Input input) {
  auto raws = Inputs(input);
  newswire::pipeline::Pipeline pipeline(newswire::pipeline::PipelineOptions{});
  auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    for (const auto& raw : raws) {
      auto result = pipeline.Process(raw, now);
      if (!result) state.SkipWithError(result.error().Describe().c_str());
      benchmark::DoNotOptimize(result);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * TotalBytes(raws)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * raws.size()));
}

void BM_Pipeline_Text(benchmark::State& state) { RunPipeline(state, Input::kText); }
void BM_Pipeline_Html(benchmark::State& state) { RunPipeline(state, Input::kHtml); }
void BM_Pipeline_Json(benchmark::State& state) { RunPipeline(state, Input::kJson); }

BENCHMARK(BM_Baseline_CopyBytes);
BENCHMARK(BM_Pipeline_Text);
BENCHMARK(BM_Pipeline_Html);
BENCHMARK(BM_Pipeline_Json);

}  // namespace

int main(int argc, char** argv) { return newswire::bench::RunWithRatios(argc, argv); }
