#include "daemon/pipeline/normalize/normalizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <string>
#include <utility>

#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/identity.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using ::testing::MatchesRegex;

Article MakeArticle(std::string title, std::string body, std::string subtitle = "") {
  Article article;
  article.title = std::move(title);
  article.subtitle = std::move(subtitle);
  article.body = std::move(body);
  return article;
}

Article NormalizeOrFail(Article article) {
  auto normalized = Normalize(std::move(article));
  EXPECT_TRUE(normalized.has_value()) << normalized.error().Describe();
  return normalized ? std::move(*normalized) : Article{};
}

// The id an input file ends up with: decoded as text, then normalized.
std::string IdOfText(std::string bytes) {
  auto decoded = DecodeText(test_helpers::FileItem(std::move(bytes)));
  EXPECT_TRUE(decoded.has_value());
  if (!decoded || decoded->empty() || !decoded->front()) return "";
  return NormalizeOrFail(std::move(*decoded->front())).id;
}

TEST(NormalizerTest, ComposesToNfc) {
  // "e" + COMBINING ACUTE ACCENT becomes the precomposed "é" (U+00E9) in every text field.
  const Article article =
      NormalizeOrFail(MakeArticle("Cafe\xCC\x81", "Nicola\xCC\x81s", "re\xCC\x81sume\xCC\x81"));
  EXPECT_EQ(article.title, "Caf\xC3\xA9");
  EXPECT_EQ(article.body, "Nicol\xC3\xA1s");
  EXPECT_EQ(article.subtitle, "r\xC3\xA9sum\xC3\xA9");
}

TEST(NormalizerTest, ComposesAcrossARemovedControlCharacter) {
  EXPECT_EQ(NormalizeOrFail(MakeArticle("e\x01\xCC\x81", "")).title, "\xC3\xA9");
}

TEST(NormalizerTest, FoldsWhitespaceInsideParagraphs) {
  // Tab, NBSP (U+00A0), EM SPACE (U+2003), IDEOGRAPHIC SPACE (U+3000), NARROW NBSP (U+202F).
  const Article article = NormalizeOrFail(
      MakeArticle("  A\t\tB \xC2\xA0 C  ",
                  "  Hello \t\xC2\xA0 world  \n  second\xE2\x80\x83\xE2\x80\x83para\xE3\x80\x80"
                  "end "
                  "\xE2\x80\xAF\n"));
  EXPECT_EQ(article.title, "A B C");
  EXPECT_EQ(article.body, "Hello world\n\nsecond para end");
}

TEST(NormalizerTest, FoldsBlankLinesToOneParagraphBreak) {
  const Article article =
      NormalizeOrFail(MakeArticle("T", "\n\n  \nOne\n\n\n \t \n\r\nTwo\r\n\r\nThree\n\n\n"));
  EXPECT_EQ(article.body, "One\n\nTwo\n\nThree");
  EXPECT_EQ(article.stats.paragraphs, 3U);
}

TEST(NormalizerTest, UnicodeSeparatorsSplitParagraphs) {
  // LINE SEPARATOR, PARAGRAPH SEPARATOR, NEXT LINE, form feed.
  const Article article = NormalizeOrFail(MakeArticle("T",
                                                      "a\xE2\x80\xA8"
                                                      "b\xE2\x80\xA9"
                                                      "c\xC2\x85"
                                                      "d\fe"));
  EXPECT_EQ(article.body, "a\n\nb\n\nc\n\nd\n\ne");
}

TEST(NormalizerTest, TitleLineBreaksBecomeSpaces) {
  EXPECT_EQ(NormalizeOrFail(MakeArticle("Two\r\nline\n\ntitle", "")).title, "Two line title");
}

TEST(NormalizerTest, RemovesControlCharacters) {
  const Article article =
      NormalizeOrFail(MakeArticle("a\x01"
                                  "b\x7F"
                                  "c",
                                  "\x1B[1mbold\x1B[0m \xC2\x9B"
                                  "x\xEF\xBB\xBFy\n\x02\n\x03z"));
  EXPECT_EQ(article.title, "abc");
  // The ESC is removed, the printable rest of an ANSI sequence stays; a paragraph made only of a
  // control character disappears entirely.
  EXPECT_EQ(article.body, "[1mbold[0m xy\n\nz");
}

TEST(NormalizerTest, RejectsAnArticleWithNothingLeft) {
  auto normalized = Normalize(MakeArticle("\x01 \x02", " \t\n\n\xC2\xA0", "subtitle"));
  ASSERT_FALSE(normalized.has_value());
  EXPECT_EQ(normalized.error().stage, Stage::kNormalize);
  EXPECT_EQ(normalized.error().code, ErrorCode::kEmptyInput);
}

