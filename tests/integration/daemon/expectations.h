#pragma once

// Expectations shared by the daemon's integration tests: reading its events back, where repeats
// are allowed (at-least-once) but must carry the same key and CloudEvents id, and stopping it.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/kafka/embedded_broker.h"
#include "tests/integration/daemon/daemon_harness.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {

// The default topics, which every daemon config under test keeps (DaemonConfig).
inline constexpr const char* kTopic = "news.articles.tagged";
inline constexpr const char* kDeadLetterTopic = "news.articles.dead-letter";

// Reads until `wanted` distinct keys were seen or the timeout passed: with repeats after a crash,
// a record count says nothing about coverage. Every record read is returned.
inline std::vector<ConsumedRecord> ReadDistinctKeys(TestConsumer& consumer, std::size_t wanted,
                                                    std::chrono::milliseconds timeout) {
  std::vector<ConsumedRecord> records;
  std::set<std::string> keys;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (keys.size() < wanted && std::chrono::steady_clock::now() < deadline) {
    for (auto& record : consumer.ReadAtLeast(1, std::chrono::milliseconds(500))) {
      keys.insert(record.key);
      records.push_back(std::move(record));
    }
  }
  // Whatever else is already there (repeats) is read too, so the caller sees them.
  for (auto& record : consumer.ReadAll(std::chrono::milliseconds(500)))
    records.push_back(std::move(record));
  return records;
}

// The distinct keys of `records`, checking on the way that every repeat of a key carries the same
// CloudEvents id: the property that lets a consumer drop a repeat after a crash or retry.
inline std::set<std::string> KeysWithMatchingIds(const std::vector<ConsumedRecord>& records) {
  std::map<std::string, std::string> event_id_by_key;
  for (const auto& record : records) {
    EXPECT_FALSE(record.Header("ce_id").empty());
    const auto [known, inserted] = event_id_by_key.emplace(record.key, record.Header("ce_id"));
    if (!inserted) {
      EXPECT_EQ(known->second, record.Header("ce_id")) << "key " << record.key;
    }
  }
  std::set<std::string> keys;
  for (const auto& [key, event_id] : event_id_by_key) keys.insert(key);
  return keys;
}

// Reads on until `records` (what was read before) and the new records cover `articles` distinct
// keys, or `timeout` passed; appends what it reads to `records`, prints articles in, events out,
// duplicates and missing, and returns the distinct keys (repeats checked for equal ids).
inline std::set<std::string> ReadUntilEveryArticle(TestConsumer& consumer,
                                                   std::vector<ConsumedRecord>& records,
                                                   std::size_t articles,
                                                   std::chrono::milliseconds timeout) {
  std::set<std::string> keys;
  for (const auto& record : records) keys.insert(record.key);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (keys.size() < articles && std::chrono::steady_clock::now() < deadline) {
    for (auto& record : consumer.ReadAtLeast(1, std::chrono::milliseconds(500))) {
      keys.insert(record.key);
      records.push_back(std::move(record));
    }
  }
  for (auto& record : consumer.ReadAll(std::chrono::milliseconds(500))) {
    records.push_back(std::move(record));
  }
  keys = KeysWithMatchingIds(records);
  std::cout << "articles in " << articles << ", events out " << records.size() << ", duplicates "
            << records.size() - keys.size() << ", missing "
            << (articles > keys.size() ? articles - keys.size() : 0) << "\n";
  return keys;
}

// SIGTERM, then the daemon must exit within 30 s with code 0.
inline void StopCleanly(DaemonProcess& daemon) {
  daemon.Signal(SIGTERM);
  auto exit_code = daemon.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(exit_code) << "newswire did not exit after SIGTERM\n" << daemon.Log();
  EXPECT_EQ(*exit_code, 0) << daemon.Log();
}

// What the daemon's integration fixtures share: a test broker with the fixture's topics, a feed
// directory in a fresh temporary directory, and the daemon process under test.
class DaemonFixture : public ::testing::Test {
 protected:
  explicit DaemonFixture(std::vector<kafka::TopicSpec> topics) : topics_(std::move(topics)) {}

  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start(1, topics_);
    ASSERT_TRUE(broker) << broker.error().Describe();
    broker_ = std::move(*broker);
    feed_ = temp_.path() / "inbox";
    std::filesystem::create_directories(feed_);
  }

  void StopDaemonCleanly() { StopCleanly(*daemon_); }

  std::vector<kafka::TopicSpec> topics_;
  TempDir temp_;
  std::filesystem::path feed_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<DaemonProcess> daemon_;
  int starts_ = 0;  // "newswire ready" lines to wait for, one per start
};

}  // namespace newswire::testing
