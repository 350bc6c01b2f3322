#include "daemon/sources/directory/directory_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace newswire::sources {
namespace {

constexpr std::size_t kMaxPending = 10000;
// How often the tree is scanned while inotify refuses to watch some directory of it.
constexpr std::chrono::seconds kFallbackScanInterval{2};
// How much more to read when a file grew after it was measured.
constexpr std::size_t kReadChunkBytes = std::size_t{64} * 1024;
// "a.1.txt" .. "a.9.txt" for the odd repeat; after that names carry the time and a counter, so a
// feed that always writes the same name never runs out of them.
constexpr int kFriendlyNameAttempts = 10;
constexpr int kMaxNameAttempts = 100;
// The soonest a settling file whose size or time just changed is looked at again.
constexpr std::chrono::milliseconds kMinSettleRecheck{5};
constexpr std::uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF |
                                     IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK;

std::string ErrnoText(int error_number) { return std::strerror(error_number); }

std::chrono::system_clock::time_point ToSystemTime(const timespec& time) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(time.tv_sec) + std::chrono::nanoseconds(time.tv_nsec)));
}

std::string JoinPath(const std::string& directory, std::string_view name) {
  std::string path = directory;
  if (path.empty() || path.back() != '/') path += '/';
  path += name;
  return path;
}

std::string BaseName(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The name to try at `attempt` (0, 1, ...) when the ones before were taken: `name`, then
// "name.1.ext" .. "name.9.ext", then names that carry the time and a counter. io thread only.
std::string CandidateName(const std::string& name, int attempt) {
  static std::uint64_t unique_counter = 0;
  if (attempt == 0) return name;
  if (attempt < kFriendlyNameAttempts) return AlternativeName(name, std::to_string(attempt));
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return AlternativeName(name, fmt::format("{}-{}", now_ms, ++unique_counter));
}

// Renames `from` to `target` unless `target` exists (renameat2 RENAME_NOREPLACE is atomic).
// `taken` is set when it exists.
Result<std::string> MoveUnlessTaken(const std::string& from, const std::string& target,
                                    bool& taken) {
  taken = false;
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
    return target;
  }
  int error_number = errno;
  taken = error_number == EEXIST;
  return MakeError(Stage::kSource,
                   error_number == ENOENT ? ErrorCode::kNotRegularFile : ErrorCode::kIo,
                   fmt::format("cannot move {} to {}: {}", from, target, ErrnoText(error_number)));
}

// Moves `from` into `directory` under `name`, or under "name.1.ext", "name.2.ext"... when taken,
// never replacing a file. Returns the path it got.
Result<std::string> MoveIntoDirectory(const std::string& from, const std::string& directory,
                                      const std::string& name) {
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    bool taken = false;
    auto moved = MoveUnlessTaken(from, JoinPath(directory, CandidateName(name, attempt)), taken);
    if (moved || !taken) return moved;
  }
  return MakeError(
      Stage::kSource, ErrorCode::kIo,
      fmt::format("cannot move {} into {}: {} names taken", from, directory, kMaxNameAttempts));
}

// `path` made absolute, so that a location names the file from anywhere; as written when the
// working directory is gone.
std::string AbsolutePath(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

Result<void> MakeDirectories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) {
    return MakeError(Stage::kSource, ErrorCode::kIo,
                     fmt::format("cannot create directory {}: {}", path, error.message()));
  }
  return {};
}

std::string NowRfc3339() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

// Writes the reason a file failed beside it, so an operator looking at failed/ sees why without
// searching the logs. Best effort: the dead-letter record and the log line carry the same facts.
void WriteErrorNote(const std::string& failed_path, const std::string& original_path,
                    const std::string& location, const Error& error) {
  std::string note = fmt::format(
      "file: {}\nlocation: {}\ntime: {}\nstage: {}\nerror: {}\nmessage: {}\n", original_path,
      location, NowRfc3339(), StageName(error.stage), ErrorCodeName(error.code), error.message);
  std::string note_path = failed_path + ".error";
  std::FILE* file = std::fopen(note_path.c_str(), "we");
  if (file == nullptr) {
    spdlog::warn("cannot write {}: {}", note_path, ErrnoText(errno));
    return;
  }
  std::fwrite(note.data(), 1, note.size(), file);
  std::fclose(file);
}

}  // namespace

