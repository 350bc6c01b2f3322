// End-to-end tests of the real `newswire` binary: a feed directory with real inotify, a
// Kafka-protocol broker over TCP (librdkafka's mock cluster, started here), and events read back
// with a real consumer.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/kafka/embedded_broker.h"
#include "daemon/pipeline/pipeline.h"
#include "tests/integration/daemon/daemon_harness.h"
#include "tests/integration/daemon/expectations.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRouteTopic = "alerts.venezuela";

std::vector<fs::path> SampleArticles() {
  std::vector<fs::path> samples;
  for (const auto& entry :
       fs::directory_iterator(fs::path(NEWSWIRE_SOURCE_DIR) / "tests/data/articles")) {
    samples.push_back(entry.path());
  }
  std::sort(samples.begin(), samples.end());
  return samples;
}

// The event newswire must make of an article, computed by the same pure pipeline in-process
// (the pipeline's own golden tests pin what that is).
OutboundEvent ExpectedEvent(const std::string& content) {
  pipeline::Pipeline pipeline(pipeline::PipelineOptions{});
  RawArticle raw{content, Origin{}, {}};
  auto processed = pipeline.Process(raw, std::chrono::system_clock::now());
  if (!processed || processed->size() != 1 || !processed->front()) return {};
  return std::move(*processed->front());
}

std::string ExpectedKey(const std::string& content) { return ExpectedEvent(content).key; }

// The test broker, a feed directory, and the daemon configured for both.
class DaemonTest : public DaemonFixture {
 protected:
  DaemonTest() : DaemonFixture({{kTopic, 4}, {kDeadLetterTopic, 2}, {kRouteTopic, 1}}) {}

  void StartDaemon(const std::string& extra_directory = "", const std::string& extra = "",
                   DaemonOptions options = {}, const std::string& extra_kafka = "") {
    fs::path config = temp_.path() / "newswire.yaml";
    WriteFile(config, DaemonConfig(broker_->bootstrap_servers(), feed_, temp_.path() / "broker",
                                   extra_directory, extra, extra_kafka));
    daemon_ = std::make_unique<DaemonProcess>(config, temp_.path() / "newswire.log", options);
    // The log file is appended to across restarts: wait for this start's "ready".
    ASSERT_TRUE(daemon_->WaitForLog("newswire ready", 20s, ++starts_)) << daemon_->Log();
  }

  std::unique_ptr<TestConsumer> Consumer(const std::string& topic) {
    auto consumer = TestConsumer::Create(broker_->bootstrap_servers(), {topic});
    EXPECT_TRUE(consumer) << consumer.error().Describe();
    return consumer ? std::move(*consumer) : nullptr;
  }

  // Waits until `count` files are in done/ and none is left in processing/, then reads the events
  // topic until `count` distinct keys were seen. Returns the distinct keys; every record read
  // (repeats included) goes to `records` when given.
  std::set<std::string> AwaitCompletedAndPublished(std::size_t count,
                                                   std::chrono::milliseconds timeout,
                                                   std::vector<ConsumedRecord>* records = nullptr) {
    EXPECT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == count; }, timeout))
        << "done: " << ListNames(feed_ / "done").size() << " of " << count << "\n"
        << daemon_->Log();
    EXPECT_TRUE(ListNames(feed_ / "processing").empty());
    auto consumer = Consumer(kTopic);
    if (!consumer) return {};
    auto read = ReadDistinctKeys(*consumer, count, 30s);
    std::set<std::string> keys = KeysWithMatchingIds(read);
    if (records != nullptr) *records = std::move(read);
    return keys;
  }
};

TEST_F(DaemonTest, FiveSampleArticlesBecomeFiveEventsAndEndInDone) {
  StartDaemon();
  auto samples = SampleArticles();
  ASSERT_EQ(samples.size(), 5u);
  std::map<std::string, std::string> content_by_name;
  for (const auto& sample : samples) {
    content_by_name[sample.filename()] = ReadFile(sample);
    DropFile(feed_, sample.filename(), content_by_name[sample.filename()]);
  }
  auto consumer = Consumer(kTopic);
  ASSERT_TRUE(consumer);
  auto records = consumer->ReadAtLeast(5, 20s);
  ASSERT_EQ(records.size(), 5u) << daemon_->Log();
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 5; }, 10s))
      << daemon_->Log();

  rapidjson::Document schema_document;
  std::string schema_text = ReadFile(fs::path(NEWSWIRE_SOURCE_DIR) / "docs/event.schema.json");
  schema_document.Parse(schema_text.data(), schema_text.size());
  ASSERT_FALSE(schema_document.HasParseError());
  rapidjson::SchemaDocument schema(schema_document);

  std::set<std::string> subjects;
  for (const auto& record : records) {
    const std::string& subject = record.Header("ce_subject");
    subjects.insert(subject);
    ASSERT_TRUE(content_by_name.contains(subject)) << subject;
    const std::string& content = content_by_name[subject];
    const OutboundEvent expected_event = ExpectedEvent(content);
    EXPECT_EQ(record.key, expected_event.key);
    EXPECT_EQ(record.Header("ce_id"), expected_event.Header("ce_id"));
    EXPECT_EQ(record.Header("ce_specversion"), "1.0");
    EXPECT_EQ(record.Header("ce_type"), "newswire.article.tagged.v1");
    EXPECT_EQ(record.Header("ce_source"), "newswire://test/sources/inbox");
    EXPECT_EQ(record.Header("content-type"), "application/json");
    EXPECT_FALSE(record.Header("ce_time").empty());

    rapidjson::Document event;
    event.Parse(record.value.data(), record.value.size());
    ASSERT_FALSE(event.HasParseError()) << record.value;
    rapidjson::SchemaValidator validator(schema);
    EXPECT_TRUE(event.Accept(validator)) << "event does not match docs/event.schema.json";
    EXPECT_EQ(std::string(event["id"].GetString()), record.key);
    rapidjson::Document expected;
    const std::string expected_value = ExpectedEvent(content).value;
    expected.Parse(expected_value.data(), expected_value.size());
    ASSERT_TRUE(expected.IsObject());
    EXPECT_EQ(std::string(event["title"].GetString()), expected["title"].GetString());
    EXPECT_EQ(std::string(event["body"].GetString()), expected["body"].GetString());
    EXPECT_GT(std::string(event["body"].GetString()).size(), content.size() / 3);
  }
  EXPECT_EQ(subjects.size(), 5u);
  EXPECT_EQ(ListNames(feed_ / "done").size(), 5u);
  EXPECT_TRUE(ListNames(feed_ / "processing").empty());
  EXPECT_TRUE(ListNames(feed_ / "failed").empty());
  EXPECT_EQ(ListNames(feed_), (std::vector<std::string>{"done", "failed", "processing"}));
  StopDaemonCleanly();
  EXPECT_NE(daemon_->Log().find("newswire stopped"), std::string::npos);
}

