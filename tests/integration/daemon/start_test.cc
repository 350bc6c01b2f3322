// How the real binary starts, or refuses to: a config without a cluster, classifier data and
// directories check-config must catch before `run` does, secrets from systemd's credentials
// directory, and one exit code per cause when the start fails (docs/operations.md).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"
#include "tests/support/http_client.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kSourceDir = NEWSWIRE_SOURCE_DIR;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(StartTest, ConfigWithoutBrokersIsRefusedWithAHint) {
  TempDir temp;
  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config,
            "sources:\n  directories:\n    - path: " + (temp.path() / "inbox").string() + "\n");
  for (const char* command : {"run", "check-config"}) {
    const CommandResult result = RunNewswire({command, "-c", config.string()});
    EXPECT_EQ(result.exit_code, 78) << command << "\n" << result.output;
    EXPECT_TRUE(Contains(result.output, config.string() + ":1:1: kafka.brokers: required key is "
                                                          "missing"))
        << result.output;
    EXPECT_TRUE(Contains(result.output, "write `embedded` for a demo")) << result.output;
  }
  // Nothing ran: no development broker, no state.
  EXPECT_FALSE(fs::exists(temp.path() / "inbox"));
}

// Broken classifier data and a directory that cannot be made: check-config lists every problem
// and exits 78, and run refuses the same config with the same lines before it starts anything.
TEST(StartTest, CheckConfigAndRunRefuseWhatCannotBeBuiltAlike) {
  TempDir temp;
  const fs::path data = temp.path() / "data";
  fs::copy(kSourceDir / "config", data, fs::copy_options::recursive);
  WriteFile(data / "rules/topics/99-broken.yaml",
            "rules:\n  - id: broken\n    topic: medtop:99999999\n    any: [\"x\"]\n");
  WriteFile(data / "gazetteers/zz-broken.yaml", "entries:\n  - {id: x, type: alien}\n");
  const fs::path not_a_directory = temp.path() / "file";
  WriteFile(not_a_directory, "x\n");
  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config,
            fmt::format(R"(kafka:
  brokers: embedded
classify:
  data_dir: {}
  routes_file: {}
sources:
  directories:
    - path: {}
daemon:
  state_dir: {}
)",
                        data.string(), (temp.path() / "missing-routes.yaml").string(),
                        (temp.path() / "inbox").string(), (not_a_directory / "state").string()));
  const CommandResult checked = RunNewswire({"check-config", "-c", config.string()});
  EXPECT_EQ(checked.exit_code, 78) << checked.output;
  const std::vector<std::string> expected = {
      config.string() + ":5:16: classify.routes_file: cannot read",
      config.string() + ":10:14: daemon.state_dir: cannot create",
      "2 error(s) in the config or the files it names; newswire did not start",
  };
  for (const std::string& line : expected) {
    EXPECT_TRUE(Contains(checked.output, line)) << line << "\n" << checked.output;
  }
  // With the routes file there, the data files are read: both of their problems, in them.
  WriteFile(temp.path() / "missing-routes.yaml", "routes: []\n");
  const CommandResult with_routes = RunNewswire({"check-config", "-c", config.string()});
  EXPECT_EQ(with_routes.exit_code, 78) << with_routes.output;
  EXPECT_TRUE(Contains(with_routes.output, (data / "rules/topics/99-broken.yaml").string() + ":"))
      << with_routes.output;
  EXPECT_TRUE(Contains(with_routes.output, (data / "gazetteers/zz-broken.yaml").string() + ":"))
      << with_routes.output;
  const CommandResult ran = RunNewswire({"run", "-c", config.string()});
  EXPECT_EQ(ran.exit_code, 78) << ran.output;
  EXPECT_EQ(ran.output, with_routes.output);
  EXPECT_FALSE(fs::exists(temp.path() / "inbox"));
}

