#include "daemon/kafka/kafka_handles.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <optional>
#include <thread>

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

// Sets one property; librdkafka's reason when it refuses it.
std::optional<std::string> RefusalToSet(rd_kafka_conf_t* conf, const std::string& name,
                                        const std::string& value) {
  std::array<char, kErrorBufferBytes> reason{};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason.data(), reason.size()) ==
      RD_KAFKA_CONF_OK) {
    return std::nullopt;
  }
  return std::string(reason.data());
}

}  // namespace

Result<void> SetConfProperty(rd_kafka_conf_t* conf, const std::string& name,
                             const std::string& value) {
  if (auto refused = RefusalToSet(conf, name, value)) {
    return MakeError(Stage::kSink, ErrorCode::kInvalidArgument,
                     fmt::format("Kafka property '{}' = '{}' rejected: {}", name, value, *refused));
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

std::vector<ConfProblem> CheckClientConf(rd_kafka_type_t type,
                                         const std::map<std::string, std::string>& properties) {
  std::vector<ConfProblem> problems;
  ConfHandle conf(rd_kafka_conf_new());
  for (const auto& [name, value] : properties) {
    if (name == "bootstrap.servers") continue;
    if (auto refused = RefusalToSet(conf.get(), name, value)) problems.push_back({name, *refused});
  }
  if (!problems.empty()) return problems;
  // Without brokers the client has nobody to connect to, and says so in a log line: dropped.
  rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char*, const char*) {});
  // With SASL GSSAPI a client runs sasl.kerberos.kinit.cmd as soon as it is made (a KDC
  // request, a ticket cache written); 0 turns that refresh off for this client. Unknown to a
  // librdkafka built without Cyrus SASL, where there is nothing to turn off.
  static_cast<void>(RefusalToSet(conf.get(), "sasl.kerberos.min.time.before.relogin", "0"));
  auto client = MakeClient(type, std::move(conf));
  if (!client) problems.push_back({"", client.error().message});
  return problems;
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

std::vector<std::pair<std::string, std::string>> MessageHeaders(const rd_kafka_message_t& message) {
  std::vector<std::pair<std::string, std::string>> pairs;
  rd_kafka_headers_t* headers = nullptr;
  // The headers stay owned by the message; librdkafka's accessor takes a non-const message.
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&message), &headers) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return pairs;
  }
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t value_size = 0;
  for (std::size_t index = 0; rd_kafka_header_get_all(headers, index, &name, &value, &value_size) ==
                              RD_KAFKA_RESP_ERR_NO_ERROR;
       ++index) {
    pairs.emplace_back(
        name, value != nullptr ? std::string(static_cast<const char*>(value), value_size) : "");
  }
  return pairs;
}

Result<void> AddTopicPartitions(rd_kafka_t* client, const std::string& topic, std::int64_t offset,
                                std::chrono::steady_clock::time_point deadline,
                                rd_kafka_topic_partition_list_t* partitions,
                                const std::function<bool()>& give_up) {
  using std::chrono::milliseconds;
  using std::chrono::steady_clock;
  constexpr milliseconds kRetryPause{100};
  const auto remaining = [deadline] {
    return std::max(milliseconds(0),
                    std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()));
  };
  auto handle = MakeTopic(client, topic);
  if (!handle) return tl::unexpected(std::move(handle.error()));
  std::string problem = "no answer";
  while (true) {
    const rd_kafka_metadata_t* raw_metadata = nullptr;
    const rd_kafka_resp_err_t fetched =
        rd_kafka_metadata(client, /*all_topics=*/0, handle->get(), &raw_metadata,
                          static_cast<int>(std::max(remaining(), milliseconds(1)).count()));
    if (fetched == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const MetadataHandle metadata(raw_metadata);
      for (int index = 0; index < metadata->topic_cnt; ++index) {
        const rd_kafka_metadata_topic_t& described = metadata->topics[index];
        if (topic != described.topic) continue;
        if (described.err == RD_KAFKA_RESP_ERR_NO_ERROR && described.partition_cnt > 0) {
          for (int partition = 0; partition < described.partition_cnt; ++partition) {
            rd_kafka_topic_partition_list_add(partitions, topic.c_str(),
                                              described.partitions[partition].id)
                ->offset = offset;
          }
          return {};
        }
        problem = fmt::format("topic '{}': {}", topic, rd_kafka_err2str(described.err));
      }
    } else {
      problem = rd_kafka_err2str(fetched);
    }
    if (steady_clock::now() >= deadline || (give_up && give_up())) break;
    std::this_thread::sleep_for(std::min(kRetryPause, remaining()));
  }
  return MakeError(Stage::kSource, ErrorCode::kIo, problem);
}

void RouteLogsToSpdlog(rd_kafka_conf_t* conf) {
  // spdlog builds its registry and default logger on first use. Touched here, on the thread that
  // sets the client up, that happens before librdkafka's threads exist rather than first on one
  // of them (a test process may not have logged yet); ThreadSanitizer cannot see the guard of
  // that lazy initialization inside the uninstrumented libspdlog.
  static_cast<void>(spdlog::default_logger_raw());
  rd_kafka_conf_set_log_cb(conf, LogToSpdlog);
}

}  // namespace newswire::kafka
