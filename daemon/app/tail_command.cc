#include "daemon/app/tail_command.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string_view>
#include <thread>

#include "daemon/app/app.h"
#include "daemon/app/event_digest.h"
#include "daemon/kafka/kafka_handles.h"

namespace newswire::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How long tail tries to reach the cluster and learn the topic's partitions before it gives up
// with exit 69: long enough for a remote cluster's TLS handshake, short enough for a person.
constexpr milliseconds kConnectTimeoutMs{5000};
// How often the loop looks at the stop conditions while no record arrives.
constexpr milliseconds kPollSliceMs{100};

// Long lists (an article may have fifteen topics) are cut here, with "+N more".
constexpr std::size_t kMaxListItems = 6;
constexpr std::size_t kLineColumns = 100;
constexpr std::size_t kFieldColumns = 16;  // "  organizations " and the values aligned after it

volatile std::sig_atomic_t stop_requested = 0;

void RequestStop(int /*signal_number*/) { stop_requested = 1; }

// SIGINT and SIGTERM end the tail loop instead of the process, so the consumer closes cleanly;
// the previous handlers come back when tail returns.
class StopSignals {
 public:
  StopSignals() {
    stop_requested = 0;
    struct sigaction action {};
    action.sa_handler = RequestStop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_interrupt_);
    sigaction(SIGTERM, &action, &previous_terminate_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &previous_interrupt_, nullptr);
    sigaction(SIGTERM, &previous_terminate_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction previous_interrupt_ {};
  struct sigaction previous_terminate_ {};
};

std::string_view Header(const TailRecord& record, std::string_view name) {
  for (const auto& [header_name, value] : record.headers) {
    if (header_name == name) return value;
  }
  return {};
}

// "2024-05-01T12:34:56.789Z"
std::string FormatTimestamp(std::int64_t timestamp_ms) {
  const std::time_t seconds = static_cast<std::time_t>(timestamp_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     timestamp_ms % 1000);
}

// The time newswire made the record (ce_time, newswire-time), else the record's timestamp.
std::string RecordTime(const TailRecord& record, std::string_view time_header) {
  std::string_view time = Header(record, time_header);
  if (!time.empty()) return std::string(time);
  if (record.timestamp_ms) return FormatTimestamp(*record.timestamp_ms);
  return "-";
}

// "  countries     Russia (RU); Venezuela (VE)\n", wrapped at kLineColumns under the values,
// nothing when `items` is empty.
void AppendField(std::string& out, std::string_view name, const std::vector<std::string>& items,
                 std::size_t total_items) {
  if (items.empty()) return;
  std::string line = fmt::format("  {:<{}}", name, kFieldColumns - 2);
  std::size_t values_on_line = 0;
  auto add = [&](const std::string& text, bool last) {
    std::string piece = last ? text : text + ";";
    if (values_on_line > 0 && line.size() + 1 + piece.size() > kLineColumns) {
      out += line + "\n";
      line = std::string(kFieldColumns, ' ');
      values_on_line = 0;
    }
    if (values_on_line > 0) line += " ";
    line += piece;
    ++values_on_line;
  };
  const bool more = total_items > items.size();
  for (std::size_t index = 0; index < items.size(); ++index) {
    add(items[index], !more && index + 1 == items.size());
  }
  if (more) add(fmt::format("+{} more", total_items - items.size()), true);
  out += line + "\n";
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  if (!value.empty()) out += fmt::format("  {:<{}}{}\n", name, kFieldColumns - 2, value);
}

std::string Coordinates(const TailRecord& record) {
  return fmt::format("{}[{}]@{}", record.topic, record.partition, record.offset);
}

std::string FormatDeadLetter(const TailRecord& record) {
  std::string out =
      fmt::format("{}  DEAD LETTER {}/{}: {}\n", RecordTime(record, "newswire-time"),
                  Header(record, "newswire-stage"), Header(record, "newswire-error-code"),
                  Header(record, "newswire-error"));
  AppendField(out, "origin", Header(record, "newswire-origin"));
  std::string payload = fmt::format("{} bytes", Header(record, "newswire-payload-bytes"));
  if (Header(record, "newswire-payload-read") == "false") {
    payload += " (not read)";
  } else if (Header(record, "newswire-payload-truncated") == "true") {
    payload += fmt::format(" ({} in the record)", record.value.size());
  }
  AppendField(out, "payload", payload);
  AppendField(out, "key", fmt::format("{}  {}", record.key, Coordinates(record)));
  return out + "\n";
}

std::string FormatEvent(const TailRecord& record) {
  const std::optional<EventDigest> digest = DigestEvent(record.value, kMaxListItems);
  if (!digest) {
    return fmt::format("{}  (not a newswire event: {} bytes of other data)\n  {:<{}}{}  {}\n\n",
                       RecordTime(record, "ce_time"), record.value.size(), "key", kFieldColumns - 2,
                       record.key, Coordinates(record));
  }
  std::string out =
      fmt::format("{}  {}\n", RecordTime(record, "ce_time"),
                  digest->title.empty() ? std::string_view("(no title)") : digest->title);
  AppendField(out, "published", digest->published_time);
  if (digest->topics.count == 0) {
    AppendField(out, "topics", "none");
  } else {
    AppendField(out, "topics", digest->topics.items, digest->topics.count);
  }
  // Entities come most salient first; each type gets its own line.
  for (const EventDigest::EntityList& entities : digest->entities) {
    AppendField(out, entities.plural, entities.names.items, entities.names.count);
  }
  if (!digest->story_id.empty()) {
    AppendField(out, "story",
                digest->story_first ? fmt::format("{} (its first article)", digest->story_id)
                                    : digest->story_id);
  }
  if (!digest->duplicate_of.empty()) {
    std::string text = digest->duplicate_of;
    if (digest->duplicate_distance) {
      text += fmt::format(" (distance {})", *digest->duplicate_distance);
    }
    AppendField(out, "duplicate of", text);
  }
  AppendField(out, "key", fmt::format("{}  {}", record.key, Coordinates(record)));
  return out + "\n";
}

std::string ReadBrokerFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return {};
  std::string content((std::istreambuf_iterator<char>(file)), {});
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  content.erase(std::find_if(content.rbegin(), content.rend(), not_space).base(), content.end());
  content.erase(content.begin(), std::find_if(content.begin(), content.end(), not_space));
  return content;
}

