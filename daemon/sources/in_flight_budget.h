#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace newswire::sources {

// How much work may be in flight (claimed and not yet acknowledged) across all sources: at most
// `max_files` items and `max_bytes` bytes. Sources ask before they claim; when the budget is used
// up they stop claiming (backpressure) and resume when a release calls them back. One item larger
// than max_bytes is still let through when nothing else is in flight, so it cannot wedge intake.
// io-thread only; owned by the app, shared by its sources.
class InFlightBudget {
 public:
  InFlightBudget(std::int64_t max_files, std::int64_t max_bytes);

  bool TryAcquire(std::int64_t bytes);
  void Release(std::int64_t bytes);

  // From now on TryAcquire fails: at shutdown no source claims anything more, even when another
  // source's release frees budget. Releases keep working.
  void Close() { closed_ = true; }

  // Called after every Release, so a paused source can claim again. A source registers in its
  // constructor and removes itself in its destructor (a reload may destroy a feed directory's
  // source while the others run on).
  using ListenerId = std::uint64_t;
  ListenerId OnRelease(std::function<void()> listener);
  void RemoveListener(ListenerId id);

  std::int64_t files() const { return files_; }
  std::int64_t bytes() const { return bytes_; }
  bool exhausted() const { return files_ >= max_files_ || bytes_ >= max_bytes_; }

 private:
  const std::int64_t max_files_;
  const std::int64_t max_bytes_;
  std::int64_t files_ = 0;
  std::int64_t bytes_ = 0;
  bool closed_ = false;
  ListenerId next_listener_id_ = 1;
  std::vector<std::pair<ListenerId, std::function<void()>>> listeners_;
};

}  // namespace newswire::sources