// JSON Lines through the daemon, with the directory's own field mapping: each good line is an
// event, the bad line is a dead letter naming it, and the file is done (its good articles went
// out).
TEST_F(DaemonTest, JsonLinesUseTheDirectorysFieldMappingAndABadLineIsDeadLettered) {
  StartDaemon(
      "      json_fields:\n"
      "        title: [name]\n"
      "        body: [story]\n");
  DropFile(feed_, "wire.jsonl",
           R"({"name": "First headline", "story": "The first story, with enough words in it."})"
           "\n"
           R"({"name": "Broken headline", "story": )"
           "\n"
           R"({"name": "Third headline", "story": "The third story, also long enough to keep."})"
           "\n");
  auto events = Consumer(kTopic);
  ASSERT_TRUE(events);
  auto records = events->ReadAtLeast(2, 20s);
  ASSERT_EQ(records.size(), 2u) << daemon_->Log();
  std::set<std::string> titles;
  for (const auto& record : records) {
    rapidjson::Document value;
    value.Parse(record.value.data(), record.value.size());
    ASSERT_TRUE(value.IsObject());
    titles.insert(value["title"].GetString());
    EXPECT_EQ(std::string(value["format"].GetString()), "jsonl");
  }
  EXPECT_EQ(titles, (std::set<std::string>{"First headline", "Third headline"}));
  auto dead_letters = Consumer(kDeadLetterTopic);
  ASSERT_TRUE(dead_letters);
  auto rejected = dead_letters->ReadAtLeast(1, 20s);
  ASSERT_EQ(rejected.size(), 1u) << daemon_->Log();
  EXPECT_NE(rejected[0].Header("newswire-error").find("line 2"), std::string::npos)
      << rejected[0].Header("newswire-error");
  // The file is published, so it goes to done/: no failed/ location to replay from.
  EXPECT_EQ(rejected[0].Header("newswire-input-location"), "");
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 15s))
      << daemon_->Log();
  EXPECT_EQ(rejected[0].value, ReadFile(feed_ / "done" / "wire.jsonl"));
  EXPECT_TRUE(ListNames(feed_ / "failed").empty());
  StopDaemonCleanly();
}

// The duplicate memory lives in the state directory: a copy that arrives after a restart is
// still recognised, and a rewritten headline over the same body is the same text.
TEST_F(DaemonTest, DuplicatesAreFoundAcrossARestart) {
  const std::string body =
      "The council voted on Tuesday to close the old bridge for two years of repairs.\n"
      "Drivers will be sent on a detour through the industrial estate, the council said.\n";
  StartDaemon();
  auto consumer = Consumer(kTopic);
  ASSERT_TRUE(consumer);
  WriteFile(feed_ / "original.txt", "Bridge to close for repairs\n" + body);
  auto first = consumer->ReadAtLeast(1, 15s);
  ASSERT_EQ(first.size(), 1u) << daemon_->Log();
  rapidjson::Document original;
  original.Parse(first[0].value.data(), first[0].value.size());
  ASSERT_TRUE(original.IsObject());
  EXPECT_TRUE(original["fingerprints"]["duplicate_of"].IsNull());
  const std::string original_id = original["id"].GetString();
  StopDaemonCleanly();

  StartDaemon();
  WriteFile(feed_ / "copy.txt", "Old bridge shuts for two years\n" + body);
  auto second = consumer->ReadAtLeast(1, 15s);
  ASSERT_EQ(second.size(), 1u) << daemon_->Log();
  rapidjson::Document copy;
  copy.Parse(second[0].value.data(), second[0].value.size());
  ASSERT_TRUE(copy.IsObject());
  EXPECT_NE(std::string(copy["id"].GetString()), original_id);
  ASSERT_TRUE(copy["fingerprints"]["duplicate_of"].IsString()) << second[0].value;
  EXPECT_EQ(std::string(copy["fingerprints"]["duplicate_of"].GetString()), original_id);
  ASSERT_TRUE(copy["fingerprints"]["duplicate_distance"].IsInt());
  EXPECT_EQ(copy["fingerprints"]["duplicate_distance"].GetInt(), 0);  // the same body
  EXPECT_NE(daemon_->Log().find("article memory: 1 recent articles"), std::string::npos);
  StopDaemonCleanly();
}

