#include "daemon/pipeline/encode/event_encoder.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/identity.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;
using ::testing::Pair;

// 2024-05-01T12:34:56.789Z
const std::chrono::system_clock::time_point kTime =
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1714566896789));

const EncodeOptions kOptions{"newswire://host-1"};

// Decode, Normalize, Classify: the article Encode receives in the pipeline.
Article PreparedArticle(RawArticle raw) {
  auto decoded = DecodeText(raw);
  EXPECT_TRUE(decoded.has_value());
  auto classified = Normalize(std::move(*decoded->front())).and_then(Classify);
  EXPECT_TRUE(classified.has_value()) << classified.error().Describe();
  return std::move(*classified);
}

Article FileArticle() {
  return PreparedArticle(test_helpers::FileItem(
      "Caf\xC3\xA9 opens\nA new caf\xC3\xA9 opened today.\n\nIt serves coffee.",
      "/var/inbox/2024/cafe.txt"));
}

OutboundEvent EncodeOrFail(const Article& article, const EncodeOptions& options = kOptions) {
  auto event = Encode(article, options, kTime);
  EXPECT_TRUE(event.has_value()) << event.error().Describe();
  return event ? std::move(*event) : OutboundEvent{};
}

rapidjson::Document ParseJson(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  EXPECT_FALSE(document.HasParseError()) << json;
  return document;
}

std::string StringAt(const rapidjson::Value& object, const char* name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return "<not a string>";
  return member->value.GetString();
}

TEST(EventEncoderTest, KeyAndEveryHeader) {
  const Article article = FileArticle();
  const OutboundEvent event = EncodeOrFail(article);
  EXPECT_EQ(event.channel, Channel::kEvents);
  EXPECT_EQ(event.key, article.id);
  EXPECT_THAT(
      event.headers,
      ElementsAre(Pair("ce_specversion", "1.0"), Pair("ce_id", article.fingerprints.revision),
                  Pair("ce_source", "newswire://host-1/sources/inbox"),
                  Pair("ce_type", "newswire.article.tagged.v1"),
                  Pair("ce_time", "2024-05-01T12:34:56.789Z"), Pair("ce_subject", "cafe.txt"),
                  Pair("content-type", "application/json")));
}

