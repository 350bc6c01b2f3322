#include "daemon/sinks/kafka/kafka_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "daemon/kafka/kafka_handles.h"
#include "daemon/kafka/kafka_statistics.h"

namespace newswire::sinks {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How long one rd_kafka_poll call on the poll thread may block; also bounds how long destruction
// waits for the poll thread to notice it should stop.
constexpr int kPollTimeoutMs = 100;
// A sender that found the local queue full sleeps at most this long before retrying, even if no
// delivery report woke it.
constexpr milliseconds kQueueFullWait{10};
// At shutdown, how long the poll thread waits for the reports of purged events.
constexpr milliseconds kShutdownDrainTimeout{10000};
constexpr std::size_t kErrorBufferBytes = 512;
// librdkafka's default transaction.timeout.ms. The broker aborts a transaction left open longer,
// and librdkafka wants message.timeout.ms no longer than it.
constexpr std::int64_t kDefaultTransactionTimeoutMs = 60000;
// A transactional call that failed with a retriable error (a timeout, a coordinator moving) is
// tried this many times in all, this long apart.
constexpr int kTransactionAttempts = 5;
constexpr milliseconds kTransactionRetryWait{200};

// Runs `call` (a librdkafka transactional call) until it succeeds, fails in a way that is not
// retriable, or kTransactionAttempts ran out. Null means success.
template <typename Call>
kafka::ErrorHandle RetryTransactional(Call call) {
  kafka::ErrorHandle error;
  for (int attempt = 1; attempt <= kTransactionAttempts; ++attempt) {
    error.reset(call());
    if (error == nullptr || !rd_kafka_error_is_retriable(error.get())) break;
    spdlog::warn("kafka transaction: {} (attempt {} of {}, retrying)",
                 rd_kafka_error_string(error.get()), attempt, kTransactionAttempts);
    std::this_thread::sleep_for(kTransactionRetryWait);
  }
  return error;
}

// One event on its way to Kafka. Created by Send, handed to librdkafka as the message opaque and
// freed by the delivery report callback on the poll thread, after `done` ran. librdkafka's copy of
// the message points into `event.key` and `event.value` (no RD_KAFKA_MSG_F_COPY), so the record
// must live until that report.
struct InFlightRecord {
  OutboundEvent event;
  DeliveryCallback done;
};

}  // namespace

// The state shared by the sending threads, the poll thread and librdkafka's callbacks (which get a
// pointer to it as their opaque, so it never moves). Owned by the KafkaSink. Teardown order: stop
// and join the poll thread (which first fails every undelivered event through its callback), then
// the topic handles, then the client.
struct KafkaSink::Impl {
  ~Impl() {
    refusing.store(true);
    stopping.store(true);
    if (poll_thread.joinable()) poll_thread.join();
    // Topic handles hold references into the client: release them first.
    events_topic.reset();
    dead_letter_topic.reset();
    named_topics.clear();
    client.reset();
  }

  static void OnDelivery(rd_kafka_t* client, const rd_kafka_message_t* message, void* opaque);
  static void OnError(rd_kafka_t* client, int error, const char* reason, void* opaque);
  // librdkafka's stats callback: on the poll thread inside rd_kafka_poll, or on the thread in
  // EndTransaction (rd_kafka_commit_transaction flushes, which serves callbacks too).
  static int OnStatistics(rd_kafka_t* client, char* json, std::size_t json_bytes, void* opaque);

  void PollLoop();
  // Wakes senders waiting for queue space and Flush callers, if there are any.
  void WakeWaiters();
  void WakeAll();
  void EnterFatalState(const std::string& message);
  // The error Send returns once the producer is in a fatal state.
  Error FatalError();

  std::string bootstrap_servers;
  std::string events_topic_name;
  FatalHandler on_fatal;
  // What the client's error callback last said (connection refused, name resolution, TLS, SASL),
  // for CheckConnection's message: a metadata request that fails only says it timed out. Written
  // on librdkafka's thread, read by CheckConnection's caller.
  std::mutex last_client_error_mutex;
  std::string last_client_error;  // guarded by last_client_error_mutex

