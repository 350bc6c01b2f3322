#include "daemon/sinks/kafka/kafka_sink.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/kafka/embedded_broker.h"
#include "daemon/sinks/dead_letter/dead_letter_encoder.h"
#include "tests/support/test_consumer.h"

namespace newswire::sinks {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;

constexpr const char* kEventsTopic = "news.events";
constexpr const char* kDeadLetterTopic = "news.dead-letter";
constexpr int kBrokerId = 1;

// Collects every delivery outcome by event index; callbacks run on the sink's poll thread, the
// test thread waits here. Must outlive the sink (its destructor may still report).
class DeliveryLog {
 public:
  DeliveryCallback CallbackFor(int index) {
    return [this, index](const Result<DeliveryReport>& outcome) {
      {
        std::lock_guard lock(mutex_);
        outcomes_[index].push_back(outcome);
        ++total_;
      }
      changed_.notify_all();
    };
  }

  // True once at least `count` outcomes arrived; false if the timeout passed first.
  bool AwaitTotal(std::size_t count, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return total_ >= count; });
  }

  std::size_t Total() {
    std::lock_guard lock(mutex_);
    return total_;
  }

  std::map<int, std::vector<Result<DeliveryReport>>> Outcomes() {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int, std::vector<Result<DeliveryReport>>> outcomes_;
  std::size_t total_ = 0;
};

OutboundEvent MakeEvent(int index, Channel channel = Channel::kEvents) {
  OutboundEvent event;
  event.channel = channel;
  event.key = "key-" + std::to_string(index);
  event.value = "value-" + std::to_string(index) + std::string("\0binary\xFF", 8);
  event.headers = {
      {"newswire-id", "id-" + std::to_string(index)},
      {"empty", ""},
      {"tag", "first"},
      {"tag", "second"},
  };
  return event;
}

// A loopback port that nothing listens on (bound once, then closed).
int ClosedLoopbackPort() {
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(socket_fd);
    return -1;
  }
  socklen_t length = sizeof(address);
  getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(socket_fd);
  return ntohs(address.sin_port);
}

class KafkaSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start(
        1, {{.name = kEventsTopic, .partitions = 3}, {.name = kDeadLetterTopic, .partitions = 1}});
    ASSERT_TRUE(broker) << broker.error().Describe();
    broker_ = std::move(*broker);
  }

  KafkaSinkOptions Options() const {
    KafkaSinkOptions options;
    options.bootstrap_servers = broker_->bootstrap_servers();
    options.topic = kEventsTopic;
    options.dead_letter_topic = kDeadLetterTopic;
    // Reconnect quickly after SetBrokerUp instead of backing off for up to 10 s.
    options.properties = {{"reconnect.backoff.max.ms", "200"}};
    return options;
  }

  std::unique_ptr<KafkaSink> MakeSink(const KafkaSinkOptions& options,
                                      KafkaSink::FatalHandler on_fatal = {}) {
    auto sink = KafkaSink::Create(options, std::move(on_fatal));
    EXPECT_TRUE(sink) << sink.error().Describe();
    return sink ? std::move(*sink) : nullptr;
  }

  std::unique_ptr<kafka::EmbeddedBroker> broker_;
};

