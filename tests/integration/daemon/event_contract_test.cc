// The event contract (docs/events.md, docs/event.schema.json) of the real binary: `newswire
// process` on the sample articles, the hostile corpus and small inputs of every format. Every
// event value is validated against the schema by python3-jsonschema (validate_events.py), a
// validator of the draft the schema names that shares no code with newswire, and together the
// events use every format, entity type, flag and provenance value the schema lists: one added to
// the schema without an input here that makes it fails this test.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = NEWSWIRE_SOURCE_DIR;

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout (unless the command redirects it) and stderr
};

ShellResult RunShell(const std::string& command) {
  ShellResult result;
  FILE* pipe = ::popen(("{ " + command + "; } 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.output += buffer;
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Quoted(const fs::path& path) { return "'" + path.string() + "'"; }

// `newswire process --quiet` on `inputs`: its events (stdout) to `events`, its errors (stderr)
// returned with the exit code.
ShellResult Process(const std::vector<fs::path>& inputs, const fs::path& events) {
  std::string command = Quoted(NEWSWIRE_BINARY_PATH) + " process --quiet";
  for (const auto& input : inputs) command += " " + Quoted(input);
  return RunShell(command + " > " + Quoted(events));
}

ShellResult Validate(const fs::path& events) {
  return RunShell("/usr/bin/python3 " +
                  Quoted(kSourceDir / "tests/integration/daemon/validate_events.py") + " " +
                  Quoted(kSourceDir / "docs/event.schema.json") + " " + Quoted(events));
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// The strings of `schema`'s "enum" array.
std::set<std::string> EnumOf(const rapidjson::Value& schema) {
  std::set<std::string> values;
  for (const auto& value : schema["enum"].GetArray()) values.insert(value.GetString());
  return values;
}

// The small inputs, by file name: one per format, and text that sets each flag and names each
// kind of entity.
const std::vector<std::pair<std::string, std::string>> kInputs = {
    {"paywall.txt",
     "Harbour fees rise for the third year\n"
     "The port authority raised its harbour fees again on Monday, the third rise in three years, "
     "and the shipping companies said they would pass the cost on to their customers.\n"
     "This article is for subscribers only.\n"},
    {"truncated.txt",
     "Ferry timetable changes from March\n"
     "The ferry company will run two more crossings a day from March, it said on Tuesday, and "
     "the evening boat will leave half an hour later than it does now.\n"
     "Read more\n"},
    {"faq.txt",
     "Questions about the new harbour fees\n"
     "The port authority answered the questions that ship owners asked most often this week.\n"
     "Q: When do the new fees apply?\n"
     "A: From the first of March, for every ship that calls at the port.\n"
     "Q: Who collects them?\n"
     "A: The harbour master's office, as it does today.\n"},
    // A gazetteer person, organizations and countries, and a person introduced by a role word.
    {"entities.txt",
     "Maduro meets Kremlin envoy in Caracas\n"
     "President Nicolás Maduro of Venezuela met Russian officials in Caracas on Tuesday, and the "
     "United Nations called for talks between the government and the opposition. The Kremlin "
     "said Russia would keep its commitments to Venezuela.\n"
     "Analyst Maria Jensen said the visit changed little for Venezuela.\n"},
    {"page.html",
     "<!DOCTYPE html><html lang=\"en\"><head><title>Bridge reopens after repairs</title>"
     "<meta property=\"article:published_time\" content=\"2024-03-01T01:30:00+02:00\">"
     "<link rel=\"canonical\" href=\"https://news.example/bridge\"></head>"
     "<body><article><h1>Bridge reopens after repairs</h1><p>The old bridge over the river "
     "reopened on Friday after two years of repairs, the city council said.</p><p>Cars may "
     "cross it again from Monday, and buses from the first of April.</p></article></body>"
     "</html>"},
    // No title: the title is derived from the body's first sentence.
    {"article.json",
     R"({"articleBody": "The city library will open on Sundays from next month. The council )"
     R"(voted for the longer hours on Wednesday after a petition from readers.", )"
     R"("datePublished": "2024-02-29T10:06:26Z", "author": {"name": "A. Writer"}})"},
    {"articles.jsonl",
     R"({"title": "Rain expected all weekend", "body": "Forecasters expect rain from Friday )"
     R"(evening until Monday morning across the region."})"
     "\n"
     R"({"title": "Market hall gets a new roof", "body": "Work on the roof of the market hall )"
     R"(starts in May and will take about six weeks."})"
     "\n"},
    {"feed.rss",
     R"(<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title><item>)"
     R"(<title>Tram line extended to the airport</title><link>https://news.example/tram</link>)"
     R"(<pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate><description>The tram line will reach )"
     R"(the airport by the end of next year, the transport authority said.</description>)"
     R"(</item></channel></rss>)"},
    {"feed.atom",
     R"(<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>)"
     R"(<entry><title>School year to start a week later</title><id>urn:school</id>)"
     R"(<updated>2003-12-13T18:30:02Z</updated><summary>The school year will start a week )"
     R"(later than planned because of building work, the education office said.</summary>)"
     R"(</entry></feed>)"},
};

class EventContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string text = ReadFile(kSourceDir / "docs/event.schema.json");
    schema_.Parse(text.data(), text.size());
    ASSERT_FALSE(schema_.HasParseError()) << "docs/event.schema.json is not JSON";
  }

  rapidjson::Document schema_;
  TempDir temp_;
};