DirectorySource::DirectorySource(asio::io_context& io, config::DirectorySourceConfig config,
                                 InFlightBudget& budget, std::int64_t retry_backoff_ms,
                                 asio::any_io_executor reader)
    : io_(io),
      reader_(std::move(reader)),
      config_(std::move(config)),
      budget_(budget),
      retry_backoff_ms_(retry_backoff_ms),
      read_retry_timer_(io),
      fallback_scan_timer_(io),
      inotify_(io),
      settle_timer_(io),
      failed_dir_absolute_(AbsolutePath(config_.failed_dir)) {
  release_listener_ = budget_.OnRelease([this] {
    if (running_) Pump();
  });
}

DirectorySource::~DirectorySource() { budget_.RemoveListener(release_listener_); }

bool DirectorySource::IsWorkDirectory(const std::string& path) const {
  return path == config_.processing_dir || path == config_.done_dir || path == config_.failed_dir;
}

std::string DirectorySource::ProcessingPath(const std::string& claim_name) const {
  return JoinPath(config_.processing_dir, claim_name);
}

Result<void> DirectorySource::PrepareDirectories() {
  for (const std::string* directory :
       {&config_.path, &config_.processing_dir, &config_.done_dir, &config_.failed_dir}) {
    if (auto made = MakeDirectories(*directory); !made) return made;
  }
  // Claiming and completing are renames; a rename is atomic only within one filesystem.
  struct stat feed_stat {};
  if (stat(config_.path.c_str(), &feed_stat) != 0) {
    return MakeError(Stage::kSource, ErrorCode::kIo,
                     fmt::format("cannot stat {}: {}", config_.path, ErrnoText(errno)));
  }
  if (!S_ISDIR(feed_stat.st_mode)) {
    return MakeError(Stage::kSource, ErrorCode::kNotRegularFile,
                     fmt::format("feed directory {} is not a directory", config_.path));
  }
  for (const std::string* directory :
       {&config_.processing_dir, &config_.done_dir, &config_.failed_dir}) {
    struct stat work_stat {};
    if (stat(directory->c_str(), &work_stat) != 0 || work_stat.st_dev != feed_stat.st_dev) {
      return MakeError(Stage::kSource, ErrorCode::kInvalidArgument,
                       fmt::format("{} must be on the same filesystem as the feed directory {} "
                                   "(files are claimed and completed by atomic rename)",
                                   *directory, config_.path));
    }
  }
  return {};
}

Result<void> DirectorySource::Start(ItemHandler handler, FailureHandler on_failure) {
  handler_ = std::move(handler);
  on_failure_ = std::move(on_failure);
  if (auto prepared = PrepareDirectories(); !prepared) return prepared;

  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return MakeError(Stage::kSource, ErrorCode::kIo,
                     fmt::format("inotify_init1: {}", ErrnoText(errno)));
  }
  inotify_.assign(fd);
  // Watch before scanning: a file that arrives between the two is seen twice at worst, and the
  // second claim finds it gone.
  running_ = true;
  if (auto watched = WatchOrScan(config_.path); !watched) {
    running_ = false;
    return watched;
  }
  RecoverProcessing();
  ScanDirectory(config_.path);
  spdlog::info("source {}: watching {}{} ({} file(s) to recover, {} waiting)", config_.name,
               config_.path, config_.recursive ? " and its subdirectories" : "", recovered_.size(),
               pending_.size());
  ReadEvents();
  Pump();
  return {};
}

void DirectorySource::Stop() {
  if (!running_) return;
  running_ = false;
  asio::error_code ignored;
  inotify_.close(ignored);
  fallback_scan_timer_.cancel();
  fallback_scanning_ = false;
  pending_.clear();
  pending_paths_.clear();
  settle_timer_.cancel();
  settle_timer_expiry_.reset();
  settling_.clear();
  settle_due_.clear();
  recovered_.clear();
  // Files waiting to be retried stay in processing/ and are handed out again at next start.
  for (auto it = records_.begin(); it != records_.end();) {
    if (it->second.state == FileState::kRetryWait) {
      it->second.retry_timer->cancel();
      std::int64_t reserved_bytes = it->second.reserved_bytes;
      reserved_failed_names_.erase(it->second.failed_name);
      it = records_.erase(it);
      budget_.Release(reserved_bytes);  // running_ is false: wakes nobody
    } else {
      ++it;
    }
  }
  spdlog::info("source {}: intake stopped, {} file(s) still in flight", config_.name,
               records_.size());
}

