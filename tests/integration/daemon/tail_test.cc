// `newswire tail` against the real daemon with its embedded broker: the events of dropped
// articles come out pretty-printed (or as JSON lines), from the beginning or from the end, and a
// missing or unreachable broker is a clear exit 69.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kArticles = fs::path(NEWSWIRE_SOURCE_DIR) / "tests/data/articles";
// Samples with a title (001 has none), so each shows up by its title.
const std::vector<std::string> kSamples = {"000_9293d10b977f5a8b.txt", "002_98af29fc7e3b4af7.txt",
                                           "003_8d34ee0e239de8f5.txt"};

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// `newswire ARGUMENTS` as a child process with stdout and stderr in separate files (the harness's
// RunNewswire mixes them), so that a test sees exactly what goes to each. Killed at destruction
// if still running.
class TailProcess {
 public:
  TailProcess(const std::vector<std::string>& arguments, const fs::path& directory)
      : stdout_path_(directory / "tail.out"), stderr_path_(directory / "tail.err") {
    pid_ = fork();
    if (pid_ == 0) {
      int null_input = open("/dev/null", O_RDONLY);
      int out = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(null_input, STDIN_FILENO);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      std::vector<std::string> copies = arguments;
      std::string binary = NEWSWIRE_BINARY_PATH;
      std::vector<char*> argv = {binary.data()};
      for (auto& argument : copies) argv.push_back(argument.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~TailProcess() {
    if (!exit_code_) {
      kill(pid_, SIGKILL);
      Wait(10s);
    }
  }
  TailProcess(const TailProcess&) = delete;
  TailProcess& operator=(const TailProcess&) = delete;

  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    WaitFor(
        [&] {
          int status = 0;
          if (!exit_code_ && waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_code_ = DecodeStatus(status);
          }
          return exit_code_.has_value();
        },
        timeout);
    return exit_code_;
  }
  void Signal(int signal_number) { kill(pid_, signal_number); }
  std::string Stdout() const { return ReadFile(stdout_path_); }
  std::string Stderr() const { return ReadFile(stderr_path_); }

 private:
  fs::path stdout_path_;
  fs::path stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// What `newswire process` makes of the samples (one run for all, in their order): the same
// classifier data as the daemon's, so the same title, key and topic labels as the daemon's events.
struct Expected {
  std::string title;
  std::string key;
  std::vector<std::string> labels;
};

std::vector<Expected> ExpectedEvents() {
  std::vector<std::string> arguments = {"process", "--quiet"};
  for (const auto& name : kSamples) arguments.push_back((kArticles / name).string());
  auto result = RunNewswire(arguments);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::vector<Expected> events;
  std::istringstream lines(result.output);
  for (std::string text; std::getline(lines, text);) {
    rapidjson::Document line;
    line.Parse(text.data(), text.size());
    if (line.HasParseError()) {
      ADD_FAILURE() << text;
      continue;
    }
    Expected expected;
    expected.title = line["value"]["title"].GetString();
    expected.key = line["key"].GetString();
    for (const auto& topic : line["value"]["topics"].GetArray()) {
      expected.labels.emplace_back(topic["label"].GetString());
    }
    events.push_back(std::move(expected));
  }
  EXPECT_EQ(events.size(), kSamples.size()) << result.output;
  return events;
}

int CountOf(const std::string& text, const std::string& part) {
  int count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// A daemon with `kafka.brokers: embedded` that has published the samples.
class TailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    feed_ = temp_.path() / "inbox";
    config_ = temp_.path() / "newswire.yaml";
    WriteFile(config_, DaemonConfig("embedded", feed_, temp_.path() / "broker"));
    daemon_ = std::make_unique<DaemonProcess>(config_, temp_.path() / "newswire.log");
    ASSERT_TRUE(daemon_->WaitForLog("newswire ready", 20s)) << daemon_->Log();
    for (const auto& name : kSamples) DropFile(feed_, name, ReadFile(kArticles / name));
    // In done/ only once Kafka confirmed the event, so tail --from-beginning finds it.
    ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == kSamples.size(); }, 20s))
        << daemon_->Log();
  }

  TempDir temp_;
  fs::path feed_;
  fs::path config_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(TailTest, ShowsTitleTopicLabelsAndKeyOfEveryEvent) {
  TailProcess tail({"tail", "-c", config_.string(), "--from-beginning", "--max-events", "3",
                    "--timeout-ms", "20000"},
                   temp_.path());
  ASSERT_EQ(tail.Wait(30s), 0) << tail.Stderr();
  const std::string output = tail.Stdout();
  EXPECT_EQ(CountOf(output, "\n  key "), 3) << output;
  for (const Expected& expected : ExpectedEvents()) {
    SCOPED_TRACE(expected.title);
    EXPECT_NE(output.find("  " + expected.title + "\n"), std::string::npos) << output;
    EXPECT_NE(output.find("  key           " + expected.key + "  news.articles.tagged["),
              std::string::npos)
        << output;
    // The most relevant labels; the list is cut after a few.
    ASSERT_GE(expected.labels.size(), 3U);
    for (std::size_t index = 0; index < 3; ++index) {
      EXPECT_NE(output.find(expected.labels[index] + " (0."), std::string::npos)
          << expected.labels[index] << "\n"
          << output;
    }
  }
  EXPECT_NE(output.find("Venezuela (VE)"), std::string::npos) << output;
  EXPECT_NE(tail.Stderr().find("reading news.articles.tagged (4 partitions)"), std::string::npos)
      << tail.Stderr();
}