// Every partition of `topic_name`, each starting at `offset`, once the cluster answered.
Result<kafka::PartitionListHandle> TopicPartitions(rd_kafka_t* client,
                                                   const std::string& topic_name,
                                                   std::int64_t offset) {
  kafka::PartitionListHandle partitions(rd_kafka_topic_partition_list_new(1));
  if (auto added = kafka::AddTopicPartitions(client, topic_name, offset,
                                             steady_clock::now() + kConnectTimeoutMs,
                                             partitions.get(), [] { return stop_requested != 0; });
      !added) {
    return tl::unexpected(std::move(added.error()));
  }
  return partitions;
}

// Pins "the end" to the offsets each partition has now, so that every record produced after tail
// said it is reading is shown; RD_KAFKA_OFFSET_END would be resolved only once fetching starts.
// A partition whose offsets cannot be learnt keeps RD_KAFKA_OFFSET_END.
void StartAtHighWatermarks(rd_kafka_t* client, rd_kafka_topic_partition_list_t* partitions) {
  for (int index = 0; index < partitions->cnt; ++index) {
    rd_kafka_topic_partition_t& partition = partitions->elems[index];
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(client, partition.topic, partition.partition, &low, &high,
                                         static_cast<int>(kConnectTimeoutMs.count())) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      partition.offset = high;
    }
  }
}

// The client-level errors librdkafka reports ("127.0.0.1:9092/bootstrap: Connect to
// ipv4#127.0.0.1:9092 failed: Connection refused"): they say more than a metadata timeout does.
// Written by the error callback, which librdkafka calls from rd_kafka_consumer_poll on tail's
// thread.
struct ClientErrors {
  std::string last;
  bool unseen = false;
  bool all_brokers_down = false;  // since the last look
};

void RecordClientError(rd_kafka_t* /*client*/, int error, const char* reason, void* opaque) {
  auto* errors = static_cast<ClientErrors*>(opaque);
  errors->last = reason;
  errors->unseen = true;
  if (error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) errors->all_brokers_down = true;
}

TailRecord CopyRecord(const rd_kafka_message_t& message) {
  TailRecord record;
  record.topic = rd_kafka_topic_name(message.rkt);
  record.partition = message.partition;
  record.offset = message.offset;
  if (message.key != nullptr) {
    record.key.assign(static_cast<const char*>(message.key), message.key_len);
  }
  if (message.payload != nullptr) {
    record.value.assign(static_cast<const char*>(message.payload), message.len);
  }
  record.headers = kafka::MessageHeaders(message);
  rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t timestamp_ms = rd_kafka_message_timestamp(&message, &timestamp_type);
  if (timestamp_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) record.timestamp_ms = timestamp_ms;
  return record;
}

}  // namespace

std::string FormatTailRecord(const TailRecord& record) {
  if (!Header(record, "newswire-stage").empty()) return FormatDeadLetter(record);
  return FormatEvent(record);
}

Result<std::string> ResolveBootstrapServers(const config::KafkaConfig& kafka) {
  if (kafka.brokers != "embedded") return kafka.brokers;
  if (kafka.broker_file.empty()) {
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument,
                     "kafka.brokers is 'embedded' but kafka.broker_file is not set, so the "
                     "address of the daemon's embedded broker cannot be known");
  }
  std::string servers = ReadBrokerFile(kafka.broker_file);
  if (servers.empty()) {
    return MakeError(Stage::kSource, ErrorCode::kIo,
                     fmt::format("no daemon with an embedded broker seems to run: {} is missing "
                                 "or empty (the daemon writes it at start; `newswire run -c` "
                                 "this config first)",
                                 kafka.broker_file));
  }
  return servers;
}

