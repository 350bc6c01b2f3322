#pragma once

#include <string>

#include "daemon/core/error.h"

namespace newswire::app {

struct LoggingOptions {
  std::string level = "info";   // trace|debug|info|warn|error
  std::string format = "text";  // text|json
};

// Sets spdlog's default logger to write to stderr: colored human-readable lines on a terminal,
// plain lines otherwise (journald adds its own time stamp but keeps ours), or one JSON object a
// line with `--log-format json` for journald/ELK. Called once, from main, before any thread starts.
Result<void> SetupLogging(const LoggingOptions& options);

// True when stderr is a terminal: the daemon then logs one line per completed file instead of a
// periodic summary.
bool LogIsTerminal();

}  // namespace newswire::app
