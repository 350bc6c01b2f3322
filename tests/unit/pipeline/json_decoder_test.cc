#include "daemon/pipeline/decode/json_decoder.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using test_helpers::FileItem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Result<std::vector<Result<Article>>> Json(std::string text, const JsonFieldMapping& mapping = {}) {
  const RawArticle raw = FileItem(text, "/var/inbox/a.json");
  return DecodeJson(raw, raw.bytes, mapping);
}

Result<std::vector<Result<Article>>> JsonLines(std::string text) {
  const RawArticle raw = FileItem(text, "/var/inbox/a.jsonl");
  return DecodeJsonLines(raw, raw.bytes, JsonFieldMapping{});
}

// The only article of a JSON document; fails the test if there is not exactly one.
Article DecodeOne(std::string text, const JsonFieldMapping& mapping = {}) {
  return test_helpers::OnlyArticle(Json(std::move(text), mapping));
}

std::vector<std::string> AuthorNames(const Article& article) {
  std::vector<std::string> names;
  for (const Person& person : article.authors) names.push_back(person.name);
  return names;
}

TEST(JsonDecoderTest, MapsTheDefaultFields) {
  const Article article = DecodeOne(R"({
    "headline": "Storm hits coast",
    "articleBody": "<p>Winds of 120 km/h.</p><p>Power is out &amp; roads closed.</p>",
    "url": "https://example.com/storm",
    "author": "Jo Smith",
    "datePublished": "2024-03-01T10:15:00+02:00",
    "language": "en"
  })");
  EXPECT_EQ(article.format, "json");
  EXPECT_EQ(article.title, "Storm hits coast");
  EXPECT_THAT(article.body, HasSubstr("Winds of 120 km/h."));
  EXPECT_THAT(article.body, HasSubstr("Power is out & roads closed."));
  EXPECT_THAT(article.body, Not(HasSubstr("<p>")));
  EXPECT_EQ(article.url, "https://example.com/storm");
  EXPECT_THAT(AuthorNames(article), ElementsAre("Jo Smith"));
  EXPECT_EQ(article.published_time, "2024-03-01T08:15:00Z");
  EXPECT_EQ(article.language, "en");
  EXPECT_EQ(article.item_index, 0U);
  EXPECT_EQ(article.origin.path, "/var/inbox/a.json");
  for (const char* field : {"title", "body", "url", "authors", "published_time", "language"}) {
    ASSERT_TRUE(article.provenance.contains(field)) << field;
    EXPECT_EQ(article.provenance.at(field), "json") << field;
  }
}

TEST(JsonDecoderTest, FirstNameInTheMappingWins) {
  const Article article =
      DecodeOne(R"({"headline": "second", "title": "first", "text": "t", "body": "b"})");
  EXPECT_EQ(article.title, "first");
  EXPECT_EQ(article.body, "b");
}

TEST(JsonDecoderTest, CustomMappingIsUsed) {
  JsonFieldMapping mapping;
  mapping.title = {"name"};
  mapping.body = {"story"};
  const Article article = DecodeOne(R"({"title": "ignored", "name": "N", "story": "S"})", mapping);
  EXPECT_EQ(article.title, "N");
  EXPECT_EQ(article.body, "S");
}

TEST(JsonDecoderTest, AuthorsMayBeStringsObjectsOrArrays) {
  EXPECT_THAT(AuthorNames(DecodeOne(R"({"title": "t", "author": {"name": "A B"}})")),
              ElementsAre("A B"));
  EXPECT_THAT(AuthorNames(DecodeOne(
                  R"({"title": "t", "author": ["A", {"name": "B"}, {"x": 1}, 7, " ", "C"]})")),
              ElementsAre("A", "B", "C"));
  EXPECT_TRUE(DecodeOne(R"({"title": "t", "author": 42})").authors.empty());
}

TEST(JsonDecoderTest, BodyMayBeAnArrayOfParagraphs) {
  EXPECT_EQ(DecodeOne(R"({"title": "t", "body": ["one", 2, "<b>three</b>"]})").body,
            "one\n\nthree");
}

// The rule: the first occurrence of a duplicate key wins (see json_decoder.h).
TEST(JsonDecoderTest, HtmlBodyGoesThroughTheFragmentExtractor) {
  const Article article = DecodeOne(
      R"({"title": "T", "body": "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>)"
      R"(<p>Rain fell all day &amp; night.</p><p style='display:none'>hidden</p>)"
      R"(<table><tr><td>Monday</td><td>12 mm</td></tr></table>"})");
  EXPECT_EQ(article.body, "Rain fell all day & night.\n\nMonday 12 mm");
  // "Home", "World" and "hidden", give or take the spaces between them.
  EXPECT_GE(article.stats.boilerplate_characters, 4U + 5U + 6U - 1U);
  EXPECT_LE(article.stats.boilerplate_characters, 4U + 5U + 6U + 1U);
}