  kafka::KafkaHandle client;
  kafka::TopicHandle events_topic;
  kafka::TopicHandle dead_letter_topic;  // null when no dead-letter topic is configured
  // Route and forward topics, made on first use (routes can change on reload); senders on every
  // worker.
  std::mutex named_topics_mutex;
  std::map<std::string, kafka::TopicHandle, std::less<>> named_topics;

  // The topic handle for `event`, or why there is none.
  Result<rd_kafka_topic_t*> TopicFor(const OutboundEvent& event);

  std::atomic<bool> stopping{false};  // the poll thread should finish
  std::atomic<bool> refusing{false};  // Stop() was called: Send refuses
  std::atomic<bool> fatal{false};
  std::mutex fatal_mutex;
  std::optional<Error> fatal_error;  // guarded by fatal_mutex

  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> queue_full_waits{0};
  std::atomic<std::uint64_t> in_flight{0};

  // Written by OnStatistics (see there for the thread), read by client_statistics() on any
  // thread; it locks itself.
  kafka::LatestClientStatistics statistics{"Kafka sink"};

  // Senders blocked on a full queue and Flush callers wait here; the poll thread wakes them after
  // every poll that served delivery reports.
  std::atomic<int> waiters{0};
  std::mutex wait_mutex;
  std::condition_variable progress;

  std::thread poll_thread;
};

void KafkaSink::Impl::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* impl = static_cast<Impl*>(opaque);
  std::unique_ptr<InFlightRecord> record(static_cast<InFlightRecord*>(message->_private));
  if (record == nullptr) return;
  const Result<DeliveryReport> outcome = JudgeDelivery(
      rd_kafka_topic_name(message->rkt), message->partition, message->offset, message->err);
  (outcome ? impl->delivered : impl->failed).fetch_add(1);
  if (record->done) record->done(outcome);
  // Only after the callback returned, so that Flush() == 0 means every callback has finished.
  impl->in_flight.fetch_sub(1);
}

void KafkaSink::Impl::OnError(rd_kafka_t* client, int error, const char* reason, void* opaque) {
  auto* impl = static_cast<Impl*>(opaque);
  if (error == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, kErrorBufferBytes> fatal_reason{};
    const rd_kafka_resp_err_t original =
        rd_kafka_fatal_error(client, fatal_reason.data(), fatal_reason.size());
    impl->EnterFatalState(fmt::format("Kafka producer failed fatally ({}): {}",
                                      rd_kafka_err2name(original), fatal_reason.data()));
    return;
  }
  spdlog::warn("kafka producer error {}: {}",
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(error)), reason);
  // "1/1 brokers are down" follows the error that says why; that one is kept.
  if (error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) return;
  std::lock_guard lock(impl->last_client_error_mutex);
  impl->last_client_error = reason;
}

int KafkaSink::Impl::OnStatistics(rd_kafka_t*, char* json, std::size_t json_bytes, void* opaque) {
  // A document that does not parse is logged by Update (once) and otherwise ignored: statistics
  // are for metrics and must never disturb delivery.
  static_cast<void>(static_cast<Impl*>(opaque)->statistics.Update({json, json_bytes}));
  // 0: librdkafka frees `json` itself; the parsed copy holds nothing that points into it.
  return 0;
}

void KafkaSink::Impl::EnterFatalState(const std::string& message) {
  Error error{Stage::kSink, ErrorCode::kFatal, message};
  {
    std::lock_guard lock(fatal_mutex);
    if (fatal_error.has_value()) return;
    fatal_error = error;
    fatal.store(true);
  }
  spdlog::error("{}", error.Describe());
  WakeWaiters();
  if (on_fatal) on_fatal(error);
}

Error KafkaSink::Impl::FatalError() {
  std::lock_guard lock(fatal_mutex);
  return fatal_error.value_or(
      Error{Stage::kSink, ErrorCode::kFatal, "Kafka producer failed fatally"});
}

void KafkaSink::Impl::WakeWaiters() {
  if (waiters.load() == 0) return;
  WakeAll();
}

