#include "daemon/pipeline/pipeline.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "daemon/pipeline/classify/classifier.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/normalize/normalizer.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

using ::testing::HasSubstr;

const std::chrono::system_clock::time_point kTime =
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1714566896789));

// docs/event.schema.json, loaded once: the contract every event value must meet.
const rapidjson::SchemaDocument& EventSchema() {
  static const std::unique_ptr<rapidjson::SchemaDocument> schema = [] {
    const std::string text =
        test_helpers::ReadFile(test_helpers::SourceDirectory() / "docs/event.schema.json");
    rapidjson::Document document;
    document.Parse(text.data(), text.size());
    EXPECT_FALSE(document.HasParseError()) << "docs/event.schema.json is not JSON";
    return std::make_unique<rapidjson::SchemaDocument>(document);
  }();
  return *schema;
}

// "" when `json` is valid against the event schema, else what the validator objects to.
std::string SchemaViolation(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError()) return "not JSON";
  rapidjson::SchemaValidator validator(EventSchema());
  if (document.Accept(validator)) return "";
  rapidjson::StringBuffer schema_pointer;
  rapidjson::StringBuffer document_pointer;
  validator.GetInvalidSchemaPointer().StringifyUriFragment(schema_pointer);
  validator.GetInvalidDocumentPointer().StringifyUriFragment(document_pointer);
  return std::string("keyword '") + validator.GetInvalidSchemaKeyword() + "' at schema " +
         schema_pointer.GetString() + ", document " + document_pointer.GetString();
}

std::string ToJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// Options with only the source set; the other members keep their defaults.
PipelineOptions OptionsWithSource(std::string source_uri) {
  PipelineOptions options;
  options.source_uri = std::move(source_uri);
  return options;
}

OutboundEvent ProcessOne(const Pipeline& pipeline, const RawArticle& raw) {
  auto processed = pipeline.Process(raw, kTime);
  EXPECT_TRUE(processed.has_value()) << processed.error().Describe();
  if (!processed) return {};
  EXPECT_EQ(processed->size(), 1U);
  if (processed->size() != 1U) return {};
  EXPECT_TRUE(processed->front().has_value()) << processed->front().error().Describe();
  return processed->front() ? std::move(*processed->front()) : OutboundEvent{};
}

TEST(PipelineTest, EverySampleBecomesOneEventThatMeetsTheSchema) {
  const Pipeline pipeline(OptionsWithSource("newswire://test"));
  for (const auto& sample : test_helpers::LoadSamples()) {
    SCOPED_TRACE(sample.path.filename().string());
    const OutboundEvent event = ProcessOne(pipeline, test_helpers::SampleItem(sample));
    EXPECT_EQ(event.channel, Channel::kEvents);
    EXPECT_EQ(event.Header("ce_subject"), sample.path.filename().string());
    EXPECT_EQ(SchemaViolation(event.value), "");
    rapidjson::Document value;
    value.Parse(event.value.data(), event.value.size());
    ASSERT_TRUE(value.IsObject());
    EXPECT_EQ(event.key, value["id"].GetString());
    EXPECT_EQ(event.Header("ce_id"), value["fingerprints"]["revision"].GetString());
    // Furniture, bylines and JSON-LD leave the body, so the body has at most one paragraph per
    // non-blank line, and stats.paragraphs counts what it has.
    EXPECT_EQ(value["stats"]["paragraphs"].GetUint64(),
              test_helpers::CountParagraphs(value["body"].GetString()));
    EXPECT_LE(value["stats"]["paragraphs"].GetUint64(),
              test_helpers::CountNonBlankLines(sample.bytes));
  }
}

// Every input format, through the whole pipeline: each event meets the schema, with its format.
TEST(PipelineTest, EveryFormatMakesEventsThatMeetTheSchema) {
  const Pipeline pipeline(OptionsWithSource("newswire://test"));
  const std::string body =
      "A paragraph long enough to be an article body, with commas, clauses "
      "and more than a handful of words in it.";
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"text", "A headline\n" + body + "\n"},
      {"html",
       "<!DOCTYPE html><html lang=\"en\"><head><title>A headline</title><meta "
       "property=\"article:published_time\" content=\"2024-03-01T01:30:00+02:00\">"
       "</head><body><article><h1>A headline</h1><p>" +
           body + "</p><p>" + body + "</p></article></body></html>"},
      {"json",
       R"({"headline": "A headline", "articleBody": ")" + body +
           R"(", "datePublished": "2024-02-29T10:06:26Z", "author": {"name": "A. Writer"}})"},
      {"jsonl", R"({"title": "One", "body": ")" + body + R"("})" + "\n" +
                    R"({"title": "Two", "body": ")" + body + R"("})" + "\n"},
      {"rss", R"(<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title><item>)"
              R"(<title>A headline</title><link>https://news.example/a</link>)"
              R"(<pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate><description>)" +
                  body + "</description></item></channel></rss>"},
      {"atom", R"(<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>)"
               R"(<entry><title>A headline</title><id>urn:a</id><updated>2003-12-13T18:30:02Z)"
               R"(</updated><summary>)" +
                   body + "</summary></entry></feed>"},
  };
  for (const auto& [format, bytes] : inputs) {
    SCOPED_TRACE(format);
    RawArticle raw;
    raw.bytes = bytes;
    raw.origin.source_name = "test";
    auto processed = pipeline.Process(raw, kTime);
    ASSERT_TRUE(processed.has_value()) << processed.error().Describe();
    ASSERT_FALSE(processed->empty());
    for (const auto& event : *processed) {
      ASSERT_TRUE(event.has_value()) << event.error().Describe();
      EXPECT_EQ(SchemaViolation(event->value), "") << event->value;
      rapidjson::Document value;
      value.Parse(event->value.data(), event->value.size());
      ASSERT_TRUE(value.IsObject());
      EXPECT_EQ(std::string(value["format"].GetString()), format);
    }
  }
}

