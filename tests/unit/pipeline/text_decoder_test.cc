#include "daemon/pipeline/decode/text_decoder.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "daemon/pipeline/decode/decoder.h"
#include "daemon/pipeline/unicode_text.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using test_helpers::CountNonBlankLines;
using test_helpers::CountParagraphs;
using test_helpers::FileItem;
using test_helpers::LoadSamples;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Decodes `bytes` and returns its only article; fails the test if there is not exactly one.
Article DecodeOne(std::string bytes) {
  auto decoded = DecodeText(FileItem(std::move(bytes)));
  EXPECT_TRUE(decoded.has_value()) << decoded.error().Describe();
  if (!decoded) return {};
  EXPECT_EQ(decoded->size(), 1U);
  if (decoded->size() != 1U || !decoded->front()) return {};
  return std::move(*decoded->front());
}

Error DecodeError(std::string bytes) {
  auto decoded = DecodeText(FileItem(std::move(bytes)));
  EXPECT_FALSE(decoded.has_value());
  if (decoded) return {};
  return decoded.error();
}

// A title-like first line is the title; a breadcrumb before it is not; a prose first line means
// the dump has no title; JSON-LD's headline beats the text (golden_samples_test.cc has the rest).
TEST(TextDecoderTest, SampleTitles) {
  const auto samples = LoadSamples();
  ASSERT_EQ(samples.size(), 5U);
  EXPECT_EQ(DecodeOne(samples[0].bytes).title,
            "Russia's Diminishing Support for Venezuela Amid Ukraine Conflict");
  EXPECT_EQ(DecodeOne(samples[1].bytes).title, "");
  EXPECT_EQ(DecodeOne(samples[2].bytes).title,
            "Maduro & Russia: Military Alliance vs. US in Caribbean?");
  EXPECT_EQ(DecodeOne(samples[3].bytes).title,
            "Russia Denies Venezuela Embassy Evacuation Amid US Pressure");
  EXPECT_EQ(DecodeOne(samples[4].bytes).title,
            "Russia\xE2\x80\x99s Deepening Venezuela Ties: A Harbinger of a New Multipolar Arms "
            "Network?");
}

TEST(TextDecoderTest, SampleBodiesHaveAtMostOneParagraphPerNonBlankLine) {
  for (const auto& sample : LoadSamples()) {
    SCOPED_TRACE(sample.path.filename().string());
    auto decoded = DecodeText(test_helpers::SampleItem(sample));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().Describe();
    ASSERT_EQ(decoded->size(), 1U);
    ASSERT_TRUE(decoded->front().has_value());
    const Article& article = *decoded->front();
    EXPECT_LE(CountParagraphs(article.body), CountNonBlankLines(sample.bytes));
    EXPECT_GT(CountParagraphs(article.body), 5U);
    EXPECT_THAT(article.body, Not(HasSubstr("\n\n\n")));
    EXPECT_EQ(TrimSpace(article.body), article.body);
    EXPECT_EQ(article.format, "text");
    EXPECT_EQ(article.item_index, 0U);
    EXPECT_EQ(article.origin.path, sample.path.string());
    EXPECT_EQ(article.origin.source_name, "inbox");
    EXPECT_EQ(article.stats.input_bytes, sample.bytes.size());
  }
}

TEST(TextDecoderTest, SampleParagraphsAreTrimmedLines) {
  // Sample 003 has bulleted lines indented by two spaces.
  const auto samples = LoadSamples();
  const Article article = DecodeOne(samples[3].bytes);
  EXPECT_THAT(article.body, HasSubstr("\n\n\xE2\x80\xA2 Increased Russian Military Presence"));
  EXPECT_THAT(article.body, EndsWith("exceeding those of Saudi Arabia."));
}

