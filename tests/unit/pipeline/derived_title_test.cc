#include "daemon/pipeline/normalize/derived_title.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/identity.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "daemon/pipeline/unicode_text.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using ::testing::EndsWith;
using ::testing::StartsWith;

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";

TEST(FirstSentenceTest, EndsAtAMarkFollowedByASpaceAndACapitalOrAQuote) {
  EXPECT_EQ(FirstSentence("The river rose. Officials closed the bridge."), "The river rose.");
  EXPECT_EQ(FirstSentence("Was it safe? Nobody knew."), "Was it safe?");
  EXPECT_EQ(FirstSentence("It broke! \"Run,\" she said."), "It broke!");
  EXPECT_EQ(FirstSentence("\"We will rebuild.\" The mayor left."), "\"We will rebuild.\"");
  EXPECT_EQ(FirstSentence("He said \xE2\x80\x9Cno.\xE2\x80\x9D Then he left."),
            "He said \xE2\x80\x9Cno.\xE2\x80\x9D");
  // A lower-case word or a digit after the mark: not a new sentence.
  EXPECT_EQ(FirstSentence("Prices rose 3.5 percent. e.g. food rose most."),
            "Prices rose 3.5 percent. e.g. food rose most.");
  EXPECT_EQ(FirstSentence("It was 2019. 2020 was worse."), "It was 2019. 2020 was worse.");
}

TEST(FirstSentenceTest, AbbreviationsAndInitialsDoNotEndASentence) {
  EXPECT_EQ(FirstSentence("Mr. Smith met Dr. Jones in St. Louis. They talked."),
            "Mr. Smith met Dr. Jones in St. Louis.");
  EXPECT_EQ(FirstSentence("J. R. R. Tolkien wrote it. It sold."), "J. R. R. Tolkien wrote it.");
  EXPECT_EQ(FirstSentence("U.S. troops left. Others stayed."), "U.S. troops left.");
  EXPECT_EQ(FirstSentence("Gen. Ruiz and Acme Inc. Chairman Li spoke. Then rain."),
            "Gen. Ruiz and Acme Inc. Chairman Li spoke.");
  EXPECT_EQ(FirstSentence("Wait... Then it came. Later more."), "Wait... Then it came.");
}

TEST(FirstSentenceTest, AParagraphEndEndsIt) {
  EXPECT_EQ(FirstSentence("Economic Alliances and Faltering Support\n\nVenezuela has spent."),
            "Economic Alliances and Faltering Support");
  EXPECT_EQ(FirstSentence("  One line only  "), "One line only");
  EXPECT_EQ(FirstSentence(""), "");
}

TEST(FirstSentenceTest, FullWidthAndOtherScriptsMarks) {
  // 日本で地震があった。被害は少ない。 : the ideographic full stop needs no space.
  EXPECT_EQ(FirstSentence("\xE6\x97\xA5\xE6\x9C\xAC\xE3\x81\xA7\xE5\x9C\xB0\xE9\x9C\x87\xE3\x81"
                          "\x8C\xE3\x81\x82\xE3\x81\xA3\xE3\x81\x9F\xE3\x80\x82\xE8\xA2\xAB\xE5"
                          "\xAE\xB3\xE3\x81\xAF\xE5\xB0\x91\xE3\x81\xAA\xE3\x81\x84\xE3\x80\x82"),
            "\xE6\x97\xA5\xE6\x9C\xAC\xE3\x81\xA7\xE5\x9C\xB0\xE9\x9C\x87\xE3\x81\x8C\xE3\x81\x82"
            "\xE3\x81\xA3\xE3\x81\x9F\xE3\x80\x82");
  // 「はい。」と言った。 : the closing bracket stays with its sentence.
  EXPECT_EQ(FirstSentence("\xE3\x80\x8C\xE3\x81\xAF\xE3\x81\x84\xE3\x80\x82\xE3\x80\x8D\xE3\x81"
                          "\xA8\xE8\xA8\x80\xE3\x81\xA3\xE3\x81\x9F\xE3\x80\x82"),
            "\xE3\x80\x8C\xE3\x81\xAF\xE3\x81\x84\xE3\x80\x82\xE3\x80\x8D");
  // Hebrew has no letter case: a letter after ". " starts a sentence. "שלום. עולם."
  EXPECT_EQ(FirstSentence("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D. \xD7\xA2\xD7\x95\xD7\x9C\xD7\x9D."),
            "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D.");
  // Hindi: "बारिश हुई। सड़कें बंद।" ends at the danda.
  EXPECT_EQ(FirstSentence("\xE0\xA4\xAC\xE0\xA4\xBE\xE0\xA4\xB0\xE0\xA4\xBF\xE0\xA4\xB6 \xE0\xA4"
                          "\xB9\xE0\xA5\x81\xE0\xA4\x88\xE0\xA5\xA4 \xE0\xA4\xB8\xE0\xA4\xA1"),
            "\xE0\xA4\xAC\xE0\xA4\xBE\xE0\xA4\xB0\xE0\xA4\xBF\xE0\xA4\xB6 \xE0\xA4\xB9\xE0\xA5"
            "\x81\xE0\xA4\x88\xE0\xA5\xA4");
}