TEST(StartTest, CheckConfigQuietSaysValidOnly) {
  const CommandResult result =
      RunNewswire({"check-config", "--quiet", "-c", (kSourceDir / "config/demo.yaml").string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, (kSourceDir / "config/demo.yaml").string() + ": valid\n");
}

// systemd's LoadCredential= hands the service a root-only secret in $CREDENTIALS_DIRECTORY (for
// ExecStartPre=, ExecReload= and ExecStart= alike); the config names it as
// ${CREDENTIALS_DIRECTORY}. Here the test plays systemd and sets the variable.
TEST(StartTest, SecretFilesAreReadFromTheCredentialsDirectory) {
  TempDir temp;
  fs::create_directories(temp.path() / "credentials");
  WriteFile(temp.path() / "credentials/kafka-password", "s3cr3t\n");
  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config,
            fmt::format(R"(kafka:
  brokers: kafka-1.invalid:9092
  properties:
    security.protocol: sasl_plaintext
    sasl.mechanisms: PLAIN
    sasl.username: newswire
  secret_files:
    sasl.password: ${{CREDENTIALS_DIRECTORY}}/kafka-password
sources:
  directories:
    - path: {}
daemon:
  state_dir: {}
)",
                        (temp.path() / "inbox").string(), (temp.path() / "state").string()));
  const std::string credentials = (temp.path() / "credentials").string();
  setenv("CREDENTIALS_DIRECTORY", credentials.c_str(), 1);
  const CommandResult with_credentials = RunNewswire({"check-config", "-c", config.string()});
  unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_EQ(with_credentials.exit_code, 0) << with_credentials.output;
  EXPECT_TRUE(Contains(with_credentials.output, credentials + "/kafka-password"))
      << with_credentials.output;
  EXPECT_FALSE(Contains(with_credentials.output, "s3cr3t")) << with_credentials.output;

  const CommandResult without = RunNewswire({"check-config", "-c", config.string()});
  EXPECT_EQ(without.exit_code, 78) << without.output;
  EXPECT_TRUE(Contains(without.output, config.string() +
                                           ":8:20: kafka.secret_files.sasl.password: "
                                           "'${CREDENTIALS_DIRECTORY}/kafka-password' names "
                                           "${CREDENTIALS_DIRECTORY} but it is not set"))
      << without.output;
}

// A config a daemon under test can start with: the embedded broker, a feed directory and state
// under `root`, the operator endpoint on `http_port`.
std::string EmbeddedConfig(const fs::path& root, const fs::path& state, int http_port) {
  return fmt::format(R"(kafka:
  brokers: embedded
  broker_file: {}
sources:
  directories:
    - path: {}
http:
  port: {}
  address_file: {}
daemon:
  state_dir: {}
)",
                     (root / "broker").string(), (root / "inbox").string(), http_port,
                     (root / "http-address").string(), state.string());
}

TEST(StartTest, BusyHttpPortExits71SayingSo) {
  // A listener of the test's own holds a loopback port.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  TempDir temp;
  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config, EmbeddedConfig(temp.path(), temp.path() / "state", port));
  DaemonProcess daemon(config, temp.path() / "newswire.log");
  const std::optional<int> exit_code = daemon.Wait(60s);
  close(listener);
  ASSERT_TRUE(exit_code.has_value()) << daemon.Log();
  EXPECT_EQ(*exit_code, 71) << daemon.Log();
  EXPECT_TRUE(Contains(daemon.Log(),
                       "cannot start (exit 71: cannot listen on "
                       "http.address:http.port)"))
      << daemon.Log();
}

TEST(StartTest, StateDirectoryInUseExits75WhileTheFirstRunsOn) {
  TempDir temp;
  const fs::path state = temp.path() / "state";
  const fs::path first_config = temp.path() / "first.yaml";
  fs::create_directories(temp.path() / "first");
  WriteFile(first_config, EmbeddedConfig(temp.path() / "first", state, 0));
  DaemonProcess first(first_config, temp.path() / "first.log");
  ASSERT_TRUE(first.WaitForLog("newswire ready", 60s)) << first.Log();

  const fs::path second_config = temp.path() / "second.yaml";
  fs::create_directories(temp.path() / "second");
  WriteFile(second_config, EmbeddedConfig(temp.path() / "second", state, 0));
  DaemonProcess second(second_config, temp.path() / "second.log");
  const std::optional<int> exit_code = second.Wait(60s);
  ASSERT_TRUE(exit_code.has_value()) << second.Log();
  EXPECT_EQ(*exit_code, 75) << second.Log();
  EXPECT_TRUE(Contains(second.Log(),
                       "cannot start (exit 75: daemon.state_dir is in use by "
                       "another newswire)"))
      << second.Log();
  EXPECT_TRUE(first.running());
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(60s), std::optional<int>(0)) << first.Log();
}

