#include "daemon/kafka/kafka_statistics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace newswire::kafka {
namespace {

using ::testing::HasSubstr;

// A producer's statistics in librdkafka's layout (STATISTICS.md; librdkafka 2.0 writes the
// top-level byte totals as "tx_bytes"/"rx_bytes"), cut down to a few fields per object plus some
// the parser must ignore. Brokers, in librdkafka's order: its internal broker, a bootstrap entry
// that never learned a broker id, broker 3 (connecting, no round trips in this interval), the
// transaction coordinator (a logical broker carrying broker 1's id), and broker 1 (up, with
// round trips, retries, errors and timeouts).
constexpr const char* kProducerStatistics = R"json({
  "name": "rdkafka#producer-1", "client_id": "newswire", "type": "producer",
  "ts": 5016483227792, "time": 1527060869, "age": 9057234, "replyq": 0,
  "msg_cnt": 22710, "msg_size": 704010, "msg_max": 100000, "msg_size_max": 1073741824,
  "tx": 631, "tx_bytes": 168584479, "rx": 631, "rx_bytes": 31084,
  "txmsgs": 4300000, "txmsg_bytes": 168500000, "rxmsgs": 0, "rxmsg_bytes": 0,
  "brokers": {
    ":0/internal": {
      "name": ":0/internal", "nodeid": -1, "nodename": "", "source": "internal",
      "state": "UP", "txretries": 0, "txerrs": 0, "req_timeouts": 0,
      "rtt": {"min": 0, "max": 0, "avg": 0, "sum": 0, "cnt": 0}
    },
    "bootstrap.example.net:9092/bootstrap": {
      "name": "bootstrap.example.net:9092/bootstrap", "nodeid": -1,
      "nodename": "bootstrap.example.net:9092", "source": "configured", "state": "DOWN",
      "txretries": 0, "txerrs": 4, "req_timeouts": 0, "connects": 4, "disconnects": 4
    },
    "kafka-3.example.net:9092/3": {
      "name": "kafka-3.example.net:9092/3", "nodeid": 3, "nodename": "kafka-3.example.net:9092",
      "source": "learned", "state": "CONNECT", "stateage": 1200,
      "tx": 1, "txbytes": 25, "txerrs": 0, "txretries": 0, "req_timeouts": 0,
      "rtt": {"min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p99": 0, "cnt": 0},
      "toppars": {}
    },
    "TxnCoordinator": {
      "name": "TxnCoordinator", "nodeid": 1, "nodename": "kafka-1.example.net:9092",
      "source": "logical", "state": "UP", "txretries": 9, "txerrs": 9, "req_timeouts": 9,
      "rtt": {"min": 900, "max": 1100, "avg": 1000, "sum": 3000, "cnt": 3}
    },
    "kafka-1.example.net:9092/1": {
      "name": "kafka-1.example.net:9092/1", "nodeid": 1, "nodename": "kafka-1.example.net:9092",
      "source": "configured", "state": "UP", "stateage": 9057234,
      "outbuf_cnt": 0, "waitresp_cnt": 1,
      "tx": 320, "txbytes": 84283332, "txerrs": 1, "txretries": 3, "req_timeouts": 2,
      "rx": 320, "rxbytes": 15708, "rxerrs": 0, "connects": 2, "disconnects": 1,
      "int_latency": {"min": 86, "max": 59375, "avg": 23726, "cnt": 240012},
      "rtt": {
        "min": 1580, "max": 3389, "avg": 2349, "sum": 79868, "stddev": 474,
        "p50": 2319, "p75": 2543, "p90": 3183, "p95": 3199, "p99": 3391, "p99_99": 3391,
        "outofrange": 0, "hdrsize": 13424, "cnt": 34
      },
      "throttle": {"min": 0, "max": 0, "avg": 0, "cnt": 34},
      "toppars": {"news.events-1": {"topic": "news.events", "partition": 1}}
    }
  },
  "topics": {
    "news.events": {
      "topic": "news.events", "metadata_age": 9060,
      "partitions": {"1": {"partition": 1, "leader": 1, "msgq_cnt": 22710, "consumer_lag": -1}}
    }
  },
  "eos": {"idemp_state": "Assigned", "producer_id": 1000, "producer_epoch": 0}
})json";

TEST(ParseStatisticsTest, ReadsTheQueueAndTransmitCounters) {
  const Result<ClientStatistics> statistics = ParseStatistics(kProducerStatistics);

  ASSERT_TRUE(statistics) << statistics.error().Describe();
  EXPECT_EQ(statistics->queue_messages, 22710);
  EXPECT_EQ(statistics->queue_bytes, 704010);
  EXPECT_EQ(statistics->transmitted_bytes, 168500000u);
}

