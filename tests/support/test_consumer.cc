#include "tests/support/test_consumer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace newswire::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kPollSlice{100};

std::string UniqueGroupId() {
  static std::atomic<int> counter{0};
  return fmt::format("newswire-test-consumer-{}-{}", getpid(), counter.fetch_add(1));
}

milliseconds Remaining(steady_clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()));
}

}  // namespace

const std::string& ConsumedRecord::Header(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [header_name, header_value] : headers) {
    if (header_name == name) return header_value;
  }
  return kEmpty;
}

TestConsumer::TestConsumer(kafka::KafkaHandle client) : client_(std::move(client)) {}

TestConsumer::~TestConsumer() {
  if (client_ != nullptr) rd_kafka_consumer_close(client_.get());
}

Result<std::unique_ptr<TestConsumer>> TestConsumer::Create(const std::string& bootstrap_servers,
                                                           const std::vector<std::string>& topics,
                                                           milliseconds metadata_timeout) {
  auto conf = kafka::MakeConf({
      {"bootstrap.servers", bootstrap_servers},
      {"client.id", "newswire-test-consumer"},
      {"group.id", UniqueGroupId()},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
  });
  if (!conf) return tl::unexpected(std::move(conf.error()));
  kafka::RouteLogsToSpdlog(conf->get());
  auto client = kafka::MakeClient(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!client) return tl::unexpected(std::move(client.error()));
  std::unique_ptr<TestConsumer> consumer(new TestConsumer(std::move(*client)));
  rd_kafka_t* handle = consumer->client_.get();
  rd_kafka_poll_set_consumer(handle);

  const auto deadline = steady_clock::now() + metadata_timeout;
  const kafka::PartitionListHandle partitions(
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& topic : topics) {
    if (auto added = kafka::AddTopicPartitions(handle, topic, RD_KAFKA_OFFSET_BEGINNING, deadline,
                                               partitions.get());
        !added) {
      return MakeError(Stage::kSink, ErrorCode::kIo,
                       fmt::format("test consumer: no metadata for topic '{}': {}", topic,
                                   added.error().message));
    }
  }
  if (const rd_kafka_resp_err_t assigned = rd_kafka_assign(handle, partitions.get());
      assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return MakeError(Stage::kSink, ErrorCode::kInternal,
                     fmt::format("test consumer: assign failed: {}", rd_kafka_err2str(assigned)));
  }
  return consumer;
}

bool TestConsumer::PollOnce(milliseconds timeout, std::vector<ConsumedRecord>& records) {
  const kafka::MessageHandle message(
      rd_kafka_consumer_poll(client_.get(), static_cast<int>(timeout.count())));
  if (message == nullptr) return false;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      errors_.push_back(fmt::format(
          "{}[{}]: {}", message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : "-",
          message->partition, rd_kafka_message_errstr(message.get())));
    }
    return false;
  }
  ConsumedRecord record;
  record.topic = rd_kafka_topic_name(message->rkt);
  record.partition = message->partition;
  record.offset = message->offset;
  if (message->key != nullptr) {
    record.key.assign(static_cast<const char*>(message->key), message->key_len);
  }
  if (message->payload != nullptr) {
    record.value.assign(static_cast<const char*>(message->payload), message->len);
  }
  record.headers = kafka::MessageHeaders(*message);
  rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t timestamp_ms = rd_kafka_message_timestamp(message.get(), &timestamp_type);
  if (timestamp_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
    record.timestamp = std::chrono::system_clock::time_point(milliseconds(timestamp_ms));
  }
  records.push_back(std::move(record));
  return true;
}

std::vector<ConsumedRecord> TestConsumer::ReadAtLeast(std::size_t count, milliseconds timeout) {
  std::vector<ConsumedRecord> records;
  const auto deadline = steady_clock::now() + timeout;
  while (records.size() < count && steady_clock::now() < deadline) {
    PollOnce(std::min(kPollSlice, Remaining(deadline)), records);
  }
  return records;
}

std::vector<ConsumedRecord> TestConsumer::ReadAll(milliseconds idle_timeout) {
  std::vector<ConsumedRecord> records;
  auto last_arrival = steady_clock::now();
  while (true) {
    const auto idle_deadline = last_arrival + idle_timeout;
    if (steady_clock::now() >= idle_deadline) break;
    if (PollOnce(std::min(kPollSlice, Remaining(idle_deadline)), records)) {
      last_arrival = steady_clock::now();
    }
  }
  return records;
}

}  // namespace newswire::testing
