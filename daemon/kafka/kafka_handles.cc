#include "daemon/kafka/kafka_handles.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>

namespace newswire::kafka {
namespace {

// librdkafka writes its error messages into a caller-supplied buffer of this size.
constexpr std::size_t kErrorBufferBytes = 512;

spdlog::level::level_enum SpdlogLevel(int syslog_level) {
  switch (syslog_level) {
    case 0:  // emergency
    case 1:  // alert
    case 2:  // critical
      return spdlog::level::critical;
    case 3:
      return spdlog::level::err;
    case 4:
      return spdlog::level::warn;
    case 5:  // notice
    case 6:
      return spdlog::level::info;
    default:
      return spdlog::level::debug;
  }
}

void LogToSpdlog(const rd_kafka_t* client, int level, const char* facility, const char* message) {
  spdlog::log(SpdlogLevel(level), "kafka {} {}: {}", rd_kafka_name(client), facility, message);
}

}  // namespace

Result<void> SetConfProperty(rd_kafka_conf_t* conf, const std::string& name,
                             const std::string& value) {
  std::array<char, kErrorBufferBytes> reason{};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason.data(), reason.size()) !=
      RD_KAFKA_CONF_OK) {
    return MakeError(
        Stage::kSink, ErrorCode::kInvalidArgument,
        fmt::format("Kafka property '{}' = '{}' rejected: {}", name, value, reason.data()));
  }
  return {};
}

Result<ConfHandle> MakeConf(const std::map<std::string, std::string>& properties) {
  ConfHandle conf(rd_kafka_conf_new());
  for (const auto& [name, value] : properties) {
    if (auto set = SetConfProperty(conf.get(), name, value); !set) {
      return tl::unexpected(std::move(set.error()));
    }
  }
  return conf;
}

Result<KafkaHandle> MakeClient(rd_kafka_type_t type, ConfHandle conf) {
  std::array<char, kErrorBufferBytes> reason{};
  // rd_kafka_new takes ownership of the configuration only when it succeeds.
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), reason.data(), reason.size());
  if (client == nullptr) {
    return MakeError(
        Stage::kSink, ErrorCode::kInvalidArgument,
        fmt::format("cannot create Kafka {}: {}",
                    type == RD_KAFKA_PRODUCER ? "producer" : "consumer", reason.data()));
  }
  static_cast<void>(conf.release());
  return KafkaHandle(client);
}

Result<TopicHandle> MakeTopic(rd_kafka_t* client, const std::string& name) {
  rd_kafka_topic_t* topic = rd_kafka_topic_new(client, name.c_str(), nullptr);
  if (topic == nullptr) {
    return MakeError(Stage::kSink, ErrorCode::kInvalidArgument,
                     fmt::format("cannot use Kafka topic '{}': {}", name,
                                 rd_kafka_err2str(rd_kafka_last_error())));
  }
  return TopicHandle(topic);
}

HeadersHandle MakeHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  HeadersHandle list(rd_kafka_headers_new(headers.size()));
  for (const auto& [name, value] : headers) {
    // A non-null pointer with size 0 is an empty value, not a null one.
    rd_kafka_header_add(list.get(), name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  return list;
}

void RouteLogsToSpdlog(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, LogToSpdlog); }

}  // namespace newswire::kafka