void KafkaSink::Impl::WakeAll() {
  { std::lock_guard lock(wait_mutex); }
  progress.notify_all();
}

void KafkaSink::Impl::PollLoop() {
  while (!stopping.load()) {
    if (rd_kafka_poll(client.get(), kPollTimeoutMs) > 0) WakeWaiters();
  }
  if (in_flight.load() == 0) return;
  // rd_kafka_destroy drops undelivered messages without reporting them, which would leak their
  // records and never call their callbacks. Fail them here instead, on this thread, as promised.
  const std::uint64_t undelivered = in_flight.load();
  spdlog::warn("kafka sink stopping with {} undelivered event(s); reporting them as failed",
               undelivered);
  rd_kafka_purge(client.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  const auto deadline = steady_clock::now() + kShutdownDrainTimeout;
  while (in_flight.load() > 0 && steady_clock::now() < deadline) {
    rd_kafka_poll(client.get(), kPollTimeoutMs);
  }
  if (in_flight.load() > 0) {
    spdlog::error("kafka sink stopped with {} event(s) never reported; their memory is leaked",
                  in_flight.load());
  }
}

Result<DeliveryReport> JudgeDelivery(std::string_view topic, std::int32_t partition,
                                     std::int64_t offset, rd_kafka_resp_err_t error) {
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR && offset >= 0) {
    return DeliveryReport{std::string(topic), partition, offset};
  }
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    return MakeError(Stage::kSink, ErrorCode::kDeliveryFailed,
                     fmt::format("delivery to Kafka topic '{}' [{}] not confirmed: librdkafka "
                                 "reported it delivered without an offset; sending it again",
                                 topic, partition));
  }
  // Too large for the broker is permanent: retrying cannot help, the app dead-letters it.
  const bool too_large = error == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
                         error == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
  return MakeError(
      Stage::kSink, too_large ? ErrorCode::kTooLarge : ErrorCode::kDeliveryFailed,
      fmt::format("delivery to Kafka topic '{}' failed: {}", topic, rd_kafka_err2str(error)));
}

std::map<std::string, std::string> ProducerProperties(const KafkaSinkOptions& options) {
  std::map<std::string, std::string> properties = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", options.compression},
      {"message.timeout.ms", std::to_string(options.message_timeout_ms)},
      {"linger.ms", "5"},
      {"statistics.interval.ms", std::to_string(options.statistics_interval_ms)},
  };
  if (!options.transactional_id.empty()) {
    properties["transactional.id"] = options.transactional_id;
    properties["transaction.timeout.ms"] =
        std::to_string(std::max(kDefaultTransactionTimeoutMs, options.message_timeout_ms));
  }
  for (const auto& [name, value] : options.properties) properties[name] = value;
  return properties;
}

KafkaSink::KafkaSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaSink::~KafkaSink() = default;

Result<std::unique_ptr<KafkaSink>> KafkaSink::Create(const KafkaSinkOptions& options,
                                                     FatalHandler on_fatal) {
  if (options.bootstrap_servers.empty()) {
    return MakeError(Stage::kSink, ErrorCode::kInvalidArgument,
                     "Kafka sink needs bootstrap servers (host:port,...)");
  }
  if (options.topic.empty()) {
    return MakeError(Stage::kSink, ErrorCode::kInvalidArgument, "Kafka sink needs a topic");
  }
  auto impl = std::make_unique<Impl>();
  impl->bootstrap_servers = options.bootstrap_servers;
  impl->events_topic_name = options.topic;
  impl->on_fatal = std::move(on_fatal);

  auto conf = kafka::MakeConf(ProducerProperties(options));
  if (!conf) return tl::unexpected(std::move(conf.error()));
  rd_kafka_conf_set_opaque(conf->get(), impl.get());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &Impl::OnDelivery);
  rd_kafka_conf_set_error_cb(conf->get(), &Impl::OnError);
  // Registered whatever statistics_interval_ms says, so that a statistics.interval.ms given in
  // `properties` works too; librdkafka never calls it while the interval is 0.
  rd_kafka_conf_set_stats_cb(conf->get(), &Impl::OnStatistics);
  kafka::RouteLogsToSpdlog(conf->get());

  auto client = kafka::MakeClient(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!client) return tl::unexpected(std::move(client.error()));
  impl->client = std::move(*client);

  auto events_topic = kafka::MakeTopic(impl->client.get(), options.topic);
  if (!events_topic) return tl::unexpected(std::move(events_topic.error()));
  impl->events_topic = std::move(*events_topic);
  if (!options.dead_letter_topic.empty()) {
    auto dead_letter_topic = kafka::MakeTopic(impl->client.get(), options.dead_letter_topic);
    if (!dead_letter_topic) return tl::unexpected(std::move(dead_letter_topic.error()));
    impl->dead_letter_topic = std::move(*dead_letter_topic);
  }

  Impl* raw_impl = impl.get();
  impl->poll_thread = std::thread([raw_impl] { raw_impl->PollLoop(); });
  return std::unique_ptr<KafkaSink>(new KafkaSink(std::move(impl)));
}