// The stage timings add up what each stage took: every stage that ran has some time, the ones
// that did not (route, without a classifier) have none, and an item that fails to decode has
// decode time only.
TEST(PipelineTest, StageTimingsCoverTheStagesThatRan) {
  const Pipeline pipeline(OptionsWithSource("newswire://test"));
  const auto samples = test_helpers::LoadSamples();
  ASSERT_FALSE(samples.empty());
  StageTimings timings;
  auto processed = pipeline.Process(test_helpers::SampleItem(samples.front()), kTime, &timings);
  ASSERT_TRUE(processed.has_value());
  for (const auto& [name, time] : {std::pair{"decode", timings.decode},
                                   {"normalize", timings.normalize},
                                   {"classify", timings.classify},
                                   {"remember", timings.remember},
                                   {"encode", timings.encode}}) {
    EXPECT_GT(time.count(), 0) << name;
  }
  EXPECT_EQ(timings.route.count(), 0);

  StageTimings failed;
  EXPECT_FALSE(pipeline.Process(test_helpers::FileItem(""), kTime, &failed).has_value());
  EXPECT_GT(failed.decode.count(), 0);
  EXPECT_EQ(failed.normalize.count() + failed.classify.count() + failed.encode.count(), 0);
}

TEST(PipelineTest, AFullyTaggedArticleMeetsTheSchema) {
  auto decoded = DecodeText(test_helpers::FileItem("Title\nBody text here."));
  ASSERT_TRUE(decoded.has_value());
  auto article = Normalize(std::move(*decoded->front())).and_then(Classify);
  ASSERT_TRUE(article.has_value());
  article->language = "en-GB";
  article->url = "https://example.com/a";
  article->published_time = "2024-02-29T10:06:26Z";
  article->modified_time = "2024-02-29T12:00:00.5+01:00";
  article->authors.push_back({"James Carter", "Senior News Editor"});
  article->authors.push_back({"", "Chief Editor"});
  article->sections = {"world", "americas"};
  article->keywords = {"Venezuela"};
  article->metadata["og:site_name"] = "Example";
  article->topics.push_back(TopicTag{"iptc-medtop",
                                     "medtop:11000000",
                                     "politics and government",
                                     0.8,
                                     {"medtop:00000000"},
                                     "model",
                                     0.91,
                                     {{"body", 0, 4, "Body", ""}}});
  article->entities.push_back(
      Entity{"country", "Venezuela", "VE", 1.0, {{"title", 0, 5, "Title", "countries.ve"}}});
  article->fingerprints.duplicate_of = std::string(32, 'a');
  article->fingerprints.story_id = std::string(32, 'b');  // a story id is an article id
  auto event = Encode(*article, EncodeOptions{"newswire://test"}, kTime);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(SchemaViolation(event->value), "");
}

// Mutations of a valid event value that the schema must refuse: proof that the validation in
// the test above is live and not vacuously passing.
TEST(PipelineTest, TheSchemaRejectsInvalidValues) {
  const Pipeline pipeline(PipelineOptions{});
  const OutboundEvent event =
      ProcessOne(pipeline, test_helpers::FileItem("Title\nOne paragraph.\nAnother."));
  ASSERT_EQ(SchemaViolation(event.value), "");

  struct Mutation {
    std::string name;
    std::string keyword;  // the schema keyword that must catch it
    std::function<void(rapidjson::Document&)> apply;
  };
  const std::vector<Mutation> mutations = {
      {"missing title", "required", [](auto& value) { value.RemoveMember("title"); }},
      {"unknown field", "additionalProperties",
       [](auto& value) { value.AddMember("extra", 1, value.GetAllocator()); }},
      {"id not hex", "pattern", [](auto& value) { value["id"].SetString("NOT-A-HASH"); }},
      {"simhash too short", "pattern",
       [](auto& value) { value["fingerprints"]["simhash"].SetString("abc"); }},
      {"wrong schema_version", "enum", [](auto& value) { value["schema_version"].SetInt(2); }},
      {"empty string instead of null", "minLength",
       [](auto& value) { value["url"].SetString(""); }},
      {"number as title", "type", [](auto& value) { value["title"].SetInt(5); }},
      {"negative word count", "minimum", [](auto& value) { value["stats"]["words"].SetInt(-1); }},
      {"unknown source kind", "enum",
       [](auto& value) { value["source"]["kind"].SetString("ftp"); }},
      {"bad time", "pattern", [](auto& value) { value["published_time"].SetString("yesterday"); }},
  };
  for (const auto& mutation : mutations) {
    SCOPED_TRACE(mutation.name);
    rapidjson::Document value;
    value.Parse(event.value.data(), event.value.size());
    mutation.apply(value);
    EXPECT_THAT(SchemaViolation(ToJson(value)), HasSubstr("keyword '" + mutation.keyword + "'"));
  }
  EXPECT_THAT(SchemaViolation("{}"), HasSubstr("required"));
}

