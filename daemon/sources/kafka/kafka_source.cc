#include "daemon/sources/kafka/kafka_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

namespace newswire::sources {
namespace {

// How often the consumer is polled even when its queue did not signal: rebalances and errors are
// served, and librdkafka's max.poll.interval.ms never runs out while intake is paused.
constexpr std::chrono::seconds kTickInterval{1};
// Messages taken from the queue in one go before the io thread serves its other work.
constexpr int kMaxPollsPerPump = 256;
// librdkafka's default for max.poll.interval.ms.
constexpr std::int64_t kDefaultMaxPollIntervalMs = 300000;
// librdkafka's bounds for queued.max.messages.kbytes.
constexpr std::int64_t kMaxQueuedKilobytes = 2097151;

void RebalanceCallback(rd_kafka_t*, rd_kafka_resp_err_t error,
                       rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaSource*>(opaque)->OnRebalance(error, partitions);
}

std::string DescribePartitions(const rd_kafka_topic_partition_list_t* partitions) {
  std::string text;
  for (int index = 0; index < partitions->cnt; ++index) {
    if (!text.empty()) text += ", ";
    text +=
        fmt::format("{}[{}]", partitions->elems[index].topic, partitions->elems[index].partition);
  }
  return text.empty() ? "none" : text;
}

// The declared type of a record: its content-type header (CloudEvents binary mode and most
// producers write it in lower case), or "" when it has none.
std::string ContentTypeHeader(const rd_kafka_message_t& message) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      headers == nullptr) {
    return "";
  }
  for (const char* name : {"content-type", "Content-Type"}) {
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_header_get_last(headers, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        value != nullptr) {
      return std::string(static_cast<const char*>(value), size);
    }
  }
  return "";
}

}  // namespace

KafkaSource::KafkaSource(asio::io_context& io, config::KafkaSourceConfig config,
                         std::string brokers, InFlightBudget& budget, std::int64_t retry_backoff_ms,
                         bool exactly_once)
    : io_(io),
      config_(std::move(config)),
      brokers_(std::move(brokers)),
      budget_(budget),
      retry_backoff_ms_(retry_backoff_ms),
      exactly_once_(exactly_once),
      tick_timer_(io),
      revoke_timer_(io) {
  release_listener_ = budget_.OnRelease([this] {
    if (running_) Pump();
  });
}

KafkaSource::~KafkaSource() {
  budget_.RemoveListener(release_listener_);
  closing_ = true;
  running_ = false;
  tick_timer_.cancel();
  revoke_timer_.cancel();
  if (consumer_) {
    // What was stored is committed before the group is left, so the next owner (or the next
    // start) begins right after the last delivered record. In exactly-once mode the last
    // transaction committed the offsets already.
    const rd_kafka_resp_err_t committed =
        exactly_once_ ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_commit(consumer_.get(), nullptr, 0);
    if (committed != RD_KAFKA_RESP_ERR_NO_ERROR && committed != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      spdlog::warn("source {}: final offset commit failed: {}", config_.name,
                   rd_kafka_err2str(committed));
    }
    if (queue_ != nullptr) rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
    // Messages must go before the client: librdkafka's buffers back them. Their budget is not
    // released: the app is tearing down, and other sources' release listeners may be gone.
    held_.clear();
    records_.clear();
    rd_kafka_consumer_close(consumer_.get());
    if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
    consumer_.reset();
    spdlog::info("source {}: consumer closed ({} records acknowledged, {} rejected)", config_.name,
                 stats_.records_acknowledged, stats_.records_rejected);
  }
  wake_.reset();  // closes the read end once Asio owns it
  for (const int descriptor : wake_pipe_) {
    if (descriptor >= 0) close(descriptor);
  }
}

bool IsOverriddenConsumerProperty(std::string_view name, bool exactly_once) {
  // At-least-once rests on storing offsets only after delivery; that one is not negotiable.
  return name == "enable.auto.offset.store" || (exactly_once && name == "enable.auto.commit");
}

