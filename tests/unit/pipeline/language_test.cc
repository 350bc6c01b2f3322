#include "daemon/pipeline/normalize/language.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

Article NormalizedSample(const test_helpers::Sample& sample) {
  auto decoded = DecodeText(test_helpers::SampleItem(sample));
  EXPECT_TRUE(decoded.has_value());
  if (!decoded || !decoded->front()) return {};
  auto normalized = Normalize(std::move(*decoded->front()));
  EXPECT_TRUE(normalized.has_value()) << normalized.error().Describe();
  return normalized ? std::move(*normalized) : Article{};
}

TEST(LanguageTest, TheSamplesAreEnglish) {
  for (const auto& sample : test_helpers::LoadSamples()) {
    SCOPED_TRACE(sample.path.filename().string());
    const Article article = NormalizedSample(sample);
    EXPECT_EQ(article.language, "en");
    EXPECT_GT(article.language_confidence, 0.5);
    EXPECT_LE(article.language_confidence, 1.0);
    EXPECT_EQ(article.provenance.at("language"), "heuristic");
  }
}

TEST(LanguageTest, AFrenchParagraphIsFrench) {
  const LanguageGuess guess = DetectLanguage(
      "Le gouvernement annonce une nouvelle r\xC3\xA9"
      "forme",
      "Le Premier ministre a pr\xC3\xA9sent\xC3\xA9 mardi un projet de loi destin\xC3\xA9 \xC3\xA0 "
      "simplifier les d\xC3\xA9marches administratives des entreprises. Selon le gouvernement, "
      "cette r\xC3\xA9"
      "forme permettra de r\xC3\xA9"
      "duire les d\xC3\xA9lais et de soutenir "
      "l'emploi dans les r\xC3\xA9gions les plus touch\xC3\xA9"
      "es par la crise.");
  EXPECT_EQ(guess.code, "fr");
  EXPECT_GT(guess.confidence, 0.5);
}

TEST(LanguageTest, AnEmptyBodyGivesNoLanguage) {
  const LanguageGuess guess = DetectLanguage("A headline in English about the weather", "");
  EXPECT_EQ(guess.code, "");
  EXPECT_EQ(guess.confidence, 0.0);
  EXPECT_EQ(DetectLanguage("", "").code, "");
}

Article Declared(std::string language, std::string body) {
  Article article;
  article.title = "Title";
  article.body = std::move(body);
  article.language = std::move(language);
  article.provenance["language"] = "meta";
  AssignLanguage(article);
  return article;
}

constexpr std::string_view kEnglishBody =
    "The central bank kept interest rates unchanged on Thursday, saying inflation was falling "
    "more slowly than it had expected, and warned that the housing market remained fragile.";

TEST(LanguageTest, ADeclaredLanguageThatDetectionConfirmsKeepsItsTagAndGetsAConfidence) {
  const Article article = Declared("en-GB", std::string(kEnglishBody));
  EXPECT_EQ(article.language, "en-GB");
  EXPECT_EQ(article.provenance.at("language"), "meta");
  EXPECT_GT(article.language_confidence, 0.5);
  EXPECT_FALSE(article.metadata.contains("declared_language"));
  EXPECT_EQ(Declared("EN_us", std::string(kEnglishBody)).language, "EN_us");
}

TEST(LanguageTest, ASureDetectionOverridesAWrongDeclaration) {
  const Article article = Declared("de", std::string(kEnglishBody));
  EXPECT_EQ(article.language, "en");
  EXPECT_EQ(article.provenance.at("language"), "heuristic");
  EXPECT_GE(article.language_confidence, kOverrideDeclaredLanguageConfidence);
  EXPECT_EQ(article.metadata.at("declared_language"), "de");
}

TEST(LanguageTest, AnUnconfirmedDeclarationIsKeptWithConfidenceZero) {
  // Too little text to detect anything: the declaration stands, unconfirmed.
  const Article article = Declared("de", "");
  EXPECT_EQ(article.language, "de");
  EXPECT_EQ(article.provenance.at("language"), "meta");
  EXPECT_EQ(article.language_confidence, 0.0);
}

TEST(LanguageTest, HebrewGetsItsCurrentCode) {
  const LanguageGuess guess = DetectLanguage(
      "\xD7\x97\xD7\x93\xD7\xA9\xD7\x95\xD7\xAA",
      "\xD7\x94\xD7\x9E\xD7\x9E\xD7\xA9\xD7\x9C\xD7\x94 \xD7\x94\xD7\x95\xD7\x93\xD7\x99\xD7\xA2"
      "\xD7\x94 \xD7\x94\xD7\x99\xD7\x95\xD7\x9D \xD7\xA2\xD7\x9C \xD7\xAA\xD7\x95\xD7\x9B\xD7\xA0"
      "\xD7\x99\xD7\xAA \xD7\x97\xD7\x93\xD7\xA9\xD7\x94 \xD7\x9C\xD7\x97\xD7\x99\xD7\x96\xD7\x95"
      "\xD7\xA7 \xD7\x94\xD7\x9B\xD7\x9C\xD7\x9B\xD7\x9C\xD7\x94 \xD7\x95\xD7\x94\xD7\xA2\xD7\xA1"
      "\xD7\xA7\xD7\x99\xD7\x9D \xD7\x94\xD7\xA7\xD7\x98\xD7\xA0\xD7\x99\xD7\x9D \xD7\x91\xD7\x9B"
      "\xD7\x9C \xD7\x94\xD7\x90\xD7\xA8\xD7\xA5.");
  EXPECT_EQ(guess.code, "he");
}

TEST(LanguageTest, InvalidUtf8AndHugeBodiesDoNotCrash) {
  EXPECT_EQ(DetectLanguage("t", "bad \xC3( bytes").confidence >= 0.0, true);
  const std::string huge(8 * 1024 * 1024, 'a');
  EXPECT_LE(DetectLanguage("t", huge).confidence, 1.0);
  // A cut in the middle of a two-byte sequence at the sample limit.
  const std::string accents = std::string(kLanguageSampleBytes - 1, 'a') + "\xC3\xA9" + "tail";
  EXPECT_LE(DetectLanguage("t", accents).confidence, 1.0);
}

}  // namespace
}  // namespace newswire::pipeline