Result<rd_kafka_topic_t*> KafkaSink::Impl::TopicFor(const OutboundEvent& event) {
  switch (event.channel) {
    case Channel::kEvents:
      return events_topic.get();
    case Channel::kDeadLetter:
      if (dead_letter_topic == nullptr) {
        return MakeError(Stage::kSink, ErrorCode::kInvalidArgument,
                         "Kafka sink has no dead-letter topic configured");
      }
      return dead_letter_topic.get();
    case Channel::kRoute:
    case Channel::kForward: {
      std::lock_guard lock(named_topics_mutex);
      if (const auto found = named_topics.find(event.topic); found != named_topics.end()) {
        return found->second.get();
      }
      auto made = kafka::MakeTopic(client.get(), event.topic);
      if (!made) return tl::unexpected(std::move(made.error()));
      return named_topics.emplace(event.topic, std::move(*made)).first->second.get();
    }
  }
  return MakeError(Stage::kSink, ErrorCode::kInternal, "unknown channel");
}

Result<void> KafkaSink::Send(OutboundEvent event, DeliveryCallback done) {
  Impl& impl = *impl_;
  if (impl.fatal.load()) return tl::unexpected(impl.FatalError());
  if (impl.refusing.load()) {
    return MakeError(Stage::kSink, ErrorCode::kInternal, "Kafka sink is stopped");
  }
  auto found_topic = impl.TopicFor(event);
  if (!found_topic) return tl::unexpected(std::move(found_topic.error()));
  rd_kafka_topic_t* topic = *found_topic;

  auto record = std::make_unique<InFlightRecord>(InFlightRecord{std::move(event), std::move(done)});
  kafka::HeadersHandle headers = kafka::MakeHeaders(record->event.headers);
  std::string& key = record->event.key;
  std::string& value = record->event.value;
  bool waited = false;
  impl.in_flight.fetch_add(1);
  // rd_kafka_produceva rather than rd_kafka_producev: the latter's type-checking macros are GNU
  // statement expressions, which -Wpedantic rejects.
  std::array<rd_kafka_vu_t, 7> fields{};
  fields[0].vtype = RD_KAFKA_VTYPE_RKT;
  fields[0].u.rkt = topic;
  fields[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  fields[1].u.i32 = RD_KAFKA_PARTITION_UA;
  fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[2].u.i = 0;  // zero-copy: librdkafka points into the record's strings
  fields[3].vtype = RD_KAFKA_VTYPE_KEY;
  fields[3].u.mem = {key.data(), key.size()};
  fields[4].vtype = RD_KAFKA_VTYPE_VALUE;
  fields[4].u.mem = {value.data(), value.size()};
  fields[5].vtype = RD_KAFKA_VTYPE_HEADERS;
  fields[5].u.headers = headers.get();
  fields[6].vtype = RD_KAFKA_VTYPE_OPAQUE;
  fields[6].u.ptr = record.get();
  while (true) {
    const kafka::ErrorHandle error(
        rd_kafka_produceva(impl.client.get(), fields.data(), fields.size()));
    const rd_kafka_resp_err_t queued =
        error == nullptr ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_error_code(error.get());
    if (queued == RD_KAFKA_RESP_ERR_NO_ERROR) {
      // librdkafka owns the headers now, and the record until its delivery report (which may
      // already have run on the poll thread: do not touch the record from here on).
      static_cast<void>(headers.release());
      static_cast<void>(record.release());
      impl.sent.fetch_add(1);
      return {};
    }
    if (queued != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      impl.in_flight.fetch_sub(1);
      if (queued == RD_KAFKA_RESP_ERR__FATAL) return tl::unexpected(impl.FatalError());
      return MakeError(Stage::kSink,
                       queued == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? ErrorCode::kTooLarge
                                                                      : ErrorCode::kDeliveryFailed,
                       fmt::format("cannot queue event for Kafka topic '{}': {}",
                                   rd_kafka_topic_name(topic), rd_kafka_err2str(queued)));
    }
    // Backpressure: wait for delivery reports to make room, then try again.
    if (!waited) {
      waited = true;
      impl.queue_full_waits.fetch_add(1);
    }
    impl.waiters.fetch_add(1);
    {
      std::unique_lock lock(impl.wait_mutex);
      impl.progress.wait_for(lock, kQueueFullWait);
    }
    impl.waiters.fetch_sub(1);
    if (impl.fatal.load() || impl.refusing.load()) {
      impl.in_flight.fetch_sub(1);
      if (impl.fatal.load()) return tl::unexpected(impl.FatalError());
      return MakeError(Stage::kSink, ErrorCode::kInternal,
                       "Kafka sink stopped while waiting for queue space");
    }
  }
}

Result<void> KafkaSink::CheckConnection(std::int64_t timeout_ms) {
  const rd_kafka_metadata_t* raw_metadata = nullptr;
  const rd_kafka_resp_err_t fetched =
      rd_kafka_metadata(impl_->client.get(), /*all_topics=*/0, impl_->events_topic.get(),
                        &raw_metadata, static_cast<int>(timeout_ms));
  if (fetched != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string cause;
    {
      std::lock_guard lock(impl_->last_client_error_mutex);
      cause = impl_->last_client_error;
    }
    return MakeError(Stage::kSink, ErrorCode::kIo,
                     fmt::format("cannot reach Kafka at {} within {} ms: {}{}{}",
                                 impl_->bootstrap_servers, timeout_ms, rd_kafka_err2str(fetched),
                                 cause.empty() ? "" : "; last client error: ", cause));
  }
  {
    std::lock_guard lock(impl_->last_client_error_mutex);
    impl_->last_client_error.clear();
  }
  const kafka::MetadataHandle metadata(raw_metadata);
  for (int index = 0; index < metadata->topic_cnt; ++index) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[index];
    if (impl_->events_topic_name != topic.topic) continue;
    // A topic being created reports LEADER_NOT_AVAILABLE for a moment; only a missing or forbidden
    // topic means sending cannot work.
    if (topic.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        topic.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
      return MakeError(
          Stage::kSink, ErrorCode::kIo,
          fmt::format("Kafka at {} is reachable but topic '{}' is not usable: {}",
                      impl_->bootstrap_servers, topic.topic, rd_kafka_err2str(topic.err)));
    }
  }
  return {};
}

