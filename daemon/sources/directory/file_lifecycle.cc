#include "daemon/sources/directory/file_lifecycle.h"

#include <fmt/format.h>
#include <fnmatch.h>

namespace newswire::sources {

std::string_view FileStateName(FileState state) {
  switch (state) {
    case FileState::kClaimed:
      return "claimed";
    case FileState::kDispatched:
      return "dispatched";
    case FileState::kRetryWait:
      return "retry_wait";
    case FileState::kCompleted:
      return "completed";
    case FileState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string_view FileEventName(FileEvent event) {
  switch (event) {
    case FileEvent::kDispatch:
      return "dispatch";
    case FileEvent::kAcknowledge:
      return "acknowledge";
    case FileEvent::kReject:
      return "reject";
    case FileEvent::kRelease:
      return "release";
    case FileEvent::kRetry:
      return "retry";
  }
  return "unknown";
}

Result<FileState> NextFileState(FileState state, FileEvent event) {
  switch (state) {
    case FileState::kClaimed:
      if (event == FileEvent::kDispatch) return FileState::kDispatched;
      break;
    case FileState::kDispatched:
      if (event == FileEvent::kAcknowledge) return FileState::kCompleted;
      if (event == FileEvent::kReject) return FileState::kFailed;
      if (event == FileEvent::kRelease) return FileState::kRetryWait;
      break;
    case FileState::kRetryWait:
      if (event == FileEvent::kRetry) return FileState::kClaimed;
      break;
    case FileState::kCompleted:
    case FileState::kFailed:
      break;
  }
  return MakeError(Stage::kSource, ErrorCode::kInternal,
                   fmt::format("file lifecycle: '{}' is not allowed in state '{}'",
                               FileEventName(event), FileStateName(state)));
}

std::string EncodeClaimName(std::string_view relative_path) {
  std::string name;
  name.reserve(relative_path.size() + 8);
  for (char c : relative_path) {
    if (c == '%') {
      name += "%25";
    } else if (c == '/') {
      name += "%2F";
    } else {
      name += c;
    }
  }
  return name;
}

std::string DecodeClaimName(std::string_view claim_name) {
  std::string path;
  path.reserve(claim_name.size());
  for (std::size_t i = 0; i < claim_name.size(); ++i) {
    if (claim_name[i] == '%' && i + 2 < claim_name.size()) {
      std::string_view code = claim_name.substr(i + 1, 2);
      if (code == "2F") {
        path += '/';
        i += 2;
        continue;
      }
      if (code == "25") {
        path += '%';
        i += 2;
        continue;
      }
    }
    path += claim_name[i];
  }
  return path;
}

std::string AlternativeName(std::string_view name, std::string_view suffix) {
  std::size_t dot = name.rfind('.');
  // A leading dot or no dot: append the suffix.
  if (dot == std::string_view::npos || dot == 0) return fmt::format("{}.{}", name, suffix);
  return fmt::format("{}.{}{}", name.substr(0, dot), suffix, name.substr(dot));
}

bool IsIgnoredName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '~') return true;
  for (std::string_view suffix : {".tmp", ".part", ".swp"}) {
    if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      return true;
    }
  }
  return false;
}

bool IsWantedName(std::string_view name, const std::vector<std::string>& include,
                  const std::vector<std::string>& exclude) {
  if (IsIgnoredName(name)) return false;
  std::string name_string(name);
  bool included = false;
  for (const auto& pattern : include) {
    if (fnmatch(pattern.c_str(), name_string.c_str(), FNM_PERIOD) == 0) {
      included = true;
      break;
    }
  }
  if (!included) return false;
  for (const auto& pattern : exclude) {
    if (fnmatch(pattern.c_str(), name_string.c_str(), FNM_PERIOD) == 0) return false;
  }
  return true;
}

}  // namespace newswire::sources
