// Classify-stage throughput on one core, on the sample articles (about 5 KB each) with a sentence
// of accented names added to each, against a baseline measured in the same run: copying the same
// bytes (memcpy). The table printed at the end gives MB/s, articles/s and how many times slower
// than the copy each benchmark is, so results compare across machines and runs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/classify/folding.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/bench/bench_support.h"
#include "tests/support/shipped_classifier.h"

namespace {

namespace fs = std::filesystem;

// Typographic quotes, accents and a letter without decomposition, as wire copy has them.
constexpr char kAccentedSentence[] =
    "\nNicolás Maduro met Juan Guaidó’s envoys in São Paulo; Hugo Chávez’s heirs, Ørsted and a "
    "bank from Zürich were mentioned — “again”.\n";

std::vector<std::string> Articles() {
  std::vector<std::string> texts = newswire::bench::SampleTexts();
  for (std::string& text : texts) text += kAccentedSentence;
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

// The sample articles as the classify stage receives them: decoded and normalized.
std::vector<newswire::Article> NormalizedArticles() {
  std::vector<newswire::Article> articles;
  for (std::string& text : Articles()) {
    newswire::RawArticle raw;
    raw.bytes = std::move(text);
    auto decoded = newswire::pipeline::DecodeText(raw);
    if (!decoded || decoded->empty() || !decoded->front()) std::abort();
    auto normalized = newswire::pipeline::Normalize(std::move(*decoded->front()));
    if (!normalized) std::abort();
    articles.push_back(std::move(*normalized));
  }
  return articles;
}

std::size_t TotalBytes(const std::vector<newswire::Article>& articles) {
  std::size_t bytes = 0;
  for (const auto& article : articles) bytes += article.title.size() + article.body.size();
  return bytes;
}

const newswire::pipeline::Classifier& Shipped() {
  static const auto classifier = [] {
    auto built = newswire::test_support::BuildShippedClassifier();
    if (!built) {
      std::fprintf(stderr, "%s\n", built.error().Describe().c_str());
      std::abort();
    }
    return *built;
  }();
  return *classifier;
}

// The body's SimHash alone: folding, splitting into words and hashing the 3-word shingles.
void BM_SimHash(benchmark::State& state) {
  const auto articles = NormalizedArticles();
  for (auto _ : state) {
    for (const auto& article : articles) {
      auto simhash = newswire::pipeline::SimHash(article.body);
      benchmark::DoNotOptimize(simhash);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * TotalBytes(articles)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * articles.size()));
}

// The topic rules alone: folding both fields, one Vectorscan scan each, tallying and tags.
void BM_TopicRules(benchmark::State& state) {
  const auto articles = NormalizedArticles();
  const auto& rules = Shipped().topic_rules();
  for (auto _ : state) {
    for (const auto& article : articles) {
      auto tags = rules.Match(article);
      benchmark::DoNotOptimize(tags);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * TotalBytes(articles)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * articles.size()));
}

// The entity recognizer alone: folding both fields, one Vectorscan scan each, countries, people
// and organizations with their salience.
void BM_Entities(benchmark::State& state) {
  auto articles = NormalizedArticles();
  const auto* recognizer = Shipped().entity_recognizer();
  for (auto _ : state) {
    for (auto& article : articles) {
      auto recognized = recognizer->Recognize(article);
      benchmark::DoNotOptimize(recognized);
      benchmark::DoNotOptimize(article.entities.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * TotalBytes(articles)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * articles.size()));
}

// The whole classify stage with the shipped data, as a worker thread runs it (the article is
// copied in, as the pipeline moves one in).
void BM_Classify(benchmark::State& state) {
  const auto articles = NormalizedArticles();
  const auto& classifier = Shipped();
  for (auto _ : state) {
    for (const auto& article : articles) {
      auto classified = classifier.Classify(article);
      benchmark::DoNotOptimize(classified);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * TotalBytes(articles)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * articles.size()));
}

BENCHMARK(BM_Baseline_CopyBytes);
BENCHMARK(BM_Fold);
BENCHMARK(BM_SimHash);
BENCHMARK(BM_TopicRules);
BENCHMARK(BM_Entities);
BENCHMARK(BM_Classify);

}  // namespace

int main(int argc, char** argv) { return newswire::bench::RunWithRatios(argc, argv); }