std::map<std::string, std::string> ConsumerProperties(const config::KafkaSourceConfig& config,
                                                      const std::string& brokers,
                                                      bool exactly_once) {
  std::map<std::string, std::string> properties = {
      {"bootstrap.servers", brokers},
      {"group.id", config.group_id},
      {"client.id", "newswire-" + config.name},
      // Offsets are stored by the source once a record is done, and committed from there.
      {"enable.auto.offset.store", "false"},
      // Exactly-once: offsets are committed in the producer's transaction, never by the consumer.
      {"enable.auto.commit", exactly_once ? "false" : "true"},
      {"auto.commit.interval.ms", std::to_string(config.commit_interval_ms)},
      {"auto.offset.reset", config.auto_offset_reset},
      {"session.timeout.ms", std::to_string(config.session_timeout_ms)},
      // Half of max_prefetch_bytes in librdkafka's queue, the other half in held_.
      {"queued.max.messages.kbytes",
       std::to_string(
           std::clamp<std::int64_t>(config.max_prefetch_bytes / 2 / 1024, 1, kMaxQueuedKilobytes))},
      {"enable.partition.eof", "false"},
      // librdkafka refuses a poll interval shorter than the session timeout.
      {"max.poll.interval.ms", std::to_string(std::max<std::int64_t>(kDefaultMaxPollIntervalMs,
                                                                     config.session_timeout_ms))},
  };
  for (const auto& [name, value] : config.properties) {
    if (!IsOverriddenConsumerProperty(name, exactly_once)) properties[name] = value;
  }
  return properties;
}

Result<void> KafkaSource::CreateConsumer() {
  const auto fail = [this](ErrorCode code, const std::string& message) {
    return MakeError(Stage::kSource, code, fmt::format("source {}: {}", config_.name, message));
  };
  for (const auto& [name, value] : config_.properties) {
    if (!IsOverriddenConsumerProperty(name, exactly_once_)) continue;
    spdlog::warn("source {}: properties.{} is ignored: offsets are {}", config_.name, name,
                 exactly_once_ ? "committed in the producer's transaction (kafka.exactly_once)"
                               : "stored only after delivery");
  }
  auto conf = kafka::MakeConf(ConsumerProperties(config_, brokers_, exactly_once_));
  if (!conf) return fail(conf.error().code, conf.error().message);
  kafka::RouteLogsToSpdlog(conf->get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), RebalanceCallback);
  rd_kafka_conf_set_opaque(conf->get(), this);
  auto client = kafka::MakeClient(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!client) return fail(client.error().code, client.error().message);
  consumer_ = std::move(*client);
  // Everything (messages, rebalances, errors) arrives on the consumer queue, which wakes the io
  // thread through the pipe when it turns non-empty.
  rd_kafka_poll_set_consumer(consumer_.get());
  queue_ = rd_kafka_queue_get_consumer(consumer_.get());
  if (pipe2(wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot create a pipe: {}",
                            std::error_code(errno, std::generic_category()).message()));
  }
  static constexpr char kWakeByte = '1';
  rd_kafka_queue_io_event_enable(queue_, wake_pipe_[1], &kWakeByte, 1);
  wake_ = std::make_unique<asio::posix::stream_descriptor>(io_, wake_pipe_[0]);
  wake_pipe_[0] = -1;  // Asio closes it

  kafka::PartitionListHandle topics(
      rd_kafka_topic_partition_list_new(static_cast<int>(config_.topics.size())));
  for (const std::string& topic : config_.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const rd_kafka_resp_err_t error = rd_kafka_subscribe(consumer_.get(), topics.get());
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot subscribe: {}", rd_kafka_err2str(error)));
  }
  return {};
}

Result<void> KafkaSource::Start(ItemHandler handler, FailureHandler on_failure) {
  handler_ = std::move(handler);
  on_failure_ = std::move(on_failure);
  if (auto created = CreateConsumer(); !created) return created;
  running_ = true;
  std::string topics;
  for (const std::string& topic : config_.topics) topics += (topics.empty() ? "" : ", ") + topic;
  spdlog::info("source {}: consuming {} in group {} from {}", config_.name, topics,
               config_.group_id, brokers_);
  WaitForQueue();
  ScheduleTick();
  return {};
}

void KafkaSource::WaitForQueue() {
  wake_->async_wait(asio::posix::stream_descriptor::wait_read,
                    [this](const asio::error_code& error) {
                      if (error || closing_ || !running_) return;
                      char bytes[64];
                      while (read(wake_->native_handle(), bytes, sizeof bytes) > 0) {
                      }
                      Pump();
                      WaitForQueue();
                    });
}