TEST(ParseStatisticsTest, ListsRealBrokersByIdAndSkipsInternalBootstrapAndLogicalOnes) {
  const Result<ClientStatistics> statistics = ParseStatistics(kProducerStatistics);

  ASSERT_TRUE(statistics) << statistics.error().Describe();
  ASSERT_EQ(statistics->brokers.size(), 2u);

  const BrokerStatistics& first = statistics->brokers[0];
  EXPECT_EQ(first.name, "kafka-1.example.net:9092/1");
  EXPECT_EQ(first.node_id, 1);
  EXPECT_TRUE(first.up);
  EXPECT_DOUBLE_EQ(first.round_trip_seconds, 0.002349);
  EXPECT_EQ(first.retries, 3u);
  EXPECT_EQ(first.errors, 1u);
  EXPECT_EQ(first.request_timeouts, 2u);

  const BrokerStatistics& second = statistics->brokers[1];
  EXPECT_EQ(second.name, "kafka-3.example.net:9092/3");
  EXPECT_EQ(second.node_id, 3);
  EXPECT_FALSE(second.up);
  EXPECT_EQ(second.round_trip_seconds, 0.0);
  EXPECT_EQ(second.retries, 0u);
  EXPECT_EQ(second.errors, 0u);
  EXPECT_EQ(second.request_timeouts, 0u);
}

TEST(ParseStatisticsTest, NamesBrokersByAddressAndIdWithoutTheSecurityProtocol) {
  const Result<ClientStatistics> statistics = ParseStatistics(R"({"brokers": {
    "ssl://kafka-2.example.net:9093/2": {"name": "ssl://kafka-2.example.net:9093/2",
      "nodeid": 2, "nodename": "kafka-2.example.net:9093", "source": "learned", "state": "UP"},
    "sasl_ssl://kafka-4.example.net:9093/4": {"name": "sasl_ssl://kafka-4.example.net:9093/4",
      "nodeid": 4, "source": "learned", "state": "UPDATE"}}})");

  ASSERT_TRUE(statistics) << statistics.error().Describe();
  ASSERT_EQ(statistics->brokers.size(), 2u);
  EXPECT_EQ(statistics->brokers[0].name, "kafka-2.example.net:9093/2");
  // Without "nodename" librdkafka's own name is all there is.
  EXPECT_EQ(statistics->brokers[1].name, "sasl_ssl://kafka-4.example.net:9093/4");
  // UPDATE follows UP when a broker's address changed; the connection is still usable.
  EXPECT_TRUE(statistics->brokers[1].up);
}

TEST(ParseStatisticsTest, KeepsOneEntryPerBrokerIdPreferringTheOneThatIsUp) {
  const Result<ClientStatistics> statistics = ParseStatistics(R"({"brokers": {
    "a:9092/5": {"nodeid": 5, "nodename": "a:9092", "state": "DOWN", "txerrs": 7},
    "b:9092/5": {"nodeid": 5, "nodename": "b:9092", "state": "UP", "txerrs": 1},
    "c:9092/5": {"nodeid": 5, "nodename": "c:9092", "state": "UP", "txerrs": 2}}})");

  ASSERT_TRUE(statistics) << statistics.error().Describe();
  ASSERT_EQ(statistics->brokers.size(), 1u);
  EXPECT_EQ(statistics->brokers[0].name, "b:9092/5");
  EXPECT_EQ(statistics->brokers[0].errors, 1u);
}

TEST(ParseStatisticsTest, MissingFieldsReadAsZero) {
  const Result<ClientStatistics> empty = ParseStatistics("{}");
  ASSERT_TRUE(empty) << empty.error().Describe();
  EXPECT_EQ(empty->queue_messages, 0);
  EXPECT_EQ(empty->queue_bytes, 0);
  EXPECT_EQ(empty->transmitted_bytes, 0u);
  EXPECT_TRUE(empty->brokers.empty());

  const Result<ClientStatistics> bare = ParseStatistics(
      R"({"msg_cnt": 4, "brokers": {"k:9092/7": {"nodeid": 7, "nodename": "k:9092"},
                                    "no-id": {"nodename": "k:9093", "state": "UP"}}})");
  ASSERT_TRUE(bare) << bare.error().Describe();
  EXPECT_EQ(bare->queue_messages, 4);
  EXPECT_EQ(bare->queue_bytes, 0);
  ASSERT_EQ(bare->brokers.size(), 1u) << "a broker without an id is not listed";
  const BrokerStatistics& broker = bare->brokers[0];
  EXPECT_EQ(broker.name, "k:9092/7");
  EXPECT_EQ(broker.node_id, 7);
  EXPECT_FALSE(broker.up);
  EXPECT_EQ(broker.round_trip_seconds, 0.0);
  EXPECT_EQ(broker.retries, 0u);
  EXPECT_EQ(broker.errors, 0u);
  EXPECT_EQ(broker.request_timeouts, 0u);
}

