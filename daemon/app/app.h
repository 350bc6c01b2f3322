#pragma once

#include "daemon/config/config.h"

namespace newswire::app {

// Process exit codes (sysexits.h), documented in `newswire --help` and docs/operations.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitDataError = 65;
inline constexpr int kExitUnavailable = 69;
inline constexpr int kExitSoftware = 70;
inline constexpr int kExitSourceFailed = 74;  // EX_IOERR: a feed directory went away
inline constexpr int kExitConfig = 78;

struct DaemonOptions {
  // --log-level was given: it wins over log.level, also when SIGHUP reloads the config.
  bool log_level_from_command_line = false;
};

// Runs the daemon on a validated config until SIGTERM/SIGINT (drain, flush, exit 0) or a fatal
// Kafka error (intake stops, unacknowledged files stay claimed, exit 69). Returns the exit code.
// Called once from main; logging must already be set up.
int RunDaemon(const config::Config& config, const DaemonOptions& options = {});

}  // namespace newswire::app
