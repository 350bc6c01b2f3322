#include "daemon/pipeline/classify/story_clusters.h"

#include <algorithm>
#include <optional>
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

StoryClusters::Sequence StoryClusters::Create(const std::string& id, std::int64_t time_ms) {
  const Sequence sequence = next_sequence_++;
  stories_.emplace(sequence, Story{id, {}, time_ms});
  sequences_by_id_[id].insert(sequence);
  by_activity_.emplace(time_ms, sequence);
  return sequence;
}

void StoryClusters::Remove(Sequence sequence) {
  const auto found = stories_.find(sequence);
  const Story& story = found->second;
  for (const auto& [feature, count] : story.feature_counts) {
    const auto posting = stories_by_feature_.find(feature);
    posting->second.erase(sequence);
    if (posting->second.empty()) stories_by_feature_.erase(posting);
  }
  by_activity_.erase({story.last_time_ms, sequence});
  const auto by_id = sequences_by_id_.find(story.id);
  by_id->second.erase(sequence);
  if (by_id->second.empty()) sequences_by_id_.erase(by_id);
  stories_.erase(found);
}

void StoryClusters::Forget(std::int64_t now_ms) {
  while (!by_activity_.empty() && by_activity_.begin()->first < now_ms - window_ms_) {
    Remove(by_activity_.begin()->second);
  }
  while (stories_.size() > max_stories_) Remove(by_activity_.begin()->second);
}

void StoryClusters::Join(Sequence sequence, const std::vector<std::string>& features,
                         std::int64_t time_ms) {
  Story& story = stories_.at(sequence);
  for (const std::string& feature : features) {
    if (story.feature_counts[feature]++ == 0) stories_by_feature_[feature].insert(sequence);
  }
  if (time_ms > story.last_time_ms) {
    by_activity_.erase({story.last_time_ms, sequence});
    story.last_time_ms = time_ms;
    by_activity_.emplace(time_ms, sequence);
  }
}

std::string StoryClusters::Assign(const std::string& article_id,
                                  const std::vector<std::string>& features, std::int64_t now_ms) {
  Forget(now_ms);
  double total_weight = 0.0;
  for (const std::string& feature : features) total_weight += WeightOf(feature);
  // Only a story that shares an entity can be chosen: the candidates are the stories of the
  // article's entities, in creation order.
  std::set<Sequence> candidates;
  for (const std::string& feature : features) {
    if (IsTopic(feature)) continue;
    if (const auto posting = stories_by_feature_.find(feature);
        posting != stories_by_feature_.end()) {
      candidates.insert(posting->second.begin(), posting->second.end());
    }
  }
  std::optional<Sequence> best;
  double best_similarity = 0.0;
  if (total_weight > 0.0) {
    for (const Sequence sequence : candidates) {
      const Story& story = stories_.at(sequence);
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
        best = sequence;
        best_similarity = similarity;
      }
    }
  }
  if (!best) best = Create(article_id, now_ms);
  Join(*best, features, now_ms);
  return stories_.at(*best).id;
}

void StoryClusters::Restore(const std::string& story_id, const std::vector<std::string>& features,
                            std::int64_t time_ms) {
  Forget(time_ms);
  const auto found = sequences_by_id_.find(story_id);
  const Sequence sequence =
      found != sequences_by_id_.end() ? *found->second.begin() : Create(story_id, time_ms);
  Join(sequence, features, time_ms);
}

}  // namespace newswire::pipeline
