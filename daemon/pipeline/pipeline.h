#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/error.h"
#include "daemon/core/outbound_event.h"
#include "daemon/core/raw_article.h"
#include "daemon/pipeline/classify/article_memory.h"
#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/decode/json_decoder.h"
#include "daemon/pipeline/encode/event_encoder.h"

namespace newswire::pipeline {

struct PipelineOptions {
  // CloudEvents `source` attribute, e.g. "newswire://host-1".
  std::string source_uri = "newswire://localhost";
  // Which JSON members hold which article fields, for JSON and JSON Lines items.
  JsonFieldMapping json_fields;
  // Topics (and later entities); without one, articles get fingerprints only.
  std::shared_ptr<const Classifier> classifier;
  // Recent articles, for duplicate_of and story_id; without one, both stay empty.
  std::shared_ptr<ArticleMemory> memory;
  // An item that holds more articles is refused whole (kTooLarge) before any is decoded: its
  // events would all be held in memory until Kafka confirmed the last one.
  std::size_t max_articles_per_item = 10000;
};

// Time spent in each stage on one item, summed over its articles, for the daemon's per-stage
// latency histograms. Only a monotonic clock is read: the pipeline stays free of I/O.
struct StageTimings {
  std::chrono::nanoseconds decode{0};
  std::chrono::nanoseconds normalize{0};
  std::chrono::nanoseconds classify{0};
  std::chrono::nanoseconds remember{0};
  std::chrono::nanoseconds encode{0};
  std::chrono::nanoseconds route{0};
};

// What became of one source item: either the whole item was rejected (outer error: it could not
// be decoded at all), or one result per article found in it, each an event or a per-article error.
using ProcessResult = Result<std::vector<Result<OutboundEvent>>>;

// The chain Decode -> Normalize -> Classify -> Remember -> Encode. No I/O, no Kafka, no Asio,
// no globals: its one stateful step, remembering recent articles, goes through the
// ArticleMemory interface the daemon provides. Shared by all worker threads: immutable after
// construction except for the classifier, which SetClassifier swaps atomically.
class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options);

  // Thread-safe. `now` becomes the events' ce_time. With `timings`, the time of each stage is
  // added to it.
  ProcessResult Process(const RawArticle& raw, std::chrono::system_clock::time_point now,
                        StageTimings* timings = nullptr) const;

  // Swaps the classifier (a reload of rules and gazetteers). Thread-safe: an item being processed
  // finishes with the classifier it started with, the next one takes the new one.
  void SetClassifier(std::shared_ptr<const Classifier> classifier);

 private:
  // Duplicates and story from options_.memory, remembered as processed at `now`.
  Result<Article> Remember(Article article, std::chrono::system_clock::time_point now) const;

  PipelineOptions options_;
  // Made once from options_, so that Process copies nothing per article.
  EncodeOptions encode_options_;
  // The classifier in use; replaced whole by SetClassifier, read once per item.
  std::atomic<std::shared_ptr<const Classifier>> classifier_;
};

}  // namespace newswire::pipeline