TEST(JsonDecoderTest, PlainTextBodyKeepsItsLineBreaks) {
  const Article article =
      DecodeOne(R"({"title": "T", "body": "First paragraph, 3 < 4.\n\nSecond <b>bold</b>."})");
  EXPECT_EQ(article.body, "First paragraph, 3 < 4.\n\nSecond bold.");
  EXPECT_EQ(article.stats.boilerplate_characters, 0U);
}

TEST(JsonDecoderTest, TrailingFurnitureLeavesTheBody) {
  const Article article =
      DecodeOne(R"({"title": "T", "body": "<p>The bridge reopens in May.</p><p>Read more</p>"})");
  EXPECT_EQ(article.body, "The bridge reopens in May.");
  EXPECT_TRUE(article.flags.truncated);
  EXPECT_EQ(article.stats.boilerplate_characters, 9U);
}

TEST(JsonDecoderTest, DuplicateKeysFirstOccurrenceWins) {
  const Article article = DecodeOne(
      R"({"title": "first", "body": "b1", "title": "second", "body": "b2", "title": "third"})");
  EXPECT_EQ(article.title, "first");
  EXPECT_EQ(article.body, "b1");
}

TEST(JsonDecoderTest, UnparseableDateIsKeptRaw) {
  const Article article = DecodeOne(R"({"title": "t", "published": "last Tuesday"})");
  EXPECT_EQ(article.published_time, "");
  EXPECT_EQ(article.metadata.at("published_raw"), "last Tuesday");
  EXPECT_FALSE(article.provenance.contains("published_time"));
}

TEST(JsonDecoderTest, RfcDatesAreNormalizedToUtc) {
  EXPECT_EQ(
      DecodeOne(R"({"title": "t", "published": "Tue, 10 Jun 2003 04:00:00 GMT"})").published_time,
      "2003-06-10T04:00:00Z");
  EXPECT_EQ(DecodeOne(R"({"title": "t", "published": "2003-06-10T23:30:00-05:00"})").published_time,
            "2003-06-11T04:30:00Z");
}

TEST(JsonDecoderTest, ArrayElementsAreArticles) {
  auto decoded = Json(R"([{"title": "a"}, 5, {"title": "c", "body": "x"}, {"url": "u"}])");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().Describe();
  ASSERT_EQ(decoded->size(), 4U);
  ASSERT_TRUE((*decoded)[0].has_value());
  EXPECT_EQ((*decoded)[0]->title, "a");
  EXPECT_EQ((*decoded)[0]->item_index, 0U);
  ASSERT_FALSE((*decoded)[1].has_value());
  EXPECT_THAT((*decoded)[1].error().message, HasSubstr("element 1"));
  EXPECT_THAT((*decoded)[1].error().message, HasSubstr("a number"));
  ASSERT_TRUE((*decoded)[2].has_value());
  EXPECT_EQ((*decoded)[2]->item_index, 2U);
  ASSERT_FALSE((*decoded)[3].has_value());
  EXPECT_EQ((*decoded)[3].error().code, ErrorCode::kEmptyInput);
  EXPECT_THAT((*decoded)[3].error().message, HasSubstr("neither a title nor a body"));
}

TEST(JsonDecoderTest, OuterErrors) {
  const auto code = [](std::string text) {
    auto decoded = Json(std::move(text));
    EXPECT_FALSE(decoded.has_value());
    return decoded ? ErrorCode::kInternal : decoded.error().code;
  };
  EXPECT_EQ(code(""), ErrorCode::kEmptyInput);
  EXPECT_EQ(code(" \n\t "), ErrorCode::kEmptyInput);
  EXPECT_EQ(code("[]"), ErrorCode::kEmptyInput);
  EXPECT_EQ(code(R"({"title": "trunc)"), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(code(R"({"title": "a", "body": )"), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(code(R"({"title": "a"} trailing)"), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(code("{'title': 'single quotes'}"), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(code(R"("just a string")"), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(code("42"), ErrorCode::kUnsupportedFormat);
}

TEST(JsonDecoderTest, TruncatedJsonNamesTheOffset) {
  auto decoded = Json(R"({"title": "a", "body": "b")");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().stage, Stage::kDecode);
  EXPECT_THAT(decoded.error().message, HasSubstr("invalid JSON at byte 26"));
}

TEST(JsonDecoderTest, DeepNestingIsRefusedWithoutCrashing) {
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  auto decoded = Json(deep);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kTooLarge);
  // Brackets inside strings do not count.
  const std::string brackets(100, '[');
  const Article article = DecodeOne(fmt::format(R"({{"title": "{}"}})", brackets));
  EXPECT_EQ(article.title, brackets);
}

