// What `newswire tail` shows of a record, and where it looks for the cluster.
#include "daemon/app/tail_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace newswire::app {
namespace {

namespace fs = std::filesystem;

TailRecord EventRecord(const std::string& value) {
  TailRecord record;
  record.topic = "news.articles.tagged";
  record.partition = 2;
  record.offset = 15;
  record.key = "aaaa";
  record.value = value;
  record.headers = {{"ce_specversion", "1.0"}, {"ce_time", "2024-05-01T12:34:56.789Z"}};
  return record;
}

TEST(TailFormatTest, EventShowsTitleTopicLabelsEntitiesStoryDuplicateAndKey) {
  const TailRecord record = EventRecord(
      R"({"id":"aaaa","title":"Maduro meets Lavrov","published_time":"2024-02-29T10:06:26Z",)"
      R"("topics":[{"code":"medtop:20000639","label":"diplomacy","score":0.936},)"
      R"({"code":"medtop:16000000","label":"conflict, war and peace","score":0.5}],)"
      R"("entities":[{"type":"country","name":"Venezuela","identifier":"VE"},)"
      R"({"type":"person","name":"Nicolás Maduro","identifier":"gazetteer:nicolas-maduro"},)"
      R"({"type":"country","name":"Russia","identifier":"RU"},)"
      R"({"type":"organization","name":"Government of Russia","identifier":null}],)"
      R"("fingerprints":{"story_id":"bbbb","duplicate_of":"cccc","duplicate_distance":2}})");
  EXPECT_EQ(FormatTailRecord(record),
            "2024-05-01T12:34:56.789Z  Maduro meets Lavrov\n"
            "  published     2024-02-29T10:06:26Z\n"
            "  topics        diplomacy (0.94); conflict, war and peace (0.50)\n"
            "  countries     Venezuela (VE); Russia (RU)\n"
            "  people        Nicolás Maduro\n"
            "  organizations Government of Russia\n"
            "  story         bbbb\n"
            "  duplicate of  cccc (distance 2)\n"
            "  key           aaaa  news.articles.tagged[2]@15\n"
            "\n");
}

TEST(TailFormatTest, EventWithoutTagsSaysSoAndMarksTheFirstArticleOfAStory) {
  TailRecord record = EventRecord(
      R"({"id":"aaaa","title":"","published_time":null,"topics":[],"entities":[],)"
      R"("fingerprints":{"story_id":"aaaa","duplicate_of":null,"duplicate_distance":null}})");
  // Without ce_time, the record's own timestamp.
  record.headers.clear();
  record.timestamp_ms = 1714566896789;
  EXPECT_EQ(FormatTailRecord(record),
            "2024-05-01T12:34:56.789Z  (no title)\n"
            "  topics        none\n"
            "  story         aaaa (its first article)\n"
            "  key           aaaa  news.articles.tagged[2]@15\n"
            "\n");
}

TEST(TailFormatTest, LongListsAreCutAndWrappedUnderTheValues) {
  std::string topics;
  for (int index = 1; index <= 12; ++index) {
    if (!topics.empty()) topics += ",";
    topics += R"({"code":"medtop:0","label":"subject number )" + std::to_string(index) +
              R"(","score":0.5})";
  }
  const std::string text =
      FormatTailRecord(EventRecord(R"({"id":"aaaa","title":"Many","topics":[)" + topics + "]}"));
  EXPECT_NE(text.find("subject number 6 (0.50); +6 more\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("subject number 7 "), std::string::npos) << text;
  std::istringstream lines(text);
  int topic_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 100U) << line;
    if (line.find("subject number") == std::string::npos) continue;
    ++topic_lines;
    if (topic_lines > 1) {
      EXPECT_EQ(line.substr(0, 17), std::string(16, ' ') + "s") << line;
    }
  }
  EXPECT_EQ(topic_lines, 2);
}

TEST(TailFormatTest, ValueThatIsNotAnEventIsNamedAsSuch) {
  EXPECT_EQ(FormatTailRecord(EventRecord("plain text")),
            "2024-05-01T12:34:56.789Z  (not a newswire event: 10 bytes of other data)\n"
            "  key           aaaa  news.articles.tagged[2]@15\n"
            "\n");
}

TEST(TailFormatTest, DeadLetterShowsTheFailureAndWhereTheInputCameFrom) {
  TailRecord record;
  record.topic = "news.articles.dead-letter";
  record.partition = 0;
  record.offset = 3;
  record.key = "/var/inbox/a.txt";
  record.value = "Headline\n\xff\xfe";
  record.headers = {{"newswire-stage", "decode"},
                    {"newswire-error-code", "invalid_utf8"},
                    {"newswire-error", "invalid UTF-8 at byte 9"},
                    {"newswire-origin", "file inbox:/var/inbox/a.txt"},
                    {"newswire-time", "2024-05-01T12:34:56.789Z"},
                    {"newswire-payload-bytes", "20"},
                    {"newswire-payload-read", "true"},
                    {"newswire-payload-truncated", "true"}};
  EXPECT_EQ(FormatTailRecord(record),
            "2024-05-01T12:34:56.789Z  DEAD LETTER decode/invalid_utf8: invalid UTF-8 at byte 9\n"
            "  origin        file inbox:/var/inbox/a.txt\n"
            "  payload       20 bytes (11 in the record)\n"
            "  key           /var/inbox/a.txt  news.articles.dead-letter[0]@3\n"
            "\n");
}

class ResolveBootstrapServersTest : public ::testing::Test {
 protected:
  ResolveBootstrapServersTest()
      : directory_(fs::temp_directory_path() / ("newswire-tail-test-" + std::to_string(getpid()))) {
    fs::create_directories(directory_);
  }
  ~ResolveBootstrapServersTest() override { fs::remove_all(directory_); }

  fs::path directory_;
};

TEST_F(ResolveBootstrapServersTest, ClusterAddressIsTakenAsConfigured) {
  config::KafkaConfig kafka;
  kafka.brokers = "kafka-1:9092,kafka-2:9092";
  kafka.broker_file = (directory_ / "absent").string();
  EXPECT_EQ(ResolveBootstrapServers(kafka).value(), "kafka-1:9092,kafka-2:9092");
}

TEST_F(ResolveBootstrapServersTest, EmbeddedBrokerIsFoundInTheBrokerFile) {
  config::KafkaConfig kafka;
  kafka.brokers = "embedded";
  kafka.broker_file = (directory_ / "broker").string();
  std::ofstream(kafka.broker_file) << "127.0.0.1:40123\n";
  EXPECT_EQ(ResolveBootstrapServers(kafka).value(), "127.0.0.1:40123");
}

TEST_F(ResolveBootstrapServersTest, MissingBrokerFileMeansNoDaemonRuns) {
  config::KafkaConfig kafka;
  kafka.brokers = "embedded";
  kafka.broker_file = (directory_ / "broker").string();
  auto servers = ResolveBootstrapServers(kafka);
  ASSERT_FALSE(servers);
  EXPECT_NE(servers.error().message.find("no daemon with an embedded broker seems to run"),
            std::string::npos)
      << servers.error().message;
  EXPECT_NE(servers.error().message.find(kafka.broker_file), std::string::npos);

  kafka.broker_file.clear();
  servers = ResolveBootstrapServers(kafka);
  ASSERT_FALSE(servers);
  EXPECT_NE(servers.error().message.find("kafka.broker_file is not set"), std::string::npos);
}

}  // namespace
}  // namespace newswire::app
