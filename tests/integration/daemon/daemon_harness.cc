#include "tests/integration/daemon/daemon_harness.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace newswire::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device random;
  path_ = fs::temp_directory_path() /
          ("newswire-it-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  // Directories a test made unreadable must be opened up again to be removed.
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
  fs::remove_all(path_, ignored);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary);
  file << content;
}

void DropFile(const fs::path& directory, const std::string& name, const std::string& content) {
  fs::path part = directory / ("." + name + ".part");
  WriteFile(part, content);
  fs::rename(part, directory / name);
}

std::vector<std::string> ListNames(const fs::path& directory) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

[[noreturn]] void ExecNewswire(const std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  std::string binary = NEWSWIRE_BINARY_PATH;
  argv.push_back(binary.data());
  std::vector<std::string> copies = arguments;
  for (auto& argument : copies) argv.push_back(argument.data());
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  std::perror("execv newswire");
  _exit(127);
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CommandResult RunNewswire(const std::vector<std::string>& arguments,
                          const std::string& standard_input) {
  TempDir scratch;
  fs::path output_path = scratch.path() / "output";
  fs::path input_path = scratch.path() / "input";
  WriteFile(input_path, standard_input);
  pid_t pid = fork();
  if (pid == 0) {
    int input = open(input_path.c_str(), O_RDONLY);
    int output = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(input, STDIN_FILENO);
    dup2(output, STDOUT_FILENO);
    dup2(output, STDERR_FILENO);
    ExecNewswire(arguments);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return CommandResult{DecodeStatus(status), ReadFile(output_path)};
}

namespace {

bool WriteProcFile(const char* path, const std::string& text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return written;
}

// In the forked child, single-threaded: a user namespace of its own, the same ids inside, and
// its inotify watch limit. Prints why on failure (to the daemon's log).
bool LimitInotifyWatches(int watches) {
  const std::string uid_map = "0 " + std::to_string(getuid()) + " 1\n";
  const std::string gid_map = "0 " + std::to_string(getgid()) + " 1\n";
  if (unshare(CLONE_NEWUSER) != 0 || !WriteProcFile("/proc/self/setgroups", "deny") ||
      !WriteProcFile("/proc/self/uid_map", uid_map) ||
      !WriteProcFile("/proc/self/gid_map", gid_map) ||
      !WriteProcFile("/proc/sys/user/max_inotify_watches", std::to_string(watches))) {
    std::fprintf(stderr, "harness: cannot limit inotify watches to %d: %s\n", watches,
                 std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

DaemonProcess::DaemonProcess(fs::path config_path, fs::path log_path, DaemonOptions options)
    : log_path_(std::move(log_path)) {
  const pid_t test_pid = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A test that dies (a crash, ctest's timeout) takes its daemon with it rather than leaving it
    // running against a broker that died with the test. Tests start daemons from their main
    // thread, whose exit is what this watches.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != test_pid) _exit(125);
    int output = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_input = open("/dev/null", O_RDONLY);
    dup2(null_input, STDIN_FILENO);
    dup2(output, STDOUT_FILENO);
    dup2(output, STDERR_FILENO);
    for (const auto& [name, value] : options.environment) setenv(name.c_str(), value.c_str(), 1);
    if (options.drop_file_capabilities) {
      // Removed from the bounding set, they are gone from the exec'd process's permitted set.
      prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0);
      prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0);
    }
    if (options.max_inotify_watches >= 0 && !LimitInotifyWatches(options.max_inotify_watches)) {
      _exit(126);
    }
    std::vector<std::string> arguments = {"run", "-c", config_path.string()};
    arguments.insert(arguments.end(), options.extra_arguments.begin(),
                     options.extra_arguments.end());
    ExecNewswire(arguments);
  }
}

DaemonProcess::~DaemonProcess() {
  if (running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

std::string DaemonProcess::Log() const { return ReadFile(log_path_); }

bool DaemonProcess::WaitForLog(const std::string& text, std::chrono::milliseconds timeout,
                               int count) const {
  return WaitFor(
      [&] {
        std::string log = Log();
        int found = 0;
        for (std::size_t at = log.find(text); at != std::string::npos;
             at = log.find(text, at + text.size())) {
          ++found;
        }
        return found >= count;
      },
      timeout);
}

void DaemonProcess::Signal(int signal_number) {
  if (pid_ > 0 && !exit_code_) kill(pid_, signal_number);
}

std::optional<int> DaemonProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  WaitFor(
      [&] {
        int status = 0;
        pid_t done = waitpid(pid_, &status, WNOHANG);
        if (done == pid_) exit_code_ = DecodeStatus(status);
        return exit_code_.has_value();
      },
      timeout);
  return exit_code_;
}

bool DaemonProcess::running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    exit_code_ = DecodeStatus(status);
    return false;
  }
  return true;
}

std::string DaemonConfig(const std::string& brokers, const fs::path& feed_directory,
                         const fs::path& broker_file, const std::string& extra_directory,
                         const std::string& extra, const std::string& extra_kafka,
                         const std::string& extra_log) {
  std::ostringstream yaml;
  yaml << "kafka:\n"
       << "  brokers: \"" << brokers << "\"\n"
       << "  broker_file: \"" << broker_file.string() << "\"\n"
       << "  flush_timeout_ms: 10000\n"
       << extra_kafka << "sources:\n";
  if (!feed_directory.empty()) {
    yaml << "  directories:\n"
         << "    - path: \"" << feed_directory.string() << "\"\n"
         << "      name: inbox\n";
  }
  // Every daemon under test serves its operator endpoint on a free port, written next to the
  // broker file, and calls itself unhealthy after two seconds.
  yaml << extra_directory << "http:\n"
       << "  port: 0\n"
       << "  address_file: \"" << (broker_file.parent_path() / "http-address").string() << "\"\n"
       << "  unhealthy_after_ms: 2000\n"
       << "log:\n"
       << "  level: debug\n"
       << "  stats_interval_ms: 1000\n"
       << extra_log << "daemon:\n"
       << "  source_uri: \"newswire://test\"\n"
       << "  state_dir: \""
       << ((feed_directory.empty() ? broker_file : feed_directory).parent_path() / "state").string()
       << "\"\n"
       << "  shutdown_timeout_ms: 10000\n"
       << "  retry_backoff_ms: 200\n"
       << extra;
  return yaml.str();
}

}  // namespace newswire::testing
