#pragma once

#include <sys/inotify.h>
#include <sys/stat.h>

#include <array>
#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "daemon/config/config.h"
#include "daemon/sources/directory/file_lifecycle.h"
#include "daemon/sources/in_flight_budget.h"
#include "daemon/sources/source.h"

namespace newswire::sources {

// Counters of one directory source; io-thread only, read by the app's status line.
struct DirectorySourceStats {
  // Paths that entered the queue of files to claim (or of files settling before it), from
  // inotify or a scan. A path already queued or settling is not counted again; one that comes back
  // after its claim is (a new file under the same name), and so is the rare duplicate event for a
  // file claimed meanwhile, which is then dropped unclaimed. Files left out while the queue was
  // full count when a rescan queues them.
  std::uint64_t seen = 0;
  std::uint64_t claimed = 0;
  std::uint64_t recovered = 0;  // found in processing/ at start: a crash or kill interrupted them
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t retried = 0;
  std::uint64_t claim_errors = 0;
  std::uint64_t rescans = 0;
};

// Watches one feed directory (optionally its subdirectories) with inotify through Asio, no polling
// loop. A wanted file (close-after-write or moved in) is claimed by an atomic rename into
// processing/, read, and handed to the app. A regular file found otherwise (by a scan, or an
// IN_CREATE with no close-after-write: a hard link) may still be open for writing: it settles
// first, claimed once its size and modification time stayed the same for settle_ms (only those
// candidates are stat'ed again, on one timer). Each file handed out has its failed/ name decided
// and reserved, so that its dead letter can name where a rejected file will be. A file leaves
// processing/ only when the app acknowledges it (every event delivered: done/ or deleted) or
// rejects it (dead letter delivered: failed/ with a .error note). Claiming stops while the shared
// InFlightBudget is used up. At start, files left in processing/ by a crash are handed out again
// first, then the directory is scanned for files that arrived while newswire was down.
//
// Threading: everything runs on the io thread that runs `io`, except reading a claimed file, which
// runs on `reader` (the app passes its worker pool, so a large file never stalls the event loop);
// the item handler is called there. Owned by the app; outlives every task it posts.
class DirectorySource final : public Source {
 public:
  DirectorySource(asio::io_context& io, config::DirectorySourceConfig config,
                  InFlightBudget& budget, std::int64_t retry_backoff_ms,
                  asio::any_io_executor reader);
  ~DirectorySource() override;

  std::string_view name() const override { return config_.name; }
  Result<void> Start(ItemHandler handler, FailureHandler on_failure) override;
  void Stop() override;
  void Acknowledge(std::uint64_t ticket) override;
  void Reject(std::uint64_t ticket, const Error& error) override;
  void Release(std::uint64_t ticket) override;
  std::size_t in_flight() const override { return records_.size(); }
  std::optional<std::chrono::steady_clock::time_point> oldest_in_flight() const override;

  // Files discovered in the feed directory and not yet claimed, settling ones included: the inbox
  // backlog (io thread). A lower bound: the queue holds at most kMaxPending names, and files that
  // arrive while it is full are left for a rescan to find, uncounted until then (stats().rescans
  // grows meanwhile). Files found in processing/ at start are not counted: they were claimed by an
  // earlier run.
  std::size_t pending_files() const { return pending_.size() + settling_.size(); }

  const DirectorySourceStats& stats() const { return stats_; }
  const config::DirectorySourceConfig& config() const { return config_; }

 private:
  struct Candidate {
    std::string path;           // absolute, in the feed directory
    std::string relative_path;  // relative to the feed directory
  };
  struct FileRecord {
    std::string claim_name;     // name in processing/
    std::string original_path;  // where it was found
    FileState state = FileState::kClaimed;
    std::int64_t reserved_bytes = 0;
    std::unique_ptr<asio::steady_timer> retry_timer;
    // When this run claimed the file (or, for one recovered from processing/, took it up again),
    // just before it was first handed out; a retry keeps it.
    std::chrono::steady_clock::time_point first_handed_out;
    // Its name in failed/, decided (and reserved in reserved_failed_names_) when it is first
    // handed out: the dead letter names it before the move. Empty until then.
    std::string failed_name = {};
  };