Result<void> DirectorySource::WatchOrScan(const std::string& directory) {
  int error_number = 0;
  if (auto watched = AddWatch(directory, &error_number); !watched) {
    if (error_number != ENOSPC && error_number != ENOMEM) return watched;
    if (unwatched_directories_.insert(directory).second) {
      spdlog::error(
          "source {}: {}; scanning it every {} s instead", config_.name, watched.error().message,
          std::chrono::duration_cast<std::chrono::seconds>(kFallbackScanInterval).count());
    }
    ScheduleFallbackScan();
    return {};
  }
  if (unwatched_directories_.erase(directory) > 0) {
    spdlog::info("source {}: watching {} again; no more scans for it", config_.name, directory);
  }
  return {};
}

void DirectorySource::ScheduleFallbackScan() {
  if (fallback_scanning_ || !running_) return;
  fallback_scanning_ = true;
  fallback_scan_timer_.expires_after(kFallbackScanInterval);
  fallback_scan_timer_.async_wait([this](const asio::error_code& error) {
    fallback_scanning_ = false;
    if (error || !running_) return;
    // An unwatched directory's removal raises no event, so it is looked for: the feed
    // directory's stops the source, a subdirectory's just ends its scans.
    for (auto it = unwatched_directories_.begin(); it != unwatched_directories_.end();) {
      struct stat directory_stat {};
      if (stat(it->c_str(), &directory_stat) == 0 && S_ISDIR(directory_stat.st_mode)) {
        ++it;
      } else if (*it == config_.path) {
        ReportFeedDirectoryGone();
        return;
      } else {
        it = unwatched_directories_.erase(it);
      }
    }
    if (unwatched_directories_.contains(config_.path)) {
      if (auto watched = WatchOrScan(config_.path); !watched) {
        spdlog::error("source {}: {}", config_.name, watched.error().message);
      }
    }
    rescan_needed_ = true;
    if (!unwatched_directories_.empty()) ScheduleFallbackScan();
    Pump();
  });
}

void DirectorySource::ReportFeedDirectoryGone() {
  if (!on_failure_) return;
  on_failure_(Error{Stage::kSource, ErrorCode::kIo,
                    fmt::format("the feed directory {} of source {} was removed or moved; "
                                "nothing more can arrive through it",
                                config_.path, config_.name)});
}

Result<void> DirectorySource::AddWatch(const std::string& directory, int* error_number_out) {
  int watch = inotify_add_watch(inotify_.native_handle(), directory.c_str(), kWatchMask);
  if (watch < 0) {
    int error_number = errno;
    if (error_number_out != nullptr) *error_number_out = error_number;
    return MakeError(
        Stage::kSource, ErrorCode::kIo,
        fmt::format("cannot watch {}: {}{}", directory, ErrnoText(error_number),
                    error_number == ENOSPC ? " (raise fs.inotify.max_user_watches)" : ""));
  }
  watched_directories_[watch] = directory;
  return {};
}

void DirectorySource::ScanDirectory(const std::string& directory) {
  DIR* listing = opendir(directory.c_str());
  if (listing == nullptr) {
    spdlog::error("source {}: cannot list {}: {}", config_.name, directory, ErrnoText(errno));
    return;
  }
  std::vector<std::pair<std::string, unsigned char>> entries;  // name, d_type
  while (dirent* entry = readdir(listing)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.emplace_back(name, entry->d_type);
  }
  closedir(listing);
  // Oldest names first is what a user expects of a backlog; sorted names are a cheap stand-in.
  std::sort(entries.begin(), entries.end());
  for (const auto& [name, type] : entries) {
    // A full queue takes nothing more (a rescan follows), but subdirectories still get watches.
    if (pending_.size() + settling_.size() >= kMaxPending && type != DT_DIR && type != DT_UNKNOWN) {
      rescan_needed_ = true;
      continue;
    }
    std::string path = JoinPath(directory, name);
    if (IsWorkDirectory(path)) continue;
    struct stat entry_stat {};
    if (lstat(path.c_str(), &entry_stat) != 0) continue;
    if (S_ISDIR(entry_stat.st_mode) && config_.recursive) {
      if (IsIgnoredName(name)) continue;
      if (auto watched = WatchOrScan(path); !watched) {
        spdlog::error("source {}: {}", config_.name, watched.error().message);
        continue;
      }
      ScanDirectory(path);
      continue;
    }
    // Found, not told of by a close-after-write: a writer may still have it open.
    if (IsWantedName(name, config_.include, config_.exclude)) EnqueueWhenSettled(path, entry_stat);
  }
}

