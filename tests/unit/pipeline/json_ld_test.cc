#include "daemon/pipeline/decode/json_ld.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "daemon/pipeline/decode/markup_text.h"

namespace newswire::pipeline {
namespace {

using ::testing::HasSubstr;

// “ and ” in UTF-8, to write blocks the way word processors leave them.
constexpr std::string_view kOpen = "\xE2\x80\x9C";
constexpr std::string_view kClose = "\xE2\x80\x9D";

// `json` with every '`' turned into a typographic opening and every '^' into a closing quote.
std::string Typographic(std::string_view json) {
  std::string text;
  for (const char character : json) {
    if (character == '`') {
      text.append(kOpen);
    } else if (character == '^') {
      text.append(kClose);
    } else {
      text.push_back(character);
    }
  }
  return text;
}

TEST(JsonLdTest, ReadsANewsArticle) {
  auto info = ParseJsonLd(R"({"@context":"https://schema.org","@type":"NewsArticle",
      "headline":"Rates rise","datePublished":"2024-02-29T11:06:26+01:00",
      "dateModified":"2024-03-01","author":[{"@type":"Person","name":"Ann Lee","jobTitle":"Editor"},
      "Bo Li"],"publisher":{"@type":"Organization","name":"Daily"},"description":"<p>Short.</p>"})");
  ASSERT_TRUE(info.has_value()) << info.error().Describe();
  EXPECT_EQ(info->headline, "Rates rise");
  EXPECT_EQ(info->published_time, "2024-02-29T10:06:26Z");
  EXPECT_EQ(info->modified_time, "2024-03-01T00:00:00Z");
  ASSERT_EQ(info->authors.size(), 2U);
  EXPECT_EQ(info->authors[0].name, "Ann Lee");
  EXPECT_EQ(info->authors[0].role, "Editor");
  EXPECT_EQ(info->authors[1].name, "Bo Li");
  EXPECT_EQ(info->publisher, "Daily");
  EXPECT_EQ(info->description, "Short.");
}

TEST(JsonLdTest, ReadsGraphAndArraysAndFaq) {
  auto info = ParseJsonLd(R"({"@context":"https://schema.org","@graph":[
      {"@type":"WebSite","name":"Site"},
      {"@type":["ReportageNewsArticle"],"headline":"H","author":{"name":"X"}},
      {"@type":"FAQPage","mainEntity":[
        {"@type":"Question","name":"Why?","acceptedAnswer":{"@type":"Answer","text":"Because."}},
        {"@type":"Question","name":"No answer"}]}]})");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->headline, "H");
  ASSERT_EQ(info->authors.size(), 1U);
  EXPECT_EQ(info->authors[0].name, "X");
  ASSERT_EQ(info->faq.size(), 1U);
  EXPECT_EQ(info->faq[0].question, "Why?");
  EXPECT_EQ(info->faq[0].answer, "Because.");

  auto array = ParseJsonLd(R"([{"@type":"BlogPosting","headline":"A"},{"@type":"Thing"}])");
  ASSERT_TRUE(array.has_value());
  EXPECT_EQ(array->headline, "A");
}

TEST(JsonLdTest, AcceptsTypographicQuotesAndKeepsQuotationsInsideValues) {
  const std::string json = Typographic(
      "{\n`@context^: `https://schema.org^,\n`@type^: `NewsArticle^,\n"
      "`headline^: `He said `no^ twice^,\n`datePublished^: `2024-02-29T10:06:26Z^\n}");
  auto info = ParseJsonLd(json);
  ASSERT_TRUE(info.has_value()) << info.error().Describe();
  EXPECT_EQ(info->headline,
            "He said " + std::string(kOpen) + "no" + std::string(kClose) + " twice");
  EXPECT_EQ(info->published_time, "2024-02-29T10:06:26Z");
}

TEST(JsonLdTest, RepairLeavesPlainJsonAlone) {
  const std::string json = R"({"a":"b \"c\" \u201c","d":[1,2]})";
  EXPECT_EQ(RepairJsonQuotes(json), json);
}

TEST(JsonLdTest, FindsTheEndOfABalancedValue) {
  EXPECT_EQ(FindJsonValueEnd(R"({"a":"}{","b":[1,{}]} tail)"), 21U);
  EXPECT_EQ(FindJsonValueEnd(Typographic("{`a^: `}^} x")), 18U);
  EXPECT_FALSE(FindJsonValueEnd("{\"a\": 1").has_value());
  EXPECT_FALSE(FindJsonValueEnd("not json").has_value());
}

TEST(JsonLdTest, RejectsWhatIsNotJson) {
  auto info = ParseJsonLd("{\"@type\": ");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().stage, Stage::kDecode);
  EXPECT_THAT(info.error().message, HasSubstr("JSON-LD is not JSON"));
  EXPECT_FALSE(ParseJsonLd("42").has_value());
}

TEST(JsonLdTest, DeepNestingDoesNotOverflowTheStack) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_TRUE(FindJsonValueEnd(deep).has_value());
  EXPECT_FALSE(ParseJsonLd(deep).has_value());  // no object in it
}

TEST(JsonLdTest, NormalizesDatesToUtc) {
  EXPECT_EQ(NormalizeDate("2024-02-29T10:06:26Z"), "2024-02-29T10:06:26Z");
  EXPECT_EQ(NormalizeDate(" 2024-02-29T10:06:26.123Z "), "2024-02-29T10:06:26Z");
  EXPECT_EQ(NormalizeDate("2024-03-01T01:30:00+02:00"), "2024-02-29T23:30:00Z");
  EXPECT_EQ(NormalizeDate("2023-12-31 22:00:00-0230"), "2024-01-01T00:30:00Z");
  EXPECT_EQ(NormalizeDate("2024-02-29T10:06"), "2024-02-29T10:06:00Z");
  EXPECT_EQ(NormalizeDate("2024-02-29"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(NormalizeDate("2023-02-29"), std::nullopt);
  EXPECT_EQ(NormalizeDate("2024-02-29T25:00:00Z"), std::nullopt);
  EXPECT_EQ(NormalizeDate("February 29, 2024"), std::nullopt);
  EXPECT_EQ(NormalizeDate("2024-02-29T10:06:26+5"), std::nullopt);
  EXPECT_EQ(NormalizeDate(""), std::nullopt);
}

}  // namespace
}  // namespace newswire::pipeline
