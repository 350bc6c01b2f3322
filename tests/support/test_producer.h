#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "daemon/core/error.h"

namespace newswire::testing {

// One record for ProduceAll.
struct ProducedRecord {
  std::string topic;
  std::int32_t partition = -1;  // -1: librdkafka's partitioner picks one from the key
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Writes every record with a real librdkafka producer (acks=all, idempotent, plus `properties`)
// and waits until each delivery was confirmed. Fails naming the first record Kafka refused, or
// on timeout.
Result<void> ProduceAll(const std::string& bootstrap_servers,
                        const std::vector<ProducedRecord>& records,
                        std::chrono::milliseconds timeout,
                        const std::map<std::string, std::string>& properties = {});

// The offsets consumer group `group_id` committed for `topic`, by partition (partitions without
// a commit are absent), asked of the group coordinator without joining the group.
Result<std::map<std::int32_t, std::int64_t>> CommittedOffsets(const std::string& bootstrap_servers,
                                                              const std::string& group_id,
                                                              const std::string& topic,
                                                              int partitions,
                                                              std::chrono::milliseconds timeout);

}  // namespace newswire::testing