TEST(TextDecoderTest, EachLineIsAParagraphAndBlankLinesSeparate) {
  const Article article = DecodeOne("Title\nOne\nTwo\n\n\n\nThree\n\n");
  EXPECT_EQ(article.title, "Title");
  EXPECT_EQ(article.body, "One\n\nTwo\n\nThree");
}

TEST(TextDecoderTest, TitleIsFirstNonBlankLineTrimmed) {
  const Article article = DecodeOne("\n   \n \t  Title  \t\n  body line  ");
  EXPECT_EQ(article.title, "Title");
  EXPECT_EQ(article.body, "body line");
}

TEST(TextDecoderTest, ATitleAloneHasAnEmptyBody) {
  const Article article = DecodeOne("Only a title\n");
  EXPECT_EQ(article.title, "Only a title");
  EXPECT_EQ(article.body, "");
}

TEST(TextDecoderTest, AcceptsCrLfAndCrLineEnds) {
  EXPECT_EQ(DecodeOne("Title\r\nOne\r\n\r\nTwo\r\n").body, "One\n\nTwo");
  EXPECT_EQ(DecodeOne("Title\rOne\r\rTwo\r").body, "One\n\nTwo");
  EXPECT_EQ(DecodeOne("Title\r\nOne\rTwo\nThree").body, "One\n\nTwo\n\nThree");
  EXPECT_EQ(DecodeOne("Title\r\nOne").title, "Title");
}

TEST(TextDecoderTest, UnicodeLineAndParagraphSeparatorsEndLines) {
  EXPECT_EQ(DecodeOne("Title\xE2\x80\xA8One\xE2\x80\xA9Two").body, "One\n\nTwo");
}

TEST(TextDecoderTest, StripsUtf8ByteOrderMark) {
  const Article article = DecodeOne("\xEF\xBB\xBFTitle\nBody");
  EXPECT_EQ(article.title, "Title");
  EXPECT_EQ(article.body, "Body");
  EXPECT_EQ(article.stats.input_bytes, 13U);
}

TEST(TextDecoderTest, RejectsEmptyInput) {
  const Error error = DecodeError("");
  EXPECT_EQ(error.stage, Stage::kDecode);
  EXPECT_EQ(error.code, ErrorCode::kEmptyInput);
}

TEST(TextDecoderTest, RejectsWhitespaceOnlyInput) {
  for (const std::string bytes :
       {" ", "\n\n\n", " \t\r\n \xC2\xA0\xE2\x80\x83\n", "\xEF\xBB\xBF", "\xEF\xBB\xBF  \r\n"}) {
    SCOPED_TRACE(bytes);
    const Error error = DecodeError(bytes);
    EXPECT_EQ(error.stage, Stage::kDecode);
    EXPECT_EQ(error.code, ErrorCode::kEmptyInput) << error.Describe();
  }
}