// As a user without the right to write there (the test drops root's file capabilities): the
// state directory's parent is read-only, so run refuses to start, as check-config would.
TEST(StartTest, UnwritableStateDirectoryIsRefusedAtTheKey) {
  TempDir temp;
  const fs::path locked = temp.path() / "locked";
  fs::create_directories(locked);
  chmod(locked.c_str(), 0555);
  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config, EmbeddedConfig(temp.path(), locked / "state", 0));
  DaemonOptions options;
  options.drop_file_capabilities = true;
  DaemonProcess daemon(config, temp.path() / "newswire.log", options);
  const std::optional<int> exit_code = daemon.Wait(60s);
  chmod(locked.c_str(), 0755);
  ASSERT_TRUE(exit_code.has_value()) << daemon.Log();
  EXPECT_EQ(*exit_code, 78) << daemon.Log();
  EXPECT_TRUE(Contains(daemon.Log(), config.string() + ":11:14: daemon.state_dir: cannot create " +
                                         (locked / "state/articles").string() + ": " +
                                         locked.string() + " is not writable by this user"))
      << daemon.Log();
}

// No cluster answers at start: newswire waits without end, and says why where an operator looks
// (the log, /health); SIGTERM still stops it cleanly.
TEST(StartTest, UnreachableClusterAtStartIsWaitedForAndHealthSaysWhy) {
  // A port nobody listens on: bound (so no other test takes it) but not listening, so a
  // connection is refused, until the test ends.
  const int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string brokers = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  TempDir temp;
  // systemd's side of the notify protocol: what the daemon tells it while it waits.
  const fs::path socket_path = temp.path() / "notify.sock";
  const int notify_socket = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(notify_socket, 0);
  sockaddr_un notify_address{};
  notify_address.sun_family = AF_UNIX;
  std::strncpy(notify_address.sun_path, socket_path.c_str(), sizeof(notify_address.sun_path) - 1);
  ASSERT_EQ(
      bind(notify_socket, reinterpret_cast<sockaddr*>(&notify_address), sizeof(notify_address)), 0);
  timeval receive_timeout{0, 200000};
  setsockopt(notify_socket, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof(receive_timeout));
  std::vector<std::string> messages;
  const auto received = [&](const std::string& wanted) {
    return WaitFor(
        [&] {
          std::array<char, 4096> buffer{};
          const ssize_t length = recv(notify_socket, buffer.data(), buffer.size(), 0);
          if (length > 0) messages.emplace_back(buffer.data(), static_cast<std::size_t>(length));
          return std::any_of(messages.begin(), messages.end(), [&](const std::string& message) {
            return message.find(wanted) != std::string::npos;
          });
        },
        20s);
  };

  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config, DaemonConfig(brokers, temp.path() / "inbox", temp.path() / "broker"));
  DaemonOptions options;
  options.environment = {{"NOTIFY_SOCKET", socket_path.string()}};
  DaemonProcess daemon(config, temp.path() / "newswire.log", options);
  ASSERT_TRUE(daemon.WaitForLog("waiting for Kafka", 60s)) << daemon.Log();
  // STATUS says why, and each attempt moves systemd's start timeout on, so a unit that waits
  // for its cluster is not killed and restarted meanwhile.
  EXPECT_TRUE(received("STATUS=waiting for Kafka at " + brokers));
  EXPECT_TRUE(received("EXTEND_TIMEOUT_USEC=30000000"));
  // A reload while starting does not tell systemd the start is over.
  daemon.Signal(SIGHUP);
  ASSERT_TRUE(daemon.WaitForLog("reloaded in", 30s)) << daemon.Log();
  std::string address_text;
  ASSERT_TRUE(WaitFor(
      [&] {
        address_text = ReadFile(temp.path() / "http-address");
        return !address_text.empty();
      },
      20s));
  while (address_text.back() == '\n') address_text.pop_back();
  HttpReply health;
  EXPECT_TRUE(WaitFor(
      [&] {
        health = HttpGet(address_text, "/health");
        return health.status == 503;
      },
      30s))
      << health.status << " " << health.body;
  EXPECT_TRUE(Contains(health.body, "Kafka at " + brokers + " unreachable for")) << health.body;
  EXPECT_EQ(HttpGet(address_text, "/ready").status, 503);
  EXPECT_TRUE(Contains(health.body, "Connection refused")) << health.body;
  EXPECT_TRUE(daemon.running());
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(60s), std::optional<int>(0)) << daemon.Log();
  received("STOPPING=1");
  for (const std::string& message : messages) {
    EXPECT_EQ(message.find("READY=1"), std::string::npos) << message;
    EXPECT_EQ(message.find("RELOADING=1"), std::string::npos) << message;
  }
  close(notify_socket);
  close(probe);
}

}  // namespace
}  // namespace newswire::testing
