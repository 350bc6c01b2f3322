#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/error.h"
#include "daemon/kafka/kafka_handles.h"

namespace newswire::testing {

// One record read back from Kafka, copied out of librdkafka's message.
struct ConsumedRecord {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;    // "" for a null key
  std::string value;  // "" for a null value
  // In wire order; repeated names kept; a null header value reads as "".
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::system_clock::time_point timestamp;

  // The value of the first header with that name, or "" when absent.
  const std::string& Header(std::string_view name) const;
};

// Reads topics back for tests: a real librdkafka consumer that joins no consumer group (it has a
// throwaway group.id only because librdkafka's assign() needs one, and never subscribes or
// commits). At creation it fetches each topic's partitions and assigns them all from the
// beginning, so it sees everything written before and after. Owned by one test; not thread-safe
// (call it from one thread at a time).
class TestConsumer {
 public:
  ~TestConsumer();
  TestConsumer(const TestConsumer&) = delete;
  TestConsumer& operator=(const TestConsumer&) = delete;

  // Fails if a topic's metadata cannot be fetched within `metadata_timeout`.
  static Result<std::unique_ptr<TestConsumer>> Create(
      const std::string& bootstrap_servers, const std::vector<std::string>& topics,
      std::chrono::milliseconds metadata_timeout = std::chrono::seconds(10));

  // Reads until at least `count` records arrived (since creation or the previous read) or the
  // timeout passed; returns what it has, possibly fewer (the caller asserts the size).
  std::vector<ConsumedRecord> ReadAtLeast(std::size_t count, std::chrono::milliseconds timeout);

  // Reads until nothing arrived for `idle_timeout`.
  std::vector<ConsumedRecord> ReadAll(std::chrono::milliseconds idle_timeout);

  // Consumer errors seen so far ("topic[partition]: message"); reading continues after them.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  explicit TestConsumer(kafka::KafkaHandle client);

  // Waits up to `timeout` for one message; appends it (or its error) and returns true if a record
  // was appended.
  bool PollOnce(std::chrono::milliseconds timeout, std::vector<ConsumedRecord>& records);

  kafka::KafkaHandle client_;
  std::vector<std::string> errors_;
};

}  // namespace newswire::testing
