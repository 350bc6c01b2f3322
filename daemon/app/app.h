#pragma once

#include "daemon/app/startup_check.h"
#include "daemon/config/config.h"

namespace newswire::app {

// Process exit codes (sysexits.h), one cause each, documented in `newswire --help` and
// docs/operations.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitDataError = 65;
inline constexpr int kExitUnavailable = 69;  // Kafka: a fatal producer error, fenced, or the
                                             // embedded broker or the producer could not start
inline constexpr int kExitSoftware = 70;
inline constexpr int kExitCannotListen = 71;  // EX_OSERR: http.address:http.port cannot be bound
inline constexpr int kExitCannotCreate = 73;  // EX_CANTCREAT: the state, or a file newswire writes
                                              // (broker_file, address_file)
inline constexpr int kExitSourceFailed = 74;  // EX_IOERR: a source failed to start or while running
inline constexpr int kExitStateInUse = 75;    // EX_TEMPFAIL: another newswire holds the state
inline constexpr int kExitConfig = 78;

struct DaemonOptions {
  // --log-level was given: it wins over log.level, also when SIGHUP reloads the config.
  bool log_level_from_command_line = false;
};

// Runs the daemon on a validated config and what PrepareStart built from it until SIGTERM/SIGINT
// (drain, flush, exit 0) or a fatal Kafka error (intake stops, unacknowledged files stay claimed,
// exit 69). Returns the exit code. Called once from main; logging must already be set up.
int RunDaemon(const config::Config& config, PreparedStart prepared,
              const DaemonOptions& options = {});

}  // namespace newswire::app