void DirectorySource::RecoverProcessing() {
  DIR* listing = opendir(config_.processing_dir.c_str());
  if (listing == nullptr) return;
  while (dirent* entry = readdir(listing)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    recovered_.emplace_back(name);
  }
  closedir(listing);
  std::sort(recovered_.begin(), recovered_.end());
  if (!recovered_.empty()) {
    spdlog::warn(
        "source {}: {} file(s) in {} were not finished by the last run; processing them again "
        "(their events keep the same ids)",
        config_.name, recovered_.size(), config_.processing_dir);
  }
}

void DirectorySource::ReadEvents() {
  inotify_.async_read_some(asio::buffer(event_buffer_), [this](const asio::error_code& error,
                                                               std::size_t length) {
    if (error == asio::error::operation_aborted || !running_) return;
    if (error) {
      spdlog::error("source {}: reading inotify events failed: {}; rescanning in 1 s", config_.name,
                    error.message());
      rescan_needed_ = true;
      read_retry_timer_.expires_after(std::chrono::seconds(1));
      read_retry_timer_.async_wait([this](const asio::error_code& timer_error) {
        if (timer_error || !running_) return;
        Pump();
        ReadEvents();
      });
      return;
    } else {
      std::size_t offset = 0;
      while (offset + sizeof(inotify_event) <= length) {
        const auto* event = reinterpret_cast<const inotify_event*>(event_buffer_.data() + offset);
        HandleEvent(*event);
        offset += sizeof(inotify_event) + event->len;
      }
    }
    Pump();
    ReadEvents();
  });
}

void DirectorySource::HandleEvent(const inotify_event& event) {
  if (event.mask & IN_Q_OVERFLOW) {
    spdlog::warn("source {}: inotify queue overflowed; rescanning {}", config_.name, config_.path);
    rescan_needed_ = true;
    return;
  }
  auto watched = watched_directories_.find(event.wd);
  if (watched == watched_directories_.end()) return;
  if (event.mask & IN_IGNORED) {
    watched_directories_.erase(watched);
    return;
  }
  if (event.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
    if (watched->second == config_.path) ReportFeedDirectoryGone();
    return;
  }
  if (event.len == 0) return;
  std::string_view name(event.name);
  std::string path = JoinPath(watched->second, name);
  if (IsWorkDirectory(path)) return;

  if (event.mask & IN_ISDIR) {
    if (IsIgnoredName(name) || !(event.mask & (IN_CREATE | IN_MOVED_TO))) return;
    if (config_.recursive) {
      if (auto watched = WatchOrScan(path); !watched) {
        spdlog::error("source {}: {}", config_.name, watched.error().message);
        return;
      }
      ScanDirectory(path);  // files may have landed before the watch existed
    } else if (IsWantedName(name, config_.include, config_.exclude)) {
      Enqueue(path);  // a directory where a file belongs: claimed and rejected to failed/
    }
    return;
  }
  if (!IsWantedName(name, config_.include, config_.exclude)) return;
  if (event.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
    Enqueue(path);
    return;
  }
  if (event.mask & IN_CREATE) {
    // A regular file created by a writer is taken on its close-after-write, which ends its
    // settling at once; one created by a hard link gets no such event and is taken once it
    // settled. Symlinks, FIFOs and the like never get it either: taken (and rejected) at once.
    struct stat entry_stat {};
    if (lstat(path.c_str(), &entry_stat) != 0) return;
    if (config_.settle_ms > 0 || !S_ISREG(entry_stat.st_mode)) {
      EnqueueWhenSettled(path, entry_stat);
    } else if (entry_stat.st_nlink > 1) {
      Enqueue(path);  // settle_ms 0: a hard link at once, a writer's file when it closes it
    }
  }
}