TEST_F(TailTest, JsonPrintsEachValueAsOneParseableLine) {
  TailProcess tail({"tail", "-c", config_.string(), "--from-beginning", "--max-events", "3",
                    "--timeout-ms", "20000", "--json"},
                   temp_.path());
  ASSERT_EQ(tail.Wait(30s), 0) << tail.Stderr();
  std::set<std::string> expected_keys;
  for (const Expected& expected : ExpectedEvents()) expected_keys.insert(expected.key);
  std::istringstream lines(tail.Stdout());
  std::set<std::string> ids;
  int line_count = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_count;
    rapidjson::Document value;
    value.Parse(line.data(), line.size());
    ASSERT_FALSE(value.HasParseError()) << line;
    ASSERT_TRUE(value.IsObject() && value.HasMember("id") && value.HasMember("topics")) << line;
    ids.insert(value["id"].GetString());
  }
  EXPECT_EQ(line_count, 3);
  EXPECT_EQ(ids, expected_keys);
}

// From the end (the default): what was published before is not shown, the next event is; and
// SIGINT ends a tail that has no limits.
TEST_F(TailTest, StartsAtTheEndAndStopsOnInterrupt) {
  TailProcess tail({"tail", "-c", config_.string()}, temp_.path());
  ASSERT_TRUE(WaitFor([&] { return tail.Stderr().find("reading") != std::string::npos; }, 10s))
      << tail.Stderr();
  DropFile(feed_, "late.txt", "A late headline\nIts body, published after tail started.\n");
  ASSERT_TRUE(
      WaitFor([&] { return tail.Stdout().find("A late headline") != std::string::npos; }, 15s))
      << tail.Stdout() << tail.Stderr() << daemon_->Log();
  tail.Signal(SIGINT);
  EXPECT_EQ(tail.Wait(5s), 0) << tail.Stderr();
  const std::string output = tail.Stdout();
  EXPECT_EQ(CountOf(output, "\n  key "), 1) << output;
  EXPECT_EQ(output.find("Venezuela"), std::string::npos) << output;
}

// An embedded broker does not come back once its daemon stopped: tail says so and ends.
TEST_F(TailTest, EndsWith69WhenTheDaemonWithTheEmbeddedBrokerStops) {
  TailProcess tail({"tail", "-c", config_.string()}, temp_.path());
  ASSERT_TRUE(WaitFor([&] { return tail.Stderr().find("reading") != std::string::npos; }, 10s))
      << tail.Stderr();
  daemon_->Signal(SIGTERM);
  ASSERT_EQ(daemon_->Wait(20s), 0) << daemon_->Log();
  EXPECT_EQ(tail.Wait(10s), 69) << tail.Stderr();
  EXPECT_NE(tail.Stderr().find("went away: the daemon stopped"), std::string::npos)
      << tail.Stderr();
}

TEST(TailWithoutBrokerTest, MissingBrokerFileSaysNoDaemonRunsAndExits69) {
  TempDir temp;
  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config, DaemonConfig("embedded", temp.path() / "inbox", temp.path() / "broker"));
  const auto started = std::chrono::steady_clock::now();
  auto result = RunNewswire({"tail", "-c", config.string(), "--timeout-ms", "20000"});
  EXPECT_EQ(result.exit_code, 69) << result.output;
  EXPECT_NE(result.output.find("no daemon with an embedded broker seems to run"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find((temp.path() / "broker").string()), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(TailWithoutBrokerTest, UnreachableBrokerExits69WithinSeconds) {
  // A loopback port nobody listens on: bound, then closed again.
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  close(probe);
  const std::string broker = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  TempDir temp;
  const fs::path config = temp.path() / "newswire.yaml";
  WriteFile(config, DaemonConfig(broker, temp.path() / "inbox", temp.path() / "broker"));
  const auto started = std::chrono::steady_clock::now();
  auto result = RunNewswire({"tail", "-c", config.string()});
  EXPECT_EQ(result.exit_code, 69) << result.output;
  EXPECT_NE(result.output.find("cannot reach Kafka at " + broker), std::string::npos)
      << result.output;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(TailWithoutBrokerTest, UsageErrorsExit64) {
  auto both = RunNewswire({"tail", "--topic", "x", "--dead-letters"});
  EXPECT_EQ(both.exit_code, 64) << both.output;
  EXPECT_NE(both.output.find("not both"), std::string::npos) << both.output;
  auto zero = RunNewswire({"tail", "--max-events", "0"});
  EXPECT_EQ(zero.exit_code, 64) << zero.output;
  auto extra = RunNewswire({"tail", "news.articles.tagged"});
  EXPECT_EQ(extra.exit_code, 64) << extra.output;
}

}  // namespace
}  // namespace newswire::testing
