#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/error.h"

struct rd_kafka_mock_cluster_s;

namespace newswire::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 4;
};

// librdkafka's built-in mock cluster: a Kafka-protocol broker on loopback TCP inside this process,
// in memory, lost when destroyed. The daemon runs one for `kafka.brokers: embedded`; tests run one
// as their broker and use the fault-injection calls. It picks its own ports: read
// bootstrap_servers(). Thread-safe (the mock runs its own thread); owned by whoever started it.
class EmbeddedBroker {
 public:
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // Starts `broker_count` brokers and creates the topics (the mock's Admin API does not work, and
  // topics it auto-creates get 4 partitions, so create them here).
  static Result<std::unique_ptr<EmbeddedBroker>> Start(int broker_count,
                                                       const std::vector<TopicSpec>& topics);

  // "127.0.0.1:40123,127.0.0.1:40125"
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

  // Fault injection, broker ids are 1..broker_count. Down: connections are closed and refused.
  void SetBrokerDown(int broker_id);
  void SetBrokerUp(int broker_id);
  // Adds `rtt_ms` of round-trip delay to every response of the broker (0 = none).
  void SetBrokerRtt(int broker_id, int rtt_ms);
  // The next requests of Kafka API `api_key` (0 = Produce) fail with these error codes
  // (rd_kafka_resp_err_t values), one each, in order.
  void PushRequestErrors(int api_key, const std::vector<int>& error_codes);

  rd_kafka_mock_cluster_s* cluster() const { return cluster_; }

 private:
  struct HostHandle;
  EmbeddedBroker() = default;

  std::unique_ptr<HostHandle> host_;  // the rd_kafka_t the mock cluster lives in
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_servers_;
};

}  // namespace newswire::kafka