// SIGHUP rebuilds the classifier from classify.data_dir and swaps it in; a broken rule file is
// reported with its line and the running rules stay.
TEST_F(DaemonTest, SighupReloadsTheRulesAndABrokenFileKeepsTheRunningSet) {
  const fs::path data = temp_.path() / "data";
  fs::copy(fs::path(NEWSWIRE_SOURCE_DIR) / "config", data, fs::copy_options::recursive);
  StartDaemon("", "classify:\n  data_dir: \"" + data.string() + "\"\n");
  auto consumer = Consumer(kTopic);
  ASSERT_TRUE(consumer);
  auto weather_tag = [&](const std::string& name) -> std::string {
    WriteFile(feed_ / name,
              "Zorblax season opens\nThe zorblax came early this year, people said.\n");
    auto records = consumer->ReadAtLeast(1, 15s);
    if (records.size() != 1) return "no event";
    rapidjson::Document event;
    event.Parse(records[0].value.data(), records[0].value.size());
    for (const auto& topic : event["topics"].GetArray()) {
      if (std::string(topic["code"].GetString()) == "medtop:17000000") {
        return topic["evidence"][0]["rule_id"].GetString();
      }
    }
    return "";
  };
  EXPECT_EQ(weather_tag("before.txt"), "");

  WriteFile(data / "rules/topics/50-test.yaml",
            "rules:\n  - id: test.zorblax\n    topic: medtop:17000000\n    any: [zorblax]\n");
  daemon_->Signal(SIGHUP);
  ASSERT_TRUE(daemon_->WaitForLog("reloaded in", 20s)) << daemon_->Log();
  EXPECT_EQ(weather_tag("after.txt"), "test.zorblax");

  WriteFile(data / "rules/topics/51-broken.yaml",
            "rules:\n  - id: broken\n    topic: medtop:99999999\n    any: [x]\n");
  daemon_->Signal(SIGHUP);
  ASSERT_TRUE(daemon_->WaitForLog("reload failed", 20s)) << daemon_->Log();
  EXPECT_NE(daemon_->Log().find("51-broken.yaml:2:5: rule 'broken': topic 'medtop:99999999' is "
                                "not in the taxonomy"),
            std::string::npos)
      << daemon_->Log();
  EXPECT_EQ(weather_tag("still.txt"), "test.zorblax");
  StopDaemonCleanly();
}

// Trains a model with `newswire train` in which articles about zorblax are `zorblax_class` and
// articles about shares are the other class (sport or economy).
void TrainZorblaxModel(const fs::path& directory, const std::string& zorblax_class,
                       const fs::path& model) {
  const std::string other_class = zorblax_class == "sport" ? "business" : "sport";
  std::string tsv = "category\theadline\ttext\n";
  for (int round = 0; round < 20; ++round) {
    tsv += zorblax_class + "\tZorblax news\tThe zorblax came, zorblax and zorblax again.\n";
    tsv += other_class + "\tShares news\tShares and markets, shares and prices.\n";
  }
  WriteFile(directory / "labelled.tsv", tsv);
  WriteFile(directory / "labels.yaml",
            "labels:\n  sport: medtop:15000000\n  business: medtop:04000000\n");
  auto trained = RunNewswire({"train", "--input", (directory / "labelled.tsv").string(), "--labels",
                              (directory / "labels.yaml").string(), "--output", model.string(),
                              "--epochs", "20"});
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
}

// SIGHUP reloads the topic model file too: a model retrained in place is used from then on.
TEST_F(DaemonTest, SighupReloadsTheTopicModel) {
  const fs::path model = temp_.path() / "model.bin";
  ASSERT_NO_FATAL_FAILURE(TrainZorblaxModel(temp_.path(), "sport", model));
  StartDaemon("", "classify:\n  model_file: \"" + model.string() + "\"\n");
  auto consumer = Consumer(kTopic);
  ASSERT_TRUE(consumer);
  auto model_topic = [&](const std::string& name) -> std::string {
    WriteFile(feed_ / name, "Zorblax news\nThe zorblax came early this year, people said.\n");
    auto records = consumer->ReadAtLeast(1, 15s);
    if (records.size() != 1) return "no event";
    rapidjson::Document event;
    event.Parse(records[0].value.data(), records[0].value.size());
    for (const auto& topic : event["topics"].GetArray()) {
      if (std::string(topic["method"].GetString()) == "model") return topic["code"].GetString();
    }
    return "";
  };
  EXPECT_EQ(model_topic("before.txt"), "medtop:15000000");

  ASSERT_NO_FATAL_FAILURE(TrainZorblaxModel(temp_.path(), "business", model));
  daemon_->Signal(SIGHUP);
  ASSERT_TRUE(daemon_->WaitForLog("reloaded in", 20s)) << daemon_->Log();
  EXPECT_NE(daemon_->Log().find("SIGHUP: reloading " + (temp_.path() / "newswire.yaml").string()),
            std::string::npos);
  EXPECT_NE(daemon_->Log().find("topic model " + model.string() + " (2 classes)"),
            std::string::npos)
      << daemon_->Log();
  EXPECT_EQ(model_topic("after.txt"), "medtop:04000000");
  StopDaemonCleanly();
}

