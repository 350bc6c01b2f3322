#include "daemon/app/systemd_notifier.h"

#include <systemd/sd-daemon.h>

namespace newswire::app {

void SystemdNotifier::Ready() { sd_notify(0, "READY=1"); }

void SystemdNotifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void SystemdNotifier::Reloading() { sd_notify(0, "RELOADING=1"); }

void SystemdNotifier::Status(const std::string& status) {
  std::string message = "STATUS=" + status;
  sd_notify(0, message.c_str());
}

void SystemdNotifier::ExtendTimeout(std::chrono::microseconds from_now) {
  const std::string message = "EXTEND_TIMEOUT_USEC=" + std::to_string(from_now.count());
  sd_notify(0, message.c_str());
}

void SystemdNotifier::Watchdog() { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::WatchdogInterval() {
  std::uint64_t interval_us = 0;
  if (sd_watchdog_enabled(0, &interval_us) <= 0 || interval_us == 0) return std::nullopt;
  return std::chrono::microseconds(interval_us / 2);
}

}  // namespace newswire::app