int Tail(const config::Config& config, const TailOptions& options) {
  const std::string topic =
      !options.topic.empty()
          ? options.topic
          : (options.dead_letters ? config.kafka.dead_letter_topic : config.kafka.topic);
  auto servers = ResolveBootstrapServers(config.kafka);
  if (!servers) {
    std::cerr << "newswire tail: " << servers.error().message << "\n";
    return servers.error().stage == Stage::kConfig ? kExitConfig : kExitUnavailable;
  }

  std::map<std::string, std::string> properties = config.kafka.properties;
  // A group id only because librdkafka's assign() wants one: tail never subscribes, never
  // commits and so never moves the offsets of any group.
  properties["group.id"] = fmt::format("newswire-tail-{}", getpid());
  properties["enable.auto.commit"] = "false";
  properties["enable.auto.offset.store"] = "false";
  properties["client.id"] = "newswire-tail";
  properties["bootstrap.servers"] = *servers;
  auto conf = kafka::MakeConf(properties);
  if (!conf) {
    std::cerr << "newswire tail: " << conf.error().message << "\n";
    return kExitConfig;
  }
  kafka::RouteLogsToSpdlog(conf->get());
  ClientErrors errors;  // outlives the client, which calls back into it
  rd_kafka_conf_set_opaque(conf->get(), &errors);
  rd_kafka_conf_set_error_cb(conf->get(), RecordClientError);
  auto client = kafka::MakeClient(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!client) {
    std::cerr << "newswire tail: " << client.error().message << "\n";
    return kExitConfig;
  }
  rd_kafka_t* consumer = client->get();
  rd_kafka_poll_set_consumer(consumer);

  StopSignals stop_signals;
  auto partitions = TopicPartitions(
      consumer, topic, options.from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END);
  if (!partitions) {
    if (stop_requested) return kExitOk;
    rd_kafka_consumer_poll(consumer, 0);  // serves the queued errors to RecordClientError
    std::string hint;
    if (config.kafka.brokers == "embedded") {
      hint = fmt::format(" (read from {}: is the daemon that wrote it still running?)",
                         config.kafka.broker_file);
    }
    std::cerr << fmt::format("newswire tail: cannot reach Kafka at {}{}: {}\n", *servers, hint,
                             errors.last.empty() ? partitions.error().message : errors.last);
    rd_kafka_consumer_close(consumer);
    return kExitUnavailable;
  }
  if (!options.from_beginning) StartAtHighWatermarks(consumer, partitions->get());
  if (const rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer, partitions->get());
      assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::cerr << fmt::format("newswire tail: cannot read {}: {}\n", topic,
                             rd_kafka_err2str(assigned));
    rd_kafka_consumer_close(consumer);
    return kExitUnavailable;
  }
  std::cerr << fmt::format("newswire tail: reading {} ({} partitions) at {} from the {}\n", topic,
                           (*partitions)->cnt, *servers,
                           options.from_beginning ? "beginning" : "end");

  std::int64_t shown = 0;
  int exit_code = kExitOk;
  std::string printed_error;
  errors = ClientErrors{};
  auto last_record = steady_clock::now();
  while (!stop_requested) {
    if (options.max_events && shown >= *options.max_events) break;
    if (options.timeout_ms > 0 &&
        steady_clock::now() - last_record >= milliseconds(options.timeout_ms)) {
      break;
    }
    const kafka::MessageHandle message(
        rd_kafka_consumer_poll(consumer, static_cast<int>(kPollSliceMs.count())));
    if (errors.unseen) {
      // librdkafka repeats a lost connection every few seconds; once is enough to read.
      if (errors.last != printed_error) std::cerr << "newswire tail: " << errors.last << "\n";
      printed_error = errors.last;
      errors.unseen = false;
      // An embedded broker lives and dies with its daemon; a new one gets a new port, so there
      // is nothing to wait for. A real cluster's brokers come back: keep trying.
      if (errors.all_brokers_down && config.kafka.brokers == "embedded") {
        std::cerr << fmt::format(
            "newswire tail: the embedded broker at {} went away: the daemon stopped\n", *servers);
        exit_code = kExitUnavailable;
        break;
      }
      errors.all_brokers_down = false;
    }
    if (message == nullptr) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::cerr << fmt::format("newswire tail: {}[{}]: {}\n", topic, message->partition,
                                 rd_kafka_message_errstr(message.get()));
      }
      continue;
    }
    printed_error.clear();
    const TailRecord record = CopyRecord(*message);
    if (options.json) {
      std::cout << record.value << "\n";
    } else {
      std::cout << FormatTailRecord(record);
    }
    std::cout.flush();
    ++shown;
    last_record = steady_clock::now();
  }
  rd_kafka_consumer_close(consumer);
  return exit_code;
}

}  // namespace newswire::app
