#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
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
//
// Cost: an article is compared only with the stories that share one of its entities (a story must
// share one to be chosen), found through an index from feature to stories; expiry and the
// max_stories limit use an index by last activity. So an article costs about O(features x log n)
// plus its candidates, not O(n) over every live story.
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
  // Creation order: on equal similarity the earlier story wins, and on equal activity the
  // earlier story is forgotten first.
  using Sequence = std::uint64_t;
  struct Story {
    std::string id;
    std::map<std::string, std::size_t> feature_counts;
    std::int64_t last_time_ms = 0;
  };

  Sequence Create(const std::string& id, std::int64_t time_ms);
  void Join(Sequence sequence, const std::vector<std::string>& features, std::int64_t time_ms);
  void Remove(Sequence sequence);
  void Forget(std::int64_t now_ms);

  std::int64_t window_ms_;
  double min_similarity_;
  std::size_t max_stories_;
  Sequence next_sequence_ = 0;
  std::map<Sequence, Story> stories_;
  // Story id -> its stories (an article without entities starts a new story each time it comes
  // again); Restore joins the earliest, as a scan in creation order would.
  std::unordered_map<std::string, std::set<Sequence>> sequences_by_id_;
  // Feature -> the stories that have it, in creation order.
  std::unordered_map<std::string, std::set<Sequence>> stories_by_feature_;
  // (last activity, creation order) of every story: the least recently active first.
  std::set<std::pair<std::int64_t, Sequence>> by_activity_;
};

}  // namespace newswire::pipeline