void KafkaSource::ScheduleTick() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](const asio::error_code& error) {
    if (error || closing_ || !running_) return;
    Pump();
    ScheduleTick();
  });
}

void KafkaSource::Pump() {
  if (!consumer_ || closing_) return;
  while (running_ && !holding_ && !held_.empty() && HandOutFront()) {
  }
  int polled = 0;
  for (; polled < kMaxPollsPerPump; ++polled) {
    // Rebalance callbacks run inside this call.
    rd_kafka_message_t* raw = rd_kafka_consumer_poll(consumer_.get(), 0);
    if (raw == nullptr) break;
    kafka::MessageHandle message(raw);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      HandleConsumerError(*message);
      continue;
    }
    // Stopping: not handed out and not stored, so the next start consumes it again.
    if (!running_) continue;
    if (exactly_once_) {
      const auto partition =
          partitions_.find({rd_kafka_topic_name(message->rkt), message->partition});
      if (partition != partitions_.end() && partition->second.rewind_offset < 0) {
        partition->second.rewind_offset = message->offset;
      }
    }
    PushHeld(std::move(message));
    while (!holding_ && !held_.empty() && HandOutFront()) {
    }
    // Full: pausing now lets librdkafka drop what it fetched for the paused partitions instead
    // of handing it over.
    if (held_bytes_ >= held_limit_bytes() && !paused_) {
      PauseAll("in-flight budget used up and records fetched ahead reached max_prefetch_bytes");
    }
  }
  // The queue signals only when it turns non-empty: if it was not drained, come back.
  if (polled == kMaxPollsPerPump && running_) asio::post(io_, [this] { Pump(); });
  if (paused_ && running_ && held_bytes_ <= held_limit_bytes() / 2) ResumeAll();
}

void KafkaSource::PushHeld(kafka::MessageHandle message) {
  held_bytes_ += static_cast<std::int64_t>(message->len);
  held_.push_back(std::move(message));
}

kafka::MessageHandle KafkaSource::TakeFrontHeld() {
  kafka::MessageHandle message = std::move(held_.front());
  held_.pop_front();
  held_bytes_ -= static_cast<std::int64_t>(message->len);
  return message;
}

void KafkaSource::DropHeld() {
  held_.clear();
  held_bytes_ = 0;
}

std::int64_t KafkaSource::held_limit_bytes() const { return config_.max_prefetch_bytes / 2; }

bool KafkaSource::HandOutFront() {
  const rd_kafka_message_t& message = *held_.front();
  PartitionKey key{rd_kafka_topic_name(message.rkt), message.partition};
  const auto partition = partitions_.find(key);
  if (partition == partitions_.end() || partition->second.revoking) {
    // Its partition went to another member, which consumes it from the committed offset.
    TakeFrontHeld();
    ++stats_.records_dropped;
    return true;
  }
  const bool too_large = static_cast<std::int64_t>(message.len) > config_.max_record_bytes;
  const std::int64_t reserved_bytes = too_large ? 0 : static_cast<std::int64_t>(message.len);
  if (!budget_.TryAcquire(reserved_bytes)) return false;
  const std::uint64_t ticket = next_ticket_++;
  SourceItem item = MakeItem(ticket, message);
  partition->second.progress.HandOut(message.offset);
  Record record;
  record.partition = std::move(key);
  record.offset = message.offset;
  record.reserved_bytes = reserved_bytes;
  record.first_handed_out = std::chrono::steady_clock::now();
  record.message = TakeFrontHeld();
  records_.emplace(ticket, std::move(record));
  ++stats_.records_handed_out;
  handler_(std::move(item));
  return true;
}