TEST_F(KafkaSinkTest, DeliversEventsAndDeadLettersWithKeysValuesAndHeaders) {
  constexpr int kEvents = 200;
  constexpr int kDeadLetters = 5;
  DeliveryLog log;
  auto sink = MakeSink(Options());
  ASSERT_NE(sink, nullptr);

  for (int index = 0; index < kEvents; ++index) {
    ASSERT_TRUE(sink->Send(MakeEvent(index), log.CallbackFor(index)));
  }
  for (int index = kEvents; index < kEvents + kDeadLetters; ++index) {
    ASSERT_TRUE(sink->Send(MakeEvent(index, Channel::kDeadLetter), log.CallbackFor(index)));
  }
  ASSERT_TRUE(log.AwaitTotal(kEvents + kDeadLetters, seconds(10))) << log.Total();

  std::map<std::string, DeliveryReport> report_by_key;
  for (const auto& [index, outcomes] : log.Outcomes()) {
    ASSERT_EQ(outcomes.size(), 1u) << "event " << index;
    ASSERT_TRUE(outcomes[0]) << outcomes[0].error().Describe();
    EXPECT_EQ(outcomes[0]->topic, index < kEvents ? kEventsTopic : kDeadLetterTopic);
    EXPECT_GE(outcomes[0]->partition, 0);
    EXPECT_GE(outcomes[0]->offset, 0);
    report_by_key["key-" + std::to_string(index)] = *outcomes[0];
  }
  // in_flight drops only after each callback returned: Flush waits for that.
  EXPECT_EQ(sink->Flush(1000), 0u);
  const KafkaSinkStats stats = sink->stats();
  EXPECT_EQ(stats.sent, kEvents + kDeadLetters);
  EXPECT_EQ(stats.delivered, kEvents + kDeadLetters);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(stats.in_flight, 0u);

  auto consumer =
      testing::TestConsumer::Create(broker_->bootstrap_servers(), {kEventsTopic, kDeadLetterTopic});
  ASSERT_TRUE(consumer) << consumer.error().Describe();
  const auto records = (*consumer)->ReadAtLeast(kEvents + kDeadLetters, seconds(10));
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kEvents + kDeadLetters))
      << ::testing::PrintToString((*consumer)->errors());
  EXPECT_THAT((*consumer)->ReadAll(milliseconds(300)), ::testing::IsEmpty());

  std::set<std::string> seen_keys;
  for (const testing::ConsumedRecord& record : records) {
    ASSERT_TRUE(seen_keys.insert(record.key).second) << "duplicate " << record.key;
    const int index = std::stoi(record.key.substr(4));
    const OutboundEvent expected = MakeEvent(index);
    EXPECT_EQ(record.topic, index < kEvents ? kEventsTopic : kDeadLetterTopic);
    EXPECT_EQ(record.value, expected.value);
    EXPECT_EQ(record.headers, expected.headers);
    EXPECT_EQ(record.partition, report_by_key[record.key].partition);
    EXPECT_EQ(record.offset, report_by_key[record.key].offset);
    EXPECT_GT(record.timestamp.time_since_epoch().count(), 0);
  }
}

TEST_F(KafkaSinkTest, HoldsEventsWhileTheBrokerIsDownAndDeliversThemWhenItReturns) {
  constexpr int kEvents = 50;
  DeliveryLog log;
  auto sink = MakeSink(Options());
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->CheckConnection(5000));

  broker_->SetBrokerDown(kBrokerId);
  for (int index = 0; index < kEvents; ++index) {
    ASSERT_TRUE(sink->Send(MakeEvent(index), log.CallbackFor(index)));
  }
  // Asserting that nothing happens takes a plain wait.
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(log.Total(), 0u);
  EXPECT_EQ(sink->stats().in_flight, static_cast<std::uint64_t>(kEvents));

  broker_->SetBrokerUp(kBrokerId);
  ASSERT_TRUE(log.AwaitTotal(kEvents, seconds(15))) << log.Total();
  for (const auto& [index, outcomes] : log.Outcomes()) {
    ASSERT_EQ(outcomes.size(), 1u) << "event " << index;
    EXPECT_TRUE(outcomes[0]) << outcomes[0].error().Describe();
  }
  EXPECT_EQ(sink->stats().delivered, static_cast<std::uint64_t>(kEvents));
}

