#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "daemon/core/error.h"
#include "daemon/core/outbound_event.h"

namespace newswire::sinks {

// Where a delivered event landed.
struct DeliveryReport {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

// Called exactly once per sent event with its final outcome, on the sink's delivery thread (never
// the caller's). Must be quick and must not call back into the sink.
using DeliveryCallback = std::function<void(const Result<DeliveryReport>& outcome)>;

// Takes events and reports their delivery. Implementations: KafkaSink (sinks/kafka), FakeSink
// (tests/fakes).
class EventSink {
 public:
  virtual ~EventSink() = default;

  // Thread-safe. Takes ownership of the event and queues it for its channel's topic. When the
  // local queue is full it waits (backpressure for the calling worker) rather than failing. Returns
  // an error, without ever calling `done`, only if the event cannot be queued at all (the sink is
  // in a fatal state or stopped); otherwise `done` is called exactly once later.
  virtual Result<void> Send(OutboundEvent event, DeliveryCallback done) = 0;
};

}  // namespace newswire::sinks