// A route sends a matching article to its own topic too; the file completes only when both
// records are confirmed.
TEST_F(DaemonTest, ARouteSendsMatchingArticlesToItsTopicToo) {
  const fs::path routes = temp_.path() / "routes.yaml";
  WriteFile(routes, std::string("routes:\n  - name: venezuela\n    kafka_topic: ") + kRouteTopic +
                        "\n    countries: [VE]\n");
  StartDaemon("", "classify:\n  routes_file: \"" + routes.string() + "\"\n");
  auto routed = Consumer(kRouteTopic);
  auto events = Consumer(kTopic);
  ASSERT_TRUE(routed && events);
  WriteFile(feed_ / "caracas.txt",
            "Caracas braces for talks\nVenezuela's government said talks in Caracas resume.\n");
  WriteFile(feed_ / "tokyo.txt", "Tokyo markets calm\nShares in Tokyo closed flat in Japan.\n");
  auto main_records = events->ReadAtLeast(2, 15s);
  EXPECT_EQ(main_records.size(), 2u) << daemon_->Log();
  auto routed_records = routed->ReadAtLeast(1, 15s);
  ASSERT_EQ(routed_records.size(), 1u) << daemon_->Log();
  EXPECT_EQ(routed_records[0].Header("ce_subject"), "caracas.txt");
  EXPECT_TRUE(routed->ReadAll(1s).empty());
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 2; }, 10s));
  StopDaemonCleanly();
}

TEST_F(DaemonTest, SlowlyWrittenFileIsReadOnceAndComplete) {
  StartDaemon();
  {
    std::ofstream file(feed_ / "slow.txt", std::ios::binary);
    file << "A slow headline\n" << std::flush;
    std::this_thread::sleep_for(300ms);
    file << "The first paragraph arrives.\n" << std::flush;
    std::this_thread::sleep_for(300ms);
    file << "The second paragraph arrives later.\n" << std::flush;
    std::this_thread::sleep_for(300ms);
    file << "The last paragraph, then the writer closes the file.\n";
  }
  auto consumer = Consumer(kTopic);
  ASSERT_TRUE(consumer);
  auto records = consumer->ReadAtLeast(1, 15s);
  ASSERT_EQ(records.size(), 1u) << daemon_->Log();
  rapidjson::Document event;
  event.Parse(records[0].value.data(), records[0].value.size());
  ASSERT_TRUE(event.IsObject());
  std::string body = event["body"].GetString();
  EXPECT_NE(body.find("The first paragraph arrives."), std::string::npos) << body;
  EXPECT_NE(body.find("The last paragraph, then the writer closes the file."), std::string::npos)
      << body;
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 10s));
  // Read once: no second event turns up.
  EXPECT_TRUE(consumer->ReadAll(1500ms).empty());
  StopDaemonCleanly();
}

TEST_F(DaemonTest, BadInputGoesToFailedWithADeadLetterAndTheDaemonKeepsRunning) {
  bool root = geteuid() == 0;
  StartDaemon(
      "      max_file_bytes: 4096\n", "",
      DaemonOptions{.drop_file_capabilities = root, .environment = {}, .extra_arguments = {}});
  WriteFile(temp_.path() / "secret.txt", "Secret\nnot for the feed\n");
  DropFile(feed_, "invalid-utf8.txt", "Headline\nbad \xc3\x28 bytes\n");
  DropFile(feed_, "empty.txt", "");
  DropFile(feed_, "oversize.txt", "Big\n" + std::string(10000, 'x') + "\n");
  fs::create_directory(feed_ / "a-directory");
  fs::create_symlink(temp_.path() / "secret.txt", feed_ / "link.txt");
  WriteFile(feed_ / ".unreadable.txt.part", "Unreadable\nbody\n");
  fs::permissions(feed_ / ".unreadable.txt.part", fs::perms::none);
  fs::rename(feed_ / ".unreadable.txt.part", feed_ / "unreadable.txt");

  const std::set<std::string> bad = {"invalid-utf8.txt", "empty.txt", "oversize.txt",
                                     "a-directory",      "link.txt",  "unreadable.txt"};
  auto dead_letters = Consumer(kDeadLetterTopic);
  ASSERT_TRUE(dead_letters);
  auto records = dead_letters->ReadAtLeast(bad.size(), 20s);
  ASSERT_EQ(records.size(), bad.size()) << daemon_->Log();
  std::map<std::string, std::string> code_by_name;
  for (const auto& record : records) {
    std::string name = fs::path(record.Header("newswire-path")).filename();
    code_by_name[name] = record.Header("newswire-error-code");
    EXPECT_FALSE(record.Header("newswire-stage").empty());
    EXPECT_FALSE(record.Header("newswire-error").empty());
    EXPECT_NE(record.Header("newswire-origin").find(name), std::string::npos);
  }
  EXPECT_EQ(code_by_name["invalid-utf8.txt"], "invalid_utf8");
  EXPECT_EQ(code_by_name["empty.txt"], "empty_input");
  EXPECT_EQ(code_by_name["oversize.txt"], "too_large");
  EXPECT_EQ(code_by_name["a-directory"], "not_regular_file");
  EXPECT_EQ(code_by_name["link.txt"], "symlink");
  EXPECT_EQ(code_by_name["unreadable.txt"], "permission_denied");

  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "failed").size() == 2 * bad.size(); }, 10s))
      << daemon_->Log();
  for (const auto& name : bad) {
    EXPECT_NE(fs::symlink_status(feed_ / "failed" / name).type(), fs::file_type::not_found) << name;
    std::string note = ReadFile(feed_ / "failed" / (name + ".error"));
    EXPECT_NE(note.find("error: " + code_by_name[name]), std::string::npos) << note;
  }
  EXPECT_EQ(ReadFile(temp_.path() / "secret.txt"), "Secret\nnot for the feed\n");
  std::string log = daemon_->Log();
  for (const auto& name : bad) {
    EXPECT_NE(log.find("rejected file inbox:" + (feed_ / name).string()), std::string::npos)
        << name << "\n"
        << log;
  }

  // Still running, still working.
  ASSERT_TRUE(daemon_->running());
  DropFile(feed_, "good.txt", "A good headline\nA good body.\n");
  auto events = Consumer(kTopic);
  ASSERT_TRUE(events);
  EXPECT_EQ(events->ReadAtLeast(1, 15s).size(), 1u) << daemon_->Log();
  StopDaemonCleanly();
}