void DirectorySource::Enqueue(const std::string& path) {
  if (pending_paths_.contains(path)) return;
  // Settled, or closed after writing while it settled: it was counted as seen then.
  bool was_settling = false;
  if (auto settling = settling_.find(path); settling != settling_.end()) {
    settle_due_.erase(settling->second.due);
    settling_.erase(settling);
    was_settling = true;
  }
  if (pending_.size() + settling_.size() >= kMaxPending) {
    rescan_needed_ = true;
    return;
  }
  std::string relative = path.substr(std::min(path.size(), config_.path.size() + 1));
  pending_.push_back(Candidate{path, std::move(relative)});
  pending_paths_.insert(path);
  if (!was_settling) ++stats_.seen;
}

std::chrono::steady_clock::duration DirectorySource::SettleTimeLeft(const timespec& mtime) const {
  const std::chrono::steady_clock::duration settle = std::chrono::milliseconds(config_.settle_ms);
  const auto age = std::chrono::system_clock::now() - ToSystemTime(mtime);
  // A modification time in the future (a skewed clock) says nothing: a whole settle_ms then.
  if (age < std::chrono::system_clock::duration::zero()) return settle;
  return std::max(std::chrono::duration_cast<std::chrono::steady_clock::duration>(settle - age),
                  std::chrono::steady_clock::duration::zero());
}

void DirectorySource::EnqueueWhenSettled(const std::string& path, const struct stat& file_stat) {
  if (pending_paths_.contains(path) || settling_.contains(path)) return;
  // Not written since settle_ms ago (a backlog found at start, a link to an old file): at once.
  if (config_.settle_ms <= 0 || !S_ISREG(file_stat.st_mode) ||
      SettleTimeLeft(file_stat.st_mtim) == std::chrono::steady_clock::duration::zero()) {
    Enqueue(path);
    return;
  }
  if (pending_.size() + settling_.size() >= kMaxPending) {
    rescan_needed_ = true;
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  Unsettled& unsettled = settling_[path];
  unsettled.size = file_stat.st_size;
  unsettled.mtime = file_stat.st_mtim;
  unsettled.inode = file_stat.st_ino;
  unsettled.observed_at = now;
  unsettled.due = settle_due_.emplace(now + SettleTimeLeft(file_stat.st_mtim), path);
  ++stats_.seen;
  ArmSettleTimer();
}

void DirectorySource::ArmSettleTimer() {
  if (settle_due_.empty() || !running_) return;
  const auto next = settle_due_.begin()->first;
  if (settle_timer_expiry_ && *settle_timer_expiry_ <= next) return;
  settle_timer_expiry_ = next;
  settle_timer_.expires_at(next);  // cancels an earlier wait, whose handler then does nothing
  settle_timer_.async_wait([this](const asio::error_code& error) {
    if (error) return;
    settle_timer_expiry_.reset();
    if (!running_) return;
    CheckSettling();
    ArmSettleTimer();
    Pump();
  });
}

void DirectorySource::CheckSettling() {
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::steady_clock::duration settle = std::chrono::milliseconds(config_.settle_ms);
  // Entries looked at again are due kMinSettleRecheck later at the soonest: the loop ends.
  while (!settle_due_.empty() && settle_due_.begin()->first <= now) {
    const std::string path = settle_due_.begin()->second;
    auto it = settling_.find(path);
    Unsettled& unsettled = it->second;
    struct stat file_stat {};
    if (lstat(path.c_str(), &file_stat) != 0) {
      // Gone: moved away or deleted by its writer.
      settle_due_.erase(unsettled.due);
      settling_.erase(it);
      continue;
    }
    const bool changed = file_stat.st_size != unsettled.size ||
                         file_stat.st_ino != unsettled.inode ||
                         file_stat.st_mtim.tv_sec != unsettled.mtime.tv_sec ||
                         file_stat.st_mtim.tv_nsec != unsettled.mtime.tv_nsec;
    if (changed) {
      unsettled.size = file_stat.st_size;
      unsettled.mtime = file_stat.st_mtim;
      unsettled.inode = file_stat.st_ino;
      unsettled.observed_at = now;
    }
    // Unchanged for settle_ms: seen so by this source, or told so by the modification time.
    const auto left =
        std::min(SettleTimeLeft(file_stat.st_mtim), settle - (now - unsettled.observed_at));
    if (!S_ISREG(file_stat.st_mode) ||
        (!changed && left <= std::chrono::steady_clock::duration::zero())) {
      Enqueue(path);  // ends its settling
      continue;
    }
    settle_due_.erase(unsettled.due);
    unsettled.due = settle_due_.emplace(
        now + std::max<std::chrono::steady_clock::duration>(left, kMinSettleRecheck), path);
  }
}

void DirectorySource::Pump() {
  // A claim that fails releases budget, which calls Pump() again from inside this loop: note it
  // and loop here instead of growing the stack.
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    PumpOnce();
  } while (pump_again_ && running_);
  pumping_ = false;
}

