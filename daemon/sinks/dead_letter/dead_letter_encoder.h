#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/core/error.h"
#include "daemon/core/origin.h"
#include "daemon/core/outbound_event.h"

namespace newswire::sinks {

// Everything known about one item newswire gave up on, as the failing stage reports it. A view:
// `payload` points at bytes owned by the caller, valid only during EncodeDeadLetter.
struct DeadLetter {
  Error error;
  Origin origin;
  // The bytes as read (possibly only a prefix of the input); empty when not read.
  std::string_view payload;
  // The size of the whole input in bytes, e.g. the file size, even when it was not read.
  std::size_t original_size = 0;
  // False when the input was never read (an oversize file, a symlink, a permission error).
  bool payload_read = false;
  std::chrono::system_clock::time_point time;
  // The instance's daemon.source_uri ("newswire://ingest-1"), the CloudEvents source of its
  // events: which newswire gave up. Where the input is comes from `origin.location`.
  std::string source_uri;
};

// Builds the dead-letter record (Channel::kDeadLetter) for `record`: key = the file path, or
// "topic/partition/offset" for Kafka input, or the source name; value = the payload cut to at most
// `max_payload_bytes`; the newswire-* headers documented in docs/dead-letters.md. Pure function,
// callable from any thread.
OutboundEvent EncodeDeadLetter(const DeadLetter& record, std::size_t max_payload_bytes);

// "2024-05-01T12:34:56.789Z": RFC 3339, UTC, milliseconds.
std::string FormatRfc3339Milliseconds(std::chrono::system_clock::time_point time);

}  // namespace newswire::sinks