SourceItem KafkaSource::MakeItem(std::uint64_t ticket, const rd_kafka_message_t& message) const {
  SourceItem item;
  item.ticket = ticket;
  item.original_size = message.len;
  Origin& origin = item.raw.origin;
  origin.kind = Origin::Kind::kKafka;
  origin.source_name = config_.name;
  origin.topic = rd_kafka_topic_name(message.rkt);
  origin.partition = message.partition;
  origin.offset = message.offset;
  origin.location = KafkaRecordUri(origin.topic, origin.partition, origin.offset);
  // Create time or log-append time, whichever the topic keeps: either is when the record came
  // into being as far as newswire can tell.
  rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t timestamp_ms = rd_kafka_message_timestamp(&message, &timestamp_type);
  if (timestamp_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && timestamp_ms >= 0) {
    item.created_at =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(timestamp_ms));
  }
  if (static_cast<std::int64_t>(message.len) > config_.max_record_bytes) {
    // Not copied: the dead letter names the record, and it stays in its topic to be read.
    item.rejection = Error{Stage::kSource, ErrorCode::kTooLarge,
                           fmt::format("the record has {} bytes, more than max_record_bytes ({})",
                                       message.len, config_.max_record_bytes)};
    return item;
  }
  if (message.payload != nullptr) {
    item.raw.bytes.assign(static_cast<const char*>(message.payload), message.len);
  }
  item.raw.content_type = ContentTypeHeader(message);
  if (item.raw.content_type.empty() && config_.format != "auto") {
    item.raw.content_type = config_.format;
  }
  return item;
}

void KafkaSource::HandleConsumerError(const rd_kafka_message_t& message) {
  ++stats_.consumer_errors;
  if (message.err == RD_KAFKA_RESP_ERR__FATAL) {
    char reason[512];
    rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason);
    if (on_failure_) {
      on_failure_(Error{Stage::kSource, ErrorCode::kFatal,
                        fmt::format("source {}: fatal consumer error: {}", config_.name, reason)});
    }
    return;
  }
  const char* topic = message.rkt != nullptr ? rd_kafka_topic_name(message.rkt) : nullptr;
  if (topic != nullptr) {
    spdlog::warn("source {}: consumer error on {}[{}]: {}", config_.name, topic, message.partition,
                 rd_kafka_message_errstr(&message));
  } else {
    spdlog::warn("source {}: consumer error: {}", config_.name, rd_kafka_message_errstr(&message));
  }
}

void KafkaSource::Acknowledge(std::uint64_t ticket) {
  ++stats_.records_acknowledged;
  Finish(ticket);
}

void KafkaSource::Reject(std::uint64_t ticket, const Error&) {
  // Its dead letter was delivered: the record is done, and its offset may be stored.
  ++stats_.records_rejected;
  Finish(ticket);
}

void KafkaSource::Release(std::uint64_t ticket) {
  const auto found = records_.find(ticket);
  if (found == records_.end()) return;
  ++stats_.records_released;
  if (exactly_once_) {
    // Its events may be in the open transaction already: the whole transaction aborts, and the
    // rewind hands this record out again.
    const std::int64_t reserved_bytes = found->second.reserved_bytes;
    records_.erase(found);
    EndTransactionSoon(/*failed=*/true);
    budget_.Release(reserved_bytes);
    return;
  }
  if (!running_) {
    // Stopping: not stored, so the next start consumes it again.
    const std::int64_t reserved_bytes = found->second.reserved_bytes;
    records_.erase(found);
    budget_.Release(reserved_bytes);
    return;
  }
  Record& record = found->second;
  record.retry_timer = std::make_unique<asio::steady_timer>(io_);
  record.retry_timer->expires_after(std::chrono::milliseconds(retry_backoff_ms_));
  record.retry_timer->async_wait([this, ticket](const asio::error_code& error) {
    if (error) return;
    const auto again = records_.find(ticket);
    if (again == records_.end()) return;
    const auto partition = partitions_.find(again->second.partition);
    if (!running_ || partition == partitions_.end() || partition->second.revoking) {
      // Another member owns the partition now, or newswire is stopping: it is consumed again
      // from the committed offset.
      const std::int64_t reserved_bytes = again->second.reserved_bytes;
      records_.erase(again);
      ++stats_.records_dropped;
      MaybeFinishRevoke();
      budget_.Release(reserved_bytes);
      return;
    }
    ++stats_.records_handed_out;
    handler_(MakeItem(ticket, *again->second.message));
  });
}