// An article whose event is larger than the producer's message.max.bytes can never be delivered:
// it is rejected to failed/ with a dead letter that says so, instead of being retried forever.
TEST_F(DaemonTest, AnEventTooLargeForKafkaIsRejectedNotRetriedForever) {
  StartDaemon("      max_file_bytes: 4MiB\n");
  std::string paragraph(1000, 'w');
  std::string huge = "A very long article\n";
  for (int i = 0; i < 1200; ++i) huge += paragraph + "\n";
  DropFile(feed_, "huge.txt", huge);
  DropFile(feed_, "small.txt", "A small article\nIts body.\n");
  auto dead_letters = Consumer(kDeadLetterTopic);
  ASSERT_TRUE(dead_letters);
  auto records = dead_letters->ReadAtLeast(1, 20s);
  ASSERT_EQ(records.size(), 1u) << daemon_->Log();
  EXPECT_EQ(records[0].Header("newswire-error-code"), "too_large");
  EXPECT_EQ(records[0].Header("newswire-stage"), "sink");
  EXPECT_NE(records[0].Header("newswire-error").find("message.max.bytes"), std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "failed").size() == 2; }, 15s))
      << daemon_->Log();
  EXPECT_EQ(ListNames(feed_ / "failed"), (std::vector<std::string>{"huge.txt", "huge.txt.error"}));
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 15s))
      << daemon_->Log();
  EXPECT_EQ(daemon_->Log().find("retrying"), std::string::npos) << daemon_->Log();
  StopDaemonCleanly();
}

// SIGTERM with deliveries outstanding: intake stops, what is in flight is delivered and completed,
// and only then does newswire exit 0.
TEST_F(DaemonTest, SigtermDrainsWhatIsInFlightThenExitsZero) {
  StartDaemon();
  broker_->SetBrokerRtt(1, 700);
  for (int i = 0; i < 20; ++i) {
    DropFile(feed_, "draining-" + std::to_string(i) + ".txt",
             "Draining headline " + std::to_string(i) + "\nBody.\n");
  }
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "processing").size() == 20; }, 10s))
      << daemon_->Log();
  daemon_->Signal(SIGTERM);
  std::this_thread::sleep_for(100ms);
  DropFile(feed_, "too-late.txt", "Arrived after SIGTERM\nBody.\n");
  auto exit_code = daemon_->Wait(30s);
  ASSERT_TRUE(exit_code) << daemon_->Log();
  EXPECT_EQ(*exit_code, 0) << daemon_->Log();
  EXPECT_EQ(ListNames(feed_ / "done").size(), 20u) << daemon_->Log();
  EXPECT_TRUE(ListNames(feed_ / "processing").empty());
  EXPECT_TRUE(fs::exists(feed_ / "too-late.txt"));  // intake had stopped: left for next start
  broker_->SetBrokerRtt(1, 0);
  auto consumer = Consumer(kTopic);
  ASSERT_TRUE(consumer);
  EXPECT_EQ(KeysWithMatchingIds(ReadDistinctKeys(*consumer, 20, 15s)).size(), 20u);
}

TEST_F(DaemonTest, NoFileCompletesWhileTheBrokerIsDownAndAllCompleteWhenItReturns) {
  StartDaemon();
  broker_->SetBrokerDown(1);
  for (int i = 0; i < 5; ++i) {
    DropFile(feed_, "article-" + std::to_string(i) + ".txt",
             "Headline " + std::to_string(i) + "\nBody of article " + std::to_string(i) + ".\n");
  }
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "processing").size() == 5; }, 10s))
      << daemon_->Log();
  // Claimed and processed, but without delivery reports nothing may complete.
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(ListNames(feed_ / "done").empty()) << daemon_->Log();
  EXPECT_EQ(ListNames(feed_ / "processing").size(), 5u);

  broker_->SetBrokerUp(1);
  EXPECT_EQ(AwaitCompletedAndPublished(5, 60s).size(), 5u);
  StopDaemonCleanly();
}

