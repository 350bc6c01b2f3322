#include "daemon/pipeline/classify/classifier.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>

#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

std::uint64_t SimHashOf(std::string_view text) {
  auto simhash = SimHash(text);
  EXPECT_TRUE(simhash.has_value()) << simhash.error().Describe();
  return simhash.value_or(0);
}

int BitsApart(std::uint64_t left, std::uint64_t right) { return std::popcount(left ^ right); }

// The normalized body of sample `index`.
std::string SampleBody(std::size_t index) {
  const auto samples = test_helpers::LoadSamples();
  auto decoded = DecodeText(test_helpers::SampleItem(samples.at(index)));
  EXPECT_TRUE(decoded.has_value());
  auto normalized = Normalize(std::move(*decoded->front()));
  EXPECT_TRUE(normalized.has_value());
  return normalized->body;
}

void ReplaceFirst(std::string& text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

TEST(ClassifierTest, SimHashIsDeterministic) {
  const std::string body = SampleBody(0);
  EXPECT_EQ(SimHashOf(body), SimHashOf(body));
  EXPECT_NE(SimHashOf(body), 0U);
}

TEST(ClassifierTest, NearIdenticalTextsAreClose) {
  const std::string original = SampleBody(0);
  std::string edited = original;
  ReplaceFirst(edited, "recently expressed optimism", "recently voiced optimism");
  std::string retitled = original;
  ReplaceFirst(retitled, "Historically,", "In the past,");
  EXPECT_LE(BitsApart(SimHashOf(original), SimHashOf(edited)), 8);
  EXPECT_LE(BitsApart(SimHashOf(original), SimHashOf(retitled)), 8);
  EXPECT_LE(BitsApart(SimHashOf(SampleBody(3)), SimHashOf(SampleBody(3) + "\n\nRead more.")), 4);
}

TEST(ClassifierTest, DifferentTextsAreFar) {
  // Unrelated 64-bit hashes differ in 32 bits on average.
  EXPECT_GE(BitsApart(SimHashOf(SampleBody(0)), SimHashOf(SampleBody(3))), 16);
  EXPECT_GE(BitsApart(SimHashOf(SampleBody(1)), SimHashOf(SampleBody(4))), 16);
  EXPECT_GE(BitsApart(SimHashOf("The cat sat on the mat by the door."),
                      SimHashOf("Markets fell sharply after the central bank raised rates.")),
            16);
}

TEST(ClassifierTest, IgnoresCaseAndPunctuation) {
  const std::uint64_t plain = SimHashOf("the quick brown fox jumps over the lazy dog");
  EXPECT_EQ(SimHashOf("The QUICK brown fox -- jumps over, the lazy dog!"), plain);
  EXPECT_EQ(SimHashOf("the\n\nquick brown fox jumps\tover the lazy dog"), plain);
}

TEST(ClassifierTest, UsesFullUnicodeCaseFolding) {
  // Full case folding maps "ß" to "ss" and final sigma to sigma.
  EXPECT_EQ(SimHashOf("Die STRASSE ist lang"), SimHashOf("die stra\xC3\x9F"
                                                         "e ist lang"));
  EXPECT_EQ(SimHashOf("\xCE\xA3\xCE\x99\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F\xCE\xA3 ist"),
            SimHashOf("\xCF\x83\xCE\xB9\xCF\x83\xCF\x85\xCF\x86\xCE\xBF\xCF\x82 ist"));
}

TEST(ClassifierTest, ShortAndEmptyTexts) {
  EXPECT_EQ(SimHashOf(""), 0U);
  EXPECT_EQ(SimHashOf(" -- !! "), 0U);
  EXPECT_NE(SimHashOf("Breaking"), 0U);
  EXPECT_NE(SimHashOf("Breaking news"), SimHashOf("Breaking"));
}

TEST(ClassifierTest, ClassifySetsTheSimHashOfTheBodyAndNoTags) {
  Article article;
  article.title = "Title";
  article.body = "One two three four five.";
  auto classified = Classify(article);
  ASSERT_TRUE(classified.has_value());
  EXPECT_EQ(classified->fingerprints.simhash, SimHashOf(article.body));
  EXPECT_TRUE(classified->topics.empty());
  EXPECT_TRUE(classified->entities.empty());
  EXPECT_EQ(classified->title, "Title");
}

}  // namespace
}  // namespace newswire::pipeline
