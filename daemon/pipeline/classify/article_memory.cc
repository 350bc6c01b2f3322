#include "daemon/pipeline/classify/article_memory.h"

#include <utility>

namespace newswire::pipeline {

InMemoryArticleMemory::InMemoryArticleMemory(const MemoryOptions& options)
    : duplicates_(options.max_articles, options.max_age_ms, options.max_distance),
      stories_(options.story_window_ms, options.story_min_similarity, options.max_stories) {}

Result<MemoryVerdict> InMemoryArticleMemory::Remember(const Article& article, std::int64_t now_ms) {
  return Remember(RememberedArticle{article.id, article.fingerprints.content_hash,
                                    article.fingerprints.simhash, now_ms},
                  StoryFeatures(article));
}

MemoryVerdict InMemoryArticleMemory::Remember(RememberedArticle remembered,
                                              const std::vector<std::string>& features) {
  std::lock_guard lock(mutex_);
  MemoryVerdict verdict;
  verdict.duplicate = duplicates_.Find(remembered, remembered.time_ms);
  verdict.story_id = stories_.Assign(remembered.id, features, remembered.time_ms);
  duplicates_.Add(std::move(remembered));
  return verdict;
}

void InMemoryArticleMemory::Restore(const RememberedArticle& article, const std::string& story_id,
                                    const std::vector<std::string>& story_features) {
  std::lock_guard lock(mutex_);
  stories_.Restore(story_id, story_features, article.time_ms);
  duplicates_.Add(article);
}

std::size_t InMemoryArticleMemory::size() const {
  std::lock_guard lock(mutex_);
  return duplicates_.size();
}

}  // namespace newswire::pipeline
