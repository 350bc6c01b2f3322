#pragma once

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/kafka/kafka_handles.h"
#include "daemon/sources/in_flight_budget.h"
#include "daemon/sources/kafka/partition_progress.h"
#include "daemon/sources/source.h"

namespace newswire::sources {

// What a Kafka source has done since start, for the status line and tests. io thread only.
struct KafkaSourceStats {
  std::uint64_t records_handed_out = 0;  // retries included
  std::uint64_t records_acknowledged = 0;
  std::uint64_t records_rejected = 0;  // dead-lettered, then done
  std::uint64_t records_released = 0;  // a delivery failed: handed out again after the backoff
  std::uint64_t records_dropped = 0;   // fetched or in flight when their partition went away
  std::uint64_t rebalances = 0;
  std::uint64_t consumer_errors = 0;
};

// Articles from Kafka topics, in a consumer group: each record is one item. At-least-once:
// a record's offset is stored (enable.auto.offset.store=false) only once the record and every
// record before it in its partition were acknowledged or rejected, and stored offsets are
// committed every commit_interval_ms, when partitions are revoked and at shutdown. A record
// whose events were not delivered (Release) is handed out again after the retry backoff; after a
// crash or a rebalance, records after the last committed offset are consumed again, and give
// the same event keys and ids (the origin topic/partition/offset is the same).
//
// Threads: librdkafka fetches on its own threads; everything here runs on the io thread. The
// consumer queue wakes the io thread through a pipe (rd_kafka_queue_io_event_enable), and a
// one-second timer polls too, so rebalances are served even while intake is paused.
// Backpressure: when the shared InFlightBudget is used up, polled records wait in the source
// (held_); when those reach half of max_prefetch_bytes, every assigned partition is paused
// (fetching stops: librdkafka's queue holds at most the other half) and resumed once they are
// down to a quarter.
// Rebalances: a revoked partition's records are no longer handed out; the source waits up to
// revoke_timeout_ms for those in flight, stores and commits what was done, then lets go.
// Ownership: the app owns the source; it holds the consumer and closes it (committing stored
// offsets and leaving the group) when destroyed, which must happen on the io thread or after
// the io loop stopped.
// Whether the consumer leaves out `name` from a source's `properties` (and says so in the log):
// offsets are stored only after delivery, and committed in the producer's transaction in
// exactly-once mode.
bool IsOverriddenConsumerProperty(std::string_view name, bool exactly_once);

// Every librdkafka property the source's consumer is made with: newswire's own (group, offsets,
// prefetch), then the source's `properties` but for the overridden ones. `brokers` is the
// resolved bootstrap list. `newswire check-config` checks the same set.
std::map<std::string, std::string> ConsumerProperties(const config::KafkaSourceConfig& config,
                                                      const std::string& brokers,
                                                      bool exactly_once);

class KafkaSource final : public Source {
 public:
  // `brokers` is the resolved bootstrap list (config.brokers, or kafka.brokers when that is
  // empty, or the embedded broker's address). `exactly_once`: offsets go into the producer's
  // transaction (see the exactly-once section below) instead of being committed here.
  KafkaSource(asio::io_context& io, config::KafkaSourceConfig config, std::string brokers,
              InFlightBudget& budget, std::int64_t retry_backoff_ms, bool exactly_once = false);
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  std::string_view name() const override { return config_.name; }
  Result<void> Start(ItemHandler handler, FailureHandler on_failure) override;
  void Stop() override;
  void Acknowledge(std::uint64_t ticket) override;
  void Reject(std::uint64_t ticket, const Error& error) override;
  void Release(std::uint64_t ticket) override;
  std::size_t in_flight() const override { return records_.size(); }
  // A record released for a retry keeps its first time. Exactly-once mode does not retry a
  // record: an abort rewinds, and the record handed out again is a new one with a new time.
  std::optional<std::chrono::steady_clock::time_point> oldest_in_flight() const override;

  // How far one assigned partition is behind its end.
  struct PartitionLag {
    std::string topic;
    std::int32_t partition = -1;
    // Records from the first one not yet done (acknowledged or rejected; in exactly-once mode
    // that is before its transaction commits) to the high watermark.
    std::int64_t records = 0;
  };
  // The lag of every assigned partition whose high watermark is known (the last fetch response
  // told it) and whose first undone offset is known (a record of it was polled). Non-blocking,
  // asks no broker; for the metrics scrape, io thread. The watermark is not refreshed while the
  // partition is paused for backpressure, so the lag stops growing then: a lower bound.
  std::vector<PartitionLag> partition_lags() const;

  const KafkaSourceStats& stats() const { return stats_; }
  std::size_t assigned_partitions() const { return partitions_.size(); }
  bool paused() const { return paused_; }
  // Records polled and waiting for the budget, and their payload bytes.
  std::size_t held_records() const { return held_.size(); }
  std::int64_t held_bytes() const { return held_bytes_; }
  const config::KafkaSourceConfig& config() const { return config_; }