TEST_F(DaemonTest, KillNineWith500FilesInFlightThenRestartLosesNothing) {
  constexpr int kFiles = 500;
  std::set<std::string> expected_keys;
  for (int i = 0; i < kFiles; ++i) {
    std::string content = "Headline number " + std::to_string(i) + "\nThe body of article " +
                          std::to_string(i) + " says something different from the others.\n";
    expected_keys.insert(ExpectedKey(content));
    WriteFile(feed_ / ("article-" + std::to_string(i) + ".txt"), content);
  }
  ASSERT_EQ(expected_keys.size(), static_cast<std::size_t>(kFiles));
  // A slow broker keeps many files in flight at the moment of the kill.
  broker_->SetBrokerRtt(1, 300);
  StartDaemon();
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "processing").size() >= 100; }, 20s))
      << daemon_->Log();
  daemon_->Signal(SIGKILL);
  ASSERT_EQ(daemon_->Wait(10s), 128 + SIGKILL);
  std::size_t left_in_processing = ListNames(feed_ / "processing").size();
  std::size_t done_before_restart = ListNames(feed_ / "done").size();
  EXPECT_GT(left_in_processing, 0u);
  EXPECT_LT(done_before_restart, static_cast<std::size_t>(kFiles));

  broker_->SetBrokerRtt(1, 0);
  StartDaemon();
  std::vector<ConsumedRecord> records;
  std::set<std::string> keys = AwaitCompletedAndPublished(kFiles, 60s, &records);
  EXPECT_EQ(keys, expected_keys);
  EXPECT_EQ(ListNames(feed_), (std::vector<std::string>{"done", "failed", "processing"}));
  EXPECT_TRUE(ListNames(feed_ / "failed").empty());
  // Repeats are allowed (events delivered before the kill whose files had not completed).
  EXPECT_GE(records.size(), static_cast<std::size_t>(kFiles));
  StopDaemonCleanly();
  std::cout << "kill -9 left " << left_in_processing << " file(s) in processing/, "
            << done_before_restart << " done; after restart " << records.size() << " record(s) for "
            << keys.size() << " distinct keys\n";
}

// Kills land at different points of the lifecycle (claimed, sent, delivered but not yet
// acknowledged, completed): whatever the moment, every article ends on the topic exactly under its
// own key and id, and every file ends in done/.
TEST_F(DaemonTest, RepeatedKillNineDuringDeliveryLosesNothing) {
  constexpr int kFiles = 300;
  std::set<std::string> expected_keys;
  for (int i = 0; i < kFiles; ++i) {
    std::string content = "Wave headline " + std::to_string(i) + "\nWave body " +
                          std::to_string(i) + ", unlike any other.\n";
    expected_keys.insert(ExpectedKey(content));
    WriteFile(feed_ / ("wave-" + std::to_string(i) + ".txt"), content);
  }
  broker_->SetBrokerRtt(1, 100);
  const std::string limits = "limits:\n  max_in_flight_files: 40\n";
  for (std::size_t done_at_kill : {40u, 120u, 200u}) {
    StartDaemon("", limits);
    ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() >= done_at_kill; }, 30s))
        << daemon_->Log();
    daemon_->Signal(SIGKILL);
    ASSERT_EQ(daemon_->Wait(10s), 128 + SIGKILL);
  }
  StartDaemon("", limits);
  std::vector<ConsumedRecord> records;
  std::set<std::string> keys = AwaitCompletedAndPublished(kFiles, 60s, &records);
  EXPECT_EQ(keys, expected_keys);
  StopDaemonCleanly();
  std::cout << "three kills -9: " << records.size() << " record(s) for " << keys.size()
            << " distinct keys (" << records.size() - keys.size() << " repeats)\n";
}

// A permanent delivery error (the broker rejects a batch): the file is kept, processed again after
// the back-off, and completes once its event is delivered; the others are not held up.
TEST_F(DaemonTest, PermanentDeliveryErrorIsRetriedUntilTheEventIsDelivered) {
  constexpr int kProduceApi = 0;
  constexpr int kInvalidProducerEpoch = 47;
  broker_->PushRequestErrors(kProduceApi, {kInvalidProducerEpoch});
  StartDaemon();
  for (int i = 0; i < 3; ++i) {
    DropFile(feed_, "retried-" + std::to_string(i) + ".txt",
             "Retried headline " + std::to_string(i) + "\nBody.\n");
  }
  EXPECT_EQ(AwaitCompletedAndPublished(3, 30s).size(), 3u);
  EXPECT_NE(daemon_->Log().find("delivery failed"), std::string::npos) << daemon_->Log();
  EXPECT_NE(daemon_->Log().find("retrying"), std::string::npos) << daemon_->Log();
  StopDaemonCleanly();
}

// With enable.gapless.guarantee, librdkafka turns a permanent batch error into a fatal producer
// error. newswire stops intake and exits 69 without completing any file whose events are
// unconfirmed; a restart against a healthy broker completes them all.
TEST_F(DaemonTest, FatalProducerErrorExitsWithoutCompletingUnconfirmedFiles) {
  constexpr int kProduceApi = 0;
  constexpr int kInvalidProducerEpoch = 47;
  const std::string gapless = "  properties:\n    enable.gapless.guarantee: \"true\"\n";
  broker_->PushRequestErrors(kProduceApi, {kInvalidProducerEpoch});
  StartDaemon("", "", {}, gapless);
  DropFile(feed_, "fenced.txt", "Fenced headline\nBody.\n");
  auto exit_code = daemon_->Wait(30s);
  ASSERT_TRUE(exit_code) << "newswire kept running after a fatal error\n" << daemon_->Log();
  EXPECT_EQ(*exit_code, 69) << daemon_->Log();
  EXPECT_NE(daemon_->Log().find("fatal Kafka producer error"), std::string::npos) << daemon_->Log();
  EXPECT_TRUE(ListNames(feed_ / "done").empty()) << daemon_->Log();
  EXPECT_EQ(ListNames(feed_ / "processing"), (std::vector<std::string>{"fenced.txt"}));

  StartDaemon("", "", {}, gapless);
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 30s))
      << daemon_->Log();
  StopDaemonCleanly();
}

