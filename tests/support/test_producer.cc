#include "tests/support/test_producer.h"

#include <fmt/format.h>

#include <atomic>
#include <string>

#include "daemon/kafka/kafka_handles.h"

namespace newswire::testing {
namespace {

// Delivery reports arrive on the thread that calls rd_kafka_flush (this one).
struct DeliveryTally {
  std::size_t delivered = 0;
  std::string first_failure;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto& tally = *static_cast<DeliveryTally*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++tally.delivered;
  } else if (tally.first_failure.empty()) {
    tally.first_failure = rd_kafka_err2str(message->err);
  }
}

}  // namespace

Result<void> ProduceAll(const std::string& bootstrap_servers,
                        const std::vector<ProducedRecord>& records,
                        std::chrono::milliseconds timeout,
                        const std::map<std::string, std::string>& properties) {
  std::map<std::string, std::string> all_properties = {
      {"bootstrap.servers", bootstrap_servers}, {"enable.idempotence", "true"}, {"linger.ms", "5"}};
  for (const auto& [name, value] : properties) all_properties[name] = value;
  auto conf = kafka::MakeConf(all_properties);
  if (!conf) return tl::unexpected(std::move(conf.error()));
  DeliveryTally tally;
  rd_kafka_conf_set_dr_msg_cb(conf->get(), OnDelivery);
  rd_kafka_conf_set_opaque(conf->get(), &tally);
  auto producer = kafka::MakeClient(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!producer) return tl::unexpected(std::move(producer.error()));
  for (const ProducedRecord& record : records) {
    kafka::HeadersHandle headers = kafka::MakeHeaders(record.headers);
    while (true) {
      const rd_kafka_resp_err_t error = rd_kafka_producev(
          producer->get(), RD_KAFKA_V_TOPIC(record.topic.c_str()),
          RD_KAFKA_V_PARTITION(record.partition),
          RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers.get()),
          RD_KAFKA_V_END);
      if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
        headers.release();  // owned by the message now
        break;
      }
      if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return MakeError(
            Stage::kSink, ErrorCode::kDeliveryFailed,
            fmt::format("cannot produce to {}: {}", record.topic, rd_kafka_err2str(error)));
      }
      rd_kafka_poll(producer->get(), 10);
    }
  }
  rd_kafka_flush(producer->get(), static_cast<int>(timeout.count()));
  if (!tally.first_failure.empty() || tally.delivered != records.size()) {
    return MakeError(Stage::kSink, ErrorCode::kDeliveryFailed,
                     fmt::format("{} of {} records delivered{}", tally.delivered, records.size(),
                                 tally.first_failure.empty() ? " before the timeout"
                                                             : ": " + tally.first_failure));
  }
  return {};
}

Result<std::map<std::int32_t, std::int64_t>> CommittedOffsets(const std::string& bootstrap_servers,
                                                              const std::string& group_id,
                                                              const std::string& topic,
                                                              int partitions,
                                                              std::chrono::milliseconds timeout) {
  auto conf = kafka::MakeConf({{"bootstrap.servers", bootstrap_servers}, {"group.id", group_id}});
  if (!conf) return tl::unexpected(std::move(conf.error()));
  auto consumer = kafka::MakeClient(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!consumer) return tl::unexpected(std::move(consumer.error()));
  kafka::PartitionListHandle list(rd_kafka_topic_partition_list_new(partitions));
  for (int partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  }
  if (const rd_kafka_resp_err_t error =
          rd_kafka_committed(consumer->get(), list.get(), static_cast<int>(timeout.count()));
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_consumer_close(consumer->get());
    return MakeError(
        Stage::kSource, ErrorCode::kIo,
        fmt::format("committed offsets of group {}: {}", group_id, rd_kafka_err2str(error)));
  }
  std::map<std::int32_t, std::int64_t> offsets;
  for (int index = 0; index < list->cnt; ++index) {
    if (list->elems[index].offset >= 0) {
      offsets[list->elems[index].partition] = list->elems[index].offset;
    }
  }
  rd_kafka_consumer_close(consumer->get());
  return offsets;
}

}  // namespace newswire::testing