TEST(TextDecoderTest, RejectsNulBytesAsBinaryData) {
  const Error error = DecodeError(std::string("Title\nab\0cd", 11));
  EXPECT_EQ(error.stage, Stage::kDecode);
  EXPECT_EQ(error.code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(error.message, HasSubstr("binary data"));
  EXPECT_THAT(error.message, HasSubstr("byte 8"));
}

TEST(TextDecoderTest, NamesUtf16AsTheLikelyCauseOfNulBytes) {
  const Error error = DecodeError(std::string("\xFF\xFET\0i\0", 6));
  EXPECT_EQ(error.code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(error.message, HasSubstr("UTF-16"));
}

struct InvalidUtf8Case {
  std::string_view name;
  std::string bytes;
  std::size_t byte_offset;
  std::string_view reason;
};

TEST(TextDecoderTest, RejectsEveryKindOfInvalidUtf8WithItsOffset) {
  const InvalidUtf8Case cases[] = {
      {"overlong two-byte slash", "Title\nabc\xC0\xAF", 9, "overlong encoding"},
      {"overlong two-byte C1", "Title\n\xC1\xBF", 6, "overlong encoding"},
      {"overlong three-byte", "Title\nab\xE0\x80\xAF", 8, "overlong encoding"},
      {"overlong four-byte", "Title\n\xF0\x82\x82\xAC", 6, "overlong encoding"},
      {"high surrogate", "Title\nx\xED\xA0\x80", 7, "UTF-16 surrogate"},
      {"low surrogate", "Title\nx\xED\xBF\xBF", 7, "UTF-16 surrogate"},
      {"above U+10FFFF after F4", "Title\n\xF4\x90\x80\x80", 6, "above U+10FFFF"},
      {"above U+10FFFF F5 lead", "T\xF5\x80\x80\x80", 1, "above U+10FFFF"},
      {"truncated at end", "Title\nabc\xE2\x82", 9, "truncated sequence"},
      {"truncated before ASCII", "Title\n\xE2\x82 euro", 6, "truncated sequence"},
      {"truncated four-byte", "Title\n\xF0\x9F\x98 smile", 6, "truncated sequence"},
      {"lead byte at end", "Title\n\xC3", 6, "truncated sequence"},
      {"stray continuation byte", "Title\nab\x80", 8, "stray continuation byte"},
      {"continuation byte after a full sequence", "Title\n\xC3\xA9\xA9", 8,
       "stray continuation byte"},
      {"Latin-1 text", "Title\ncaf\xE9 au lait", 9, "truncated sequence"},
      {"byte never used in UTF-8", "Title\n\xFF", 6, "invalid byte"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    const Error error = DecodeError(test_case.bytes);
    EXPECT_EQ(error.stage, Stage::kDecode);
    EXPECT_EQ(error.code, ErrorCode::kInvalidUtf8);
    EXPECT_THAT(error.message,
                StartsWith(fmt::format("invalid UTF-8 at byte {} (", test_case.byte_offset)));
    EXPECT_THAT(error.message, HasSubstr(test_case.reason));
  }
}

TEST(TextDecoderTest, OffsetsCountTheByteOrderMark) {
  const Error error = DecodeError("\xEF\xBB\xBFTitle\n\x80");
  EXPECT_THAT(error.message, StartsWith("invalid UTF-8 at byte 9 ("));
}

TEST(TextDecoderTest, AcceptsTheBoundaryCodePoints) {
  // U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFD, U+10000, U+10FFFF.
  const std::string text =
      "Title\n\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBD "
      "\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF";
  EXPECT_EQ(DecodeOne(text).body, text.substr(6));
}

TEST(TextDecoderTest, DecoderRoutesTextToTheTextDecoder) {
  auto decoded = Decode(FileItem("Title\nBody"));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 1U);
  ASSERT_TRUE(decoded->front().has_value());
  EXPECT_EQ(decoded->front()->format, "text");
  EXPECT_EQ(decoded->front()->title, "Title");
  EXPECT_EQ(Decode(FileItem("")).error().code, ErrorCode::kEmptyInput);
}

TEST(Utf8Test, ReplaceInvalidUtf8ReplacesEachMaximalSubpart) {
  std::size_t replaced = 0;
  EXPECT_EQ(ReplaceInvalidUtf8("a\xE2\x82z\x80\xC3\xA9", &replaced),
            "a\xEF\xBF\xBDz\xEF\xBF\xBD\xC3\xA9");
  EXPECT_EQ(replaced, 2U);
  EXPECT_EQ(ReplaceInvalidUtf8("plain"), "plain");
}

TEST(Utf8Test, TrimSpaceRemovesUnicodeWhitespaceAtBothEnds) {
  EXPECT_EQ(TrimSpace("\xC2\xA0 \t x y \xE3\x80\x80\n"), "x y");
  EXPECT_EQ(TrimSpace(" \xC2\xA0 "), "");
  EXPECT_EQ(TrimSpace("\xC3\xA9"), "\xC3\xA9");
}

}  // namespace
}  // namespace newswire::pipeline