  // Exactly-once mode. The app's transaction coordinator ends the producer's transaction every
  // few hundred milliseconds: it holds every source, waits until nothing is in flight, commits
  // the events together with OffsetsForTransaction() (or aborts), and reports the outcome with
  // TransactionCommitted or TransactionAborted, which also lets go of revoked partitions. A
  // record that was not delivered is not retried on its own: it fails the transaction, whose
  // abort rewinds every partition to its last committed offset. All io thread.
  //
  // Called when the open transaction should end now rather than at the next interval (a revoke
  // waits for it, or a record failed).
  void SetEndTransactionRequest(std::function<void()> request) {
    end_transaction_request_ = std::move(request);
  }
  // Stops handing out records until Unhold; records in flight go on. The partitions keep
  // fetching into the held records (pausing, as when max_prefetch_bytes is reached, only when
  // those fill up): pausing at every transaction would stall intake, as librdkafka resumes
  // fetching up to a second after a resume.
  void Hold();
  void Unhold();
  // Whether the open transaction must abort: a record was not delivered, or partitions were lost
  // without a revoke.
  bool transaction_failed() const { return transaction_failed_; }
  // Whether records finished since the last transaction ended, whose offsets it must commit.
  bool has_uncommitted_progress() const;
  // The next offset of every partition with uncommitted progress, and the group's metadata.
  kafka::ConsumedOffsets OffsetsForTransaction() const;
  void TransactionCommitted();
  // Seeks every partition back to where the aborted transaction began and forgets what was
  // fetched since. A failed seek is a source failure (the app restarts from committed offsets).
  void TransactionAborted();

  // librdkafka's rebalance callback, called from within rd_kafka_consumer_poll (io thread) or
  // rd_kafka_consumer_close (destructor). Public only for that C callback.
  void OnRebalance(rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions);

 private:
  using PartitionKey = std::pair<std::string, std::int32_t>;  // topic, partition

  // An assigned partition: what of it is done, and whether it is being revoked.
  struct PartitionState {
    PartitionProgress progress;
    bool revoking = false;
    // Exactly-once: where the partition restarts if the open transaction aborts (the first
    // record polled since the last commit); -1 while nothing was polled since.
    std::int64_t rewind_offset = -1;
  };
  // A record handed out and not yet done. The message stays with it, for a retry.
  struct Record {
    PartitionKey partition;
    std::int64_t offset = 0;
    std::int64_t reserved_bytes = 0;
    kafka::MessageHandle message;
    std::unique_ptr<asio::steady_timer> retry_timer;
    std::chrono::steady_clock::time_point first_handed_out;  // a retry keeps it
  };

  Result<void> CreateConsumer();
  void WaitForQueue();
  void ScheduleTick();
  void Pump();
  bool HandOutFront();
  // held_ and held_bytes_ change together through these.
  void PushHeld(kafka::MessageHandle message);
  kafka::MessageHandle TakeFrontHeld();
  void DropHeld();
  // Half of max_prefetch_bytes: what held_ may reach before partitions are paused.
  std::int64_t held_limit_bytes() const;
  SourceItem MakeItem(std::uint64_t ticket, const rd_kafka_message_t& message) const;
  void HandleConsumerError(const rd_kafka_message_t& message);
  void Finish(std::uint64_t ticket);
  void StoreOffset(const PartitionKey& key, PartitionProgress& progress);
  // `reason` is logged (debug), if given; holding for a transaction pauses too often for that.
  void PauseAll(const char* reason);
  void ResumeAll();
  void SetPaused(const std::vector<PartitionKey>& keys, bool paused);
  void BeginRevoke(rd_kafka_topic_partition_list_t* partitions);
  std::size_t InFlightOnRevokingPartitions() const;
  void MaybeFinishRevoke();
  void FinishRevoke(bool timed_out);
  void Assign(rd_kafka_topic_partition_list_t* partitions);
  bool Cooperative() const;
  void EndTransactionSoon(bool failed);

  asio::io_context& io_;
  config::KafkaSourceConfig config_;
  std::string brokers_;
  InFlightBudget& budget_;
  InFlightBudget::ListenerId release_listener_ = 0;
  const std::int64_t retry_backoff_ms_;
  const bool exactly_once_;
  ItemHandler handler_;
  FailureHandler on_failure_;

  kafka::KafkaHandle consumer_;
  rd_kafka_queue_t* queue_ = nullptr;  // the consumer queue, owned (rd_kafka_queue_destroy)
  int wake_pipe_[2] = {-1, -1};        // librdkafka writes to [1] when the queue fills
  std::unique_ptr<asio::posix::stream_descriptor> wake_;
  asio::steady_timer tick_timer_;
  asio::steady_timer revoke_timer_;

  std::map<PartitionKey, PartitionState> partitions_;
  // Polled but not yet handed out (the budget was used up), in poll order, and their payload
  // bytes. Partitions are paused only when these reach half of max_prefetch_bytes (the other
  // half is librdkafka's queue), not whenever the budget is used up: librdkafka 2.0 resumes
  // fetching up to a second after a resume, which left the workers idle every budget cycle
  // (docs/performance.md).
  std::deque<kafka::MessageHandle> held_;
  std::int64_t held_bytes_ = 0;
  std::map<std::uint64_t, Record> records_;
  std::uint64_t next_ticket_ = 1;
  kafka::PartitionListHandle pending_revoke_;  // set while a revoke waits for records in flight
  bool running_ = false;
  bool paused_ = false;  // every assigned partition is paused for backpressure
  bool pause_logged_ = false;
  bool closing_ = false;
  bool holding_ = false;             // exactly-once: a transaction is ending
  bool transaction_failed_ = false;  // exactly-once: the open transaction must abort
  std::function<void()> end_transaction_request_;
  KafkaSourceStats stats_;
};

}  // namespace newswire::sources
