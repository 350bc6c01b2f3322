#include "daemon/pipeline/pipeline.h"

#include <utility>

#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/decode/decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"

namespace newswire::pipeline {

Pipeline::Pipeline(PipelineOptions options)
    : options_(std::move(options)),
      encode_options_{options_.source_uri},
      classifier_(options_.classifier) {}

void Pipeline::SetClassifier(std::shared_ptr<const Classifier> classifier) {
  classifier_.store(std::move(classifier));
}

Result<Article> Pipeline::Remember(Article article,
                                   std::chrono::system_clock::time_point now) const {
  if (options_.memory == nullptr) return article;
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto verdict = options_.memory->Remember(article, now_ms);
  if (!verdict) return tl::unexpected<Error>(std::move(verdict.error()));
  if (verdict->duplicate) {
    article.fingerprints.duplicate_of = std::move(verdict->duplicate->id);
    article.fingerprints.duplicate_distance = verdict->duplicate->distance;
  }
  article.fingerprints.story_id = std::move(verdict->story_id);
  return article;
}

ProcessResult Pipeline::Process(const RawArticle& raw, std::chrono::system_clock::time_point now,
                                StageTimings* timings) const {
  // Adds the time since the previous mark to `stage` (no clock reads without `timings`).
  auto mark = timings != nullptr ? std::chrono::steady_clock::now()
                                 : std::chrono::steady_clock::time_point{};
  const auto lap = [timings, &mark](std::chrono::nanoseconds StageTimings::*stage) {
    if (timings == nullptr) return;
    const auto now_mark = std::chrono::steady_clock::now();
    timings->*stage += now_mark - mark;
    mark = now_mark;
  };
  auto decoded = Decode(raw, options_.json_fields, options_.max_articles_per_item);
  lap(&StageTimings::decode);
  if (!decoded) return tl::unexpected<Error>(std::move(decoded.error()));

  const std::shared_ptr<const Classifier> classifier = classifier_.load();
  std::vector<Result<OutboundEvent>> events;
  events.reserve(decoded->size());
  for (auto& article : *decoded) {
    if (!article) {
      // One article of a multi-article item could not be decoded; the others still go on.
      events.emplace_back(tl::unexpected<Error>(std::move(article.error())));
      continue;
    }
    lap(&StageTimings::decode);
    auto classified = Normalize(std::move(*article))
                          .and_then([&](Article normalized) {
                            lap(&StageTimings::normalize);
                            return classifier != nullptr
                                       ? classifier->Classify(std::move(normalized))
                                       : Classify(std::move(normalized));
                          })
                          .and_then([&](Article classified) {
                            lap(&StageTimings::classify);
                            auto remembered = Remember(std::move(classified), now);
                            lap(&StageTimings::remember);
                            return remembered;
                          });
    if (!classified) {
      events.emplace_back(tl::unexpected<Error>(std::move(classified.error())));
      continue;
    }
    auto event = Encode(*classified, encode_options_, now);
    lap(&StageTimings::encode);
    if (!event || classifier == nullptr) {
      events.push_back(std::move(event));
      continue;
    }
    // The main event first, then one copy per matching route (the item completes only when
    // Kafka confirmed all of them).
    const std::vector<std::string> route_topics = classifier->routes().Match(*classified);
    for (const std::string& route_topic : route_topics) {
      OutboundEvent routed = *event;
      routed.channel = Channel::kRoute;
      routed.topic = route_topic;
      events.emplace_back(std::move(routed));
    }
    events.insert(events.end() - static_cast<std::ptrdiff_t>(route_topics.size()),
                  std::move(event));
    lap(&StageTimings::route);
  }
  return events;
}

}  // namespace newswire::pipeline
