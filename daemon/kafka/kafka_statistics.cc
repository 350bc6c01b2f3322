#include "daemon/kafka/kafka_statistics.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace newswire::kafka {
namespace {

constexpr double kMicrosecondsPerSecond = 1e6;

tl::unexpected<Error> FormatError(std::string_view problem) {
  return MakeError(Stage::kSink, ErrorCode::kUnsupportedFormat,
                   fmt::format("librdkafka statistics: {}", problem));
}

// Reads members of one JSON object, naming them by their path from the document's root
// ("brokers.\"b:9092/1\".rtt.avg"). A missing member reads as 0 or empty. A member of the wrong
// type also reads as 0 or empty but is recorded in `problem` (the first one only), because it
// means the layout is not the one this parser knows and the document must be rejected; recording
// instead of returning keeps the reading code a flat list of fields.
class ObjectReader {
 public:
  ObjectReader(const rapidjson::Value& object, std::string path,
               std::optional<std::string>& problem)
      : object_(object), path_(std::move(path)), problem_(problem) {}

  std::int64_t Int64(const char* key) const {
    const rapidjson::Value* value = Find(key);
    if (value == nullptr) return 0;
    if (value->IsInt64()) return value->GetInt64();
    Wrong(key, "is not an integer");
    return 0;
  }

  std::uint64_t Uint64(const char* key) const {
    const rapidjson::Value* value = Find(key);
    if (value == nullptr) return 0;
    if (value->IsUint64()) return value->GetUint64();
    Wrong(key, value->IsInt64() ? "is negative" : "is not an integer");
    return 0;
  }

  std::string String(const char* key) const {
    const rapidjson::Value* value = Find(key);
    if (value == nullptr) return {};
    if (value->IsString()) return {value->GetString(), value->GetStringLength()};
    Wrong(key, "is not a string");
    return {};
  }

  // Null when the member is missing (or not an object).
  const rapidjson::Value* Object(const char* key) const {
    const rapidjson::Value* value = Find(key);
    if (value == nullptr || value->IsObject()) return value;
    Wrong(key, "is not an object");
    return nullptr;
  }

  bool Has(const char* key) const { return Find(key) != nullptr; }

  std::string PathOf(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }

 private:
  const rapidjson::Value* Find(const char* key) const {
    const auto member = object_.FindMember(key);
    return member == object_.MemberEnd() ? nullptr : &member->value;
  }

  void Wrong(const char* key, std::string_view what) const {
    if (!problem_.has_value()) problem_ = fmt::format("{} {}", PathOf(key), what);
  }