void DirectorySource::PumpOnce() {
  while (running_) {
    if (!recovered_.empty()) {
      struct stat file_stat {};
      std::string path = ProcessingPath(recovered_.front());
      std::int64_t size = 0;
      if (lstat(path.c_str(), &file_stat) == 0 && S_ISREG(file_stat.st_mode)) {
        size = std::min<std::int64_t>(file_stat.st_size, config_.max_file_bytes);
      }
      if (!budget_.TryAcquire(size)) return;
      std::string claim_name = std::move(recovered_.front());
      recovered_.pop_front();
      std::uint64_t ticket = next_ticket_++;
      std::string original = JoinPath(config_.path, DecodeClaimName(claim_name));
      records_.emplace(ticket, FileRecord{claim_name,
                                          original,
                                          FileState::kClaimed,
                                          size,
                                          {},
                                          std::chrono::steady_clock::now()});
      ++stats_.recovered;
      Dispatch(ticket);
      continue;
    }
    if (pending_.empty()) {
      // While many files settle, a rescan would find little room: it waits for them.
      if (!rescan_needed_ || settling_.size() >= kMaxPending / 2) return;
      rescan_needed_ = false;
      ++stats_.rescans;
      ScanDirectory(config_.path);
      if (pending_.empty()) return;
      continue;
    }
    const Candidate& candidate = pending_.front();
    struct stat file_stat {};
    if (lstat(candidate.path.c_str(), &file_stat) != 0) {
      // Gone already: claimed by an earlier event, or removed by its writer.
      pending_paths_.erase(candidate.path);
      pending_.pop_front();
      continue;
    }
    // A too-large file is never read, so it costs a slot but no bytes.
    std::int64_t size = S_ISREG(file_stat.st_mode) && file_stat.st_size <= config_.max_file_bytes
                            ? file_stat.st_size
                            : 0;
    if (!budget_.TryAcquire(size)) return;
    Candidate claimed = std::move(pending_.front());
    pending_.pop_front();
    pending_paths_.erase(claimed.path);
    Claim(claimed, size);
  }
}

void DirectorySource::Claim(const Candidate& candidate, std::int64_t reserved_bytes) {
  auto moved = MoveIntoDirectory(candidate.path, config_.processing_dir,
                                 EncodeClaimName(candidate.relative_path));
  if (!moved) {
    budget_.Release(reserved_bytes);
    if (moved.error().code == ErrorCode::kNotRegularFile) return;  // vanished meanwhile
    ++stats_.claim_errors;
    spdlog::error("source {}: cannot claim {}: {}", config_.name, candidate.path,
                  moved.error().message);
    return;
  }
  ++stats_.claimed;
  std::uint64_t ticket = next_ticket_++;
  records_.emplace(ticket, FileRecord{BaseName(*moved),
                                      candidate.path,
                                      FileState::kClaimed,
                                      reserved_bytes,
                                      {},
                                      std::chrono::steady_clock::now()});
  Dispatch(ticket);
}

bool DirectorySource::Transition(FileRecord& record, FileEvent event) {
  auto next = NextFileState(record.state, event);
  if (!next) {
    spdlog::critical("source {}: {} ({})", config_.name, next.error().message,
                     record.original_path);
    return false;
  }
  record.state = *next;
  return true;
}

std::string DirectorySource::ReserveFailedName(const std::string& claim_name) {
  std::string name;
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    name = CandidateName(claim_name, attempt);
    if (reserved_failed_names_.contains(name)) continue;
    struct stat taken {};
    const std::string path = JoinPath(config_.failed_dir, name);
    if (lstat(path.c_str(), &taken) == 0 || lstat((path + ".error").c_str(), &taken) == 0) continue;
    break;
  }
  // After kMaxNameAttempts the last name (time and counter) is as good as free.
  reserved_failed_names_.insert(name);
  return name;
}

std::string DirectorySource::FailedLocation(const std::string& failed_name) const {
  return FileUri(JoinPath(failed_dir_absolute_, failed_name));
}