// docs/events.md shows the event `newswire process` makes of sample 000, classified; the binary
// is held to it by DocCommandsTest.TheEventsExampleIsWhatProcessPrints
// (tests/integration/daemon/doc_commands_test.cc).

TEST(PipelineTest, ReprocessingGivesTheSameKeyAndId) {
  const Pipeline pipeline(PipelineOptions{});
  const auto samples = test_helpers::LoadSamples();
  const OutboundEvent first = ProcessOne(pipeline, test_helpers::SampleItem(samples[2]));
  const OutboundEvent again =
      ProcessOne(pipeline, test_helpers::FileItem(samples[2].bytes, "/other/place.txt"));
  EXPECT_EQ(first.key, again.key);
  EXPECT_EQ(first.Header("ce_id"), again.Header("ce_id"));
}

TEST(PipelineTest, AnUndecodableItemIsTheOuterError) {
  const Pipeline pipeline(PipelineOptions{});
  auto processed = pipeline.Process(test_helpers::FileItem("Title\n\xC3("), kTime);
  ASSERT_FALSE(processed.has_value());
  EXPECT_EQ(processed.error().stage, Stage::kDecode);
  EXPECT_EQ(processed.error().code, ErrorCode::kInvalidUtf8);
  EXPECT_THAT(processed.error().Describe(),
              HasSubstr("decode/invalid_utf8: invalid UTF-8 at byte 6"));
}

TEST(PipelineTest, AnArticleThatFailsALaterStageStaysInsideTheResult) {
  const Pipeline pipeline(PipelineOptions{});
  // Decodable text, but only control characters: normalize rejects the article.
  auto processed = pipeline.Process(test_helpers::FileItem("\x01\x02\n\x03"), kTime);
  ASSERT_TRUE(processed.has_value());
  ASSERT_EQ(processed->size(), 1U);
  ASSERT_FALSE(processed->front().has_value());
  EXPECT_EQ(processed->front().error().stage, Stage::kNormalize);
  EXPECT_EQ(processed->front().error().code, ErrorCode::kEmptyInput);
}

TEST(PipelineTest, AnItemWithMoreArticlesThanTheLimitIsRefusedWhole) {
  std::string lines;
  std::string array = "[";
  std::string rss = "<rss version=\"2.0\"><channel><title>Feed</title>";
  std::string atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Feed</title>";
  for (int index = 0; index < 5; ++index) {
    const std::string object =
        fmt::format("{{\"title\": \"Headline {}\", \"body\": \"Body {}\"}}", index, index);
    lines += object + "\n";
    array += (index == 0 ? "" : ",") + object;
    rss += fmt::format("<item><title>Headline {}</title><description>Body {}</description></item>",
                       index, index);
    atom += fmt::format("<entry><title>Headline {}</title><content>Body {}</content></entry>",
                        index, index);
  }
  array += "]";
  rss += "</channel></rss>";
  atom += "</feed>";
  for (const std::string& item : {lines, array, rss, atom}) {
    SCOPED_TRACE(item.substr(0, 40));
    PipelineOptions options;
    options.max_articles_per_item = 5;
    auto five = Pipeline(options).Process(test_helpers::FileItem(item), kTime);
    ASSERT_TRUE(five.has_value()) << five.error().Describe();
    EXPECT_EQ(five->size(), 5U);
    options.max_articles_per_item = 4;
    auto processed = Pipeline(options).Process(test_helpers::FileItem(item), kTime);
    ASSERT_FALSE(processed.has_value());
    EXPECT_EQ(processed.error().stage, Stage::kDecode);
    EXPECT_EQ(processed.error().code, ErrorCode::kTooLarge);
    EXPECT_THAT(processed.error().message,
                HasSubstr("holds 5 articles, over limits.max_articles_per_item (4)"));
  }
}

}  // namespace
}  // namespace newswire::pipeline
