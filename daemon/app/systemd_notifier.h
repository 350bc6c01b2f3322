#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace newswire::app {

// Speaks the sd_notify protocol to systemd (Type=notify units): READY=1, STOPPING=1, STATUS=...,
// WATCHDOG=1. Does nothing when NOTIFY_SOCKET is not set (not started by systemd). Called from the
// io thread only.
class SystemdNotifier {
 public:
  void Ready();
  void Stopping();
  // RELOADING=1, then Ready() when the reload is done (ExecReload in the unit sends SIGHUP).
  void Reloading();
  void Status(const std::string& status);
  // EXTEND_TIMEOUT_USEC: the start is still making progress (waiting for Kafka); systemd's start
  // timeout (TimeoutStartSec) is moved to `from_now` from now, so a start that waits for the
  // cluster is not killed and restarted while it waits.
  void ExtendTimeout(std::chrono::microseconds from_now);
  void Watchdog();

  // How often to send WATCHDOG=1 (half of WatchdogSec), or nothing when the watchdog is off.
  static std::optional<std::chrono::microseconds> WatchdogInterval();
};

}  // namespace newswire::app
