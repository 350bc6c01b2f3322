#include "daemon/pipeline/classify/duplicate_window.h"

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "daemon/pipeline/classify/classifier.h"

namespace newswire::pipeline {
namespace {

constexpr std::int64_t kHourMs = 3600 * 1000;

RememberedArticle Remembered(std::string id, std::string content_hash, std::uint64_t simhash,
                             std::int64_t time_ms = 0) {
  return {std::move(id), std::move(content_hash), simhash, time_ms};
}

TEST(SimHashDistanceTest, CountsDifferingBits) {
  EXPECT_EQ(SimHashDistance(0, 0), 0);
  EXPECT_EQ(SimHashDistance(0b1011, 0b0001), 2);
  EXPECT_EQ(SimHashDistance(~0ULL, 0), 64);
}

TEST(SimHashDistanceTest, NearDuplicateTextsAreCloseAndUnrelatedOnesFar) {
  const std::string story =
      "The central bank kept interest rates unchanged on Thursday, saying inflation was falling "
      "more slowly than expected. Officials said the housing market remained fragile and that "
      "wage growth was still too strong for a cut. Markets had expected the decision, and the "
      "currency barely moved after the announcement in the capital.";
  std::string edited = story;
  edited.replace(edited.find("Thursday"), 8, "Friday");
  const auto original = SimHash(story);
  const auto near = SimHash(edited + " Reporting by the newsroom.");
  const auto unrelated = SimHash(
      "The home side won the derby with a late goal, lifting them to second place in the table "
      "as the visitors finished with ten men after a red card early in the second half.");
  ASSERT_TRUE(original && near && unrelated);
  EXPECT_LE(SimHashDistance(*original, *near), 10);
  EXPECT_GE(SimHashDistance(*original, *unrelated), 16);
}

TEST(DuplicateWindowTest, FindsAnExactCopyOfTheBodyUnderAnotherId) {
  DuplicateWindow window(100, 24 * kHourMs, 3);
  window.Add(Remembered("first", "hash-a", 0xF0F0F0F0F0F0F0F0));
  const auto match = window.Find(Remembered("second", "hash-a", 0x1234), 0);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->id, "first");
  EXPECT_EQ(match->distance, 0);
}

TEST(DuplicateWindowTest, FindsNearDuplicatesUpToTheDistanceInAnyBlock) {
  DuplicateWindow window(100, 24 * kHourMs, 3);
  const std::uint64_t base = 0x0123456789ABCDEFULL;
  window.Add(Remembered("first", "hash-a", base));
  // Three bits flipped, each in a different 16-bit block: one block still agrees.
  const std::uint64_t three_off = base ^ (1ULL << 3) ^ (1ULL << 20) ^ (1ULL << 40);
  auto match = window.Find(Remembered("second", "hash-b", three_off), 0);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->id, "first");
  EXPECT_EQ(match->distance, 3);
  const std::uint64_t four_off = three_off ^ (1ULL << 60);
  EXPECT_FALSE(window.Find(Remembered("third", "hash-c", four_off), 0).has_value());
}

TEST(DuplicateWindowTest, TheClosestThenTheEarliestWinsAndAnArticleIsNotItsOwnDuplicate) {
  DuplicateWindow window(100, 24 * kHourMs, 3);
  const std::uint64_t base = 0xFFFF0000FFFF0000ULL;
  window.Add(Remembered("two-off", "h1", base ^ 0b11));
  window.Add(Remembered("one-off-early", "h2", base ^ 0b100));
  window.Add(Remembered("one-off-late", "h3", base ^ 0b1000));
  window.Add(Remembered("query", "h4", base));
  auto match = window.Find(Remembered("query", "h5", base), 0);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->id, "one-off-early");
  EXPECT_EQ(match->distance, 1);
}