std::optional<std::chrono::steady_clock::time_point> KafkaSource::oldest_in_flight() const {
  // Linear in the records, which the in-flight budget bounds; called once per metrics scrape.
  std::optional<std::chrono::steady_clock::time_point> oldest;
  for (const auto& [ticket, record] : records_) {
    if (!oldest || record.first_handed_out < *oldest) oldest = record.first_handed_out;
  }
  return oldest;
}

std::vector<KafkaSource::PartitionLag> KafkaSource::partition_lags() const {
  // Not librdkafka's statistics (consumer_lag): that one counts from the committed offset.
  // At-least-once mode commits every commit_interval_ms, so it would trail by an interval, and
  // exactly-once mode commits through the producer's transaction, which the consumer never
  // hears of, so it would stay at the offset committed when the partition was assigned and only
  // grow. The backlog is what is not done yet, counted here from what this class knows; the
  // high watermark is librdkafka's cache of the last fetch response.
  std::vector<PartitionLag> lags;
  if (!consumer_ || partitions_.empty()) return lags;
  // The first offset of each partition polled and not yet handed out (held_ is in poll order,
  // and a rewind clears it, so that is the smallest).
  std::map<PartitionKey, std::int64_t> first_held;
  for (const kafka::MessageHandle& message : held_) {
    first_held.try_emplace({rd_kafka_topic_name(message->rkt), message->partition},
                           message->offset);
  }
  // The position is the offset after the last record polled: everything from there on was
  // fetched ahead or not fetched at all. In partitions_ order.
  kafka::PartitionListHandle positions(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size())));
  for (const auto& [key, state] : partitions_) {
    rd_kafka_topic_partition_list_add(positions.get(), key.first.c_str(), key.second);
  }
  const bool have_positions =
      rd_kafka_position(consumer_.get(), positions.get()) == RD_KAFKA_RESP_ERR_NO_ERROR;
  int index = 0;
  for (const auto& [key, state] : partitions_) {
    const rd_kafka_topic_partition_t& position = positions->elems[index++];
    std::int64_t low = -1;
    std::int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(consumer_.get(), key.first.c_str(), key.second, &low,
                                       &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;  // not fetched from yet
    }
    // The first offset not done is the smallest of the oldest record handed out and unfinished
    // (a retried one stays there), the oldest held and the position. Each may be unknown (-1).
    std::int64_t first_not_done = -1;
    const auto consider = [&first_not_done](std::int64_t offset) {
      if (offset >= 0 && (first_not_done < 0 || offset < first_not_done)) first_not_done = offset;
    };
    consider(state.progress.first_pending_offset());
    if (const auto held = first_held.find(key); held != first_held.end()) consider(held->second);
    if (have_positions && position.err == RD_KAFKA_RESP_ERR_NO_ERROR) consider(position.offset);
    // Nothing polled from it yet: where consumption starts (the committed offset) is known only
    // to the broker, and asking it would block.
    if (first_not_done < 0) continue;
    lags.push_back(
        PartitionLag{key.first, key.second, std::max<std::int64_t>(0, high - first_not_done)});
  }
  return lags;
}

void KafkaSource::Finish(std::uint64_t ticket) {
  const auto found = records_.find(ticket);
  if (found == records_.end()) return;
  const std::int64_t reserved_bytes = found->second.reserved_bytes;
  const PartitionKey key = found->second.partition;
  const std::int64_t offset = found->second.offset;
  records_.erase(found);
  const auto partition = partitions_.find(key);
  if (partition != partitions_.end()) {
    partition->second.progress.Finish(offset);
    StoreOffset(key, partition->second.progress);
  }
  MaybeFinishRevoke();
  // Last: releasing budget may hand out the next record at once.
  budget_.Release(reserved_bytes);
}

void KafkaSource::StoreOffset(const PartitionKey& key, PartitionProgress& progress) {
  // Exactly-once: the transaction takes the offsets (OffsetsForTransaction).
  if (exactly_once_ || !progress.has_unstored_progress()) return;
  kafka::PartitionListHandle list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), key.first.c_str(), key.second)->offset =
      progress.next_offset_to_store();
  if (const rd_kafka_resp_err_t error = rd_kafka_offsets_store(consumer_.get(), list.get());
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The partition is no longer assigned; its next owner starts from the last commit.
    spdlog::debug("source {}: offset {} of {}[{}] not stored: {}", config_.name,
                  progress.next_offset_to_store(), key.first, key.second, rd_kafka_err2str(error));
    return;
  }
  progress.MarkStored();
}

