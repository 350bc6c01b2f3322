// Cost of each pipeline stage on one core, per article, on the sample articles (about 5 KB each)
// as plain text, an HTML page, a JSON API object and an RSS feed item, and of the whole
// Pipeline::Process per format with the shipped classifier and an article memory, against a
// baseline measured in the same run: copying the same bytes (memcpy). The table printed at the
// end gives MB/s, articles/s and how many times slower than the copy each benchmark is, so
// results compare across machines and runs; 1e6 / (articles/s) is the µs per article.
//
// Names are BM_<Stage>/<Format>; BM_Remember and BM_Process take the number of articles (and
// stories) the memory already holds, since remembering scans the live stories.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/pipeline/classify/article_memory.h"
#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/classify/story_clusters.h"
#include "daemon/pipeline/decode/decoder.h"
#include "daemon/pipeline/encode/event_encoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "daemon/pipeline/pipeline.h"
#include "tests/bench/bench_support.h"
#include "tests/support/shipped_classifier.h"

namespace {

using newswire::Article;
using newswire::RawArticle;
using newswire::bench::SetRates;
namespace pipeline = newswire::pipeline;

// 2024-02-29T10:06:26Z: one fixed time for every event and remembered article, so nothing in the
// memory expires during a run.
constexpr std::chrono::system_clock::time_point kNow{std::chrono::seconds{1709201186}};
constexpr std::int64_t kNowMs = std::int64_t{1709201186} * 1000;

enum class Format { kText, kHtml, kJson, kRss };

// The sample articles as a source hands them over in `format`: one item per article, except the
// feed, which carries all of them as items of one document (as feeds do). No content type, so
// the decode stage sniffs, as for files.
std::vector<RawArticle> RawItems(Format format) {
  const std::vector<std::string> texts = newswire::bench::SampleTexts();
  std::vector<std::string> items;
  if (format == Format::kRss) {
    items.push_back(newswire::bench::AsRss(texts));
  } else {
    for (const auto& text : texts) {
      items.push_back(format == Format::kText   ? text
                      : format == Format::kHtml ? newswire::bench::AsHtml(text)
                                                : newswire::bench::AsJson(text));
    }
  }
  std::vector<RawArticle> raws;
  for (auto& bytes : items) {
    RawArticle raw;
    raw.origin.source_name = "bench";
    raw.bytes = std::move(bytes);
    raws.push_back(std::move(raw));
  }
  return raws;
}

std::size_t RawBytes(const std::vector<RawArticle>& raws) {
  std::size_t bytes = 0;
  for (const auto& raw : raws) bytes += raw.bytes.size();
  return bytes;
}

// What the stages after decode read most: the title and body.
std::size_t TextBytes(const std::vector<Article>& articles) {
  std::size_t bytes = 0;
  for (const auto& article : articles) bytes += article.title.size() + article.body.size();
  return bytes;
}

// A stage that fails on the samples would be measured on its error path: stop instead.
template <typename T>
T OrDie(newswire::Result<T> result, const char* stage) {
  if (!result) {
    std::fprintf(stderr, "%s: %s\n", stage, result.error().Describe().c_str());
    std::abort();
  }
  return std::move(*result);
}

const std::shared_ptr<const pipeline::Classifier>& Shipped() {
  static const auto classifier =
      OrDie(newswire::test_support::BuildShippedClassifier(), "shipped classifier");
  return classifier;
}

// The articles of one format as each stage receives them, made by running the stages once.
struct StageInputs {
  std::vector<RawArticle> raws;
  std::vector<Article> decoded;     // normalize's input
  std::vector<Article> normalized;  // classify's input
  std::vector<Article> classified;  // remember's input
  std::vector<Article> remembered;  // encode's input
};

StageInputs Prepare(Format format) {
  StageInputs inputs;
  inputs.raws = RawItems(format);
  for (const auto& raw : inputs.raws) {
    for (auto& article : OrDie(pipeline::Decode(raw), "decode")) {
      inputs.decoded.push_back(OrDie(std::move(article), "decode"));
    }
  }
  for (const auto& article : inputs.decoded) {
    inputs.normalized.push_back(OrDie(pipeline::Normalize(article), "normalize"));
    inputs.classified.push_back(OrDie(Shipped()->Classify(inputs.normalized.back()), "classify"));
    // What a memory that has not seen the story answers: a story of its own, no duplicate.
    Article remembered = inputs.classified.back();
    remembered.fingerprints.story_id = remembered.id;
    inputs.remembered.push_back(std::move(remembered));
  }
  return inputs;
}

// SplitMix64: spreads a counter over all 64 bits, for SimHashes that look like other articles'.
std::uint64_t Mix(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9;
  value = (value ^ (value >> 27)) * 0x94d049bb133111eb;
  return value ^ (value >> 31);
}

// `hex` (an id or content hash) with its last 16 digits replaced by `counter`: as long as the
// real one, so copying and hashing it costs the same.
std::string WithCounter(std::string hex, std::uint64_t counter) {
  constexpr char kDigits[] = "0123456789abcdef";
  if (hex.size() < 16) hex.resize(16, '0');
  for (std::size_t digit = 0; digit < 16; ++digit) {
    hex[hex.size() - 1 - digit] = kDigits[(counter >> (4 * digit)) & 0xf];
  }
  return hex;
}

// The in-memory ArticleMemory the pipeline tests use, as it is after a while in production:
// holding `live` earlier articles, each a story of its own, and seeing each new article once. A
// benchmark repeats the same few articles, and remembering them as they are would pile up
// exact duplicates in one index bucket and time an ever longer bucket scan; so each one is
// remembered as a new article (an id and content hash of its own, a SimHash as far from the
// others as random ones are) with its own story features, which is the work the real memory
// does per article (InMemoryArticleMemory::Remember(const Article&, ...) makes the same record).
class FreshArticleMemory : public pipeline::ArticleMemory {
 public:
  FreshArticleMemory(std::size_t live, const std::vector<Article>& classified)
      : memory_(pipeline::MemoryOptions{}) {
    // Restore, not Remember: it finds a story by id instead of comparing the features of every
    // live one, which would make filling 20000 take tens of seconds. Each earlier article shares
    // the sample's topics but none of its entities, so later articles compare their features with
    // every story and join none.
    for (std::size_t index = 0; index < live; ++index) {
      const Article& article = classified[index % classified.size()];
      std::vector<std::string> features = pipeline::StoryFeatures(article);
      for (auto& feature : features) {
        if (!feature.starts_with("topic:")) feature += "#" + std::to_string(index);
      }
      ++counter_;
      pipeline::RememberedArticle earlier{WithCounter(article.id, counter_),
                                          WithCounter(article.fingerprints.content_hash, counter_),
                                          Mix(counter_), kNowMs};
      const std::string story_id = earlier.id;
      memory_.Restore(earlier, story_id, features);
    }
  }

