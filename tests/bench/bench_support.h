#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

// What every benchmark program shares: the sample articles and the ratio table.
namespace newswire::bench {

// The sample articles (tests/data/articles, about 2-5 KB each), in name order. NEWSWIRE_SOURCE_DIR
// is a compile definition of every benchmark target.
inline std::vector<std::string> SampleTexts() {
  namespace fs = std::filesystem;
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
  }
  return texts;
}

// Prints Google Benchmark's usual console table, remembers each benchmark's best rates, and at
// the end prints MB/s, articles/s and how many times slower than the baseline
// BM_Baseline_CopyBytes (measured in the same run) each benchmark is, so results compare across
// machines and runs. With --benchmark_repetitions=N the table takes the fastest repetition of
// each: on a shared machine other work only ever slows a run down, so the fastest is the one
// least disturbed. Benchmarks set bytes and items processed.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred || run.run_type == Run::RT_Aggregate) continue;
      auto bytes = run.counters.find("bytes_per_second");
      auto items = run.counters.find("items_per_second");
      if (bytes == run.counters.end() || items == run.counters.end()) continue;
      auto& [best_bytes, best_items] = rates_[run.benchmark_name()];
      best_bytes = std::max(best_bytes, static_cast<double>(bytes->second.value));
      best_items = std::max(best_items, static_cast<double>(items->second.value));
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

// The body of every benchmark program's main.
inline int RunWithRatios(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}

}  // namespace newswire::bench