void KafkaSource::SetPaused(const std::vector<PartitionKey>& keys, bool paused) {
  if (keys.empty()) return;
  kafka::PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(keys.size())));
  for (const auto& [topic, partition] : keys) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  }
  const rd_kafka_resp_err_t error = paused
                                        ? rd_kafka_pause_partitions(consumer_.get(), list.get())
                                        : rd_kafka_resume_partitions(consumer_.get(), list.get());
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("source {}: cannot {} {}: {}", config_.name, paused ? "pause" : "resume",
                 DescribePartitions(list.get()), rd_kafka_err2str(error));
  }
}

void KafkaSource::PauseAll(const char* reason) {
  std::vector<PartitionKey> keys;
  for (const auto& [key, state] : partitions_) keys.push_back(key);
  SetPaused(keys, true);
  paused_ = true;
  pause_logged_ = reason != nullptr;
  if (reason != nullptr) {
    spdlog::debug("source {}: {}, {} partition(s) paused", config_.name, reason, keys.size());
  }
}

void KafkaSource::ResumeAll() {
  std::vector<PartitionKey> keys;
  for (const auto& [key, state] : partitions_) {
    if (!state.revoking) keys.push_back(key);
  }
  SetPaused(keys, false);
  paused_ = false;
  if (pause_logged_) spdlog::debug("source {}: {} partition(s) resumed", config_.name, keys.size());
}

bool KafkaSource::Cooperative() const {
  return std::strcmp(rd_kafka_rebalance_protocol(consumer_.get()), "COOPERATIVE") == 0;
}

void KafkaSource::OnRebalance(rd_kafka_resp_err_t error,
                              rd_kafka_topic_partition_list_t* partitions) {
  ++stats_.rebalances;
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Assign(partitions);
    return;
  }
  if (error == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    if (closing_ || rd_kafka_assignment_lost(consumer_.get())) {
      // Closing (everything in flight is done or given up) or already taken away: let go now.
      for (int index = 0; index < partitions->cnt; ++index) {
        partitions_.erase({partitions->elems[index].topic, partitions->elems[index].partition});
      }
      spdlog::info("source {}: {} {}", config_.name, closing_ ? "leaving" : "lost",
                   DescribePartitions(partitions));
      // Their events in the open transaction belong to a generation that is gone: committing
      // them with the offsets would fail, and must not succeed.
      if (exactly_once_ && !closing_) EndTransactionSoon(/*failed=*/true);
      if (Cooperative()) {
        kafka::ErrorHandle ignored(rd_kafka_incremental_unassign(consumer_.get(), partitions));
      } else {
        rd_kafka_assign(consumer_.get(), nullptr);
      }
      return;
    }
    BeginRevoke(partitions);
    return;
  }
  spdlog::error("source {}: rebalance failed: {}", config_.name, rd_kafka_err2str(error));
  rd_kafka_assign(consumer_.get(), nullptr);
}

void KafkaSource::Assign(rd_kafka_topic_partition_list_t* partitions) {
  for (int index = 0; index < partitions->cnt; ++index) {
    partitions_[{partitions->elems[index].topic, partitions->elems[index].partition}] =
        PartitionState{};
  }
  if (Cooperative()) {
    kafka::ErrorHandle error(rd_kafka_incremental_assign(consumer_.get(), partitions));
    if (error) {
      spdlog::error("source {}: cannot take {}: {}", config_.name, DescribePartitions(partitions),
                    rd_kafka_error_string(error.get()));
    }
  } else {
    rd_kafka_assign(consumer_.get(), partitions);
  }
  spdlog::info("source {}: assigned {}", config_.name, DescribePartitions(partitions));
  // Intake is paused or stopped: the new partitions wait too.
  if (paused_ || !running_) {
    std::vector<PartitionKey> keys;
    for (int index = 0; index < partitions->cnt; ++index) {
      keys.emplace_back(partitions->elems[index].topic, partitions->elems[index].partition);
    }
    SetPaused(keys, true);
  }
}