TEST(ParseStatisticsTest, RoundTripIsZeroWhenTheIntervalHadNoSamples) {
  const Result<ClientStatistics> statistics = ParseStatistics(R"({"brokers": {
    "k:9092/1": {"nodeid": 1, "nodename": "k:9092", "rtt": {"avg": 1500, "cnt": 0}},
    "k:9092/2": {"nodeid": 2, "nodename": "k:9092", "rtt": {"avg": 1500}}}})");

  ASSERT_TRUE(statistics) << statistics.error().Describe();
  ASSERT_EQ(statistics->brokers.size(), 2u);
  EXPECT_EQ(statistics->brokers[0].round_trip_seconds, 0.0);
  // Without a sample count the average is taken as it is.
  EXPECT_DOUBLE_EQ(statistics->brokers[1].round_trip_seconds, 0.0015);
}

TEST(ParseStatisticsTest, MalformedJsonNamesTheSyntaxErrorAndWhere) {
  const Result<ClientStatistics> truncated = ParseStatistics(R"({"msg_cnt": 12, "brokers": {)");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().stage, Stage::kSink);
  EXPECT_EQ(truncated.error().code, ErrorCode::kUnsupportedFormat);
  EXPECT_THAT(truncated.error().message, HasSubstr("librdkafka statistics"));
  EXPECT_THAT(truncated.error().message, HasSubstr("JSON syntax error at byte 28"));
  EXPECT_THAT(truncated.error().message, HasSubstr("Missing a name for object member"));

  const Result<ClientStatistics> empty = ParseStatistics("");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("The document is empty"));

  const Result<ClientStatistics> list = ParseStatistics("[1, 2]");
  ASSERT_FALSE(list);
  EXPECT_THAT(list.error().message, HasSubstr("not a JSON object"));
}

TEST(ParseStatisticsTest, FieldOfTheWrongTypeIsNamedByItsPath) {
  const auto message_of = [](const char* json) {
    const Result<ClientStatistics> statistics = ParseStatistics(json);
    return statistics ? std::string("parsed") : statistics.error().message;
  };

  EXPECT_THAT(message_of(R"({"msg_cnt": "many"})"), HasSubstr("msg_cnt is not an integer"));
  EXPECT_THAT(message_of(R"({"txmsg_bytes": -5})"), HasSubstr("txmsg_bytes is negative"));
  EXPECT_THAT(message_of(R"({"brokers": []})"), HasSubstr("brokers is not an object"));
  EXPECT_THAT(message_of(R"({"brokers": {"b:9092/1": 3}})"),
              HasSubstr(R"(brokers."b:9092/1" is not an object)"));
  EXPECT_THAT(message_of(R"({"brokers": {"b:9092/1": {"nodeid": 1, "txretries": "3"}}})"),
              HasSubstr(R"(brokers."b:9092/1".txretries is not an integer)"));
  EXPECT_THAT(message_of(R"({"brokers": {"b:9092/1": {"nodeid": 1, "rtt": {"avg": 2.5}}}})"),
              HasSubstr(R"(brokers."b:9092/1".rtt.avg is not an integer)"));
  EXPECT_THAT(message_of(R"({"brokers": {"b:9092/1": {"nodeid": "1"}}})"),
              HasSubstr(R"(brokers."b:9092/1".nodeid is not an integer)"));
}

// Routes spdlog's default logger into a string for the lifetime of the object.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // How many lines were logged at `level` ("warning", "debug").
  int Count(const std::string& level) const {
    std::istringstream lines(stream_.str());
    int count = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(level + " ", 0) == 0) ++count;
    }
    return count;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(LatestClientStatisticsTest, KeepsTheLastGoodReportAndWarnsOnceAboutBadOnes) {
  CapturedLog log;
  LatestClientStatistics latest("Kafka sink");
  EXPECT_FALSE(latest.Latest().has_value());

  ASSERT_TRUE(latest.Update(kProducerStatistics));
  ASSERT_TRUE(latest.Latest().has_value());
  EXPECT_EQ(latest.Latest()->queue_messages, 22710);

  for (int report = 0; report < 3; ++report) {
    const Result<void> updated = latest.Update("{\"msg_cnt\": ");
    ASSERT_FALSE(updated);
    EXPECT_THAT(updated.error().message, HasSubstr("JSON syntax error"));
  }
  ASSERT_TRUE(latest.Latest().has_value());
  EXPECT_EQ(latest.Latest()->queue_messages, 22710);
  EXPECT_EQ(latest.Latest()->brokers.size(), 2u);
  EXPECT_EQ(log.Count("warning"), 1);
  EXPECT_EQ(log.Count("debug"), 2);

  ASSERT_TRUE(latest.Update(R"({"msg_cnt": 3})"));
  EXPECT_EQ(latest.Latest()->queue_messages, 3);
  EXPECT_TRUE(latest.Latest()->brokers.empty());
}

}  // namespace
}  // namespace newswire::kafka
