#include "daemon/pipeline/classify/story_clusters.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace newswire::pipeline {
namespace {

using ::testing::ElementsAre;

constexpr std::int64_t kHourMs = 3600 * 1000;

const std::vector<std::string> kVenezuela = {"country:RU",
                                             "country:US",
                                             "country:VE",
                                             "person:Nicolás Maduro",
                                             "topic:medtop:20000639",
                                             "topic:medtop:20000602"};

TEST(StoryFeaturesTest, PrincipalEntitiesAndTopicsSortedWithoutRepeats) {
  Article article;
  article.entities = {{"country", "Venezuela", "VE", 0.9, {}},
                      {"person", "Nicolás Maduro", "", 0.8, {}},
                      {"country", "Venezuela", "VE", 0.1, {}}};
  TopicTag diplomacy;
  diplomacy.code = "medtop:20000639";
  article.topics = {diplomacy};
  EXPECT_THAT(StoryFeatures(article),
              ElementsAre("country:VE", "person:Nicolás Maduro", "topic:medtop:20000639"));
}

TEST(StoryClustersTest, ArticlesSharingEntitiesAndTopicsFormOneStory) {
  StoryClusters stories(48 * kHourMs, 0.5, 1000);
  EXPECT_EQ(stories.Assign("a1", kVenezuela, 0), "a1");
  EXPECT_EQ(
      stories.Assign("a2",
                     {"country:RU", "country:VE", "person:Vladimir Putin", "topic:medtop:20000639"},
                     kHourMs),
      "a1");
  EXPECT_EQ(stories.size(), 1U);
}

TEST(StoryClustersTest, AnUnrelatedArticleStartsItsOwnStory) {
  StoryClusters stories(48 * kHourMs, 0.5, 1000);
  stories.Assign("a1", kVenezuela, 0);
  EXPECT_EQ(stories.Assign("sport", {"country:GB", "organization:Arsenal", "topic:medtop:15000000"},
                           kHourMs),
            "sport");
  // Sharing only a topic, or only an entity, is not enough.
  EXPECT_EQ(stories.Assign("b", {"country:FR", "topic:medtop:20000639"}, kHourMs), "b");
  EXPECT_EQ(stories.Assign("c", {"country:VE", "topic:medtop:17000000"}, kHourMs), "c");
  EXPECT_EQ(stories.size(), 4U);
}

TEST(StoryClustersTest, AStoryEndsAfterTheWindowWithoutNewArticles) {
  StoryClusters stories(10 * kHourMs, 0.5, 1000);
  stories.Assign("a1", kVenezuela, 0);
  EXPECT_EQ(stories.Assign("a2", kVenezuela, 9 * kHourMs), "a1");
  EXPECT_EQ(stories.Assign("a3", kVenezuela, 18 * kHourMs), "a1");  // a2 kept it alive
  EXPECT_EQ(stories.Assign("a4", kVenezuela, 40 * kHourMs), "a4");
}

TEST(StoryClustersTest, RestoreRebuildsTheSameStoriesAfterARestart) {
  StoryClusters before(48 * kHourMs, 0.5, 1000);
  const std::string first = before.Assign("a1", kVenezuela, 0);
  StoryClusters after(48 * kHourMs, 0.5, 1000);
  after.Restore(first, kVenezuela, 0);
  EXPECT_EQ(after.Assign("a2", kVenezuela, kHourMs), "a1");
}

TEST(StoryClustersTest, TheSameOrderGivesTheSameStories) {
  const std::vector<std::vector<std::string>> inputs = {
      kVenezuela,
      {"country:GB", "organization:Arsenal", "topic:medtop:15000000"},
      {"country:RU", "country:VE", "topic:medtop:20000639"},
      {"country:GB", "organization:Arsenal", "topic:medtop:15000000", "person:Mikel Arteta"}};
  std::vector<std::string> first_run;
  std::vector<std::string> second_run;
  for (auto* run : {&first_run, &second_run}) {
    StoryClusters stories(48 * kHourMs, 0.5, 1000);
    for (std::size_t index = 0; index < inputs.size(); ++index) {
      run->push_back(stories.Assign(fmt::format("a{}", index), inputs[index], 0));
    }
  }
  EXPECT_EQ(first_run, second_run);
  EXPECT_THAT(first_run, ElementsAre("a0", "a1", "a0", "a1"));
}

// The rule as first written: every live story scanned for every article. The indexed
// StoryClusters must choose exactly as it does.
class ScanningStoryClusters {
 public:
  ScanningStoryClusters(std::int64_t window_ms, double min_similarity, std::size_t max_stories)
      : window_ms_(window_ms), min_similarity_(min_similarity), max_stories_(max_stories) {}

