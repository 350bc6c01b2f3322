#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "daemon/core/article.h"

namespace newswire::pipeline {

// What makes two articles one story: their principal entities and topics, as feature strings
// ("country:VE", "person:Nicolás Maduro", "topic:medtop:20000639"). Up to kStoryEntities
// entities by score and kStoryTopics topic tags by score; sorted, no repeats.
inline constexpr std::size_t kStoryEntities = 6;
inline constexpr std::size_t kStoryTopics = 4;
std::vector<std::string> StoryFeatures(const Article& article);

// Groups articles into stories: an article joins the live story that shares the largest weighted
// share of its features (entities weigh 2, topics 1), if that share is at least
// `min_similarity` and they share at least one entity and one topic; otherwise it starts a story
// whose id is its own article id. A story stays live for `window_ms` after its last article; at
// most `max_stories` are kept (the least recent go first). Deterministic for the same input order.
// Pure and not thread-safe: its owner (the article store) serializes access.
class StoryClusters {
 public:
  StoryClusters(std::int64_t window_ms, double min_similarity, std::size_t max_stories);

  // The story of the article, which is remembered as part of it.
  std::string Assign(const std::string& article_id, const std::vector<std::string>& features,
                     std::int64_t now_ms);
  // Puts back an assignment made before a restart (replayed in the original order).
  void Restore(const std::string& story_id, const std::vector<std::string>& features,
               std::int64_t time_ms);

  std::size_t size() const { return stories_.size(); }

 private:
  struct Story {
    std::string id;
    std::map<std::string, std::size_t> feature_counts;
    std::int64_t last_time_ms = 0;
  };

  void Join(Story& story, const std::vector<std::string>& features, std::int64_t time_ms);
  void Forget(std::int64_t now_ms);

  std::int64_t window_ms_;
  double min_similarity_;
  std::size_t max_stories_;
  std::deque<Story> stories_;  // oldest first by creation
};

}  // namespace newswire::pipeline
