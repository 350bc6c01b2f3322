#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/error.h"
#include "daemon/sinks/kafka/kafka_sink.h"
#include "daemon/sources/kafka/kafka_source.h"

namespace newswire::app {

// What exactly-once mode has done, for the status line. io thread only.
struct TransactionStats {
  std::uint64_t committed = 0;  // transactions that carried records
  std::uint64_t aborted = 0;
  std::int64_t last_cycle_ms = 0;  // hold, drain and commit of the last transaction
};

// Exactly-once mode (kafka.exactly_once): ends the producer's open transaction every
// transaction_interval_ms, with the input offsets of every record it holds, so that a record's
// events and its offset are committed together or not at all. One cycle:
//   1. hold every Kafka source (no new record is handed out);
//   2. wait until no record is in flight, then commit; or, as soon as a record failed, abort
//      (a transaction in error holds back what is queued, so waiting would last until
//      message_timeout_ms); or abort after 30 s of waiting;
//   3. wait until every record of the ended transaction is done (an abort fails the ones still
//      queued), so that nothing of it is sent into the next one;
//   4. tell each source the outcome (an abort rewinds its partitions to the last committed
//      offsets, and the aborted records are processed again), begin the next transaction and
//      let intake go on.
// A source asks for an early cycle when a revoke waits for it or a record failed.
// Threads: all on the io thread, except the blocking librdkafka transaction calls, which run on
// the coordinator's own thread, one at a time. Owned by the app, destroyed (joining that thread)
// before the sink and the sources.
class TransactionCoordinator {
 public:
  using FatalHandler = std::function<void(const Error& error)>;

  TransactionCoordinator(asio::io_context& io, sinks::KafkaSink& sink,
                         std::vector<sources::KafkaSource*> sources,
                         std::chrono::milliseconds interval, FatalHandler on_fatal);
  ~TransactionCoordinator();
  TransactionCoordinator(const TransactionCoordinator&) = delete;
  TransactionCoordinator& operator=(const TransactionCoordinator&) = delete;

  // Starts the interval timer; the sink's transactions are initialized.
  void Start();
  // Ends the open transaction as soon as possible rather than at the next interval.
  void EndSoon();
  // Shutdown, once intake stopped: ends the open transaction (committing what is done, or
  // aborting it if something failed) and then calls `done`, also after a fatal error.
  void Finish(std::function<void()> done);
  // A record of the open transaction was not delivered (the transaction will abort). Returns
  // true for the first one, whose reason the abort is logged with; the app logs the others
  // quietly, as one failure usually fails every record in flight.
  bool NoteDeliveryFailure(const Error& error);

  const TransactionStats& stats() const { return stats_; }

 private:
  void ScheduleTick();
  void BeginCycle();
  void AwaitDrain();
  void EndTransaction();
  void OnEnded(const Result<sinks::TransactionEnd>& ended);
  void AwaitSettled();
  void ApplyOutcome();
  void CompleteCycle();
  void OnFatal(const Error& error);
  // Runs `step` again after kDrainPollInterval, to see whether the records in flight are done.
  void LookAgain(void (TransactionCoordinator::*step)());
  std::size_t InFlight() const;
  bool AnyFailed() const;

  asio::io_context& io_;
  sinks::KafkaSink& sink_;
  const std::vector<sources::KafkaSource*> sources_;
  const std::chrono::milliseconds interval_;
  FatalHandler on_fatal_;
  asio::steady_timer tick_timer_;
  asio::steady_timer drain_timer_;
  // The thread the blocking transaction calls run on.
  asio::thread_pool transaction_thread_{1};

  bool cycle_running_ = false;
  bool again_ = false;   // an early end was asked for while a cycle ran
  bool failed_ = false;  // a fatal error: no more cycles
  std::function<void()> finish_done_;
  std::string first_failure_;  // of the open transaction; empty while none failed
  // How the cycle's transaction ended; empty when it carried nothing and was not ended.
  std::optional<sinks::TransactionEnd> outcome_;
  std::chrono::steady_clock::time_point cycle_started_;
  TransactionStats stats_;
};

}  // namespace newswire::app
