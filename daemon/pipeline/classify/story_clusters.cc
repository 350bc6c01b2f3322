#include "daemon/pipeline/classify/story_clusters.h"

#include <algorithm>
#include <utility>

namespace newswire::pipeline {
namespace {

constexpr double kEntityWeight = 2.0;
constexpr double kTopicWeight = 1.0;
constexpr std::string_view kTopicPrefix = "topic:";

bool IsTopic(const std::string& feature) { return feature.starts_with(kTopicPrefix); }
double WeightOf(const std::string& feature) {
  return IsTopic(feature) ? kTopicWeight : kEntityWeight;
}

}  // namespace

std::vector<std::string> StoryFeatures(const Article& article) {
  std::vector<const Entity*> entities;
  for (const Entity& entity : article.entities) entities.push_back(&entity);
  std::stable_sort(entities.begin(), entities.end(), [](const Entity* left, const Entity* right) {
    return left->score > right->score;
  });
  std::vector<std::string> features;
  for (std::size_t index = 0; index < entities.size() && index < kStoryEntities; ++index) {
    const Entity& entity = *entities[index];
    features.push_back(entity.type + ":" +
                       (entity.identifier.empty() ? entity.name : entity.identifier));
  }
  // Topic tags arrive best first.
  for (std::size_t index = 0; index < article.topics.size() && index < kStoryTopics; ++index) {
    features.push_back(std::string(kTopicPrefix) + article.topics[index].code);
  }
  std::sort(features.begin(), features.end());
  features.erase(std::unique(features.begin(), features.end()), features.end());
  return features;
}

StoryClusters::StoryClusters(std::int64_t window_ms, double min_similarity, std::size_t max_stories)
    : window_ms_(window_ms),
      min_similarity_(min_similarity),
      max_stories_(std::max<std::size_t>(max_stories, 1)) {}

void StoryClusters::Forget(std::int64_t now_ms) {
  std::erase_if(stories_,
                [&](const Story& story) { return story.last_time_ms < now_ms - window_ms_; });
  while (stories_.size() > max_stories_) {
    const auto least_recent = std::min_element(stories_.begin(), stories_.end(),
                                               [](const Story& left, const Story& right) {
                                                 return left.last_time_ms < right.last_time_ms;
                                               });
    stories_.erase(least_recent);
  }
}

void StoryClusters::Join(Story& story, const std::vector<std::string>& features,
                         std::int64_t time_ms) {
  for (const std::string& feature : features) ++story.feature_counts[feature];
  story.last_time_ms = std::max(story.last_time_ms, time_ms);
}

std::string StoryClusters::Assign(const std::string& article_id,
                                  const std::vector<std::string>& features, std::int64_t now_ms) {
  Forget(now_ms);
  double total_weight = 0.0;
  for (const std::string& feature : features) total_weight += WeightOf(feature);
  Story* best = nullptr;
  double best_similarity = 0.0;
  if (total_weight > 0.0) {
    for (Story& story : stories_) {
      double shared_weight = 0.0;
      bool shares_entity = false;
      bool shares_topic = false;
      for (const std::string& feature : features) {
        if (!story.feature_counts.contains(feature)) continue;
        shared_weight += WeightOf(feature);
        (IsTopic(feature) ? shares_topic : shares_entity) = true;
      }
      const double similarity = shared_weight / total_weight;
      // Strictly better only: on a tie the earlier story keeps the article.
      if (shares_entity && shares_topic && similarity >= min_similarity_ &&
          similarity > best_similarity) {
        best = &story;
        best_similarity = similarity;
      }
    }
  }
  if (best == nullptr) {
    stories_.push_back({article_id, {}, now_ms});
    best = &stories_.back();
  }
  Join(*best, features, now_ms);
  return best->id;
}

void StoryClusters::Restore(const std::string& story_id, const std::vector<std::string>& features,
                            std::int64_t time_ms) {
  Forget(time_ms);
  const auto found = std::find_if(stories_.begin(), stories_.end(),
                                  [&](const Story& story) { return story.id == story_id; });
  if (found != stories_.end()) {
    Join(*found, features, time_ms);
    return;
  }
  stories_.push_back({story_id, {}, time_ms});
  Join(stories_.back(), features, time_ms);
}

}  // namespace newswire::pipeline