TEST_F(KafkaSinkTest, FullLocalQueueMakesSendersWaitInsteadOfFailing) {
  constexpr int kThreads = 2;
  constexpr int kEventsPerThread = 1000;
  constexpr std::size_t kEventsTotal = std::size_t{kThreads} * kEventsPerThread;
  DeliveryLog log;
  KafkaSinkOptions options = Options();
  options.properties["queue.buffering.max.messages"] = "10";
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);

  std::vector<std::thread> senders;
  senders.reserve(kThreads);
  std::vector<int> send_failures(kThreads, 0);
  for (int thread = 0; thread < kThreads; ++thread) {
    senders.emplace_back([&, thread] {
      for (int offset = 0; offset < kEventsPerThread; ++offset) {
        const int index = thread * kEventsPerThread + offset;
        if (!sink->Send(MakeEvent(index), log.CallbackFor(index))) ++send_failures[thread];
      }
    });
  }
  for (std::thread& sender : senders) sender.join();

  EXPECT_THAT(send_failures, ::testing::Each(0));
  ASSERT_TRUE(log.AwaitTotal(kEventsTotal, seconds(15))) << log.Total();
  for (const auto& [index, outcomes] : log.Outcomes()) {
    ASSERT_EQ(outcomes.size(), 1u) << "event " << index;
    EXPECT_TRUE(outcomes[0]) << outcomes[0].error().Describe();
  }
  const KafkaSinkStats stats = sink->stats();
  EXPECT_EQ(stats.delivered, kEventsTotal);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_GT(stats.queue_full_waits, 0u);
}

TEST_F(KafkaSinkTest, CheckConnectionSucceedsAgainstTheBroker) {
  auto sink = MakeSink(Options());
  ASSERT_NE(sink, nullptr);
  const Result<void> checked = sink->CheckConnection(5000);
  EXPECT_TRUE(checked) << checked.error().Describe();
}

TEST_F(KafkaSinkTest, CheckConnectionFailsWithinItsTimeoutWhenNothingListens) {
  const int port = ClosedLoopbackPort();
  ASSERT_GT(port, 0);
  KafkaSinkOptions options = Options();
  options.bootstrap_servers = "127.0.0.1:" + std::to_string(port);
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);

  const auto started = steady_clock::now();
  const Result<void> checked = sink->CheckConnection(1000);
  const auto elapsed = steady_clock::now() - started;

  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().stage, Stage::kSink);
  EXPECT_EQ(checked.error().code, ErrorCode::kIo);
  EXPECT_THAT(checked.error().message, HasSubstr(options.bootstrap_servers));
  EXPECT_LT(elapsed, milliseconds(2000));
}

TEST_F(KafkaSinkTest, TimedOutDeliveryIsReportedOncePerEventAsDeliveryFailed) {
  constexpr int kEvents = 20;
  DeliveryLog log;
  KafkaSinkOptions options = Options();
  options.message_timeout_ms = 1000;
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->CheckConnection(5000));

  broker_->SetBrokerDown(kBrokerId);
  for (int index = 0; index < kEvents; ++index) {
    ASSERT_TRUE(sink->Send(MakeEvent(index), log.CallbackFor(index)));
  }
  ASSERT_TRUE(log.AwaitTotal(kEvents, seconds(10))) << log.Total();
  // Give a duplicate report the chance to show up.
  std::this_thread::sleep_for(milliseconds(500));

  const auto outcomes = log.Outcomes();
  ASSERT_EQ(outcomes.size(), static_cast<std::size_t>(kEvents));
  for (const auto& [index, reports] : outcomes) {
    ASSERT_EQ(reports.size(), 1u) << "event " << index;
    ASSERT_FALSE(reports[0]);
    EXPECT_EQ(reports[0].error().stage, Stage::kSink);
    EXPECT_EQ(reports[0].error().code, ErrorCode::kDeliveryFailed);
    EXPECT_THAT(reports[0].error().message, HasSubstr("timed out"));
  }
  EXPECT_EQ(sink->Flush(1000), 0u);
  const KafkaSinkStats stats = sink->stats();
  EXPECT_EQ(stats.failed, static_cast<std::uint64_t>(kEvents));
  EXPECT_EQ(stats.delivered, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
}

