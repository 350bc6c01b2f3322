#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/core/article.h"
#include "daemon/core/error.h"
#include "daemon/pipeline/classify/duplicate_window.h"
#include "daemon/pipeline/classify/story_clusters.h"

namespace newswire::pipeline {

// What remembering an article tells about it.
struct MemoryVerdict {
  std::optional<DuplicateMatch>
      duplicate;         // an earlier article with the same or nearly the same text
  std::string story_id;  // the story it belongs to (its own id for a new one)
};

// How far back the memory of recent articles reaches, and what counts as the same text and the
// same story. Defaults are the config's (duplicates.*, stories.*).
struct MemoryOptions {
  std::size_t max_articles = 100000;
  std::int64_t max_age_ms = std::int64_t{7} * 24 * 3600 * 1000;
  int max_distance = 3;
  std::int64_t story_window_ms = std::int64_t{3} * 24 * 3600 * 1000;
  double story_min_similarity = 0.5;
  std::size_t max_stories = 20000;
};

// The pipeline's memory of recent articles, for duplicates and stories: the one stateful step
// between classify and encode. The pipeline sees only this interface; the daemon gives it a
// persistent one (daemon/state), `newswire process` and tests an in-memory one. Thread-safe.
class ArticleMemory {
 public:
  virtual ~ArticleMemory() = default;
  // Finds an earlier duplicate and the story of `article` (normalized and classified), then
  // remembers it as processed at `now_ms` (Unix milliseconds).
  virtual Result<MemoryVerdict> Remember(const Article& article, std::int64_t now_ms) = 0;
};

// The memory in process memory only: forgotten at exit. Also the engine of the persistent one.
class InMemoryArticleMemory : public ArticleMemory {
 public:
  explicit InMemoryArticleMemory(const MemoryOptions& options);

  Result<MemoryVerdict> Remember(const Article& article, std::int64_t now_ms) override;
  // The same, for a caller that already made the record and the story features (the persistent
  // memory writes both to disk).
  MemoryVerdict Remember(RememberedArticle remembered, const std::vector<std::string>& features);

  // Puts back what was remembered before a restart, in the original order.
  void Restore(const RememberedArticle& article, const std::string& story_id,
               const std::vector<std::string>& story_features);

  std::size_t size() const;

 private:
  mutable std::mutex mutex_;  // Remember runs on every worker thread
  DuplicateWindow duplicates_;
  StoryClusters stories_;
};

}  // namespace newswire::pipeline
