// The real `newswire` binary on a feed directory, for what happens to a file before it is claimed
// and after it is rejected: files found without a close-after-write (the start-up scan, a hard
// link) are taken once they settled, whole and once; a dead-lettered file is replayed with the
// recipe of docs/dead-letters.md from the location its dead letter names. Real inotify, the mock
// cluster over TCP, records read back with a real consumer.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"
#include "tests/integration/daemon/expectations.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kArticle =
    "Harbour cranes idle after storm\nThe harbour master said on Monday that the cranes would "
    "stay idle until the wind drops, and that ships were waiting outside the breakwater for a "
    "berth. Port workers expect the backlog to clear by the end of the week.\n";

// `sh -c SCRIPT sh ARGUMENTS...`; returns the exit code, with stdout and stderr in `output`.
int RunShell(const std::string& script, const std::vector<std::string>& arguments,
             std::string& output) {
  std::string command = "sh -c '";
  for (char c : script) command += c == '\'' ? std::string("'\\''") : std::string(1, c);
  command += "' sh";
  for (const auto& argument : arguments) command += " '" + argument + "'";
  command += " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The definition of the shell function `name` as docs/dead-letters.md gives it: from the line
// "NAME() {" to the next line "}", with its newline.
std::string ShellFunctionFromDocs(const std::string& name) {
  const std::string document = ReadFile(fs::path(NEWSWIRE_SOURCE_DIR) / "docs/dead-letters.md");
  const std::size_t begin = document.find("\n" + name + "() {\n");
  const std::size_t end = document.find("\n}\n", begin);
  if (begin == std::string::npos || end == std::string::npos) return "";
  return document.substr(begin + 1, end + 3 - (begin + 1));
}

class FeedDirectoryTest : public DaemonFixture {
 protected:
  FeedDirectoryTest() : DaemonFixture({{kTopic, 2}, {kDeadLetterTopic, 1}}) {}

  std::string ConfigText(const std::string& extra_directory) const {
    return DaemonConfig(broker_->bootstrap_servers(), feed_, temp_.path() / "broker",
                        extra_directory);
  }

  void StartDaemon(const std::string& text) {
    WriteFile(config_, text);
    daemon_ = std::make_unique<DaemonProcess>(config_, temp_.path() / "newswire.log");
    ASSERT_TRUE(daemon_->WaitForLog("newswire ready", 30s)) << daemon_->Log();
  }

  // The events of the topic once `wanted` arrived, and whatever else came (repeats).
  std::vector<ConsumedRecord> Events(std::size_t wanted) {
    auto consumer = TestConsumer::Create(broker_->bootstrap_servers(), {kTopic});
    EXPECT_TRUE(consumer) << consumer.error().Describe();
    if (!consumer) return {};
    auto records = (*consumer)->ReadAtLeast(wanted, 30s);
    for (auto& record : (*consumer)->ReadAll(1s)) records.push_back(std::move(record));
    return records;
  }

  fs::path config_ = temp_.path() / "newswire.yaml";
};

// A writer has the file open and keeps writing while newswire starts: the start-up scan finds it,
// but it is neither claimed half-written nor twice; it is claimed when the writer closes it.
TEST_F(FeedDirectoryTest, AFileWrittenSlowlyWhileTheDaemonStartsIsReadOnceAndComplete) {
  const fs::path path = feed_ / "slow.txt";
  std::atomic<int> lines{0};
  std::atomic<bool> finish{false};
  // The writer's own pace (a line every 20 ms), not a wait for a condition; settle_ms is far
  // longer than any pause a loaded machine puts between its lines.
  std::thread writer([&] {
    std::ofstream file(path, std::ios::binary);
    file << "Harbour cranes idle after a slow storm\n" << std::flush;
    while (!finish) {
      file << "The harbour master gave line " << lines.load()
           << " of the report on the cranes and the ships waiting for a berth.\n"
           << std::flush;
      ++lines;
      std::this_thread::sleep_for(20ms);
    }
    file << "Last line: the storm report ends here.\n" << std::flush;
  });
  const auto stop_writer = [&] {
    finish = true;
    writer.join();
  };
  ASSERT_TRUE(WaitFor([&] { return lines > 0; }, 10s));
  WriteFile(config_, ConfigText("      settle_ms: 10000\n"));
  daemon_ = std::make_unique<DaemonProcess>(config_, temp_.path() / "newswire.log");
  const bool ready = daemon_->WaitForLog("newswire ready", 30s);
  // Lines still come after the scan.
  const int at_ready = lines;
  const bool wrote_on = WaitFor([&] { return lines >= at_ready + 10; }, 10s);
  EXPECT_TRUE(fs::exists(path)) << "claimed while still being written\n" << daemon_->Log();
  stop_writer();
  ASSERT_TRUE(ready && wrote_on) << daemon_->Log();

  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 30s))
      << daemon_->Log();
  const auto events = Events(1);
  ASSERT_EQ(events.size(), 1u) << daemon_->Log();
  EXPECT_NE(events[0].value.find("the storm report ends here"), std::string::npos)
      << events[0].value;
  EXPECT_EQ(ListNames(feed_ / "done"), std::vector<std::string>{"slow.txt"});
  EXPECT_TRUE(ListNames(feed_ / "failed").empty());
  StopDaemonCleanly();
}

