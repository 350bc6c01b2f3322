#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/error.h"

namespace newswire::sources {

// The life of one file in a feed directory, as a pure state machine (no I/O, unit-tested):
//
//   inbox/x --claim (atomic rename)--> processing/x                       kClaimed
//   kClaimed     --kDispatch-->      handed to the pipeline              kDispatched
//   kDispatched  --kAcknowledge-->   every event delivered: done/x       kCompleted
//   kDispatched  --kReject-->        dead letter delivered: failed/x     kFailed
//   kDispatched  --kRelease-->       a delivery failed: wait, then retry kRetryWait
//   kRetryWait   --kRetry-->         read again from processing/         kClaimed
//
// After a crash, whatever is in processing/ starts again at kClaimed: nothing is lost, and the
// events made again carry the same ids. Any other transition is a bug and is reported as one.
enum class FileState { kClaimed, kDispatched, kRetryWait, kCompleted, kFailed };
enum class FileEvent { kDispatch, kAcknowledge, kReject, kRelease, kRetry };

std::string_view FileStateName(FileState state);
std::string_view FileEventName(FileEvent event);

Result<FileState> NextFileState(FileState state, FileEvent event);

// The name a file gets in processing/, done/ and failed/: its path relative to the feed directory
// with '%' and '/' percent-encoded, so files from subdirectories stay distinct and the original
// path can be recovered after a crash ("a/b.txt" -> "a%2Fb.txt").
std::string EncodeClaimName(std::string_view relative_path);
std::string DecodeClaimName(std::string_view claim_name);

// The name to try when `name` is taken: ("a.txt", "1") -> "a.1.txt", ("a", "1") -> "a.1".
std::string AlternativeName(std::string_view name, std::string_view suffix);

// Files writers are still writing, or that are not articles: dotfiles, *.tmp, *.part, *.swp, and
// names ending in '~'. Writers write under such a name and rename into place.
bool IsIgnoredName(std::string_view name);

// True when the file name matches one of `include` and none of `exclude` (fnmatch globs) and is
// not ignored.
bool IsWantedName(std::string_view name, const std::vector<std::string>& include,
                  const std::vector<std::string>& exclude);

}  // namespace newswire::sources
