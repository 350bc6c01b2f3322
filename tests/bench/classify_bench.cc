// Classify-stage throughput on one core, on the sample articles (about 5 KB each) with a sentence
// of accented names added to each, against a baseline measured in the same run: copying the same
// bytes (memcpy). The table printed at the end gives MB/s, articles/s and how many times slower
// than the copy each benchmark is, so results compare across machines and runs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/pipeline/classify/folding.h"

namespace {

namespace fs = std::filesystem;

// Typographic quotes, accents and a letter without decomposition, as wire copy has them.
constexpr char kAccentedSentence[] =
    "\nNicolás Maduro met Juan Guaidó’s envoys in São Paulo; Hugo Chávez’s heirs, Ørsted and a "
    "bank from Zürich were mentioned — “again”.\n";

std::vector<std::string> Articles() {
  std::vector<fs::path> paths;
  for (const auto& entry :
       fs::directory_iterator(fs::path(NEWSWIRE_SOURCE_DIR) / "tests/data/articles")) {
    paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> texts;
  for (const auto& path : paths) {
    std::ifstream file(path, std::ios::binary);
    texts.emplace_back(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    texts.back() += kAccentedSentence;
  }
  return texts;
}

std::size_t TotalBytes(const std::vector<std::string>& texts) {
  std::size_t bytes = 0;
  for (const auto& text : texts) bytes += text.size();
  return bytes;
}

void SetRates(benchmark::State& state, const std::vector<std::string>& texts) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * TotalBytes(texts)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * texts.size()));
}

void BM_Baseline_CopyBytes(benchmark::State& state) {
  const auto texts = Articles();
  std::string target;
  for (auto _ : state) {
    for (const auto& text : texts) {
      target.assign(text);
      benchmark::DoNotOptimize(target.data());
    }
  }
  SetRates(state, texts);
}

// The hot path: one FoldedText reused for every article, as a worker thread does.
void BM_Fold(benchmark::State& state) {
  const auto texts = Articles();
  newswire::pipeline::FoldedText folded;
  for (auto _ : state) {
    for (const auto& text : texts) {
      newswire::pipeline::FoldInto(text, folded);
      benchmark::DoNotOptimize(folded.text.data());
      benchmark::DoNotOptimize(folded.source_offsets.data());
    }
  }
  SetRates(state, texts);
}

BENCHMARK(BM_Baseline_CopyBytes);
BENCHMARK(BM_Fold);

// Prints the usual console table, and remembers each run's rates for the ratio table (the same
// reporter as in normalize_bench.cc).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      auto bytes = run.counters.find("bytes_per_second");
      auto items = run.counters.find("items_per_second");
      if (bytes == run.counters.end() || items == run.counters.end()) continue;
      rates_[run.benchmark_name()] = {bytes->second.value, items->second.value};
    }
  }
  void PrintRatios() const {
    auto baseline = rates_.find("BM_Baseline_CopyBytes");
    if (baseline == rates_.end()) return;
    std::printf("\n%-28s %12s %14s %22s\n", "benchmark", "MB/s", "articles/s",
                "times slower than copy");
    for (const auto& [name, rate] : rates_) {
      std::printf("%-28s %12.1f %14.0f %22.1f\n", name.c_str(), rate.first / 1e6, rate.second,
                  baseline->second.first / rate.first);
    }
  }

 private:
  std::map<std::string, std::pair<double, double>> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