  const rapidjson::Value& object_;
  std::string path_;
  std::optional<std::string>& problem_;
};

// Reads one member of "brokers" (`value` is an object). Returns nullopt for the entries that are
// not a real broker with an id (see BrokerStatistics).
std::optional<BrokerStatistics> ParseBroker(std::string_view key, const rapidjson::Value& value,
                                            std::optional<std::string>& problem) {
  const ObjectReader broker(value, fmt::format("brokers.\"{}\"", key), problem);
  const std::string source = broker.String("source");
  if (source == "internal" || source == "logical" || !broker.Has("nodeid")) return std::nullopt;
  const std::int64_t node_id = broker.Int64("nodeid");
  if (node_id < 0 || node_id > std::numeric_limits<std::int32_t>::max()) return std::nullopt;

  BrokerStatistics statistics;
  statistics.node_id = static_cast<std::int32_t>(node_id);
  if (const std::string node_name = broker.String("nodename"); !node_name.empty()) {
    statistics.name = fmt::format("{}/{}", node_name, node_id);
  } else {
    // A layout without "nodename": librdkafka's own name, which is also the member's key.
    statistics.name = broker.String("name");
    if (statistics.name.empty()) statistics.name = std::string(key);
  }
  const std::string state = broker.String("state");
  // UPDATE is the state librdkafka passes through right after UP when a broker's address or id
  // changed; the connection stays usable.
  statistics.up = state == "UP" || state == "UPDATE";
  statistics.retries = broker.Uint64("txretries");
  statistics.errors = broker.Uint64("txerrs");
  statistics.request_timeouts = broker.Uint64("req_timeouts");
  if (const rapidjson::Value* rtt = broker.Object("rtt"); rtt != nullptr) {
    const ObjectReader window(*rtt, broker.PathOf("rtt"), problem);
    const std::int64_t average_us = window.Int64("avg");
    // librdkafka reports avg 0 for an empty window anyway; without "cnt", trust "avg".
    const bool sampled = !window.Has("cnt") || window.Int64("cnt") > 0;
    if (sampled && average_us > 0) {
      statistics.round_trip_seconds = static_cast<double>(average_us) / kMicrosecondsPerSecond;
    }
  }
  return statistics;
}

// One entry per broker id, ordered by id, even if librdkafka briefly holds two handles for one
// broker (a bootstrap entry that learned the id of a broker it also knows by another address): the
// one that is up wins, else the first.
std::vector<BrokerStatistics> OnePerBroker(std::vector<BrokerStatistics> brokers) {
  std::stable_sort(brokers.begin(), brokers.end(),
                   [](const BrokerStatistics& left, const BrokerStatistics& right) {
                     return left.node_id < right.node_id;
                   });
  std::vector<BrokerStatistics> unique;
  unique.reserve(brokers.size());
  for (BrokerStatistics& broker : brokers) {
    if (!unique.empty() && unique.back().node_id == broker.node_id) {
      if (!unique.back().up && broker.up) unique.back() = std::move(broker);
      continue;
    }
    unique.push_back(std::move(broker));
  }
  return unique;
}

}  // namespace

Result<ClientStatistics> ParseStatistics(std::string_view json) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError()) {
    return FormatError(fmt::format("JSON syntax error at byte {}: {}", document.GetErrorOffset(),
                                   rapidjson::GetParseError_En(document.GetParseError())));
  }
  if (!document.IsObject()) return FormatError("the document is not a JSON object");
  std::optional<std::string> problem;
  const ObjectReader root(document, "", problem);

  ClientStatistics statistics;
  statistics.queue_messages = root.Int64("msg_cnt");
  statistics.queue_bytes = root.Int64("msg_size");
  statistics.transmitted_bytes = root.Uint64("txmsg_bytes");
  if (const rapidjson::Value* brokers = root.Object("brokers"); brokers != nullptr) {
    for (const auto& member : brokers->GetObject()) {
      const std::string_view key(member.name.GetString(), member.name.GetStringLength());
      if (!member.value.IsObject()) {
        problem = problem.value_or(fmt::format("brokers.\"{}\" is not an object", key));
        continue;
      }
      if (auto broker = ParseBroker(key, member.value, problem); broker.has_value()) {
        statistics.brokers.push_back(std::move(*broker));
      }
    }
  }
  if (problem.has_value()) return FormatError(*problem);
  statistics.brokers = OnePerBroker(std::move(statistics.brokers));
  return statistics;
}

LatestClientStatistics::LatestClientStatistics(std::string client_description)
    : client_description_(std::move(client_description)) {}

Result<void> LatestClientStatistics::Update(std::string_view json) {
  Result<ClientStatistics> parsed = ParseStatistics(json);
  bool first_failure = false;
  {
    std::lock_guard lock(mutex_);
    if (parsed) {
      latest_ = std::move(*parsed);
      return {};
    }
    first_failure = !failure_logged_;
    failure_logged_ = true;
  }
  if (first_failure) {
    spdlog::warn(
        "{}: ignoring statistics from librdkafka that do not parse, keeping the previous "
        "ones (further failures are logged at debug level): {}",
        client_description_, parsed.error().Describe());
  } else {
    spdlog::debug("{}: ignoring statistics from librdkafka that do not parse: {}",
                  client_description_, parsed.error().Describe());
  }
  return tl::unexpected(std::move(parsed.error()));
}

std::optional<ClientStatistics> LatestClientStatistics::Latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

}  // namespace newswire::kafka