TEST_F(KafkaSinkTest, DestructionReportsUndeliveredEventsAsFailed) {
  constexpr int kEvents = 30;
  DeliveryLog log;
  auto sink = MakeSink(Options());
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->CheckConnection(5000));
  broker_->SetBrokerDown(kBrokerId);
  for (int index = 0; index < kEvents; ++index) {
    ASSERT_TRUE(sink->Send(MakeEvent(index), log.CallbackFor(index)));
  }
  EXPECT_EQ(sink->Flush(200), static_cast<std::uint64_t>(kEvents));

  sink.reset();

  const auto outcomes = log.Outcomes();
  ASSERT_EQ(outcomes.size(), static_cast<std::size_t>(kEvents));
  for (const auto& [index, reports] : outcomes) {
    ASSERT_EQ(reports.size(), 1u) << "event " << index;
    ASSERT_FALSE(reports[0]);
    EXPECT_EQ(reports[0].error().code, ErrorCode::kDeliveryFailed);
  }
}

TEST_F(KafkaSinkTest, StopReleasesASenderWaitingForQueueSpaceAndRefusesNewEvents) {
  DeliveryLog log;
  KafkaSinkOptions options = Options();
  options.properties["queue.buffering.max.messages"] = "1";
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->CheckConnection(5000));
  broker_->SetBrokerDown(kBrokerId);
  ASSERT_TRUE(sink->Send(MakeEvent(0), log.CallbackFor(0)));

  std::promise<Result<void>> blocked_outcome;
  std::thread blocked_sender(
      [&] { blocked_outcome.set_value(sink->Send(MakeEvent(1), log.CallbackFor(1))); });
  std::future<Result<void>> outcome = blocked_outcome.get_future();
  EXPECT_EQ(outcome.wait_for(milliseconds(300)), std::future_status::timeout);
  EXPECT_EQ(sink->stats().queue_full_waits, 1u);

  sink->Stop();
  ASSERT_EQ(outcome.wait_for(seconds(2)), std::future_status::ready);
  blocked_sender.join();
  const Result<void> released = outcome.get();
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, ErrorCode::kInternal);
  const Result<void> refused = sink->Send(MakeEvent(2), log.CallbackFor(2));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);

  sink.reset();
  // Only the event queued before Stop() is reported (failed: the broker stayed down).
  const auto outcomes = log.Outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_EQ(outcomes.count(0), 1u);
  EXPECT_FALSE(outcomes.at(0)[0]);
}

TEST_F(KafkaSinkTest, FatalErrorIsReportedOnceAndStopsSending) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Error> fatal_errors;
  auto sink = MakeSink(Options(), [&](const Error& error) {
    {
      std::lock_guard lock(mutex);
      fatal_errors.push_back(error);
    }
    changed.notify_all();
  });
  ASSERT_NE(sink, nullptr);

  sink->SimulateFatalErrorForTesting("simulated by the test");
  sink->SimulateFatalErrorForTesting("simulated again");
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, seconds(5), [&] { return !fatal_errors.empty(); }));
  }
  DeliveryLog log;
  const Result<void> sent = sink->Send(MakeEvent(0), log.CallbackFor(0));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kFatal);
  EXPECT_THAT(sent.error().message, HasSubstr("simulated by the test"));
  sink.reset();

  std::lock_guard lock(mutex);
  ASSERT_EQ(fatal_errors.size(), 1u);
  EXPECT_EQ(fatal_errors[0].stage, Stage::kSink);
  EXPECT_EQ(fatal_errors[0].code, ErrorCode::kFatal);
  EXPECT_EQ(log.Total(), 0u);
}

TEST_F(KafkaSinkTest, EventTooLargeToQueueFailsSendWithoutCallingBack) {
  DeliveryLog log;
  KafkaSinkOptions options = Options();
  options.properties["message.max.bytes"] = "1000";
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);

  OutboundEvent event = MakeEvent(0);
  event.value.assign(10000, 'x');
  const Result<void> sent = sink->Send(std::move(event), log.CallbackFor(0));

  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(sink->Flush(1000), 0u);
  EXPECT_EQ(log.Total(), 0u);
  EXPECT_EQ(sink->stats().sent, 0u);
}

