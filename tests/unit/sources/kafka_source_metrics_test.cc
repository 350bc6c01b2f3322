// What KafkaSource tells the metrics (partition lag, the oldest record in flight, record
// timestamps), with a real librdkafka consumer in a consumer group of librdkafka's mock cluster,
// over loopback TCP, in this process.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/kafka/embedded_broker.h"
#include "daemon/kafka/kafka_handles.h"
#include "daemon/sources/in_flight_budget.h"
#include "daemon/sources/kafka/kafka_source.h"

namespace newswire::sources {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "metrics.in";
constexpr std::int64_t kRecords = 20;
constexpr std::int64_t kMaxInFlight = 5;
// 2023-11-14T22:13:20.123Z: a create time no clock gives by accident.
constexpr std::int64_t kCreateTimeMs = 1'700'000'000'123;

void CountFailedDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) ++*static_cast<int*>(opaque);
}

// Writes `count` records to partition 0 of `topic`, each with the create time `timestamp_ms`
// (tests/support's ProduceAll lets the producer stamp them) and `padding_bytes` more bytes of
// body, and waits for every delivery.
void ProduceWithTimestamp(const std::string& bootstrap_servers, const std::string& topic,
                          std::int64_t count, std::int64_t timestamp_ms,
                          std::size_t padding_bytes = 0) {
  auto conf = kafka::MakeConf({{"bootstrap.servers", bootstrap_servers}, {"acks", "all"}});
  ASSERT_TRUE(conf) << conf.error().Describe();
  int failed = 0;
  rd_kafka_conf_set_dr_msg_cb(conf->get(), CountFailedDelivery);
  rd_kafka_conf_set_opaque(conf->get(), &failed);
  auto producer = kafka::MakeClient(RD_KAFKA_PRODUCER, std::move(*conf));
  ASSERT_TRUE(producer) << producer.error().Describe();
  for (std::int64_t index = 0; index < count; ++index) {
    std::string value =
        "Record " + std::to_string(index) + "\nbody\n" + std::string(padding_bytes, 'x');
    ASSERT_EQ(
        rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE(value.data(), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END),
        RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(producer->get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(failed, 0);
}

// A one-partition topic on a mock cluster with `kRecords` records, and a KafkaSource over it
// whose handler keeps every item (the test acknowledges them) under a budget of kMaxInFlight
// items. The test runs the io_context on its own thread (the io thread) until a condition holds.
class KafkaSourceMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start(1, {{kTopic, 1}});
    ASSERT_TRUE(broker) << broker.error().Describe();
    broker_ = std::move(*broker);
    ASSERT_NO_FATAL_FAILURE(
        ProduceWithTimestamp(broker_->bootstrap_servers(), kTopic, kRecords, kCreateTimeMs));
  }
  // The consumer closes before the broker goes, with the io_context still there for its timers.
  void TearDown() override { source_.reset(); }

  void StartSource(
      std::int64_t max_prefetch_bytes = config::KafkaSourceConfig{}.max_prefetch_bytes) {
    config::KafkaSourceConfig config;
    config.max_prefetch_bytes = max_prefetch_bytes;
    config.name = kTopic;
    config.topics = {kTopic};
    config.group_id = "metrics-test";
    config.session_timeout_ms = 6000;
    config.commit_interval_ms = 200;
    budget_ = std::make_unique<InFlightBudget>(kMaxInFlight, std::int64_t{1} << 20);
    source_ = std::make_unique<KafkaSource>(io_, config, broker_->bootstrap_servers(), *budget_,
                                            /*retry_backoff_ms=*/20);
    auto started = source_->Start([this](SourceItem item) { items_.push_back(std::move(item)); },
                                  [this](const Error& error) { failures_.push_back(error); });
    ASSERT_TRUE(started) << started.error().Describe();
  }

  // Runs the event loop until `done` holds or `timeout` passed.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(5ms);
    }
    return true;
  }

  // The lag reported for partition 0 of kTopic, or -1 when none is.
  std::int64_t Lag() const {
    for (const KafkaSource::PartitionLag& lag : source_->partition_lags()) {
      if (lag.topic == kTopic && lag.partition == 0) return lag.records;
    }
    return -1;
  }

  // The last item handed out for `offset`, or null.
  const SourceItem* ItemAt(std::int64_t offset) const {
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
      if (it->raw.origin.offset == offset) return &*it;
    }
    return nullptr;
  }

  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  asio::io_context io_;
  std::unique_ptr<InFlightBudget> budget_;
  std::unique_ptr<KafkaSource> source_;
  std::vector<SourceItem> items_;
  std::vector<Error> failures_;
};

TEST_F(KafkaSourceMetricsTest, LagCountsFromTheFirstRecordNotDoneAndFallsAsRecordsAreDone) {
  ASSERT_NO_FATAL_FAILURE(StartSource());
  // Joining the group takes the mock cluster a few seconds; then the budget's worth goes out.
  ASSERT_TRUE(RunUntil([&] { return items_.size() == kMaxInFlight; }, 20s)) << items_.size();
  ASSERT_TRUE(RunUntil([&] { return Lag() == kRecords; })) << "lag " << Lag();
  const std::vector<KafkaSource::PartitionLag> lags = source_->partition_lags();
  ASSERT_EQ(lags.size(), 1u);
  EXPECT_EQ(lags[0].topic, kTopic);
  EXPECT_EQ(lags[0].partition, 0);

  for (std::int64_t offset = 0; offset < kRecords; ++offset) {
    ASSERT_TRUE(RunUntil([&] { return ItemAt(offset) != nullptr; })) << "offset " << offset;
    source_->Acknowledge(ItemAt(offset)->ticket);
    EXPECT_EQ(Lag(), kRecords - offset - 1) << "after acknowledging offset " << offset;
  }
  EXPECT_EQ(source_->in_flight(), 0u);
  EXPECT_TRUE(failures_.empty());
}

