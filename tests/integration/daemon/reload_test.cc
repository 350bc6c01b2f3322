// SIGHUP on the real `newswire` binary: the config file is read again and what can change live
// (feed directories, log level) changes without losing or repeating work in flight; what needs a
// restart is reported; an invalid config changes nothing. Real inotify, the mock cluster over TCP,
// events read back with a real consumer.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"
#include "tests/integration/daemon/expectations.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Replaces the first `from` in `text` with `to`; the test fails when there is none.
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string Article(int number) {
  return "Harbour report " + std::to_string(number) + "\nShips number " + std::to_string(number) +
         " came in today, the harbour master said, and more are expected.\n";
}

class ReloadTest : public DaemonFixture {
 protected:
  ReloadTest() : DaemonFixture({{kTopic, 4}, {"news.articles.dead-letter", 1}}) {}

  // The harness's config, with a second feed directory `second` next to the first.
  std::string ConfigText(const std::string& extra_directory = "") const {
    return DaemonConfig(broker_->bootstrap_servers(), feed_, temp_.path() / "broker",
                        extra_directory);
  }

  std::string SecondDirectoryEntry() const {
    return "    - path: \"" + second_.string() + "\"\n      name: second\n";
  }

  void StartDaemon(const std::string& text) {
    WriteFile(config_, text);
    daemon_ = std::make_unique<DaemonProcess>(config_, temp_.path() / "newswire.log");
    ASSERT_TRUE(daemon_->WaitForLog("newswire ready", 20s, ++starts_)) << daemon_->Log();
  }

  // Writes the config and sends SIGHUP; waits for the reload's `count`th outcome line.
  void Reload(const std::string& text, const std::string& outcome, int count = 1) {
    WriteFile(config_, text);
    daemon_->Signal(SIGHUP);
    ASSERT_TRUE(daemon_->WaitForLog(outcome, 20s, count)) << daemon_->Log();
  }

  fs::path config_ = temp_.path() / "newswire.yaml";
  fs::path second_ = temp_.path() / "second";
};

TEST_F(ReloadTest, FeedDirectoriesAndLogLevelChangeLiveAndRestartOnlyKeysAreReported) {
  fs::create_directories(second_);
  StartDaemon(ConfigText());
  DropFile(feed_, "first.txt", Article(1));
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 20s))
      << daemon_->Log();

  // The inbox goes away, `second` comes, the level goes up to info, and a restart-only key
  // changes.
  std::string changed = ConfigText(SecondDirectoryEntry());
  changed = Replace(changed, "    - path: \"" + feed_.string() + "\"\n      name: inbox\n", "");
  changed = Replace(changed, "  level: debug\n", "  level: info\n");
  changed = Replace(changed, "  flush_timeout_ms: 10000\n", "  flush_timeout_ms: 20000\n");
  Reload(changed, "feed directory second (" + second_.string() + ") started");
  const std::string log = daemon_->Log();
  EXPECT_NE(log.find("reload: kafka.flush_timeout_ms changed; not applied, they take effect at "
                     "the next restart"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("reload: feed directory inbox (" + feed_.string() +
                     ") removed: intake stopped, 0 item(s) in flight finish first"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("reload: log level info (was debug)"), std::string::npos) << log;

  // The removed inbox takes nothing more; the new directory does. The inbox file is dropped first,
  // so once the other one is done, the inbox had every chance to take its file.
  DropFile(feed_, "ignored.txt", Article(2));
  DropFile(second_, "second.txt", Article(3));
  ASSERT_TRUE(WaitFor([&] { return ListNames(second_ / "done").size() == 1; }, 20s))
      << daemon_->Log();
  EXPECT_EQ(ListNames(feed_ / "done").size(), 1u);
  EXPECT_TRUE(fs::exists(feed_ / "ignored.txt"));
  // At info, the per-item debug line of the second directory's file is not logged.
  EXPECT_EQ(daemon_->Log().find("completed file second:"), std::string::npos) << daemon_->Log();

  // The inbox comes back and takes what arrived while it was gone.
  Reload(ConfigText(SecondDirectoryEntry()),
         "feed directory inbox (" + feed_.string() + ") started");
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 2; }, 20s))
      << daemon_->Log();

  auto consumer = TestConsumer::Create(broker_->bootstrap_servers(), {kTopic});
  ASSERT_TRUE(consumer) << consumer.error().Describe();
  const auto records = ReadDistinctKeys(**consumer, 3, 20s);
  EXPECT_EQ(KeysWithMatchingIds(records).size(), 3u);
  StopDaemonCleanly();
}