TEST(JsonDecoderTest, EmbeddedNulAndEscapesAreHandled) {
  const Article article = DecodeOne(R"({"title": "a\u0000b \u00e9\ud83d\ude00", "body": "x"})");
  EXPECT_EQ(article.title, "ab \xC3\xA9\xF0\x9F\x98\x80");
}

TEST(JsonDecoderTest, LoneSurrogateEscapeIsInvalid) {
  auto decoded = Json(R"({"title": "\ud800"})");
  EXPECT_FALSE(decoded.has_value());
}

TEST(JsonLinesDecoderTest, EachLineIsAnArticle) {
  auto decoded = JsonLines(
      "{\"title\": \"one\", \"body\": \"b\"}\r\n\n{\"title\": \"three\"}\n{\"title\": \"four\"}");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().Describe();
  ASSERT_EQ(decoded->size(), 3U);
  ASSERT_TRUE((*decoded)[0].has_value());
  EXPECT_EQ((*decoded)[0]->title, "one");
  EXPECT_EQ((*decoded)[0]->format, "jsonl");
  EXPECT_EQ((*decoded)[0]->item_index, 0U);
  ASSERT_TRUE((*decoded)[1].has_value());
  EXPECT_EQ((*decoded)[1]->title, "three");
  EXPECT_EQ((*decoded)[1]->item_index, 2U);  // the blank line 2 still counts
  ASSERT_TRUE((*decoded)[2].has_value());
  EXPECT_EQ((*decoded)[2]->item_index, 3U);
}

TEST(JsonLinesDecoderTest, OneBadLineAmongGoodOnes) {
  std::string text;
  for (int line = 1; line <= 5; ++line) {
    if (line == 3) {
      text += "{\"title\": \"broken\", \n";
    } else {
      text += fmt::format("{{\"title\": \"article {}\", \"body\": \"text\"}}\n", line);
    }
  }
  auto decoded = JsonLines(text);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().Describe();
  ASSERT_EQ(decoded->size(), 5U);
  for (std::size_t index = 0; index < 5; ++index) {
    if (index == 2) {
      ASSERT_FALSE((*decoded)[index].has_value());
      EXPECT_EQ((*decoded)[index].error().stage, Stage::kDecode);
      EXPECT_EQ((*decoded)[index].error().code, ErrorCode::kUnsupportedFormat);
      EXPECT_THAT((*decoded)[index].error().message, HasSubstr("line 3"));
      EXPECT_THAT((*decoded)[index].error().message, HasSubstr("invalid JSON"));
    } else {
      ASSERT_TRUE((*decoded)[index].has_value()) << (*decoded)[index].error().Describe();
      EXPECT_EQ((*decoded)[index]->title, fmt::format("article {}", index + 1));
    }
  }
}

TEST(JsonLinesDecoderTest, NonObjectAndEmptyLinesAreInnerErrors) {
  auto decoded = JsonLines("[1, 2]\n{\"title\": \"ok\"}\n{}\n");
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 3U);
  ASSERT_FALSE((*decoded)[0].has_value());
  EXPECT_THAT((*decoded)[0].error().message, HasSubstr("line 1"));
  EXPECT_TRUE((*decoded)[1].has_value());
  ASSERT_FALSE((*decoded)[2].has_value());
  EXPECT_THAT((*decoded)[2].error().message, HasSubstr("line 3"));
}

TEST(JsonLinesDecoderTest, BlankInputIsAnOuterError) {
  auto decoded = JsonLines("\n \r\n\n");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kEmptyInput);
}

TEST(JsonLinesDecoderTest, ManyLinesStayLinear) {
  std::string text;
  for (int line = 0; line < 20000; ++line) text += "{\"title\": \"t\", \"body\": \"b\"}\n";
  auto decoded = JsonLines(text);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), 20000U);
  EXPECT_EQ(decoded->back()->item_index, 19999U);
}

}  // namespace
}  // namespace newswire::pipeline
