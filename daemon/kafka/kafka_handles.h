#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/core/error.h"

// Owning wrappers for librdkafka's C objects, so that every handle is released exactly once on
// every path (including early returns on errors). Each is a std::unique_ptr with a deleter that
// calls the matching rd_kafka_*_destroy. Plain values: owned by whoever holds them; the handles
// themselves follow librdkafka's own thread-safety rules (rd_kafka_t is thread-safe, the others are
// not).
namespace newswire::kafka {

struct KafkaDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct GroupMetadataDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* metadata) const {
    rd_kafka_consumer_group_metadata_destroy(metadata);
  }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
// Must be destroyed before the KafkaHandle it was made from.
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using HeadersHandle = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;
using PartitionListHandle = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MetadataHandle = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
// Null means no error.
using ErrorHandle = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using GroupMetadataHandle =
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, GroupMetadataDeleter>;

// What one consumer group consumed and finished since the last transaction: the next offset of
// each partition, and the group's identity (member and generation) at the time, so that the
// cluster refuses the commit if the partitions went to another member meanwhile. Exactly-once
// mode hands it from a Kafka source to the producer's transaction.
struct ConsumedOffsets {
  PartitionListHandle offsets;
  GroupMetadataHandle group;
};

// A configuration with every property set, in map order. On the first property librdkafka rejects,
// returns Stage::kSink / ErrorCode::kInvalidArgument naming the property and librdkafka's reason.
Result<ConfHandle> MakeConf(const std::map<std::string, std::string>& properties);

// Sets one more property on an existing configuration; same error as MakeConf.
Result<void> SetConfProperty(rd_kafka_conf_t* conf, const std::string& name,
                             const std::string& value);

// One thing librdkafka refused in a configuration: the property ("" when the refusal concerns the
// whole configuration) and librdkafka's reason, which may quote the value.
struct ConfProblem {
  std::string property;
  std::string reason;
};

// Checks a client configuration as creating the client would, without opening a connection:
// every property is set (each refusal listed), then, when all were accepted, a client of `type`
// is made without bootstrap servers, so that it knows no broker to contact, and destroyed at once
// (librdkafka checks the settings that depend on each other there: TLS files, SASL mechanisms,
// idempotence and transactions; with SASL GSSAPI, kinit is not run). Any thread; its log lines
// are dropped.
std::vector<ConfProblem> CheckClientConf(rd_kafka_type_t type,
                                         const std::map<std::string, std::string>& properties);

// Creates a client of `type` from `conf` (consumed whether or not creation succeeds).
Result<KafkaHandle> MakeClient(rd_kafka_type_t type, ConfHandle conf);

// A topic handle for producing to or consuming from `name` (default topic configuration).
Result<TopicHandle> MakeTopic(rd_kafka_t* client, const std::string& name);

// A header list holding a copy of every name and value, in order (repeated names and empty values
// are kept as they are).
HeadersHandle MakeHeaders(const std::vector<std::pair<std::string, std::string>>& headers);

// Every header of `message` as (name, value) pairs, in order; a header without a value gives "".
std::vector<std::pair<std::string, std::string>> MessageHeaders(const rd_kafka_message_t& message);

// Adds every partition of `topic` to `partitions`, each to start at `offset`, once the cluster has
// described the topic; asks again every 100 ms until `deadline`, or until `give_up` (if given)
// returns true. Blocks the calling thread. The error (Stage::kSource, ErrorCode::kIo) names the
// last problem librdkafka reported. For clients that assign partitions themselves instead of
// joining a group (`newswire tail`, the tests' consumer).
Result<void> AddTopicPartitions(rd_kafka_t* client, const std::string& topic, std::int64_t offset,
                                std::chrono::steady_clock::time_point deadline,
                                rd_kafka_topic_partition_list_t* partitions,
                                const std::function<bool()>& give_up = {});

// Sends librdkafka's log lines for clients made from `conf` to spdlog as
// "kafka <client name> <facility>: <message>", syslog levels mapped to spdlog's. Log lines come
// from librdkafka's internal threads; spdlog is thread-safe.
void RouteLogsToSpdlog(rd_kafka_conf_t* conf);

}  // namespace newswire::kafka
