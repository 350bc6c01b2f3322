#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "daemon/core/error.h"
#include "daemon/kafka/kafka_handles.h"
#include "daemon/kafka/kafka_statistics.h"
#include "daemon/sinks/event_sink.h"

namespace newswire::sinks {

struct KafkaSinkOptions {
  std::string bootstrap_servers;
  std::string topic;              // Channel::kEvents
  std::string dead_letter_topic;  // Channel::kDeadLetter
  std::string compression = "zstd";
  std::int64_t message_timeout_ms = 300000;
  // Set: a transactional producer (exactly-once mode); every event is sent inside a transaction
  // that the app ends with EndTransaction. Empty: an idempotent producer, no transactions.
  std::string transactional_id;
  // How often librdkafka reports its client statistics (KafkaSink::client_statistics); 0 turns
  // them off. A "statistics.interval.ms" in `properties` wins over this.
  std::int64_t statistics_interval_ms = 5000;
  // Any librdkafka property, applied last so it wins (TLS, SASL, linger.ms, ...).
  std::map<std::string, std::string> properties;
};

// Every librdkafka property the sink's producer is made with: newswire's own (idempotence,
// acks=all, compression, timeouts), the transactional ones when `transactional_id` is set, then
// `properties`, which win. `newswire check-config` checks the same set.
std::map<std::string, std::string> ProducerProperties(const KafkaSinkOptions& options);

// Counters, read from any thread.
struct KafkaSinkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t queue_full_waits = 0;
  std::uint64_t in_flight = 0;
};

// The outcome of one delivery report: librdkafka's error code and the offset it reports.
//
// Success means an offset. librdkafka also reports success without one (offset -1001) when it
// infers delivery: an idempotent producer's batch whose outcome was uncertain (a timeout, a
// broken connection) counts as written once a later batch of the same partition is acknowledged,
// because a broker that enforces the producer's sequence numbers would have refused the later
// one otherwise. Kafka itself never confirmed such a record, and a broker that does not enforce
// the sequence numbers (librdkafka's mock cluster, in the chaos tests) can have dropped it. So
// every record reported without an offset counts as a failed delivery and its item is sent
// again: at worst a repeat with the same key and ce_id, never a loss. (A broker's
// DUPLICATE_SEQUENCE_NUMBER answer is also reported as success without a base offset; those
// records were stored, and sending one again only repeats it.) Any thread; pure.
Result<DeliveryReport> JudgeDelivery(std::string_view topic, std::int32_t partition,
                                     std::int64_t offset, rd_kafka_resp_err_t error);

// How EndTransaction ended the open transaction.
struct TransactionEnd {
  bool committed = false;
  std::string abort_reason;  // why it was aborted; empty when committed
};

// The Kafka producer: idempotent, acks=all, compressed. Owns the librdkafka handle and one poll
// thread that serves delivery reports (DeliveryCallback runs there), errors and librdkafka's
// periodic client statistics (parsed there, read with client_statistics() from any thread).
// Send() may be called from any thread. A fatal producer error (e.g. idempotence broken) is
// reported once through `on_fatal`, from the poll thread; after it Send() fails. Owned by the app.
class KafkaSink final : public EventSink {
 public:
  using FatalHandler = std::function<void(const Error& error)>;

  static Result<std::unique_ptr<KafkaSink>> Create(const KafkaSinkOptions& options,
                                                   FatalHandler on_fatal);
  // Stops the poll thread; does not flush (call Flush first). Events still queued or in flight
  // are purged and their callbacks called with ErrorCode::kDeliveryFailed on the poll thread
  // before the destructor returns, so whatever the callbacks touch must outlive the sink.
  ~KafkaSink() override;

  Result<void> Send(OutboundEvent event, DeliveryCallback done) override;

  // Blocks until cluster metadata for the events topic was fetched or the timeout passed: the
  // broker is reachable.
  Result<void> CheckConnection(std::int64_t timeout_ms);

  // Blocks until every queued event has its delivery report or the timeout passed. Returns the
  // number of events still undelivered (0 = all done).
  std::uint64_t Flush(std::int64_t timeout_ms);

  KafkaSinkStats stats() const;

  // Any thread: a copy of the client statistics librdkafka reported last (every
  // statistics_interval_ms, parsed where librdkafka calls back: the poll thread, or in exactly-once
  // mode possibly the thread in EndTransaction, whose commit flushes), for metrics. nullopt until
  // the first report, and always when statistics are off. A report that does not parse is skipped
  // (logged once) and the previous one stays.
  std::optional<kafka::ClientStatistics> client_statistics() const;

  // Exactly-once mode only (options.transactional_id set). Both block, and must not run
  // concurrently: the app calls them from one thread at a time (the io thread at start-up, then
  // its transaction thread).
  //
  // Registers the transactional id with the cluster, which aborts what an earlier instance with
  // the same id left open and fences that instance, then begins the first transaction. A
  // retriable failure (the cluster is not reachable yet) returns ErrorCode::kIo; a fatal one
  // ErrorCode::kFatal.
  Result<void> InitTransactions(std::int64_t timeout_ms);

  // Begins the next transaction after EndTransaction. Until then Send fails (librdkafka refuses
  // to produce outside a transaction), so the caller begins only once nothing of the ended one
  // is still being sent. A failure is fatal.
  Result<void> BeginTransaction();

  // Ends the open transaction (BeginTransaction starts the next). With `commit`, the consumed
  // offsets are added to the transaction and it is committed: the events and the offsets become
  // visible together; every event of it must have its delivery report already (the app drains
  // first). Without `commit`, or when the cluster refuses the commit in a way that needs an abort
  // (a produce failed, the group moved on), the transaction is aborted: its events are discarded
  // for read_committed consumers and its offsets are not committed. An abort purges the events
  // still queued (a transaction in error holds them back); their callbacks report
  // ErrorCode::kDeliveryFailed, possibly on the calling thread. A fatal error (fenced by a newer
  // instance with the same transactional id) puts the sink in its fatal state, reports it through
  // on_fatal and returns ErrorCode::kFatal.
  Result<TransactionEnd> EndTransaction(std::span<const kafka::ConsumedOffsets> offsets,
                                        bool commit);

  // Any thread, idempotent. From now on Send() refuses (ErrorCode::kInternal, "stopped"), and
  // senders waiting for queue space return that error at once. Delivery reports of events
  // already sent keep arriving until destruction.
  void Stop();

  // Tests only: raises a fatal producer error (rd_kafka_test_fatal_error) as if librdkafka had
  // hit one, so that the on_fatal path can be exercised without a broker that misbehaves.
  void SimulateFatalErrorForTesting(const std::string& reason);

 private:
  struct Impl;
  explicit KafkaSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace newswire::sinks