TEST_F(KafkaSinkTest, DeadLetterWithoutDeadLetterTopicIsRejected) {
  DeliveryLog log;
  KafkaSinkOptions options = Options();
  options.dead_letter_topic.clear();
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);

  const Result<void> sent = sink->Send(MakeEvent(0, Channel::kDeadLetter), log.CallbackFor(0));

  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(KafkaSinkTest, UnknownPropertyIsNamedInTheError) {
  KafkaSinkOptions options = Options();
  options.properties["no.such.property"] = "1";

  const auto sink = KafkaSink::Create(options, {});

  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().stage, Stage::kSink);
  EXPECT_EQ(sink.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(sink.error().message, HasSubstr("no.such.property"));
}

TEST_F(KafkaSinkTest, EncodedDeadLetterRoundTripsThroughKafka) {
  DeliveryLog log;
  auto sink = MakeSink(Options());
  ASSERT_NE(sink, nullptr);
  DeadLetter dead_letter;
  dead_letter.error = Error{Stage::kDecode, ErrorCode::kInvalidUtf8, "invalid UTF-8 at byte 3"};
  dead_letter.origin.source_name = "inbox";
  dead_letter.origin.path = "/var/inbox/bad.txt";
  dead_letter.payload = "ab\xFF";
  dead_letter.original_size = 3;
  dead_letter.payload_read = true;
  dead_letter.time = std::chrono::system_clock::now();
  const OutboundEvent encoded = EncodeDeadLetter(dead_letter, 1024);

  ASSERT_TRUE(sink->Send(encoded, log.CallbackFor(0)));
  ASSERT_TRUE(log.AwaitTotal(1, seconds(10)));

  auto consumer = testing::TestConsumer::Create(broker_->bootstrap_servers(), {kDeadLetterTopic});
  ASSERT_TRUE(consumer) << consumer.error().Describe();
  const auto records = (*consumer)->ReadAtLeast(1, seconds(10));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "/var/inbox/bad.txt");
  EXPECT_EQ(records[0].value, "ab\xFF");
  EXPECT_EQ(records[0].headers, encoded.headers);
  EXPECT_EQ(records[0].Header("newswire-error-code"), "invalid_utf8");
}

// `count` events sent from `first` on, and their delivery reports awaited.
void SendAndAwait(KafkaSink& sink, DeliveryLog& log, int first, int count) {
  for (int index = first; index < first + count; ++index) {
    ASSERT_TRUE(sink.Send(MakeEvent(index), log.CallbackFor(index)));
  }
  ASSERT_TRUE(log.AwaitTotal(static_cast<std::size_t>(first + count), seconds(10)));
}

// True when `statistics` show bytes transmitted and at least one broker that is up with a round
// trip measured in the last interval.
bool ShowsTraffic(const std::optional<kafka::ClientStatistics>& statistics) {
  return statistics.has_value() && statistics->transmitted_bytes > 0 &&
         std::any_of(statistics->brokers.begin(), statistics->brokers.end(),
                     [](const kafka::BrokerStatistics& broker) {
                       return broker.up && broker.round_trip_seconds > 0;
                     });
}