TEST(NormalizerTest, RejectsAnArticleWithoutALetterOrDigit) {
  for (const auto& [title, body] :
       {std::pair<std::string, std::string>{"!!!!!", ""},
        {std::string(10000, '['), ""},
        {"----", "... \xE2\x80\x94 ***\n\n\xE2\x80\xA2 \xE2\x80\xA2"}}) {
    auto normalized = Normalize(MakeArticle(title, body));
    ASSERT_FALSE(normalized.has_value()) << title.substr(0, 20);
    EXPECT_EQ(normalized.error().stage, Stage::kNormalize);
    EXPECT_EQ(normalized.error().code, ErrorCode::kEmptyInput);
    EXPECT_NE(normalized.error().message.find("no words"), std::string::npos);
  }
  // One digit or letter, in any script, is enough.
  EXPECT_TRUE(Normalize(MakeArticle("2:1", "")).has_value());
  EXPECT_TRUE(Normalize(MakeArticle("\xE6\x97\xA5", "")).has_value());
}

TEST(NormalizerTest, KeepsAnArticleWithOnlyABody) {
  const Article article = NormalizeOrFail(MakeArticle("", "body"));
  EXPECT_EQ(article.title, "");
  EXPECT_EQ(article.body, "body");
}

TEST(NormalizerTest, ComputesStats) {
  Article input =
      MakeArticle("Hello  world", "One two, three.\n\nFour \xE2\x80\x94 five $3.5 U.S.");
  input.stats.input_bytes = 1234;
  const Article article = NormalizeOrFail(std::move(input));
  EXPECT_EQ(article.stats.input_bytes, 1234U);
  EXPECT_EQ(article.stats.paragraphs, 2U);
  // Title: Hello, world. Body: One, two, three., Four, five, $3.5, U.S.; the dash is no word.
  EXPECT_EQ(article.stats.words, 9U);
  // "Hello world" is 11 code points; the body 15 + 2 + 21, the dash (3 bytes) counting once.
  EXPECT_EQ(article.stats.characters, 11U + 38U);
  EXPECT_EQ(article.stats.replaced_sequences, 0U);
}

TEST(NormalizerTest, WithoutAUrlTheIdIsTheTextHash) {
  const Article article = NormalizeOrFail(MakeArticle("Hello", "World"));
  EXPECT_THAT(article.id, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(article.id, TextHash("Hello", "World"));
  EXPECT_EQ(article.provenance.at("id"), "text");
  EXPECT_EQ(article.fingerprints.content_hash, Hash128Hex("World"));
  EXPECT_THAT(article.fingerprints.revision, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(article.fingerprints.revision, article.id);
}

TEST(NormalizerTest, TextHashIsXxh3OfTitleBlankLineBody) {
  const std::string content = "Hello\n\nWorld";
  const XXH128_hash_t hash = XXH3_128bits(content.data(), content.size());
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  std::string hex;
  for (const unsigned char byte : canonical.digest) {
    constexpr char kDigits[] = "0123456789abcdef";
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xF]);
  }
  EXPECT_EQ(TextHash("Hello", "World"), hex);
  EXPECT_EQ(Hash128Hex(content), hex);
  // Pinned: the id of an article without a URL, which keys compacted topics; it must never
  // change silently.
  EXPECT_EQ(TextHash("Hello", "World"), "79101edb687fdd066353c36683373b24");
}

TEST(NormalizerTest, IdIsStableForTheSameContent) {
  const std::string text = "Title\nFirst paragraph.\n\nSecond paragraph.\n";
  EXPECT_EQ(IdOfText(text), IdOfText(text));
  for (const auto& sample : test_helpers::LoadSamples()) {
    EXPECT_EQ(IdOfText(sample.bytes), IdOfText(sample.bytes));
  }
}

TEST(NormalizerTest, IdIgnoresWhitespaceLineEndsAndNormalizationForm) {
  const std::string id = IdOfText("Caf\xC3\xA9 news\nFirst paragraph here.\n\nSecond one.\n");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(IdOfText("Caf\xC3\xA9 news\r\nFirst paragraph here.\r\n\r\nSecond one.\r\n"), id);
  EXPECT_EQ(
      IdOfText("\xEF\xBB\xBF  Caf\xC3\xA9   news  \n\n\nFirst\tparagraph \xC2\xA0here.\nSecond "
               "one.  \n\n"),
      id);
  EXPECT_EQ(IdOfText("Cafe\xCC\x81 news\nFirst paragraph here.\nSecond one."), id);
}

TEST(NormalizerTest, IdDiffersForDifferentContent) {
  const std::string id = IdOfText("Title\nFirst paragraph.\nSecond paragraph.");
  EXPECT_NE(IdOfText("Title\nFirst paragraph.\nSecond paragraph!"), id);
  EXPECT_NE(IdOfText("Title\nFirst paragraph. Second paragraph."), id);
  EXPECT_NE(IdOfText("title\nFirst paragraph.\nSecond paragraph."), id);
  // Where the title ends is part of the content.
  EXPECT_NE(TextHash("A", "B C"), TextHash("A B", "C"));
  const auto samples = test_helpers::LoadSamples();
  EXPECT_NE(IdOfText(samples[0].bytes), IdOfText(samples[1].bytes));
}

}  // namespace
}  // namespace newswire::pipeline
