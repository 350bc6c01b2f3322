#include "daemon/kafka/embedded_broker.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "daemon/kafka/kafka_handles.h"

namespace newswire::kafka {

// The client handle the mock cluster runs inside. It never connects anywhere itself.
struct EmbeddedBroker::HostHandle {
  KafkaHandle client;
};

EmbeddedBroker::~EmbeddedBroker() {
  // The cluster lives in the host handle's threads: destroy it first.
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  cluster_ = nullptr;
  host_.reset();
}

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(
    int broker_count, const std::vector<TopicSpec>& topics) {
  if (broker_count < 1) {
    return MakeError(Stage::kSink, ErrorCode::kInvalidArgument,
                     fmt::format("embedded Kafka needs at least one broker, got {}", broker_count));
  }
  // The host handle has no bootstrap servers on purpose; notices about that are noise.
  auto conf = MakeConf({{"client.id", "newswire-embedded-broker"}, {"log_level", "4"}});
  if (!conf) return tl::unexpected(std::move(conf.error()));
  RouteLogsToSpdlog(conf->get());
  auto client = MakeClient(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!client) return tl::unexpected(std::move(client.error()));

  std::unique_ptr<EmbeddedBroker> broker(new EmbeddedBroker());
  broker->host_ = std::make_unique<HostHandle>(HostHandle{std::move(*client)});
  broker->cluster_ = rd_kafka_mock_cluster_new(broker->host_->client.get(), broker_count);
  if (broker->cluster_ == nullptr) {
    return MakeError(Stage::kSink, ErrorCode::kInternal,
                     "cannot start the embedded Kafka cluster (librdkafka mock cluster)");
  }
  for (const TopicSpec& topic : topics) {
    if (topic.name.empty()) {
      return MakeError(Stage::kSink, ErrorCode::kInvalidArgument,
                       "embedded Kafka topic needs a name");
    }
    if (topic.partitions < 1) {
      return MakeError(Stage::kSink, ErrorCode::kInvalidArgument,
                       fmt::format("embedded Kafka topic '{}' needs at least one partition, got {}",
                                   topic.name, topic.partitions));
    }
    const rd_kafka_resp_err_t created = rd_kafka_mock_topic_create(
        broker->cluster_, topic.name.c_str(), topic.partitions, /*replication_factor=*/1);
    if (created != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return MakeError(Stage::kSink, ErrorCode::kInternal,
                       fmt::format("cannot create embedded Kafka topic '{}': {}", topic.name,
                                   rd_kafka_err2str(created)));
    }
  }
  broker->bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  return broker;
}

void EmbeddedBroker::SetBrokerDown(int broker_id) {
  rd_kafka_mock_broker_set_down(cluster_, broker_id);
}

void EmbeddedBroker::SetBrokerUp(int broker_id) {
  rd_kafka_mock_broker_set_up(cluster_, broker_id);
}

void EmbeddedBroker::PushRequestErrors(int api_key, const std::vector<int>& error_codes) {
  std::vector<rd_kafka_resp_err_t> errors;
  errors.reserve(error_codes.size());
  for (int code : error_codes) errors.push_back(static_cast<rd_kafka_resp_err_t>(code));
  rd_kafka_mock_push_request_errors_array(cluster_, static_cast<std::int16_t>(api_key),
                                          errors.size(), errors.data());
}

void EmbeddedBroker::SetBrokerRtt(int broker_id, int rtt_ms) {
  rd_kafka_mock_broker_set_rtt(cluster_, broker_id, rtt_ms);
}

}  // namespace newswire::kafka