  std::string Assign(const std::string& article_id, const std::vector<std::string>& features,
                     std::int64_t now_ms) {
    Forget(now_ms);
    double total = 0;
    for (const auto& feature : features) total += Weight(feature);
    Story* best = nullptr;
    double best_similarity = 0;
    for (Story& story : stories_) {
      double shared = 0;
      bool entity = false;
      bool topic = false;
      for (const auto& feature : features) {
        if (!story.features.contains(feature)) continue;
        shared += Weight(feature);
        (feature.starts_with("topic:") ? topic : entity) = true;
      }
      if (total > 0 && entity && topic && shared / total >= min_similarity_ &&
          shared / total > best_similarity) {
        best = &story;
        best_similarity = shared / total;
      }
    }
    if (best == nullptr) best = &stories_.emplace_back(Story{article_id, {}, now_ms});
    Join(*best, features, now_ms);
    return best->id;
  }

  void Restore(const std::string& story_id, const std::vector<std::string>& features,
               std::int64_t time_ms) {
    Forget(time_ms);
    auto found = std::find_if(stories_.begin(), stories_.end(),
                              [&](const Story& story) { return story.id == story_id; });
    Story& story =
        found != stories_.end() ? *found : stories_.emplace_back(Story{story_id, {}, time_ms});
    Join(story, features, time_ms);
  }

  std::size_t size() const { return stories_.size(); }

 private:
  struct Story {
    std::string id;
    std::map<std::string, int> features;
    std::int64_t last_ms = 0;
  };
  static double Weight(const std::string& feature) { return feature.starts_with("topic:") ? 1 : 2; }
  static void Join(Story& story, const std::vector<std::string>& features, std::int64_t time_ms) {
    for (const auto& feature : features) ++story.features[feature];
    story.last_ms = std::max(story.last_ms, time_ms);
  }
  void Forget(std::int64_t now_ms) {
    std::erase_if(stories_,
                  [&](const Story& story) { return story.last_ms < now_ms - window_ms_; });
    while (stories_.size() > max_stories_) {
      stories_.erase(std::min_element(
          stories_.begin(), stories_.end(),
          [](const Story& left, const Story& right) { return left.last_ms < right.last_ms; }));
    }
  }

  std::int64_t window_ms_;
  double min_similarity_;
  std::size_t max_stories_;
  std::deque<Story> stories_;
};

// Thousands of random articles over a small vocabulary, with expiry, the size limit, restores and
// repeated ids: the indexed clusters assign every one to the same story as the full scan.
TEST(StoryClustersTest, TheIndexChoosesExactlyAsAFullScan) {
  const std::vector<std::string> vocabulary = {
      "country:US",       "country:VE",        "country:RU",      "country:GB",
      "person:Ana Pérez", "person:John Smith", "organization:UN", "organization:NATO",
      "topic:medtop:1",   "topic:medtop:2",    "topic:medtop:3",  "topic:medtop:4"};
  std::mt19937 random(7);
  for (const std::size_t max_stories : {std::size_t{5}, std::size_t{40}, std::size_t{1000}}) {
    StoryClusters indexed(10 * kHourMs, 0.5, max_stories);
    ScanningStoryClusters scanning(10 * kHourMs, 0.5, max_stories);
    std::int64_t now_ms = 0;
    int joined = 0;  // articles that joined an earlier story: the choice was exercised
    for (int index = 0; index < 3000; ++index) {
      now_ms += static_cast<std::int64_t>(random() % (kHourMs / 2));
      std::vector<std::string> features;
      const std::size_t count = random() % 6;
      for (std::size_t feature = 0; feature < count; ++feature) {
        features.push_back(vocabulary[random() % vocabulary.size()]);
      }
      std::sort(features.begin(), features.end());
      features.erase(std::unique(features.begin(), features.end()), features.end());
      // Some ids come again, as an article processed twice does.
      const std::string id = fmt::format("a{}", random() % 4 == 0 ? index % 50 : index);
      if (random() % 10 == 0) {
        indexed.Restore(id, features, now_ms);
        scanning.Restore(id, features, now_ms);
        continue;
      }
      const std::string story = indexed.Assign(id, features, now_ms);
      ASSERT_EQ(story, scanning.Assign(id, features, now_ms))
          << "article " << index << " with max_stories " << max_stories;
      ASSERT_EQ(indexed.size(), scanning.size());
      if (story != id) ++joined;
    }
    EXPECT_GT(joined, 300) << max_stories;
  }
}

}  // namespace
}  // namespace newswire::pipeline