  newswire::Result<pipeline::MemoryVerdict> Remember(const Article& article,
                                                     std::int64_t now_ms) override {
    ++counter_;
    return memory_.Remember(
        pipeline::RememberedArticle{WithCounter(article.id, counter_),
                                    WithCounter(article.fingerprints.content_hash, counter_),
                                    article.fingerprints.simhash ^ Mix(counter_), now_ms},
        pipeline::StoryFeatures(article));
  }

 private:
  pipeline::InMemoryArticleMemory memory_;
  std::uint64_t counter_ = 0;
};

void BM_Baseline_CopyBytes(benchmark::State& state) {
  const auto raws = RawItems(Format::kText);
  std::string target;
  for (auto _ : state) {
    for (const auto& raw : raws) {
      target.assign(raw.bytes);
      benchmark::DoNotOptimize(target.data());
    }
  }
  SetRates(state, RawBytes(raws), raws.size());
}

// Sniffing, charset conversion and the format's decoder: Decode as Pipeline::Process calls it.
void BM_Decode(benchmark::State& state, Format format) {
  const StageInputs inputs = Prepare(format);
  for (auto _ : state) {
    for (const auto& raw : inputs.raws) {
      auto decoded = pipeline::Decode(raw);
      benchmark::DoNotOptimize(decoded);
    }
  }
  SetRates(state, RawBytes(inputs.raws), inputs.decoded.size());
}

// The stages below take the article by value; Pipeline::Process moves it in, here it is copied
// in (well under a microsecond for a 5 KB article, the same for every format).
void BM_Normalize(benchmark::State& state, Format format) {
  const StageInputs inputs = Prepare(format);
  for (auto _ : state) {
    for (const auto& article : inputs.decoded) {
      auto normalized = pipeline::Normalize(article);
      benchmark::DoNotOptimize(normalized);
    }
  }
  SetRates(state, TextBytes(inputs.decoded), inputs.decoded.size());
}

void BM_Classify(benchmark::State& state, Format format) {
  const StageInputs inputs = Prepare(format);
  const pipeline::Classifier& classifier = *Shipped();
  for (auto _ : state) {
    for (const auto& article : inputs.normalized) {
      auto classified = classifier.Classify(article);
      benchmark::DoNotOptimize(classified);
    }
  }
  SetRates(state, TextBytes(inputs.normalized), inputs.normalized.size());
}

// Story features, the duplicate lookup and the story scan of a memory holding state.range(0)
// articles and stories.
void BM_Remember(benchmark::State& state, Format format) {
  const StageInputs inputs = Prepare(format);
  FreshArticleMemory memory(static_cast<std::size_t>(state.range(0)), inputs.classified);
  for (auto _ : state) {
    for (const auto& article : inputs.classified) {
      auto verdict = memory.Remember(article, kNowMs);
      benchmark::DoNotOptimize(verdict);
    }
  }
  SetRates(state, TextBytes(inputs.classified), inputs.classified.size());
}

void BM_Encode(benchmark::State& state, Format format) {
  const StageInputs inputs = Prepare(format);
  const pipeline::EncodeOptions options{"newswire://bench"};
  for (auto _ : state) {
    for (const auto& article : inputs.remembered) {
      auto event = pipeline::Encode(article, options, kNow);
      benchmark::DoNotOptimize(event);
    }
  }
  SetRates(state, TextBytes(inputs.remembered), inputs.remembered.size());
}

// The whole chain as a worker thread runs it: the shipped classifier (it has no routes, so the
// route step only looks) and a memory holding state.range(0) articles and stories.
void BM_Process(benchmark::State& state, Format format) {
  const StageInputs inputs = Prepare(format);
  pipeline::PipelineOptions options;
  options.source_uri = "newswire://bench";
  options.classifier = Shipped();
  options.memory = std::make_shared<FreshArticleMemory>(static_cast<std::size_t>(state.range(0)),
                                                        inputs.classified);
  const pipeline::Pipeline chain(std::move(options));
  for (auto _ : state) {
    for (const auto& raw : inputs.raws) {
      auto result = chain.Process(raw, kNow);
      if (!result) state.SkipWithError(result.error().Describe().c_str());
      benchmark::DoNotOptimize(result);
    }
  }
  SetRates(state, RawBytes(inputs.raws), inputs.decoded.size());
}

// A memory just started, a quiet source's, and a busy one's at the default stories.max_stories.
constexpr std::int64_t kNoneLive = 0;
constexpr std::int64_t kFewLive = 1000;
constexpr std::int64_t kManyLive = 20000;

BENCHMARK(BM_Baseline_CopyBytes);
BENCHMARK_CAPTURE(BM_Decode, Text, Format::kText);
BENCHMARK_CAPTURE(BM_Decode, Html, Format::kHtml);
BENCHMARK_CAPTURE(BM_Decode, Json, Format::kJson);
BENCHMARK_CAPTURE(BM_Decode, Rss, Format::kRss);
BENCHMARK_CAPTURE(BM_Normalize, Text, Format::kText);
BENCHMARK_CAPTURE(BM_Normalize, Html, Format::kHtml);
BENCHMARK_CAPTURE(BM_Normalize, Json, Format::kJson);
BENCHMARK_CAPTURE(BM_Normalize, Rss, Format::kRss);
BENCHMARK_CAPTURE(BM_Classify, Text, Format::kText);
BENCHMARK_CAPTURE(BM_Classify, Html, Format::kHtml);
BENCHMARK_CAPTURE(BM_Classify, Json, Format::kJson);
BENCHMARK_CAPTURE(BM_Classify, Rss, Format::kRss);
BENCHMARK_CAPTURE(BM_Remember, Text, Format::kText)->Arg(kNoneLive)->Arg(kFewLive)->Arg(kManyLive);
BENCHMARK_CAPTURE(BM_Encode, Text, Format::kText);
BENCHMARK_CAPTURE(BM_Encode, Html, Format::kHtml);
BENCHMARK_CAPTURE(BM_Encode, Json, Format::kJson);
BENCHMARK_CAPTURE(BM_Encode, Rss, Format::kRss);
BENCHMARK_CAPTURE(BM_Process, Text, Format::kText)->Arg(kNoneLive)->Arg(kFewLive)->Arg(kManyLive);
BENCHMARK_CAPTURE(BM_Process, Html, Format::kHtml)->Arg(kNoneLive)->Arg(kFewLive)->Arg(kManyLive);
BENCHMARK_CAPTURE(BM_Process, Json, Format::kJson)->Arg(kNoneLive)->Arg(kFewLive)->Arg(kManyLive);
BENCHMARK_CAPTURE(BM_Process, Rss, Format::kRss)->Arg(kNoneLive)->Arg(kFewLive)->Arg(kManyLive);

}  // namespace

int main(int argc, char** argv) { return newswire::bench::RunWithRatios(argc, argv); }