TEST_F(EventContractTest, EveryFormatEntityTypeAndFlagMeetsTheSchema) {
  const fs::path inputs = temp_.path() / "inputs";
  fs::create_directories(inputs);
  for (const auto& [name, content] : kInputs) WriteFile(inputs / name, content);

  const fs::path events = temp_.path() / "events.jsonl";
  const ShellResult accepted = Process({kSourceDir / "tests/data/articles", inputs}, events);
  ASSERT_EQ(accepted.exit_code, 0) << accepted.output;
  std::string lines = ReadFile(events);
  // The hostile corpus: inputs that are refused (exit 65) beside some that become odd events.
  const fs::path hostile_events = temp_.path() / "hostile.jsonl";
  const ShellResult hostile = Process({kSourceDir / "tests/data/hostile"}, hostile_events);
  EXPECT_EQ(hostile.exit_code, 65) << hostile.output;
  lines += ReadFile(hostile_events);
  WriteFile(events, lines);

  // Coverage, read with RapidJSON: which formats, entity types and flags the events use.
  std::set<std::string> formats;
  std::set<std::string> entity_types;
  std::set<std::string> flags_true;
  std::set<std::string> provenance;  // the sources of fields, and what ids were made from
  std::size_t count = 0;
  for (const std::string& line : Lines(lines)) {
    rapidjson::Document event;
    event.Parse(line.data(), line.size());
    ASSERT_TRUE(event.IsObject()) << line;
    ASSERT_EQ(std::string(event["channel"].GetString()), "events") << line;
    ++count;
    const rapidjson::Value& value = event["value"];
    // ce_type names the value's schema_version (docs/events.md, Versioning).
    EXPECT_EQ(std::string(event["headers"]["ce_type"].GetString()),
              "newswire.article.tagged.v" + std::to_string(value["schema_version"].GetInt()));
    formats.insert(value["format"].GetString());
    for (const auto& entity : value["entities"].GetArray()) {
      entity_types.insert(entity["type"].GetString());
    }
    for (const auto& flag : value["flags"].GetObject()) {
      if (flag.value.IsTrue()) flags_true.insert(flag.name.GetString());
    }
    for (const auto& entry : value["provenance"].GetObject()) {
      provenance.insert(std::string(entry.name.GetString()) == "id"
                            ? std::string("id:") + entry.value.GetString()
                            : entry.value.GetString());
    }
  }
  EXPECT_GT(count, kInputs.size());

  // The lists come from the schema, so that what is added there is covered here too.
  const rapidjson::Value& properties = schema_["properties"];
  for (const std::string& format : EnumOf(properties["format"])) {
    EXPECT_TRUE(formats.contains(format)) << "no event of format " << format;
  }
  const std::set<std::string> types =
      EnumOf(schema_["definitions"]["entity"]["properties"]["type"]);
  EXPECT_FALSE(types.empty());
  for (const std::string& type : types) {
    EXPECT_TRUE(entity_types.contains(type)) << "no entity of type " << type;
  }
  const rapidjson::Value& flags = properties["flags"]["properties"];
  EXPECT_GE(flags.MemberCount(), 3U);
  for (const auto& flag : flags.GetObject()) {
    EXPECT_TRUE(flags_true.contains(flag.name.GetString()))
        << "no event with flags." << flag.name.GetString() << " true";
  }
  for (const std::string& source : EnumOf(properties["provenance"]["additionalProperties"])) {
    EXPECT_TRUE(provenance.contains(source)) << "no field with provenance " << source;
  }
  for (const std::string& made_from : EnumOf(properties["provenance"]["properties"]["id"])) {
    EXPECT_TRUE(provenance.contains("id:" + made_from)) << "no id made from " << made_from;
  }

  // And every value meets the schema.
  const ShellResult validated = Validate(events);
  EXPECT_EQ(validated.exit_code, 0) << validated.output;
  EXPECT_EQ(validated.output, "ok " + std::to_string(count) + "\n");
}

// The validator is live: a value with a flag the schema does not list, or a flag that is not a
// boolean, is refused.
TEST_F(EventContractTest, TheValidatorRefusesWhatTheSchemaDoesNot) {
  const fs::path input = temp_.path() / "article.txt";
  WriteFile(input, "A headline\nA body of one paragraph with enough words to be a body.\n");
  const fs::path events = temp_.path() / "events.jsonl";
  const ShellResult processed = Process({input}, events);
  ASSERT_EQ(processed.exit_code, 0) << processed.output;
  const ShellResult valid = Validate(events);
  ASSERT_EQ(valid.exit_code, 0) << valid.output;

  const std::string line = ReadFile(events);
  for (const auto& [name, mutate] :
       std::vector<std::pair<std::string, void (*)(rapidjson::Document&)>>{
           {"Additional properties are not allowed",
            [](rapidjson::Document& event) {
              event["value"]["flags"].AddMember("unlisted", true, event.GetAllocator());
            }},
           {"is not of type 'boolean'",
            [](rapidjson::Document& event) { event["value"]["flags"]["paywall"].SetInt(1); }},
       }) {
    SCOPED_TRACE(name);
    rapidjson::Document event;
    event.Parse(line.data(), line.size());
    ASSERT_TRUE(event.IsObject());
    mutate(event);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    event.Accept(writer);
    WriteFile(events, std::string(buffer.GetString()) + "\n");
    const ShellResult invalid = Validate(events);
    EXPECT_EQ(invalid.exit_code, 1) << invalid.output;
    EXPECT_NE(invalid.output.find("line 1: /flags"), std::string::npos) << invalid.output;
    EXPECT_NE(invalid.output.find(name), std::string::npos) << invalid.output;
  }
}

}  // namespace
}  // namespace newswire::testing
