#pragma once

#include <string>

#include "daemon/core/error.h"

namespace newswire::app {

// Atomically replaces `path` with `content` (a temporary file renamed over it), creating the
// parent directories, so that a reader (a test, a tool that finds the broker or the operator
// endpoint) never sees half a file. Any thread.
Result<void> WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace newswire::app