TEST(DeriveTitleTest, AShortSentenceIsTheTitleAsWritten) {
  EXPECT_EQ(DeriveTitle("The river rose. Officials closed the bridge.\n\nMore text."),
            "The river rose.");
  EXPECT_EQ(DeriveTitle(""), "");
}

TEST(DeriveTitleTest, ALongSentenceIsCutAtAWordWithAnEllipsis) {
  const std::string sentence =
      "Venezuelan President Nicol\xC3\xA1s Maduro is experiencing a significant reduction in "
      "support from his traditional allies, Russia and China, as pressure mounts.";
  const std::string title = DeriveTitle(sentence + " Next sentence.");
  EXPECT_EQ(title,
            "Venezuelan President Nicol\xC3\xA1s Maduro is experiencing a significant reduction in "
            "support from his traditional\xE2\x80\xA6");
  EXPECT_LE(CountCodePoints(title), kMaxDerivedTitleCodePoints + 1);
  // The comma the cut leaves at the end is dropped before the ellipsis.
  EXPECT_EQ(DeriveTitle(std::string(100, 'a') + ", " + std::string(20, 'b')),
            std::string(100, 'a') + std::string(kEllipsis));

  // Exactly at the limit: no cut.
  const std::string exact(kMaxDerivedTitleCodePoints, 'a');
  EXPECT_EQ(DeriveTitle(exact), exact);
}

TEST(DeriveTitleTest, TextWithoutSpacesIsCutBetweenCharactersNotInsideOne) {
  std::string han;
  for (int index = 0; index < 200; ++index) han += "\xE5\xAD\x97";  // 字
  const std::string title = DeriveTitle(han);
  EXPECT_EQ(CountCodePoints(title), kMaxDerivedTitleCodePoints + 1);
  EXPECT_THAT(title, EndsWith(std::string(kEllipsis)));

  // "e" + COMBINING ACUTE ACCENT straddling the limit: the accent stays with its letter, so
  // both go.
  std::string decomposed(kMaxDerivedTitleCodePoints - 1, 'x');
  decomposed += "e\xCC\x81";
  decomposed += std::string(20, 'y');
  const std::string cut = DeriveTitle(decomposed);
  EXPECT_EQ(cut, std::string(kMaxDerivedTitleCodePoints - 1, 'x') + std::string(kEllipsis));
}

Article NormalizeOrFail(Article article) {
  auto normalized = Normalize(std::move(article));
  EXPECT_TRUE(normalized.has_value()) << normalized.error().Describe();
  return normalized ? std::move(*normalized) : Article{};
}

TEST(DerivedTitleNormalizeTest, AnArticleWithoutATitleGetsItsFirstSentence) {
  Article input;
  input.body = "Rain closed the  bridge on Monday. Officials said it would reopen.\n\nMore.";
  const Article article = NormalizeOrFail(std::move(input));
  EXPECT_EQ(article.title, "");
  EXPECT_EQ(article.derived_title, "Rain closed the bridge on Monday.");
  EXPECT_TRUE(article.flags.title_derived);
  EXPECT_EQ(article.provenance.at("title"), "first_sentence");
  // Counted once, in the body: the statistics are those of the text the input has.
  EXPECT_EQ(article.stats.words, 11U + 1U);
}

TEST(DerivedTitleNormalizeTest, AnArticleWithATitleKeepsIt) {
  Article input;
  input.title = "Bridge closed";
  input.body = "Rain closed the bridge on Monday.";
  input.flags.title_derived = true;  // whatever came in, Normalize decides
  input.derived_title = "stale";
  const Article article = NormalizeOrFail(std::move(input));
  EXPECT_EQ(article.title, "Bridge closed");
  EXPECT_EQ(article.derived_title, "");
  EXPECT_FALSE(article.flags.title_derived);
}

// The id rule did not change: a derived title is not part of the id, the revision or the
// content hash, which are those of an empty title and the body.
TEST(DerivedTitleNormalizeTest, TheIdIsTheOneWithoutATitle) {
  const auto samples = test_helpers::LoadSamples();
  ASSERT_EQ(samples.size(), 5U);
  const Article article =
      NormalizeOrFail(test_helpers::OnlyArticle(DecodeText(test_helpers::SampleItem(samples[1]))));
  ASSERT_TRUE(article.flags.title_derived);
  EXPECT_THAT(article.derived_title, StartsWith("Venezuelan President Nicol\xC3\xA1s Maduro"));
  EXPECT_EQ(article.id, TextHash("", article.body));
  EXPECT_EQ(article.fingerprints.content_hash, Hash128Hex(article.body));
  EXPECT_EQ(article.fingerprints.revision,
            Hash128Hex(article.id + "\n\n" + "" + "\n\n" + article.body));
  Article without = article;
  without.derived_title.clear();
  AssignIdentity(without);
  EXPECT_EQ(without.id, article.id);
  EXPECT_EQ(without.fingerprints.revision, article.fingerprints.revision);
  // Pinned: sample 001's id, the same before and after titles were derived.
  EXPECT_EQ(article.id, "24b3e8b9461f0361bf73e8df96969a5c");
}

}  // namespace
}  // namespace newswire::pipeline