// A directory whose settings change is replaced: the old source finishes what it has in flight,
// then the new one starts on the same path. Nothing is lost and nothing is published twice.
TEST_F(ReloadTest, ReplacingADirectoryWithWorkInFlightLosesAndRepeatsNothing) {
  constexpr int kFiles = 60;
  StartDaemon(ConfigText());
  // Slow deliveries keep the files in flight while the reload replaces their source.
  broker_->SetBrokerRtt(1, 3000);
  for (int number = 0; number < kFiles; ++number) {
    DropFile(feed_, "article-" + std::to_string(number) + ".txt", Article(number));
  }
  const std::string changed_line =
      "reload: feed directory inbox (" + feed_.string() + ") changed: intake stopped, ";
  Reload(ConfigText("      exclude: [\"*.skip\"]\n"), changed_line);
  const std::string log = daemon_->Log();
  const std::size_t changed = log.find(changed_line);
  EXPECT_NE(log.compare(changed + changed_line.size(), 2, "0 "), 0)
      << "nothing was in flight: " << log.substr(changed, log.find('\n', changed) - changed);
  broker_->SetBrokerRtt(1, 0);
  ASSERT_TRUE(daemon_->WaitForLog("feed directory inbox (" + feed_.string() + ") started", 30s))
      << daemon_->Log();
  DropFile(feed_, "later.skip", Article(kFiles));
  DropFile(feed_, "later.txt", Article(kFiles + 1));
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == kFiles + 1; }, 60s))
      << "done: " << ListNames(feed_ / "done").size() << "\n"
      << daemon_->Log();
  EXPECT_TRUE(ListNames(feed_ / "processing").empty());
  EXPECT_TRUE(fs::exists(feed_ / "later.skip"));  // the new settings apply

  auto consumer = TestConsumer::Create(broker_->bootstrap_servers(), {kTopic});
  ASSERT_TRUE(consumer) << consumer.error().Describe();
  auto records = ReadDistinctKeys(**consumer, kFiles + 1, 30s);
  // Give a repeat, if there were one, the chance to arrive.
  for (auto& record : (*consumer)->ReadAtLeast(1, 1s)) records.push_back(std::move(record));
  EXPECT_EQ(KeysWithMatchingIds(records).size(), static_cast<std::size_t>(kFiles + 1));
  EXPECT_EQ(records.size(), static_cast<std::size_t>(kFiles + 1)) << "an event was repeated";
  StopDaemonCleanly();
}

// A SIGHUP while newswire still waits for Kafka: the directory it adds starts with the others once
// Kafka answers.
TEST_F(ReloadTest, ADirectoryAddedBeforeReadyStartsWithTheOthers) {
  fs::create_directories(second_);
  broker_->SetBrokerDown(1);
  WriteFile(config_, ConfigText());
  daemon_ = std::make_unique<DaemonProcess>(config_, temp_.path() / "newswire.log");
  ASSERT_TRUE(daemon_->WaitForLog("waiting for Kafka", 20s)) << daemon_->Log();
  Reload(ConfigText(SecondDirectoryEntry()), "reloaded in");
  broker_->SetBrokerUp(1);
  ASSERT_TRUE(daemon_->WaitForLog("newswire ready: 2 feed directories watched", 30s))
      << daemon_->Log();
  ++starts_;
  DropFile(second_, "second.txt", Article(1));
  DropFile(feed_, "first.txt", Article(2));
  EXPECT_TRUE(WaitFor([&] { return ListNames(second_ / "done").size() == 1; }, 20s))
      << daemon_->Log();
  EXPECT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 20s))
      << daemon_->Log();
  StopDaemonCleanly();
}

TEST_F(ReloadTest, AnInvalidConfigListsEveryErrorAndChangesNothing) {
  StartDaemon(ConfigText());
  std::string broken = Replace(ConfigText(), "  level: debug\n", "  level: loud\n");
  broken = Replace(broken, "  port: 0\n", "  port: 0\n  colour: blue\n");
  Reload(broken, "reload failed: 2 error(s) in " + config_.string());
  const std::string log = daemon_->Log();
  EXPECT_NE(log.find("reload: " + config_.string() + ":"), std::string::npos) << log;
  EXPECT_NE(log.find("log.level"), std::string::npos) << log;
  EXPECT_NE(log.find("http.colour: unknown key"), std::string::npos) << log;
  // Still running on the old config: the inbox works, debug lines are still logged.
  DropFile(feed_, "after.txt", Article(1));
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() == 1; }, 20s))
      << daemon_->Log();
  EXPECT_TRUE(daemon_->WaitForLog("completed file inbox:", 10s)) << daemon_->Log();
  StopDaemonCleanly();
}

}  // namespace
}  // namespace newswire::testing