// Sends one event after another, each awaited, until the sink's client statistics show traffic
// or the timeout passed; returns the last statistics seen. librdkafka's round-trip window covers
// only the last interval, so requests have to keep flowing while the test watches.
std::optional<kafka::ClientStatistics> SendUntilStatisticsShowTraffic(KafkaSink& sink,
                                                                      DeliveryLog& log,
                                                                      milliseconds timeout) {
  std::optional<kafka::ClientStatistics> statistics;
  const auto deadline = steady_clock::now() + timeout;
  for (int index = 0; steady_clock::now() < deadline; ++index) {
    if (!sink.Send(MakeEvent(index), log.CallbackFor(index))) break;
    if (!log.AwaitTotal(static_cast<std::size_t>(index) + 1, seconds(5))) break;
    statistics = sink.client_statistics();
    if (ShowsTraffic(statistics)) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return statistics;
}

TEST_F(KafkaSinkTest, ReportsClientStatisticsOfTheBrokerItSendsTo) {
  // A known delay makes the round trip measurable and checks its unit (seconds, not librdkafka's
  // microseconds).
  constexpr int kRttMs = 20;
  broker_->SetBrokerRtt(kBrokerId, kRttMs);
  KafkaSinkOptions options = Options();
  options.statistics_interval_ms = 100;
  DeliveryLog log;
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);

  const std::optional<kafka::ClientStatistics> statistics =
      SendUntilStatisticsShowTraffic(*sink, log, seconds(10));

  ASSERT_TRUE(statistics.has_value()) << "no statistics within 10 s";
  ASSERT_TRUE(ShowsTraffic(statistics)) << "sent " << log.Total();
  EXPECT_GT(statistics->transmitted_bytes, 0u);
  EXPECT_GE(statistics->queue_messages, 0);
  EXPECT_GE(statistics->queue_bytes, 0);
  // One broker, named by the address it was bootstrapped with and its id.
  ASSERT_EQ(statistics->brokers.size(), 1u);
  const kafka::BrokerStatistics& broker = statistics->brokers[0];
  EXPECT_EQ(broker.node_id, kBrokerId);
  EXPECT_EQ(broker.name, broker_->bootstrap_servers() + "/" + std::to_string(kBrokerId));
  EXPECT_TRUE(broker.up);
  // Every response is delayed by kRttMs; a little slack for the mock's millisecond timers.
  EXPECT_GE(broker.round_trip_seconds, 0.9 * kRttMs / 1000.0);
  EXPECT_LT(broker.round_trip_seconds, 5.0);
  EXPECT_EQ(broker.errors, 0u);
  EXPECT_EQ(broker.request_timeouts, 0u);
}

TEST_F(KafkaSinkTest, ClientStatisticsStayOffWhenTheIntervalIsZero) {
  constexpr int kEvents = 5;
  KafkaSinkOptions options = Options();
  options.statistics_interval_ms = 0;
  DeliveryLog log;
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);

  ASSERT_NO_FATAL_FAILURE(SendAndAwait(*sink, log, 0, kEvents));
  // Asserting that nothing arrives takes a plain wait: ten of the intervals the other tests use.
  std::this_thread::sleep_for(seconds(1));

  EXPECT_FALSE(sink->client_statistics().has_value());
}

TEST_F(KafkaSinkTest, StatisticsIntervalPropertyWinsOverTheOption) {
  KafkaSinkOptions options = Options();
  options.statistics_interval_ms = 0;
  options.properties["statistics.interval.ms"] = "100";
  DeliveryLog log;
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);

  const std::optional<kafka::ClientStatistics> statistics =
      SendUntilStatisticsShowTraffic(*sink, log, seconds(10));

  EXPECT_TRUE(ShowsTraffic(statistics));
}

// A transactional producer also talks to its transaction coordinator, which librdkafka lists as a
// logical broker ("TxnCoordinator") carrying the id of the broker it delegates to; it must not be
// counted as a second broker.
TEST_F(KafkaSinkTest, TransactionCoordinatorIsNotListedAsASecondBroker) {
  KafkaSinkOptions options = Options();
  options.transactional_id = "sink-test-statistics";
  options.statistics_interval_ms = 100;
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);
  const Result<void> initialized = sink->InitTransactions(10000);
  ASSERT_TRUE(initialized) << initialized.error().Describe();
  DeliveryLog log;

  const std::optional<kafka::ClientStatistics> statistics =
      SendUntilStatisticsShowTraffic(*sink, log, seconds(10));

  ASSERT_TRUE(ShowsTraffic(statistics));
  ASSERT_EQ(statistics->brokers.size(), 1u);
  EXPECT_EQ(statistics->brokers[0].node_id, kBrokerId);
  const auto ended = sink->EndTransaction({}, /*commit=*/true);
  ASSERT_TRUE(ended) << ended.error().Describe();
}

// Kafka protocol API key of EndTxn and error codes the cluster answers it with, for the
// broker's error injection.
constexpr int kEndTxnApi = 26;
constexpr int kUnknownProducerId = 59;
constexpr int kProducerFenced = 90;