void KafkaSource::BeginRevoke(rd_kafka_topic_partition_list_t* partitions) {
  for (int index = 0; index < partitions->cnt; ++index) {
    const auto found =
        partitions_.find({partitions->elems[index].topic, partitions->elems[index].partition});
    if (found != partitions_.end()) found->second.revoking = true;
  }
  // Fetched but not handed out: the next owner consumes them.
  const auto before = held_.size();
  std::erase_if(held_, [this](const kafka::MessageHandle& message) {
    const auto found = partitions_.find({rd_kafka_topic_name(message->rkt), message->partition});
    const bool drop = found == partitions_.end() || found->second.revoking;
    if (drop) held_bytes_ -= static_cast<std::int64_t>(message->len);
    return drop;
  });
  stats_.records_dropped += before - held_.size();
  pending_revoke_.reset(rd_kafka_topic_partition_list_copy(partitions));
  if (exactly_once_) {
    // Their offsets are committed by the transaction; the outcome lets go of them.
    spdlog::info("source {}: {} revoked; ending the open transaction before letting go",
                 config_.name, DescribePartitions(partitions));
    EndTransactionSoon(/*failed=*/false);
    return;
  }
  const std::size_t in_flight = InFlightOnRevokingPartitions();
  if (in_flight == 0) {
    FinishRevoke(false);
    return;
  }
  spdlog::info("source {}: {} revoked; waiting up to {} ms for {} record(s) in flight",
               config_.name, DescribePartitions(partitions), config_.revoke_timeout_ms, in_flight);
  revoke_timer_.expires_after(std::chrono::milliseconds(config_.revoke_timeout_ms));
  revoke_timer_.async_wait([this](const asio::error_code& error) {
    if (!error && pending_revoke_) FinishRevoke(true);
  });
}

std::size_t KafkaSource::InFlightOnRevokingPartitions() const {
  return static_cast<std::size_t>(
      std::count_if(records_.begin(), records_.end(), [this](const auto& entry) {
        const auto found = partitions_.find(entry.second.partition);
        return found != partitions_.end() && found->second.revoking;
      }));
}

void KafkaSource::MaybeFinishRevoke() {
  if (pending_revoke_ && InFlightOnRevokingPartitions() == 0) FinishRevoke(false);
}

void KafkaSource::FinishRevoke(bool timed_out) {
  revoke_timer_.cancel();
  kafka::PartitionListHandle revoked = std::move(pending_revoke_);
  if (timed_out) {
    const std::size_t abandoned = InFlightOnRevokingPartitions();
    spdlog::warn(
        "source {}: revoke_timeout_ms ({}) passed with {} record(s) in flight; letting go of {}, "
        "whose next owner consumes them again",
        config_.name, config_.revoke_timeout_ms, abandoned, DescribePartitions(revoked.get()));
  }
  // What was done is committed now, synchronously, so the next owner starts right after it.
  kafka::PartitionListHandle done(rd_kafka_topic_partition_list_new(revoked->cnt));
  for (int index = 0; index < revoked->cnt; ++index) {
    const PartitionKey key{revoked->elems[index].topic, revoked->elems[index].partition};
    const auto found = partitions_.find(key);
    if (found == partitions_.end()) continue;
    if (const std::int64_t next = found->second.progress.next_offset_to_store();
        next >= 0 && !exactly_once_) {
      rd_kafka_topic_partition_list_add(done.get(), key.first.c_str(), key.second)->offset = next;
    }
    partitions_.erase(found);
  }
  if (done->cnt > 0) {
    if (const rd_kafka_resp_err_t error = rd_kafka_commit(consumer_.get(), done.get(), 0);
        error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("source {}: commit on revoke failed: {}", config_.name, rd_kafka_err2str(error));
    }
  }
  if (Cooperative()) {
    kafka::ErrorHandle ignored(rd_kafka_incremental_unassign(consumer_.get(), revoked.get()));
  } else {
    rd_kafka_assign(consumer_.get(), nullptr);
  }
  spdlog::info("source {}: let go of {}", config_.name, DescribePartitions(revoked.get()));
}