std::uint64_t KafkaSink::Flush(std::int64_t timeout_ms) {
  // Not rd_kafka_flush: it serves delivery reports on the calling thread, and callbacks must only
  // run on the poll thread. Wait for the poll thread to serve them instead.
  Impl& impl = *impl_;
  const auto deadline = steady_clock::now() + milliseconds(timeout_ms);
  impl.waiters.fetch_add(1);
  {
    std::unique_lock lock(impl.wait_mutex);
    while (impl.in_flight.load() > 0) {
      const auto now = steady_clock::now();
      if (now >= deadline) break;
      // A bounded wait: a wake-up can slip between the check and the wait.
      impl.progress.wait_for(lock,
                             std::min<steady_clock::duration>(deadline - now, kQueueFullWait));
    }
  }
  impl.waiters.fetch_sub(1);
  return impl.in_flight.load();
}

void KafkaSink::Stop() {
  impl_->refusing.store(true);
  impl_->WakeAll();
}

Result<void> KafkaSink::InitTransactions(std::int64_t timeout_ms) {
  Impl& impl = *impl_;
  const kafka::ErrorHandle initialized(
      rd_kafka_init_transactions(impl.client.get(), static_cast<int>(timeout_ms)));
  if (initialized != nullptr) {
    const std::string reason = rd_kafka_error_string(initialized.get());
    if (rd_kafka_error_is_retriable(initialized.get())) {
      return MakeError(Stage::kSink, ErrorCode::kIo,
                       fmt::format("cannot initialize Kafka transactions yet: {}", reason));
    }
    impl.EnterFatalState(fmt::format("cannot initialize Kafka transactions: {}", reason));
    return tl::unexpected(impl.FatalError());
  }
  return BeginTransaction();
}