void DirectorySource::Dispatch(std::uint64_t ticket) {
  auto it = records_.find(ticket);
  if (it == records_.end() || !Transition(it->second, FileEvent::kDispatch)) return;
  FileRecord& record = it->second;
  // Decided before anything is read, so that every dead letter of the file names it.
  if (record.failed_name.empty()) record.failed_name = ReserveFailedName(record.claim_name);
  std::string location = FailedLocation(record.failed_name);
  asio::post(reader_, [this, ticket, path = ProcessingPath(record.claim_name),
                       original_path = record.original_path, location = std::move(location)] {
    bool transient = false;
    SourceItem item = LoadItem(ticket, path, original_path, location, transient);
    if (transient) {
      // Out of descriptors or memory: the file is fine, try it again after the back-off.
      spdlog::warn("source {}: cannot read {} now ({}); retrying", config_.name, original_path,
                   item.rejection->message);
      asio::post(io_, [this, ticket] { Release(ticket); });
      return;
    }
    handler_(std::move(item));
  });
}

SourceItem DirectorySource::LoadItem(std::uint64_t ticket, const std::string& path,
                                     const std::string& original_path, const std::string& location,
                                     bool& transient) const {
  SourceItem item;
  item.ticket = ticket;
  item.raw.origin.kind = Origin::Kind::kFile;
  item.raw.origin.source_name = config_.name;
  item.raw.origin.path = original_path;
  item.raw.origin.location = location;
  auto reject = [&item](ErrorCode code, std::string message) {
    item.rejection = Error{Stage::kSource, code, std::move(message)};
    return std::move(item);
  };

  struct stat link_stat {};
  if (lstat(path.c_str(), &link_stat) != 0) {
    return reject(ErrorCode::kIo, fmt::format("cannot stat claimed file: {}", ErrnoText(errno)));
  }
  // The stat calls reading needs anyway give the age: the link's for a link rejected unread, the
  // opened file's (below) for everything else.
  item.created_at = ToSystemTime(link_stat.st_mtim);
  if (S_ISLNK(link_stat.st_mode) && !config_.follow_symlinks) {
    return reject(ErrorCode::kSymlink,
                  "is a symbolic link; links in a feed directory are never followed (set "
                  "follow_symlinks to allow them)");
  }
  if (S_ISDIR(link_stat.st_mode)) {
    return reject(ErrorCode::kNotRegularFile,
                  "is a directory; this feed directory is not recursive");
  }
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (config_.follow_symlinks ? 0 : O_NOFOLLOW);
  int fd = open(path.c_str(), flags);
  if (fd < 0) {
    int error_number = errno;
    transient = error_number == EMFILE || error_number == ENFILE || error_number == ENOMEM ||
                error_number == ENOBUFS;
    return reject(error_number == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kIo,
                  fmt::format("cannot open: {}", ErrnoText(error_number)));
  }
  struct stat file_stat {};
  if (fstat(fd, &file_stat) != 0 || !S_ISREG(file_stat.st_mode)) {
    close(fd);
    return reject(ErrorCode::kNotRegularFile, "is not a regular file");
  }
  item.created_at = ToSystemTime(file_stat.st_mtim);
  item.original_size = static_cast<std::size_t>(file_stat.st_size);
  if (file_stat.st_size > config_.max_file_bytes) {
    close(fd);
    return reject(ErrorCode::kTooLarge,
                  fmt::format("is {} bytes, over max_file_bytes ({}); not read", file_stat.st_size,
                              config_.max_file_bytes));
  }
  std::string& bytes = item.raw.bytes;
  bytes.resize(static_cast<std::size_t>(file_stat.st_size));
  std::size_t filled = 0;
  for (;;) {
    if (filled == bytes.size()) {
      // The file may have grown since fstat; read until EOF, within the limit.
      if (static_cast<std::int64_t>(bytes.size()) >= config_.max_file_bytes) {
        char probe = 0;
        if (read(fd, &probe, 1) > 0) {
          close(fd);
          bytes.clear();
          return reject(ErrorCode::kTooLarge,
                        fmt::format("grew over max_file_bytes ({}) while being read",
                                    config_.max_file_bytes));
        }
        break;
      }
      bytes.resize(std::min<std::size_t>(bytes.size() + kReadChunkBytes, config_.max_file_bytes));
    }
    ssize_t count = read(fd, bytes.data() + filled, bytes.size() - filled);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      int error_number = errno;
      close(fd);
      bytes.clear();
      return reject(ErrorCode::kIo, fmt::format("read failed: {}", ErrnoText(error_number)));
    }
    if (count == 0) break;
    filled += static_cast<std::size_t>(count);
  }
  close(fd);
  bytes.resize(filled);
  item.original_size = filled;
  return item;
}