// Exactly-once mode's producer: a transaction commits its events with a consumer group's
// offsets; one the cluster refuses is aborted and the next one works; an abort can be asked for.
// Between two transactions nothing can be sent.
TEST_F(KafkaSinkTest, TransactionsCommitWithOffsetsAndAbortWhenTheClusterRefuses) {
  KafkaSinkOptions options = Options();
  options.transactional_id = "sink-test";
  auto sink = MakeSink(options);
  ASSERT_NE(sink, nullptr);
  const Result<void> initialized = sink->InitTransactions(10000);
  ASSERT_TRUE(initialized) << initialized.error().Describe();
  DeliveryLog log;

  ASSERT_NO_FATAL_FAILURE(SendAndAwait(*sink, log, 0, 3));
  kafka::ConsumedOffsets consumed;
  consumed.offsets.reset(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(consumed.offsets.get(), "news.raw", 0)->offset = 42;
  consumed.group.reset(rd_kafka_consumer_group_metadata_new("sink-test-group"));
  auto ended = sink->EndTransaction({&consumed, 1}, /*commit=*/true);
  ASSERT_TRUE(ended) << ended.error().Describe();
  EXPECT_TRUE(ended->committed) << ended->abort_reason;
  const Result<void> outside = sink->Send(MakeEvent(99), log.CallbackFor(99));
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().code, ErrorCode::kDeliveryFailed);
  ASSERT_TRUE(sink->BeginTransaction());

  broker_->PushRequestErrors(kEndTxnApi, {kUnknownProducerId});
  ASSERT_NO_FATAL_FAILURE(SendAndAwait(*sink, log, 3, 1));
  ended = sink->EndTransaction({}, /*commit=*/true);
  ASSERT_TRUE(ended) << ended.error().Describe();
  EXPECT_FALSE(ended->committed);
  EXPECT_THAT(ended->abort_reason, HasSubstr("Unknown Producer Id"));
  ASSERT_TRUE(sink->BeginTransaction());

  ASSERT_NO_FATAL_FAILURE(SendAndAwait(*sink, log, 4, 1));
  ended = sink->EndTransaction({}, /*commit=*/true);
  ASSERT_TRUE(ended) << ended.error().Describe();
  EXPECT_TRUE(ended->committed) << ended->abort_reason;
  ASSERT_TRUE(sink->BeginTransaction());

  ASSERT_NO_FATAL_FAILURE(SendAndAwait(*sink, log, 5, 1));
  ended = sink->EndTransaction({}, /*commit=*/false);
  ASSERT_TRUE(ended) << ended.error().Describe();
  EXPECT_FALSE(ended->committed);
  EXPECT_THAT(ended->abort_reason, HasSubstr("not delivered"));
  for (const auto& [index, outcomes] : log.Outcomes()) {
    ASSERT_EQ(outcomes.size(), 1u) << index;
    EXPECT_TRUE(outcomes[0]) << index;
  }
}

// Fenced by a newer producer with the same transactional id: fatal, reported once through
// on_fatal, and the sink refuses to send from then on.
TEST_F(KafkaSinkTest, FencedTransactionIsFatal) {
  std::mutex mutex;
  std::vector<Error> fatal_errors;
  KafkaSinkOptions options = Options();
  options.transactional_id = "sink-test-fenced";
  auto sink = MakeSink(options, [&](const Error& error) {
    std::lock_guard lock(mutex);
    fatal_errors.push_back(error);
  });
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->InitTransactions(10000));
  DeliveryLog log;
  ASSERT_NO_FATAL_FAILURE(SendAndAwait(*sink, log, 0, 1));
  broker_->PushRequestErrors(kEndTxnApi, {kProducerFenced});
  const auto ended = sink->EndTransaction({}, /*commit=*/true);
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code, ErrorCode::kFatal);
  EXPECT_THAT(ended.error().message, HasSubstr("fenced"));
  const Result<void> sent = sink->Send(MakeEvent(1), log.CallbackFor(1));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kFatal);
  sink.reset();
  std::lock_guard lock(mutex);
  EXPECT_EQ(fatal_errors.size(), 1u);
}

}  // namespace
}  // namespace newswire::sinks