TEST_F(KafkaSourceMetricsTest, CreatedAtIsTheRecordTimestamp) {
  ASSERT_NO_FATAL_FAILURE(StartSource());
  ASSERT_TRUE(RunUntil([&] { return items_.size() == kMaxInFlight; }, 20s)) << items_.size();
  for (const SourceItem& item : items_) {
    EXPECT_EQ(item.created_at,
              std::chrono::system_clock::time_point(std::chrono::milliseconds(kCreateTimeMs)))
        << "offset " << item.raw.origin.offset;
  }
}

TEST_F(KafkaSourceMetricsTest, OldestInFlightKeepsTheFirstHandOutAcrossRetries) {
  ASSERT_NO_FATAL_FAILURE(StartSource());
  EXPECT_FALSE(source_->oldest_in_flight());
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == kMaxInFlight; }, 20s)) << items_.size();
  const std::optional<std::chrono::steady_clock::time_point> first = source_->oldest_in_flight();
  ASSERT_TRUE(first);
  EXPECT_GE(*first, before);
  EXPECT_LE(*first, std::chrono::steady_clock::now());

  // Offset 0 went out first. Released and handed out again after the backoff, it keeps its
  // first time; a fresh one would make offset 1 the oldest.
  ASSERT_NE(ItemAt(0), nullptr);
  const std::uint64_t ticket = ItemAt(0)->ticket;
  source_->Release(ticket);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == kMaxInFlight + 1; }));
  ASSERT_EQ(items_.back().ticket, ticket);
  EXPECT_EQ(items_.back().raw.origin.offset, 0);
  EXPECT_EQ(source_->oldest_in_flight(), first);
  EXPECT_EQ(items_.back().created_at,
            std::chrono::system_clock::time_point(std::chrono::milliseconds(kCreateTimeMs)));

  source_->Acknowledge(ticket);
  const auto next = source_->oldest_in_flight();
  ASSERT_TRUE(next);
  EXPECT_GE(*next, *first);
  // Once the rest is done nothing is in flight, and there is no oldest.
  for (std::int64_t offset = 1; offset < kRecords; ++offset) {
    ASSERT_TRUE(RunUntil([&] { return ItemAt(offset) != nullptr; })) << "offset " << offset;
    source_->Acknowledge(ItemAt(offset)->ticket);
  }
  EXPECT_EQ(source_->in_flight(), 0u);
  EXPECT_FALSE(source_->oldest_in_flight());
}

// Backpressure. A used-up budget alone does not pause the partitions: librdkafka 2.0 fetches
// again up to a second after a resume, so pausing at every budget cycle starved the workers.
// Records wait in the source instead, and only when they reach half of max_prefetch_bytes are
// the partitions paused; they resume once those are down to a quarter, and nothing is handed out
// twice or skipped.
TEST_F(KafkaSourceMetricsTest, AUsedUpBudgetHoldsRecordsWithoutPausing) {
  ASSERT_NO_FATAL_FAILURE(StartSource());
  ASSERT_TRUE(RunUntil([&] { return items_.size() == kMaxInFlight; }, 20s)) << items_.size();
  ASSERT_TRUE(RunUntil([&] {
    return source_->held_records() == static_cast<std::size_t>(kRecords - kMaxInFlight);
  })) << source_->held_records();
  EXPECT_FALSE(source_->paused());
}

TEST_F(KafkaSourceMetricsTest, RecordsFetchedAheadPauseAtHalfThePrefetchLimitAndResume) {
  constexpr std::int64_t kLargeRecords = 300;
  constexpr std::size_t kPaddingBytes = 8 * 1024;
  constexpr std::int64_t kMaxPrefetchBytes = 1 << 20;  // the smallest the config allows
  ASSERT_NO_FATAL_FAILURE(ProduceWithTimestamp(broker_->bootstrap_servers(), kTopic, kLargeRecords,
                                               kCreateTimeMs, kPaddingBytes));
  ASSERT_NO_FATAL_FAILURE(StartSource(kMaxPrefetchBytes));
  ASSERT_TRUE(RunUntil([&] { return source_->paused(); }, 20s))
      << "held " << source_->held_bytes() << " bytes";
  EXPECT_GE(source_->held_bytes(), kMaxPrefetchBytes / 2);
  EXPECT_LE(source_->held_bytes(), kMaxPrefetchBytes);
  EXPECT_EQ(items_.size(), static_cast<std::size_t>(kMaxInFlight));

  // Done in order, one at a time: the source resumes and the rest arrives, each offset once.
  for (std::int64_t offset = 0; offset < kRecords + kLargeRecords; ++offset) {
    ASSERT_TRUE(RunUntil([&] { return ItemAt(offset) != nullptr; })) << "offset " << offset;
    source_->Acknowledge(ItemAt(offset)->ticket);
    EXPECT_LE(source_->held_bytes(), kMaxPrefetchBytes);
  }
  EXPECT_EQ(items_.size(), static_cast<std::size_t>(kRecords + kLargeRecords));
  for (std::size_t index = 0; index < items_.size(); ++index) {
    EXPECT_EQ(items_[index].raw.origin.offset, static_cast<std::int64_t>(index));
  }
  EXPECT_FALSE(source_->paused());
  EXPECT_EQ(source_->held_bytes(), 0);
  EXPECT_TRUE(failures_.empty());
}

}  // namespace
}  // namespace newswire::sources