TEST(EventEncoderTest, EventTimeIsRfc3339UtcWithMilliseconds) {
  using std::chrono::milliseconds;
  using std::chrono::system_clock;
  EXPECT_EQ(FormatEventTime(kTime), "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(FormatEventTime(system_clock::time_point(milliseconds(7))), "1970-01-01T00:00:00.007Z");
  // Below a millisecond is cut, not rounded: the time never moves into the next second.
  EXPECT_EQ(FormatEventTime(system_clock::time_point(milliseconds(1709251199999)) +
                            std::chrono::microseconds(999)),
            "2024-02-29T23:59:59.999Z");
  EXPECT_THAT(FormatEventTime(system_clock::now()),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"));
}

TEST(EventEncoderTest, SourceIgnoresTrailingSlashesAndEncodesTheName) {
  RawArticle raw = test_helpers::FileItem("Title\nBody");
  raw.origin.source_name = "my inbox/\xC3\xA9";
  const OutboundEvent event = EncodeOrFail(PreparedArticle(raw), EncodeOptions{"newswire://h/"});
  EXPECT_EQ(event.Header("ce_source"), "newswire://h/sources/my%20inbox%2F%C3%A9");
}

TEST(EventEncoderTest, SubjectIsTheUrlWhenNotAFileAndAbsentWhenThereIsNone) {
  RawArticle raw = test_helpers::FileItem("Title\nBody");
  raw.origin.kind = Origin::Kind::kKafka;
  raw.origin.path.clear();
  Article article = PreparedArticle(raw);
  article.url = "https://example.com/a";
  EXPECT_EQ(EncodeOrFail(article).Header("ce_subject"), "https://example.com/a");

  raw.origin.kind = Origin::Kind::kStdin;
  const OutboundEvent event = EncodeOrFail(PreparedArticle(raw));
  for (const auto& [name, value] : event.headers) EXPECT_NE(name, "ce_subject");
  EXPECT_EQ(event.Header("ce_subject"), "");
}

TEST(EventEncoderTest, ValueHoldsTheArticle) {
  Article article = FileArticle();
  // Language detection and charset detection fill these; here they stand for "unknown".
  article.language.clear();
  article.charset.clear();
  const OutboundEvent event = EncodeOrFail(article);
  const rapidjson::Document value = ParseJson(event.value);
  ASSERT_TRUE(value.IsObject());
  EXPECT_EQ(value["schema_version"].GetInt(), 1);
  EXPECT_EQ(StringAt(value, "id"), article.id);
  EXPECT_EQ(StringAt(value, "format"), "text");
  EXPECT_EQ(StringAt(value, "title"), "Caf\xC3\xA9 opens");
  EXPECT_EQ(StringAt(value, "body"), "A new caf\xC3\xA9 opened today.\n\nIt serves coffee.");
  for (const char* empty_optional : {"subtitle", "language", "charset", "url", "canonical_url",
                                     "publisher", "published_time", "modified_time"}) {
    EXPECT_TRUE(value[empty_optional].IsNull()) << empty_optional;
  }
  EXPECT_TRUE(value["authors"].IsArray());
  EXPECT_TRUE(value["topics"].IsArray());
  EXPECT_TRUE(value["topics"].Empty());
  EXPECT_TRUE(value["entities"].Empty());
  EXPECT_TRUE(value["metadata"].IsObject());

  const rapidjson::Value& fingerprints = value["fingerprints"];
  EXPECT_EQ(StringAt(fingerprints, "content_hash"), article.fingerprints.content_hash);
  EXPECT_EQ(StringAt(fingerprints, "revision"), article.fingerprints.revision);
  EXPECT_EQ(StringAt(fingerprints, "simhash"),
            fmt::format("{:016x}", article.fingerprints.simhash));
  EXPECT_TRUE(fingerprints["duplicate_of"].IsNull());
  EXPECT_TRUE(fingerprints["story_id"].IsNull());

  const rapidjson::Value& stats = value["stats"];
  EXPECT_EQ(stats["paragraphs"].GetUint64(), 2U);
  EXPECT_EQ(stats["words"].GetUint64(), article.stats.words);
  EXPECT_EQ(stats["characters"].GetUint64(), article.stats.characters);
  EXPECT_EQ(stats["input_bytes"].GetUint64(), article.stats.input_bytes);

  const rapidjson::Value& source = value["source"];
  EXPECT_EQ(StringAt(source, "kind"), "file");
  EXPECT_EQ(StringAt(source, "name"), "inbox");
  EXPECT_EQ(StringAt(source, "path"), "/var/inbox/2024/cafe.txt");
  EXPECT_TRUE(source["topic"].IsNull());
  EXPECT_TRUE(source["partition"].IsNull());
  EXPECT_TRUE(source["offset"].IsNull());
  EXPECT_EQ(source["item_index"].GetUint64(), 0U);
}

TEST(EventEncoderTest, ValueHoldsProvenanceFaqFlagsAndStats) {
  Article article = FileArticle();
  article.provenance = {{"title", "json-ld"}, {"authors", "byline"}};
  article.faq = {{"Why?", "Because."}};
  article.flags = {.paywall = true, .truncated = false, .faq = true, .title_derived = false};
  article.language_confidence = 0.75;
  article.charset = "windows-1252";
  article.stats.boilerplate_characters = 42;
  const rapidjson::Document value = ParseJson(EncodeOrFail(article).value);
  ASSERT_TRUE(value.IsObject());
  EXPECT_EQ(StringAt(value["provenance"], "title"), "json-ld");
  EXPECT_EQ(StringAt(value["provenance"], "authors"), "byline");
  ASSERT_EQ(value["faq"].Size(), 1U);
  EXPECT_EQ(StringAt(value["faq"][0], "question"), "Why?");
  EXPECT_EQ(StringAt(value["faq"][0], "answer"), "Because.");
  EXPECT_TRUE(value["flags"]["paywall"].GetBool());
  EXPECT_FALSE(value["flags"]["truncated"].GetBool());
  EXPECT_TRUE(value["flags"]["faq"].GetBool());
  EXPECT_FALSE(value["flags"]["title_derived"].GetBool());
  EXPECT_DOUBLE_EQ(value["language_confidence"].GetDouble(), 0.75);
  EXPECT_EQ(StringAt(value, "charset"), "windows-1252");
  EXPECT_EQ(value["stats"]["boilerplate_characters"].GetUint64(), 42U);
}

// An article without a title: the value's title is the derived one, flagged; the key and
// ce_id are those of the untitled text.
TEST(EventEncoderTest, ValueTitleIsTheDerivedTitleWhenTheInputHasNone) {
  const Article article = PreparedArticle(
      test_helpers::FileItem("A new caf\xC3\xA9 opened today on the square. It serves coffee, "
                             "tea and cake to anyone who walks past the old fountain.\n"));
  ASSERT_EQ(article.title, "");
  const OutboundEvent event = EncodeOrFail(article);
  const rapidjson::Document value = ParseJson(event.value);
  ASSERT_TRUE(value.IsObject());
  EXPECT_EQ(StringAt(value, "title"), "A new caf\xC3\xA9 opened today on the square.");
  EXPECT_TRUE(value["flags"]["title_derived"].GetBool());
  EXPECT_EQ(StringAt(value["provenance"], "title"), "first_sentence");
  EXPECT_EQ(event.key, TextHash("", article.body));
  EXPECT_EQ(event.Header("ce_id"), article.fingerprints.revision);
}

TEST(EventEncoderTest, ValueHoldsTagsAuthorsAndKafkaOrigin) {
  Article article = FileArticle();
  article.origin.kind = Origin::Kind::kKafka;
  article.origin.path.clear();
  article.origin.topic = "news.raw";
  article.origin.partition = 2;
  article.origin.offset = 1234;
  article.item_index = 3;
  article.authors.push_back({"James Carter", "Senior News Editor"});
  article.authors.push_back({"", "Chief Editor"});
  article.metadata["og:site_name"] = "Example";
  article.topics.push_back(TopicTag{"iptc-medtop",
                                    "medtop:11000000",
                                    "politics and government",
                                    0.75,
                                    {},
                                    "rule",
                                    0.0,
                                    {{"title", 0, 4, "Caf\xC3\xA9", "politics.cafe"}}});
  const rapidjson::Document value = ParseJson(EncodeOrFail(article).value);
  EXPECT_EQ(StringAt(value["authors"][0u], "name"), "James Carter");
  EXPECT_TRUE(value["authors"][1u]["name"].IsNull());
  EXPECT_EQ(StringAt(value["metadata"], "og:site_name"), "Example");
  const rapidjson::Value& topic = value["topics"][0u];
  EXPECT_EQ(StringAt(topic, "code"), "medtop:11000000");
  EXPECT_DOUBLE_EQ(topic["score"].GetDouble(), 0.75);
  EXPECT_EQ(StringAt(topic["evidence"][0u], "rule_id"), "politics.cafe");
  EXPECT_EQ(topic["evidence"][0u]["end_offset"].GetUint64(), 4U);
  const rapidjson::Value& source = value["source"];
  EXPECT_EQ(StringAt(source, "kind"), "kafka");
  EXPECT_TRUE(source["path"].IsNull());
  EXPECT_EQ(StringAt(source, "topic"), "news.raw");
  EXPECT_EQ(source["partition"].GetInt(), 2);
  EXPECT_EQ(source["offset"].GetInt64(), 1234);
  EXPECT_EQ(source["item_index"].GetUint64(), 3U);
}

TEST(EventEncoderTest, InvalidUtf8InAFilePathStillGivesValidJson) {
  const Article article =
      PreparedArticle(test_helpers::FileItem("Title\nBody", "/var/inbox/caf\xE9.txt"));
  const OutboundEvent event = EncodeOrFail(article);
  const rapidjson::Document value = ParseJson(event.value);
  EXPECT_EQ(StringAt(value["source"], "path"), "/var/inbox/caf\xEF\xBF\xBD.txt");
  EXPECT_EQ(event.Header("ce_subject"), "caf\xEF\xBF\xBD.txt");
}

TEST(EventEncoderTest, RejectsAnArticleWithoutId) {
  auto event = Encode(Article{}, kOptions, kTime);
  ASSERT_FALSE(event.has_value());
  EXPECT_EQ(event.error().stage, Stage::kEncode);
  EXPECT_EQ(event.error().code, ErrorCode::kInvalidArgument);
}

TEST(EventEncoderTest, RejectsAScoreThatIsNotANumber) {
  Article article = FileArticle();
  TopicTag topic;
  topic.scheme = "iptc-medtop";
  topic.code = "medtop:1";
  topic.score = std::numeric_limits<double>::quiet_NaN();
  topic.method = "rule";
  article.topics.push_back(topic);
  auto event = Encode(article, kOptions, kTime);
  ASSERT_FALSE(event.has_value());
  EXPECT_EQ(event.error().stage, Stage::kEncode);
}

TEST(EventEncoderTest, JsonLineEmbedsTheValueAsAnObject) {
  const OutboundEvent event = EncodeOrFail(FileArticle());
  const std::string line = EventToJsonLine(event);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const rapidjson::Document document = ParseJson(line);
  ASSERT_TRUE(document.IsObject());
  EXPECT_EQ(StringAt(document, "channel"), "events");
  EXPECT_EQ(StringAt(document, "key"), event.key);
  const rapidjson::Value& headers = document["headers"];
  ASSERT_TRUE(headers.IsObject());
  EXPECT_EQ(headers.MemberCount(), event.headers.size());
  for (const auto& [name, header_value] : event.headers) {
    EXPECT_EQ(StringAt(headers, name.c_str()), header_value);
  }
  ASSERT_TRUE(document["value"].IsObject());
  EXPECT_EQ(document["value"], ParseJson(event.value));
}

TEST(EventEncoderTest, JsonLineEmbedsADeadLetterValueAsAString) {
  OutboundEvent event;
  event.channel = Channel::kDeadLetter;
  event.key = "/var/inbox/a.txt";
  event.value = "caf\xE9";
  event.headers.emplace_back("newswire-stage", "decode");
  const rapidjson::Document document = ParseJson(EventToJsonLine(event));
  EXPECT_EQ(StringAt(document, "channel"), "dead_letter");
  EXPECT_EQ(StringAt(document, "value"), "caf\xEF\xBF\xBD");
}

}  // namespace
}  // namespace newswire::pipeline