void KafkaSource::Stop() {
  if (!running_) return;
  running_ = false;
  DropHeld();
  // Records waiting for a retry are given up: not stored, so consumed again at the next start.
  std::vector<std::int64_t> released_bytes;
  std::erase_if(records_, [&](const auto& entry) {
    if (!entry.second.retry_timer) return false;
    entry.second.retry_timer->cancel();
    released_bytes.push_back(entry.second.reserved_bytes);
    return true;
  });
  for (const std::int64_t bytes : released_bytes) budget_.Release(bytes);
  if (consumer_ && !paused_) PauseAll("intake stopped");
  // No more polling: what is in flight finishes through Acknowledge and Reject, stored offsets
  // are committed by librdkafka's own timer and at close. Cancelled now, the waits complete
  // while the io loop still runs, so no handler outlives it.
  tick_timer_.cancel();
  if (wake_) wake_->cancel();
  spdlog::info("source {}: intake stopped, {} record(s) still in flight", config_.name,
               records_.size());
}

}  // namespace newswire::sources

namespace newswire::sources {

void KafkaSource::EndTransactionSoon(bool failed) {
  if (failed) transaction_failed_ = true;
  if (end_transaction_request_) end_transaction_request_();
}

void KafkaSource::Hold() { holding_ = true; }

void KafkaSource::Unhold() {
  holding_ = false;
  if (running_) Pump();
}

bool KafkaSource::has_uncommitted_progress() const {
  return std::any_of(partitions_.begin(), partitions_.end(), [](const auto& entry) {
    return entry.second.progress.has_unstored_progress();
  });
}

kafka::ConsumedOffsets KafkaSource::OffsetsForTransaction() const {
  kafka::ConsumedOffsets consumed;
  consumed.offsets.reset(rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size())));
  for (const auto& [key, state] : partitions_) {
    if (!state.progress.has_unstored_progress()) continue;
    rd_kafka_topic_partition_list_add(consumed.offsets.get(), key.first.c_str(), key.second)
        ->offset = state.progress.next_offset_to_store();
  }
  consumed.group.reset(rd_kafka_consumer_group_metadata(consumer_.get()));
  return consumed;
}

void KafkaSource::TransactionCommitted() {
  for (auto& [key, state] : partitions_) {
    if (!state.progress.has_unstored_progress()) continue;
    state.progress.MarkStored();
    // Everything handed out is finished: an abort from now on restarts right after it.
    state.rewind_offset = state.progress.next_offset_to_store();
  }
  transaction_failed_ = false;
  if (pending_revoke_) FinishRevoke(false);
}

void KafkaSource::TransactionAborted() {
  transaction_failed_ = false;
  stats_.records_dropped += held_.size();
  DropHeld();
  kafka::PartitionListHandle rewind(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size())));
  for (auto& [key, state] : partitions_) {
    const std::int64_t offset = state.rewind_offset;
    // Progress restarts with the records handed out again.
    state.progress = PartitionProgress{};
    if (offset < 0 || state.revoking) continue;
    rd_kafka_topic_partition_list_add(rewind.get(), key.first.c_str(), key.second)->offset = offset;
  }
  if (pending_revoke_) FinishRevoke(false);
  if (rewind->cnt == 0) return;
  // Blocks until the fetcher moved, so that nothing fetched before the seek is handed out.
  constexpr int kSeekTimeoutMs = 10000;
  const kafka::ErrorHandle error(
      rd_kafka_seek_partitions(consumer_.get(), rewind.get(), kSeekTimeoutMs));
  std::string failure = error != nullptr ? rd_kafka_error_string(error.get()) : "";
  for (int index = 0; failure.empty() && index < rewind->cnt; ++index) {
    if (rewind->elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure =
          fmt::format("{}[{}]: {}", rewind->elems[index].topic, rewind->elems[index].partition,
                      rd_kafka_err2str(rewind->elems[index].err));
    }
  }
  if (!failure.empty()) {
    // Going on would skip the records of the aborted transaction. A restart resumes from the
    // committed offsets instead.
    if (on_failure_) {
      on_failure_(Error{Stage::kSource, ErrorCode::kFatal,
                        fmt::format("source {}: cannot rewind after an aborted transaction: {}",
                                    config_.name, failure)});
    }
    return;
  }
  spdlog::info("source {}: rewound {} to the last committed offsets", config_.name,
               DescribePartitions(rewind.get()));
}

}  // namespace newswire::sources