// Without its feed directory newswire would look healthy while taking nothing in: it stops and
// exits 74 so that systemd restarts it (which recreates the directory).
TEST_F(DaemonTest, ARemovedFeedDirectoryStopsTheDaemonWithExit74) {
  StartDaemon();
  fs::remove_all(feed_);
  auto exit_code = daemon_->Wait(20s);
  ASSERT_TRUE(exit_code) << daemon_->Log();
  EXPECT_EQ(*exit_code, 74) << daemon_->Log();
  EXPECT_NE(daemon_->Log().find("was removed or moved"), std::string::npos);
  StartDaemon();  // a restart recreates it
  EXPECT_TRUE(fs::is_directory(feed_));
  StopDaemonCleanly();
}

TEST_F(DaemonTest, TellsSystemdReadyStatusReloadingStoppingAndWatchdog) {
  fs::path socket_path = temp_.path() / "notify.sock";
  int notify_socket = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(notify_socket, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(bind(notify_socket, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  timeval receive_timeout{0, 200000};
  setsockopt(notify_socket, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof(receive_timeout));

  StartDaemon("", "",
              DaemonOptions{.drop_file_capabilities = false,
                            .environment = {{"NOTIFY_SOCKET", socket_path.string()},
                                            {"WATCHDOG_USEC", "400000"}},
                            .extra_arguments = {}});
  std::vector<std::string> messages;
  // Waits up to the socket's receive timeout for one message.
  const auto receive_one = [&] {
    char buffer[4096];
    const ssize_t length = recv(notify_socket, buffer, sizeof(buffer), 0);
    if (length > 0) messages.emplace_back(buffer, static_cast<std::size_t>(length));
  };
  auto receive_until = [&](const std::string& wanted) {
    return WaitFor(
        [&] {
          receive_one();
          for (const auto& message : messages) {
            if (message.find(wanted) != std::string::npos) return true;
          }
          return false;
        },
        10s);
  };
  EXPECT_TRUE(receive_until("READY=1"));
  EXPECT_TRUE(receive_until("WATCHDOG=1"));
  // One article, then the next status says how fast articles flow (log.stats_interval_ms is 1 s).
  DropFile(feed_, "status.txt", "Status headline\nA body for the status test.\n");
  EXPECT_TRUE(WaitFor(
      [&] {
        receive_one();
        return std::any_of(messages.begin(), messages.end(), [](const std::string& message) {
          return message.rfind("STATUS=", 0) == 0 &&
                 message.find(" articles/min, 0 failed/min") != std::string::npos &&
                 std::atoi(message.c_str() + 7) > 0;
        });
      },
      10s))
      << daemon_->Log();
  // A reload is bracketed by RELOADING=1 and READY=1.
  const std::size_t before_reload = messages.size();
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(receive_until("RELOADING=1"));
  EXPECT_TRUE(WaitFor(
      [&] {
        receive_one();
        return std::find(messages.begin() + static_cast<std::ptrdiff_t>(before_reload) + 1,
                         messages.end(), "READY=1") != messages.end();
      },
      10s));
  daemon_->Signal(SIGTERM);
  EXPECT_TRUE(receive_until("STOPPING=1"));
  EXPECT_EQ(daemon_->Wait(30s), 0);
  close(notify_socket);
  // READY comes only after the broker was reached and the directory watched.
  auto ready = std::find(messages.begin(), messages.end(), "READY=1");
  ASSERT_NE(ready, messages.end());
}

// `--log-format json` (for journald and ELK): every line is one JSON object, messages with quotes
// and paths included, and a rejection is still logged at error level.
TEST_F(DaemonTest, JsonLogFormatWritesOneObjectPerLine) {
  StartDaemon("", "",
              DaemonOptions{.drop_file_capabilities = false,
                            .environment = {},
                            .extra_arguments = {"--log-format", "json"}});
  DropFile(feed_, "quoted \"name\".txt", "A headline\nA body.\n");
  DropFile(feed_, "empty.txt", "");
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 15s))
      << daemon_->Log();
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "failed").size() == 2; }, 15s))
      << daemon_->Log();
  StopDaemonCleanly();
  std::istringstream lines(daemon_->Log());
  std::string line;
  int parsed = 0;
  bool rejection_logged = false;
  while (std::getline(lines, line)) {
    rapidjson::Document document;
    document.Parse(line.data(), line.size());
    ASSERT_FALSE(document.HasParseError()) << line;
    ASSERT_TRUE(document.IsObject() && document.HasMember("time") && document.HasMember("level") &&
                document.HasMember("message"))
        << line;
    std::string message = document["message"].GetString();
    if (std::string(document["level"].GetString()) == "error" &&
        message.find("empty.txt") != std::string::npos) {
      rejection_logged = true;
    }
    ++parsed;
  }
  EXPECT_GT(parsed, 5);
  EXPECT_TRUE(rejection_logged);
}

