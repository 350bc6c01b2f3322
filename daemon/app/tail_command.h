#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/core/error.h"

namespace newswire::app {

struct TailOptions {
  std::string topic;          // "" = kafka.topic, or kafka.dead_letter_topic with dead_letters
  bool dead_letters = false;  // read the dead-letter topic of the config
  bool from_beginning = false;
  std::optional<std::int64_t> max_events;  // stop after this many; nullopt = no limit
  std::int64_t timeout_ms = 0;             // stop after this long without a record; 0 = never
  bool json = false;                       // print each value as it is, one a line
};

// One Kafka record as `newswire tail` shows it.
struct TailRecord {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::int64_t> timestamp_ms;  // the record's timestamp, when it has one
};

// A few lines for a person: for an event its time, title, topic labels, countries, people,
// organizations, story, duplicate and key; for a dead-letter record the failure and its origin.
// Ends with a blank line. Pure, for unit tests.
std::string FormatTailRecord(const TailRecord& record);

// Where the cluster of `kafka` is: kafka.brokers, or for `embedded` the address the running
// daemon wrote to kafka.broker_file. The error says why there is none (no broker file: no daemon
// with an embedded broker seems to run).
Result<std::string> ResolveBootstrapServers(const config::KafkaConfig& kafka);

// `newswire tail`: reads a topic of the cluster `config` names, from its end (or beginning) on,
// without joining a consumer group or committing anything, and prints each record to stdout
// until SIGINT/SIGTERM, `max_events` or `timeout_ms` of silence. Returns the exit code: 0, 69
// when the cluster cannot be reached, 78 when the config's Kafka properties are unusable.
int Tail(const config::Config& config, const TailOptions& options);

}  // namespace newswire::app