TEST(DuplicateWindowTest, ForgetsBeyondTheCountAndTheAge) {
  DuplicateWindow by_count(2, 24 * kHourMs, 3);
  by_count.Add(Remembered("a", "ha", 0x1111));
  by_count.Add(Remembered("b", "hb", 0x2222));
  by_count.Add(Remembered("c", "hc", 0x3333));
  EXPECT_EQ(by_count.size(), 2U);
  EXPECT_FALSE(by_count.Find(Remembered("x", "ha", 0x1111), 0).has_value());
  EXPECT_TRUE(by_count.Find(Remembered("x", "hb", 0x2222), 0).has_value());

  DuplicateWindow by_age(100, kHourMs, 3);
  by_age.Add(Remembered("old", "ho", 0x4444, 0));
  EXPECT_TRUE(by_age.Find(Remembered("x", "ho", 0x4444), kHourMs / 2).has_value());
  EXPECT_FALSE(by_age.Find(Remembered("x", "ho", 0x4444), 2 * kHourMs).has_value());
  by_age.Add(Remembered("new", "hn", 0x5555, 2 * kHourMs));
  EXPECT_EQ(by_age.size(), 1U);
}

TEST(DuplicateWindowTest, AnEmptyBodyOnlyMatchesExactly) {
  DuplicateWindow window(100, 24 * kHourMs, 3);
  window.Add(Remembered("a", "empty-hash", 0));
  EXPECT_FALSE(window.Find(Remembered("b", "other", 0b111), 0).has_value());
  EXPECT_TRUE(window.Find(Remembered("b", "empty-hash", 0), 0).has_value());
}

// The indexes must choose exactly what comparing with every remembered article would: random
// articles in a few families of close SimHashes, some sharing a body, some ids repeated, with
// eviction by count and by age all along.
TEST(DuplicateWindowTest, TheIndexesChooseExactlyAsAFullScan) {
  constexpr std::size_t kMaxArticles = 40;
  constexpr std::int64_t kMaxAgeMs = 200;
  constexpr int kMaxDistance = 3;
  std::mt19937_64 random(20261124);
  std::vector<std::uint64_t> families(12);
  for (std::uint64_t& family : families) family = random();
  auto pick = [&](std::size_t count) { return static_cast<std::size_t>(random() % count); };
  auto make = [&](std::int64_t time_ms) {
    std::uint64_t simhash = families[pick(families.size())];
    for (std::size_t flips = pick(6); flips > 0; --flips) simhash ^= std::uint64_t{1} << pick(64);
    if (pick(20) == 0) simhash = 0;
    const std::string content = pick(4) == 0 ? "shared-" + std::to_string(pick(5))
                                             : std::to_string(random()) + std::to_string(random());
    return Remembered("id-" + std::to_string(pick(300)), content, simhash, time_ms);
  };

  DuplicateWindow window(kMaxArticles, kMaxAgeMs, kMaxDistance);
  std::deque<RememberedArticle> reference;
  int found = 0;
  std::int64_t now_ms = 0;
  for (int step = 0; step < 5000; ++step) {
    now_ms += static_cast<std::int64_t>(pick(20));
    const RememberedArticle article = make(now_ms);
    std::optional<DuplicateMatch> expected;
    for (const RememberedArticle& earlier : reference) {
      if (earlier.id == article.id || earlier.time_ms < now_ms - kMaxAgeMs) continue;
      int distance = SimHashDistance(earlier.simhash, article.simhash);
      if (earlier.content_hash == article.content_hash) {
        distance = 0;
      } else if (article.simhash == 0 || distance > kMaxDistance) {
        continue;
      }
      if (!expected || distance < expected->distance)
        expected = DuplicateMatch{earlier.id, distance};
    }
    const std::optional<DuplicateMatch> actual = window.Find(article, now_ms);
    ASSERT_EQ(actual.has_value(), expected.has_value()) << "step " << step;
    if (expected) {
      ASSERT_EQ(actual->id, expected->id) << "step " << step;
      ASSERT_EQ(actual->distance, expected->distance) << "step " << step;
      ++found;
    }
    window.Add(article);
    reference.push_back(article);
    while (reference.size() > kMaxArticles || reference.front().time_ms < now_ms - kMaxAgeMs) {
      reference.pop_front();
    }
    ASSERT_EQ(window.size(), reference.size());
  }
  // The draw makes both outcomes common, so the comparison covers both.
  EXPECT_GT(found, 500);
  EXPECT_LT(found, 4500);
}

}  // namespace
}  // namespace newswire::pipeline