Result<TransactionEnd> KafkaSink::EndTransaction(std::span<const kafka::ConsumedOffsets> offsets,
                                                 bool commit) {
  Impl& impl = *impl_;
  rd_kafka_t* client = impl.client.get();
  // Neither retriable nor abortable: the producer cannot go on (fenced, not authorized).
  const auto fatal = [&](const char* step, const rd_kafka_error_t* error) {
    impl.EnterFatalState(
        fmt::format("Kafka transaction {} failed fatally: {}", step, rd_kafka_error_string(error)));
    return tl::unexpected(impl.FatalError());
  };
  TransactionEnd end;
  if (!commit) end.abort_reason = "a record of the transaction was not delivered";
  for (std::size_t index = 0; commit && index < offsets.size(); ++index) {
    const kafka::ConsumedOffsets& consumed = offsets[index];
    if (consumed.offsets == nullptr || consumed.offsets->cnt == 0) continue;
    const kafka::ErrorHandle error = RetryTransactional([&] {
      return rd_kafka_send_offsets_to_transaction(client, consumed.offsets.get(),
                                                  consumed.group.get(), -1);
    });
    if (error == nullptr) continue;
    if (!rd_kafka_error_txn_requires_abort(error.get())) return fatal("offset commit", error.get());
    end.abort_reason = rd_kafka_error_string(error.get());
    commit = false;
  }
  if (commit) {
    const kafka::ErrorHandle error =
        RetryTransactional([&] { return rd_kafka_commit_transaction(client, -1); });
    if (error != nullptr && !rd_kafka_error_txn_requires_abort(error.get())) {
      return fatal("commit", error.get());
    }
    if (error != nullptr) end.abort_reason = rd_kafka_error_string(error.get());
    end.committed = error == nullptr;
  }
  if (!end.committed) {
    const kafka::ErrorHandle error =
        RetryTransactional([&] { return rd_kafka_abort_transaction(client, -1); });
    if (error != nullptr) return fatal("abort", error.get());
  }
  return end;
}

Result<void> KafkaSink::BeginTransaction() {
  if (const kafka::ErrorHandle begun(rd_kafka_begin_transaction(impl_->client.get()));
      begun != nullptr) {
    impl_->EnterFatalState(
        fmt::format("cannot begin a Kafka transaction: {}", rd_kafka_error_string(begun.get())));
    return tl::unexpected(impl_->FatalError());
  }
  return {};
}

KafkaSinkStats KafkaSink::stats() const {
  return KafkaSinkStats{
      .sent = impl_->sent.load(),
      .delivered = impl_->delivered.load(),
      .failed = impl_->failed.load(),
      .queue_full_waits = impl_->queue_full_waits.load(),
      .in_flight = impl_->in_flight.load(),
  };
}

std::optional<kafka::ClientStatistics> KafkaSink::client_statistics() const {
  return impl_->statistics.Latest();
}

void KafkaSink::SimulateFatalErrorForTesting(const std::string& reason) {
  rd_kafka_test_fatal_error(impl_->client.get(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            reason.c_str());
}

}  // namespace newswire::sinks