// Above debug level the log holds neither article text nor secrets: a Kafka password read from
// a file (kafka.secret_files) stays out of the log and out of `check-config`'s output, and so do
// the titles and sentences of the articles, published or rejected. The files keep their modes.
TEST_F(DaemonTest, NeitherArticleTextNorSecretsReachTheLogAboveDebug) {
  const std::string secret = "pw-4c1d-never-logged";
  WriteFile(temp_.path() / "kafka-password", secret + "\n");
  const std::string kafka_extra = "  secret_files:\n    sasl.password: \"" +
                                  (temp_.path() / "kafka-password").string() + "\"\n";
  StartDaemon("", "",
              DaemonOptions{.drop_file_capabilities = false,
                            .environment = {},
                            .extra_arguments = {"--log-level", "info"}},
              kafka_extra);
  const std::string title = "Harbour pilots strike over night shifts";
  const std::string sentence = "The pilots said the new rota left ships waiting at the bar.";
  // With modes of their own, which done/ and failed/ keep.
  const auto drop_with_mode = [&](const std::string& name, const std::string& content,
                                  fs::perms mode) {
    WriteFile(feed_ / ("." + name + ".part"), content);
    fs::permissions(feed_ / ("." + name + ".part"), mode);
    fs::rename(feed_ / ("." + name + ".part"), feed_ / name);
  };
  const fs::perms owner_read_write = fs::perms::owner_read | fs::perms::owner_write;
  drop_with_mode("good.txt", title + "\n" + sentence + "\n",
                 owner_read_write | fs::perms::group_read);
  drop_with_mode("bad.txt", title + " again\n" + sentence + std::string(1, '\0') + "\n",
                 owner_read_write);
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 15s))
      << daemon_->Log();
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "failed").size() == 2; }, 15s))
      << daemon_->Log();
  EXPECT_EQ(fs::status(feed_ / "done" / "good.txt").permissions(),
            owner_read_write | fs::perms::group_read);
  EXPECT_EQ(fs::status(feed_ / "failed" / "bad.txt").permissions(), owner_read_write);
  StopDaemonCleanly();
  const std::string log = daemon_->Log();
  EXPECT_NE(log.find("rejected file inbox:"), std::string::npos) << log;
  EXPECT_EQ(log.find(secret), std::string::npos) << log;
  EXPECT_EQ(log.find(title), std::string::npos) << log;
  EXPECT_EQ(log.find("rota left ships"), std::string::npos) << log;

  const CommandResult checked =
      RunNewswire({"check-config", "-c", (temp_.path() / "newswire.yaml").string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_EQ(checked.output.find(secret), std::string::npos) << checked.output;
  EXPECT_NE(checked.output.find("sasl.password: <redacted>"), std::string::npos) << checked.output;
}

// `kafka.brokers: embedded`: the daemon hosts the broker itself and says where it is.
TEST(EmbeddedBrokerTest, DaemonHostsTheBrokerAndWritesItsAddress) {
  TempDir temp;
  fs::path feed = temp.path() / "inbox";
  fs::path broker_file = temp.path() / "var" / "broker";
  // log.events, as the demo has it: each event's line says what newswire understood.
  WriteFile(temp.path() / "newswire.yaml",
            DaemonConfig("embedded", feed, broker_file, "", "", "", "  events: true\n"));
  DaemonProcess daemon(temp.path() / "newswire.yaml", temp.path() / "newswire.log");
  ASSERT_TRUE(daemon.WaitForLog("newswire ready", 20s)) << daemon.Log();
  EXPECT_NE(daemon.Log().find("DEVELOPMENT BROKER"), std::string::npos);
  std::string bootstrap = ReadFile(broker_file);
  ASSERT_FALSE(bootstrap.empty());
  bootstrap.erase(bootstrap.find_last_not_of("\n") + 1);
  EXPECT_NE(daemon.Log().find(bootstrap), std::string::npos);

  DropFile(feed, "a.txt", "Embedded headline\nEmbedded body.\n");
  auto consumer = TestConsumer::Create(bootstrap, {kTopic});
  ASSERT_TRUE(consumer) << consumer.error().Describe();
  auto records = (*consumer)->ReadAtLeast(1, 15s);
  ASSERT_EQ(records.size(), 1u) << daemon.Log();
  EXPECT_EQ(records[0].Header("ce_subject"), "a.txt");
  DropFile(feed, "b.txt",
           "Putin meets Maduro in Moscow\nVladimir Putin received Nicolás Maduro of Venezuela "
           "for talks on oil and military cooperation with Russia.\n");
  ASSERT_TRUE(daemon.WaitForLog("subject=b.txt", 15s)) << daemon.Log();
  const std::string log = daemon.Log();
  const std::string line = log.substr(log.find("subject=b.txt"));
  const std::string event_line = line.substr(0, line.find('\n'));
  for (const char* part : {"title=\"Putin meets Maduro in Moscow\"", " topics=", " countries=",
                           "Venezuela (VE)", " people=", "Vladimir Putin", " story="}) {
    EXPECT_NE(event_line.find(part), std::string::npos) << part << " in\n" << event_line;
  }
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(30s), 0) << daemon.Log();
}

}  // namespace
}  // namespace newswire::testing
