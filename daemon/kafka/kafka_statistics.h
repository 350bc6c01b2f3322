#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/error.h"

// librdkafka's client statistics (the JSON document it hands to the stats callback every
// statistics.interval.ms), reduced to what newswire exports as metrics. Field names and units are
// librdkafka's STATISTICS.md; every value that document leaves out is 0 here.
namespace newswire::kafka {

// One real broker of the cluster. Only brokers with a broker id are listed: librdkafka's internal
// broker (nodeid -1, ":0/internal"), bootstrap entries that have not learned their broker id yet
// (nodeid -1, "host:port/bootstrap") and logical brokers ("GroupCoordinator", "TxnCoordinator",
// source "logical", which carry the id of the broker they delegate to and would count it twice)
// are left out, so a metric labelled by broker has one series per broker.
struct BrokerStatistics {
  // "host:port/node_id", e.g. "kafka-1.example.net:9092/1". librdkafka's own name is the same for
  // plaintext connections but prefixes the security protocol ("ssl://...") otherwise; this one
  // does not, so that switching TLS on does not start new metric series.
  std::string name;
  std::int32_t node_id = 0;
  // Connected and past the handshake (librdkafka state UP, or UPDATE, which follows it).
  bool up = false;
  // Average request round trip over the last statistics interval; 0 when no request completed in
  // that interval (librdkafka resets its windows at every emit).
  double round_trip_seconds = 0;
  // Counters since the client was created.
  std::uint64_t retries = 0;           // requests sent again
  std::uint64_t errors = 0;            // transmission errors
  std::uint64_t request_timeouts = 0;  // requests that timed out
};

struct ClientStatistics {
  // Gauges: messages (and their bytes) produced but not yet delivered, in librdkafka's queues.
  std::int64_t queue_messages = 0;
  std::int64_t queue_bytes = 0;
  // Counter: bytes of the messages transmitted to brokers since the client was created.
  std::uint64_t transmitted_bytes = 0;
  std::vector<BrokerStatistics> brokers;  // ordered by node_id, one per broker id
};

// Parses one statistics document. Fails (Stage::kSink, ErrorCode::kUnsupportedFormat) when it is
// not JSON, with the byte offset and the syntax error, or when a field it reads has the wrong type,
// naming the field ("brokers.\"b:9092/1\".rtt.avg is not an integer"). Fields it does not read
// are ignored; fields it reads but that are missing count as 0.
Result<ClientStatistics> ParseStatistics(std::string_view json);

// The newest statistics of one client, kept for readers on other threads. Update is called from
// the client's stats callback, i.e. on whichever thread serves the client's queue (rd_kafka_poll,
// or rd_kafka_flush inside a transaction commit); Latest from any thread. Both lock. Owned by the
// object that owns the client.
class LatestClientStatistics {
 public:
  // `client_description` names the client in the log ("Kafka sink").
  explicit LatestClientStatistics(std::string client_description);

  // Parses `json` and keeps it as the latest. A document that does not parse is dropped and the
  // previous statistics stay; the first such failure is logged as a warning, later ones only at
  // debug level, since librdkafka would repeat the same failure every interval.
  Result<void> Update(std::string_view json);

  // A copy of the latest statistics; nullopt until the first document parsed.
  std::optional<ClientStatistics> Latest() const;

 private:
  const std::string client_description_;
  mutable std::mutex mutex_;
  std::optional<ClientStatistics> latest_;  // guarded by mutex_
  bool failure_logged_ = false;             // guarded by mutex_
};

}  // namespace newswire::kafka
