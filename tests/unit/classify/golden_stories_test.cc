// The five samples tell one story (Russia-Venezuela ties under US pressure): remembered in order,
// they share one story id, the first sample's; an unrelated sports report starts its own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/pipeline/classify/article_memory.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/unit/classify/shipped_data.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

constexpr std::int64_t kMinuteMs = 60 * 1000;

TEST(GoldenStoriesTest, TheFiveSamplesAreOneStoryAndASportsReportIsNot) {
  InMemoryArticleMemory memory{MemoryOptions{}};
  std::vector<std::string> story_ids;
  std::string first_id;
  std::int64_t now_ms = 0;
  for (const auto& sample : test_helpers::LoadSamples()) {
    const Article article = test_helpers::ClassifiedSample(sample);
    if (first_id.empty()) first_id = article.id;
    auto verdict = memory.Remember(article, now_ms += kMinuteMs);
    ASSERT_TRUE(verdict.has_value());
    EXPECT_EQ(verdict->story_id, first_id) << sample.path.filename();
    EXPECT_FALSE(verdict->duplicate.has_value()) << "the samples are five different texts";
  }
  Article sport;
  sport.title = "Arsenal beat Chelsea to go top of the Premier League";
  sport.body =
      "Arsenal came from behind to beat Chelsea 2-1 at the Emirates Stadium on Sunday and go top "
      "of the Premier League table.\n\nThe manager praised his players after a late header from "
      "the captain settled a derby watched by a sell-out crowd in London.";
  const Article classified = test_helpers::ClassifiedArticle(std::move(sport));
  auto verdict = memory.Remember(classified, now_ms += kMinuteMs);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->story_id, classified.id);
}

}  // namespace
}  // namespace newswire::pipeline
