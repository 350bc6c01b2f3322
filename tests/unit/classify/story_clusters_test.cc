#include "daemon/pipeline/classify/story_clusters.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace newswire::pipeline
