#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "daemon/core/error.h"
#include "daemon/core/raw_article.h"

namespace newswire::sources {

// One item a source hands to the app: the bytes (a file's content, a Kafka record's value) with
// their origin, and a ticket the app hands back through exactly one of Acknowledge, Reject or
// Release once every output made from the item has a final delivery report.
struct SourceItem {
  std::uint64_t ticket = 0;
  RawArticle raw;
  // Set when the source itself refused the item before the pipeline could see it (too large, a
  // symlink, unreadable...): the app dead-letters it and then calls Reject.
  std::optional<Error> rejection;
  // Size of the item as found, also when it was not read (a too-large file).
  std::size_t original_size = 0;
  // When the item came into being outside newswire, for the end-to-end latency metric: a file's
  // modification time, a Kafka record's timestamp (create or log-append time). The epoch (the
  // default) means unknown: a record without a timestamp, a file that could not be stat'ed.
  std::chrono::system_clock::time_point created_at{};
};

// A source of raw articles. Every method is called on the io thread (the app's event loop), and
// the item handler is called there too; a source never blocks that thread for long.
// Ownership: the app owns every source and outlives it.
class Source {
 public:
  using ItemHandler = std::function<void(SourceItem item)>;
  // The source can no longer take anything in (its feed directory was removed, say). Called on
  // the io thread; the app stops and exits non-zero so that a supervisor restarts it.
  using FailureHandler = std::function<void(const Error& error)>;

  virtual ~Source() = default;

  virtual std::string_view name() const = 0;

  // Starts intake: recovers items left over by a crash, scans for what arrived while newswire
  // was down, then follows new arrivals. An error here is a start-up failure.
  virtual Result<void> Start(ItemHandler handler, FailureHandler on_failure) = 0;

  // Stops intake. Items already handed out still get their Acknowledge/Reject/Release.
  virtual void Stop() = 0;

  // Every event made from the item was delivered: the item is done (file moved to done/).
  virtual void Acknowledge(std::uint64_t ticket) = 0;

  // The item was rejected and its dead-letter record was delivered (file moved to failed/).
  virtual void Reject(std::uint64_t ticket, const Error& error) = 0;

  // Some output of the item could not be delivered: keep the item and hand it out again later.
  virtual void Release(std::uint64_t ticket) = 0;

  // Items handed out and not yet acknowledged, rejected or released for good.
  virtual std::size_t in_flight() const = 0;

  // When the oldest item in flight (handed out, not yet acknowledged or rejected) was first
  // handed out; nullopt when nothing is in flight. An item released and handed out again keeps
  // its first time, so one stuck in retries shows as old. For the metrics scrape (io thread):
  // sources compute it on call, in time linear in in_flight().
  virtual std::optional<std::chrono::steady_clock::time_point> oldest_in_flight() const = 0;
};

}  // namespace newswire::sources