std::optional<std::chrono::steady_clock::time_point> DirectorySource::oldest_in_flight() const {
  // Linear in the records, which the in-flight budget bounds; called once per metrics scrape.
  std::optional<std::chrono::steady_clock::time_point> oldest;
  for (const auto& [ticket, record] : records_) {
    if (!oldest || record.first_handed_out < *oldest) oldest = record.first_handed_out;
  }
  return oldest;
}

void DirectorySource::Finish(std::unordered_map<std::uint64_t, FileRecord>::iterator it) {
  // Erase before releasing: the release wakes Pump(), which may add records (and rehash).
  std::int64_t reserved_bytes = it->second.reserved_bytes;
  reserved_failed_names_.erase(it->second.failed_name);
  records_.erase(it);
  budget_.Release(reserved_bytes);
}

void DirectorySource::Acknowledge(std::uint64_t ticket) {
  auto it = records_.find(ticket);
  if (it == records_.end() || !Transition(it->second, FileEvent::kAcknowledge)) return;
  FileRecord& record = it->second;
  std::string path = ProcessingPath(record.claim_name);
  if (config_.on_success == config::DirectorySourceConfig::OnSuccess::kDelete) {
    if (unlink(path.c_str()) != 0) {
      spdlog::error("source {}: cannot delete completed {}: {}", config_.name, path,
                    ErrnoText(errno));
    }
  } else if (auto moved = MoveIntoDirectory(path, config_.done_dir, record.claim_name); !moved) {
    // Left in processing/, it is processed again at next start: a duplicate, never a loss.
    spdlog::error("source {}: {}", config_.name, moved.error().message);
  }
  ++stats_.completed;
  Finish(it);
}

void DirectorySource::Reject(std::uint64_t ticket, const Error& error) {
  auto it = records_.find(ticket);
  if (it == records_.end() || !Transition(it->second, FileEvent::kReject)) return;
  FileRecord& record = it->second;
  const std::string from = ProcessingPath(record.claim_name);
  // The name the dead letter gave (reserved when the file was handed out).
  bool taken = false;
  auto moved = MoveUnlessTaken(from, JoinPath(config_.failed_dir, record.failed_name), taken);
  if (!moved && taken) {
    // Something outside newswire put a file under that name meanwhile: never replaced.
    spdlog::error(
        "source {}: {} appeared after it was chosen for {}; the dead letter names it, "
        "the file goes under another name",
        config_.name, JoinPath(config_.failed_dir, record.failed_name), record.original_path);
    for (int attempt = 0; !moved && taken && attempt < kMaxNameAttempts; ++attempt) {
      reserved_failed_names_.erase(record.failed_name);
      record.failed_name = ReserveFailedName(record.claim_name);
      moved = MoveUnlessTaken(from, JoinPath(config_.failed_dir, record.failed_name), taken);
    }
  }
  if (moved) {
    WriteErrorNote(*moved, record.original_path, FailedLocation(BaseName(*moved)), error);
  } else {
    spdlog::error("source {}: {}", config_.name, moved.error().message);
  }
  ++stats_.failed;
  Finish(it);
}

void DirectorySource::Release(std::uint64_t ticket) {
  auto it = records_.find(ticket);
  if (it == records_.end() || !Transition(it->second, FileEvent::kRelease)) return;
  if (!running_) {
    // Shutting down: the file stays in processing/ for the next start.
    Finish(it);
    return;
  }
  ++stats_.retried;
  FileRecord& record = it->second;
  record.retry_timer =
      std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(retry_backoff_ms_));
  record.retry_timer->async_wait([this, ticket](const asio::error_code& error) {
    if (error || !running_) return;
    auto found = records_.find(ticket);
    if (found == records_.end() || !Transition(found->second, FileEvent::kRetry)) return;
    spdlog::info("source {}: retrying {}", config_.name, found->second.original_path);
    Dispatch(ticket);
  });
}

}  // namespace newswire::sources