  Result<void> PrepareDirectories();
  // `error_number` gets errno when inotify refuses.
  Result<void> AddWatch(const std::string& directory, int* error_number = nullptr);
  void ScanDirectory(const std::string& directory);
  void RecoverProcessing();
  void ReadEvents();
  void HandleEvent(const inotify_event& event);
  void Enqueue(const std::string& path);
  // A regular file found without its close-after-write (a scan, IN_CREATE): enqueued once it
  // settled (config.settle_ms). Anything else is enqueued at once.
  void EnqueueWhenSettled(const std::string& path, const struct stat& file_stat);
  // Settle timer: stats the candidates that are due, enqueues the settled ones.
  void CheckSettling();
  void ArmSettleTimer();
  // How much longer a file whose modification time is `mtime` must stay unchanged.
  std::chrono::steady_clock::duration SettleTimeLeft(const timespec& mtime) const;
  // io thread: a name for the file in failed/ that no file there has (nor its .error note) and
  // no file in flight has reserved; reserves it.
  std::string ReserveFailedName(const std::string& claim_name);
  // The failed/ path as a file:// URI: Origin::location and the .error note name it.
  std::string FailedLocation(const std::string& failed_name) const;
  void Pump();
  void PumpOnce();
  void Claim(const Candidate& candidate, std::int64_t reserved_bytes);
  void Dispatch(std::uint64_t ticket);
  // Reader thread: reads a claimed file. Sets `transient` for errors worth retrying (out of file
  // descriptors or memory) rather than rejecting the file.
  SourceItem LoadItem(std::uint64_t ticket, const std::string& path,
                      const std::string& original_path, const std::string& location,
                      bool& transient) const;
  bool Transition(FileRecord& record, FileEvent event);
  void Finish(std::unordered_map<std::uint64_t, FileRecord>::iterator it);
  bool IsWorkDirectory(const std::string& path) const;
  // AddWatch, and when the kernel is out of watches (ENOSPC: fs.inotify.max_user_watches, or
  // ENOMEM) the fallback: the failure is logged once and periodic scans are scheduled. Other
  // failures are returned.
  Result<void> WatchOrScan(const std::string& directory);
  void ScheduleFallbackScan();
  // Tells the app (on_failure_) that the feed directory is gone: the source can do no more.
  void ReportFeedDirectoryGone();
  std::string ProcessingPath(const std::string& claim_name) const;

  asio::io_context& io_;
  asio::any_io_executor reader_;
  const config::DirectorySourceConfig config_;  // immutable: the reader thread reads it too
  InFlightBudget& budget_;
  InFlightBudget::ListenerId release_listener_ = 0;
  const std::int64_t retry_backoff_ms_;

  ItemHandler handler_;
  FailureHandler on_failure_;
  bool running_ = false;
  bool pumping_ = false;  // Pump() is on the stack: a budget release must not re-enter it
  bool pump_again_ = false;
  asio::steady_timer read_retry_timer_;
  // Directories inotify refused to watch (fs.inotify.max_user_watches reached, say): while there
  // is one, the whole tree is scanned every kFallbackScanInterval instead, and each scan tries
  // the watches again. Each is logged once when it fails and once when it is watched after all.
  std::unordered_set<std::string> unwatched_directories_;
  asio::steady_timer fallback_scan_timer_;
  bool fallback_scanning_ = false;
  asio::posix::stream_descriptor inotify_;
  alignas(inotify_event) std::array<char, std::size_t{64} * 1024> event_buffer_{};
  std::unordered_map<int, std::string> watched_directories_;  // watch descriptor -> path

  // Discovered, not yet claimed. Bounded: past kMaxPending names are dropped and a rescan is
  // scheduled instead, so a burst of a million files costs a directory scan, not memory.
  std::deque<Candidate> pending_;
  std::unordered_set<std::string> pending_paths_;
  bool rescan_needed_ = false;
  std::deque<std::string> recovered_;  // claim names found in processing/ at start

  // Found without a close-after-write, waiting to settle (config_.settle_ms): not in pending_,
  // but counted with it against kMaxPending. `settle_due_` orders them by when to stat next.
  struct Unsettled {
    std::int64_t size = 0;
    timespec mtime{};
    ino_t inode = 0;
    std::chrono::steady_clock::time_point observed_at;  // when this size and mtime were first seen
    std::multimap<std::chrono::steady_clock::time_point, std::string>::iterator due;
  };
  std::unordered_map<std::string, Unsettled> settling_;
  std::multimap<std::chrono::steady_clock::time_point, std::string> settle_due_;
  asio::steady_timer settle_timer_;
  std::optional<std::chrono::steady_clock::time_point> settle_timer_expiry_;  // while armed

  // failed/ names decided for records in flight (FileRecord::failed_name).
  std::unordered_set<std::string> reserved_failed_names_;
  const std::string failed_dir_absolute_;

  std::unordered_map<std::uint64_t, FileRecord> records_;  // claimed, not yet finished
  std::uint64_t next_ticket_ = 1;
  DirectorySourceStats stats_;
};

}  // namespace newswire::sources
