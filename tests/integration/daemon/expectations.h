#pragma once

// Expectations shared by the daemon's integration tests: reading its events back, where repeats
// are allowed (at-least-once) but must carry the same key and CloudEvents id, and stopping it.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {

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

// SIGTERM, then the daemon must exit within 30 s with code 0.
inline void StopCleanly(DaemonProcess& daemon) {
  daemon.Signal(SIGTERM);
  auto exit_code = daemon.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(exit_code) << "newswire did not exit after SIGTERM\n" << daemon.Log();
  EXPECT_EQ(*exit_code, 0) << daemon.Log();
}

}  // namespace newswire::testing
