#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "daemon/core/error.h"
#include "daemon/sinks/event_sink.h"

namespace newswire::sinks {

struct KafkaSinkOptions {
  std::string bootstrap_servers;
  std::string topic;              // Channel::kEvents
  std::string dead_letter_topic;  // Channel::kDeadLetter
  std::string compression = "zstd";
  std::int64_t message_timeout_ms = 300000;
  // Any librdkafka property, applied last so it wins (TLS, SASL, linger.ms, ...).
  std::map<std::string, std::string> properties;
};

// Counters, read from any thread.
struct KafkaSinkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t queue_full_waits = 0;
  std::uint64_t in_flight = 0;
};

// The Kafka producer: idempotent, acks=all, compressed. Owns the librdkafka handle and one poll
// thread that serves delivery reports (DeliveryCallback runs there) and errors. Send() may be
// called from any thread. A fatal producer error (e.g. idempotence broken) is reported once
// through `on_fatal`, from the poll thread; after it Send() fails. Owned by the app.
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