// A hard link raises IN_CREATE and no close-after-write: the file is taken while newswire runs.
TEST_F(FeedDirectoryTest, AHardLinkIntoTheFeedDirectoryIsTakenWithoutARestart) {
  StartDaemon(ConfigText("      settle_ms: 300\n"));
  WriteFile(temp_.path() / "linked.txt", kArticle);
  ASSERT_EQ(link((temp_.path() / "linked.txt").c_str(), (feed_ / "linked.txt").c_str()), 0);
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 30s))
      << daemon_->Log();
  EXPECT_EQ(Events(1).size(), 1u);
  EXPECT_EQ(ListNames(feed_ / "done"), std::vector<std::string>{"linked.txt"});
  StopDaemonCleanly();
}

// The round trip docs/dead-letters.md promises: a file over max_file_bytes is dead-lettered and
// lands in failed/ where its dead letter says (an older file there has its first name); the limit
// is raised by a reload; the doc's replay_file, given the dead letter's headers, moves it back,
// and it is published and done.
TEST_F(FeedDirectoryTest, ADeadLetteredFileIsReplayedFromTheLocationItsDeadLetterNames) {
  fs::create_directories(feed_ / "failed");
  WriteFile(feed_ / "failed" / "harbour story.txt", "an older failure\n");
  StartDaemon(ConfigText("      max_file_bytes: 64\n"));
  DropFile(feed_, "harbour story.txt", kArticle);

  auto dead_letters = TestConsumer::Create(broker_->bootstrap_servers(), {kDeadLetterTopic});
  ASSERT_TRUE(dead_letters) << dead_letters.error().Describe();
  const auto letters = (*dead_letters)->ReadAtLeast(1, 30s);
  ASSERT_EQ(letters.size(), 1u) << daemon_->Log();
  const ConsumedRecord& letter = letters[0];
  EXPECT_EQ(letter.Header("newswire-error-code"), "too_large");
  EXPECT_EQ(letter.Header("newswire-payload-read"), "false");
  EXPECT_EQ(letter.Header("newswire-source-uri"), "newswire://test");
  const std::string location = letter.Header("newswire-input-location");
  EXPECT_EQ(location, "file://" + (feed_ / "failed").string() + "/harbour%20story.1.txt");
  const fs::path failed = feed_ / "failed" / "harbour story.1.txt";
  ASSERT_TRUE(WaitFor([&] { return fs::exists(failed.string() + ".error"); }, 30s))
      << daemon_->Log();
  EXPECT_NE(ReadFile(failed.string() + ".error").find("location: " + location + "\n"),
            std::string::npos);

  // The cause fixed live: the directory's new settings take effect without a restart.
  WriteFile(config_, ConfigText(""));
  daemon_->Signal(SIGHUP);
  ASSERT_TRUE(
      daemon_->WaitForLog("reload: feed directory inbox (" + feed_.string() + ") started", 30s))
      << daemon_->Log();

  const std::string replay_file = ShellFunctionFromDocs("replay_file");
  ASSERT_FALSE(replay_file.empty()) << "docs/dead-letters.md no longer defines replay_file";
  std::string output;
  ASSERT_EQ(RunShell(replay_file + "replay_file \"$1\" \"$2\"\n",
                     {location, letter.Header("newswire-path")}, output),
            0)
      << output;
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 30s))
      << daemon_->Log();
  EXPECT_EQ(ListNames(feed_ / "done"), std::vector<std::string>{"harbour story.txt"});
  EXPECT_EQ(ListNames(feed_ / "failed"), std::vector<std::string>{"harbour story.txt"});
  const auto events = Events(1);
  ASSERT_EQ(events.size(), 1u) << daemon_->Log();
  EXPECT_NE(events[0].value.find("Harbour cranes idle after storm"), std::string::npos);
  StopDaemonCleanly();
}

}  // namespace
}  // namespace newswire::testing
