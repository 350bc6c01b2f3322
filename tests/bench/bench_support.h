#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "daemon/core/allocator.h"

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

// Sets the rates the ratio table reads. `bytes` and `articles` are what one iteration processes.
inline void SetRates(benchmark::State& state, std::size_t bytes, std::size_t articles) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * articles));
}

// A sample text's first non-blank line and its other non-blank lines, the shape every markup
// variant below carries: a headline and paragraphs.
struct TitleAndParagraphs {
  std::string title;
  std::vector<std::string> paragraphs;
};

inline TitleAndParagraphs SplitSample(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  TitleAndParagraphs split;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (split.title.empty()) {
      split.title = line;
    } else {
      split.paragraphs.push_back(line);
    }
  }
  return split;
}

// Text as HTML or XML character data and attribute values. Escaping '>' too means the result can
// also sit inside a CDATA section, which "]]>" would end.
inline std::string EscapeMarkup(const std::string& text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '&':
        escaped += "&amp;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

// A typical article page: navigation, the article, related links, a footer.
inline std::string AsHtml(const std::string& text) {
  const auto [title, paragraphs] = SplitSample(text);
  std::string html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                     EscapeMarkup(title) + "</title><meta property=\"og:title\" content=\"" +
                     EscapeMarkup(title) +
                     "\"></head><body><nav><ul><li><a href=\"/\">Home</a></li><li><a "
                     "href=\"/world\">World</a></li></ul></nav><main><article><h1>" +
                     EscapeMarkup(title) + "</h1>";
  for (const auto& paragraph : paragraphs) html += "<p>" + EscapeMarkup(paragraph) + "</p>";
  html +=
      "</article><aside class=\"related\"><h2>Related</h2><ul><li><a href=\"/a\">Another "
      "story</a></li></ul></aside></main><footer>© News Inc.</footer></body></html>";
  return html;
}

// A JSON string literal. Written here rather than with RapidJSON because only the pipeline links
// RapidJSON, and not every benchmark does; UTF-8 passes through as JSON allows.
inline std::string JsonString(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
          quoted += escape;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

// An article from a news API: title, plain-text body (paragraphs separated by blank lines), url
// and publication date, in the default JsonFieldMapping's member names.
inline std::string AsJson(const std::string& text) {
  const auto [title, paragraphs] = SplitSample(text);
  std::string body;
  for (const auto& paragraph : paragraphs) body += paragraph + "\n\n";
  return "{\"title\":" + JsonString(title) + ",\"body\":" + JsonString(body) +
         ",\"url\":\"https://news.example/world/article\",\"published\":\"2024-02-29T10:06:26Z\"}";
}

// An RSS 2.0 feed carrying every text as one item, as news sites publish them: the headline, a
// link and guid of its own, author, date and category, the first paragraph as the description
// teaser and the whole article as HTML in content:encoded.
inline std::string AsRss(const std::vector<std::string>& texts) {
  std::string rss =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
      "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel><title>News Inc. - "
      "World</title><link>https://news.example/world</link><description>World "
      "news</description><language>en-us</language>\n";
  for (std::size_t index = 0; index < texts.size(); ++index) {
    const auto [title, paragraphs] = SplitSample(texts[index]);
    const std::string link = "https://news.example/world/article-" + std::to_string(index);
    rss += "<item><title>" + EscapeMarkup(title) + "</title><link>" + link +
           "</link><guid isPermaLink=\"true\">" + link +
           "</guid><dc:creator>News Inc. staff</dc:creator><pubDate>Thu, 29 Feb 2024 10:06:26 "
           "GMT</pubDate><category>World</category><description>" +
           EscapeMarkup(paragraphs.empty() ? title : paragraphs.front()) +
           "</description><content:encoded><![CDATA[";
    for (const auto& paragraph : paragraphs) rss += "<p>" + EscapeMarkup(paragraph) + "</p>";
    rss += "]]></content:encoded></item>\n";
  }
  return rss + "</channel></rss>\n";
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
  KeepFreedMemoryForReuse();  // as the daemon's main() does
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}

}  // namespace newswire::bench
