#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace newswire::testing {

// A fresh directory under the system temp dir, removed with its contents at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Polls `condition` every 10 ms until it holds or `timeout` passed; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& content);
// Writes under a ".part" name and renames into place, as a well-behaved feed writer does.
void DropFile(const std::filesystem::path& directory, const std::string& name,
              const std::string& content);
// Regular files (and symlinks, directories) directly in `directory`, sorted; none if it is absent.
std::vector<std::string> ListNames(const std::filesystem::path& directory);

// The result of running the newswire binary to completion.
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
CommandResult RunNewswire(const std::vector<std::string>& arguments,
                          const std::string& standard_input = "");

struct DaemonOptions {
  // Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH in the child, so file permissions bind even
  // when the tests run as root (as in CI).
  bool drop_file_capabilities = false;
  std::map<std::string, std::string> environment;
  // Appended to `newswire run -c CONFIG`.
  std::vector<std::string> extra_arguments;
  // 0 or more: the daemon runs in a user namespace of its own (root mapped to root) whose inotify
  // watch limit (/proc/sys/user/max_inotify_watches) is this, a real limit of the kernel's that
  // binds only the daemon.
  int max_inotify_watches = -1;
};

// The real `newswire run -c CONFIG` as a child process, its stderr and stdout going to a log file
// the test reads. Killed (SIGKILL) at destruction if still running.
class DaemonProcess {
 public:
  DaemonProcess(std::filesystem::path config_path, std::filesystem::path log_path,
                DaemonOptions options = {});
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::string Log() const;
  // Waits until the log contains `text`, `count` times.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout, int count = 1) const;
  void Signal(int signal_number);
  // Waits for the process to exit and returns its exit code (128 + signal if killed), or nothing
  // on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// A config for the daemon under test: one feed directory, the given bootstrap servers, short
// timeouts so tests stay quick. `extra_directory`, `extra`, `extra_kafka` and `extra_log` are
// YAML lines appended to the directory entry, to the top level, to the kafka section and to the
// log section. An empty
// `feed_directory` writes no directory list (`extra_directory` then follows `sources:` directly,
// and the state lives next to `broker_file`). The operator endpoint listens on a free port,
// written to `http-address` next to `broker_file`.
std::string DaemonConfig(const std::string& brokers, const std::filesystem::path& feed_directory,
                         const std::filesystem::path& broker_file,
                         const std::string& extra_directory = "", const std::string& extra = "",
                         const std::string& extra_kafka = "", const std::string& extra_log = "");

}  // namespace newswire::testing
