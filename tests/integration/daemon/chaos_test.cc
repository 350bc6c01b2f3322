// Chaos: faults while files stream into a watched feed directory, against the real daemon and a
// Kafka-protocol broker (the mock cluster, whose control API injects the faults). Every scenario
// prints files in, events out, duplicates, missing and dead letters; missing must be 0, and a
// repeated event must carry the same key and ce_id (KeysWithMatchingIds). ctest label `chaos`.
//
// Every file's text is distinct, so every file makes an event of its own key: "missing" is the
// files whose key never arrived.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"
#include "tests/integration/daemon/expectations.h"
#include "tests/support/test_consumer.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// librdkafka's protocol numbers, for the mock cluster's error injection.
constexpr int kProduceApiKey = 0;
constexpr int kNotLeaderForPartition = 6;
constexpr int kRequestTimedOut = 7;
constexpr int kNotEnoughReplicas = 19;

std::string ArticleText(const std::string& tag, int index) {
  return "Chaos " + tag + " headline " + std::to_string(index) + "\nBody " + std::to_string(index) +
         " of the " + tag + " scenario, unlike every other file in it.\n";
}

// Writes `count` files into `directory` at about `per_second`, each under a .part name first, as
// a well-behaved writer does. Runs on its own thread; Join() waits for the last file.
class FileStream {
 public:
  FileStream(fs::path directory, std::string tag, int count, int per_second)
      : thread_([this, directory = std::move(directory), tag = std::move(tag), count, per_second] {
          const auto start = std::chrono::steady_clock::now();
          for (int index = 0; index < count; ++index) {
            DropFile(directory, tag + "-" + std::to_string(index) + ".txt",
                     ArticleText(tag, index));
            written_.store(index + 1);
            std::this_thread::sleep_until(start + index * 1000ms / per_second);
          }
        }) {}
  ~FileStream() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  int written() const { return written_.load(); }

 private:
  std::atomic<int> written_{0};
  std::thread thread_;
};

class ChaosTest : public DaemonFixture {
 protected:
  ChaosTest() : DaemonFixture({{kTopic, 4}, {kDeadLetterTopic, 2}}) {}

  void StartDaemon(const std::string& extra = "", DaemonOptions options = {},
                   const std::string& extra_directory = "") {
    const fs::path config = temp_.path() / "newswire.yaml";
    // log.events: every delivered event is logged with its partition and offset, so that a
    // missing event can be traced (DescribeMissing).
    WriteFile(config, DaemonConfig(broker_->bootstrap_servers(), feed_, temp_.path() / "broker",
                                   extra_directory, extra, "", "  events: true\n"));
    daemon_ =
        std::make_unique<DaemonProcess>(config, temp_.path() / "newswire.log", std::move(options));
    ASSERT_TRUE(daemon_->WaitForLog("newswire ready", 30s, ++starts_)) << daemon_->Log();
  }

  // Deletes the feed directory while the daemon may be moving files in it: remove_all fails when
  // an entry vanishes under it, so it tries again until the tree is gone.
  void RemoveFeedDirectory() {
    std::error_code error;
    for (int attempt = 0; attempt < 100 && fs::exists(feed_); ++attempt) {
      fs::remove_all(feed_, error);
    }
    ASSERT_FALSE(fs::exists(feed_)) << error.message();
  }

  // Whether `files` files reached done/ with nothing left in processing/ within `timeout`.
  bool AwaitDone(std::size_t files, std::chrono::seconds timeout) {
    return WaitFor(
        [&] {
          return ListNames(feed_ / "done").size() == files &&
                 ListNames(feed_ / "processing").empty();
        },
        timeout);
  }

  // Waits until `files` files are in done/ and nothing is in processing/, reads every event and
  // dead letter back, prints the figures and checks that none is missing.
  void ExpectEveryFilePublished(const std::string& scenario, std::size_t files,
                                std::chrono::seconds timeout) {
    EXPECT_TRUE(AwaitDone(files, timeout))
        << "done " << ListNames(feed_ / "done").size() << " of " << files << "\n"
        << daemon_->Log().substr(daemon_->Log().size() > 4000 ? daemon_->Log().size() - 4000 : 0);
    auto events = TestConsumer::Create(broker_->bootstrap_servers(), {kTopic});
    ASSERT_TRUE(events) << events.error().Describe();
    std::vector<ConsumedRecord> records;
    const std::set<std::string> keys = ReadUntilEveryArticle(**events, records, files, 60s);
    auto dead_letters = TestConsumer::Create(broker_->bootstrap_servers(), {kDeadLetterTopic});
    ASSERT_TRUE(dead_letters) << dead_letters.error().Describe();
    const std::size_t dead_letter_count = (*dead_letters)->ReadAll(1s).size();
    const std::size_t missing = files > keys.size() ? files - keys.size() : 0;
    // Items whose delivery librdkafka reported without an offset (an inferred success), which
    // the daemon sends again (sinks::JudgeDelivery); against this broker such a record may really
    // be missing. One log line per item and retry, naming its first failure: every item here
    // makes one event, so this counts them.
    const std::string log = daemon_->Log();
    std::size_t unconfirmed = 0;
    for (std::size_t at = log.find("not confirmed"); at != std::string::npos;
         at = log.find("not confirmed", at + 1)) {
      ++unconfirmed;
    }
    std::cout << "chaos " << scenario << ": files in " << files << ", events out " << records.size()
              << ", duplicates " << records.size() - keys.size() << ", missing " << missing
              << ", dead letters " << dead_letter_count
              << ", items sent again after a delivery without offset " << unconfirmed << "\n";
    EXPECT_EQ(missing, 0U);
    EXPECT_EQ(keys.size(), files);
    // The test broker keeps about 5 MiB per partition and drops the oldest batches beyond that
    // (librdkafka's mock cluster): a partition that does not start at offset 0 lost records
    // to the broker, not to newswire, and the scenario needs more partitions.
    std::map<int, std::pair<std::int64_t, std::size_t>> first_offset_and_bytes;
    for (const auto& record : records) {
      auto [entry, inserted] =
          first_offset_and_bytes.try_emplace(record.partition, record.offset, 0);
      entry->second.first = std::min(entry->second.first, record.offset);
      entry->second.second += record.key.size() + record.value.size();
    }
    std::cout << "chaos " << scenario << ": event KiB per partition, before compression";
    for (const auto& [partition, first_and_bytes] : first_offset_and_bytes) {
      std::cout << " " << first_and_bytes.second / 1024;
      EXPECT_EQ(first_and_bytes.first, 0)
          << "the test broker dropped the start of partition " << partition << " (retention)";
    }
    std::cout << "\n";
    if (missing > 0) DescribeMissing(scenario, **events, records, log);
    EXPECT_EQ(dead_letter_count, 0U);
    EXPECT_TRUE(ListNames(feed_ / "failed").empty());
  }

  // Which files have no event, what the daemon logged of them (`log`; with log.events, the
  // partition and offset Kafka acknowledged), what the consumer read at that offset, and the gaps
  // in the offsets it read: enough to tell a record never stored from one the consumer skipped.
  void DescribeMissing(const std::string& scenario, const TestConsumer& consumer,
                       const std::vector<ConsumedRecord>& records, const std::string& log) {
    std::set<std::string> subjects;
    std::map<std::pair<int, std::int64_t>, const ConsumedRecord*> by_offset;
    std::map<int, std::set<std::int64_t>> offsets;
    for (const auto& record : records) {
      subjects.insert(record.Header("ce_subject"));
      by_offset.emplace(std::pair{record.partition, record.offset}, &record);
      offsets[record.partition].insert(record.offset);
    }
    for (const auto& name : ListNames(feed_ / "done")) {
      if (subjects.contains(name)) continue;
      std::cout << "chaos " << scenario << ": no event for " << name << "; the daemon logged:\n";
      std::istringstream lines(log);
      for (std::string line; std::getline(lines, line);) {
        if (line.find(name) == std::string::npos) continue;
        std::cout << "  " << line << "\n";
        const std::string marker = std::string(kTopic) + "[";
        const std::size_t at = line.find(marker);
        int partition = -1;
        long long offset = -1;
        if (at != std::string::npos &&
            std::sscanf(line.c_str() + at + marker.size(), "%d]@%lld", &partition, &offset) == 2) {
          const auto found = by_offset.find({partition, offset});
          std::cout << "  the consumer read at " << partition << "@" << offset << ": "
                    << (found == by_offset.end() ? std::string("nothing")
                                                 : "key " + found->second->key + " subject " +
                                                       found->second->Header("ce_subject"))
                    << "\n";
        }
      }
    }
    for (const auto& [partition, seen] : offsets) {
      std::size_t gaps = 0;
      std::int64_t previous = -1;
      for (const std::int64_t offset : seen) {
        if (offset != previous + 1) {
          ++gaps;
          std::cout << "  partition " << partition << ": offsets " << previous + 1 << ".."
                    << offset - 1 << " not read\n";
        }
        previous = offset;
      }
      std::cout << "  partition " << partition << ": " << seen.size() << " offsets read, "
                << *seen.begin() << ".." << *seen.rbegin() << ", " << gaps << " gap(s)\n";
    }
    for (const auto& error : consumer.errors()) std::cout << "  consumer error: " << error << "\n";
  }
};

// kill -9 and a restart, ten times, while 5,000 files stream in.
TEST_F(ChaosTest, TenKillNineCyclesWhileFilesStreamInLoseNothing) {
  constexpr int kFiles = 5000;
  constexpr int kCycles = 10;
  // A slow broker keeps deliveries in flight whenever the kill comes.
  broker_->SetBrokerRtt(1, 50);
  StartDaemon();
  FileStream stream(feed_, "kill", kFiles, 1000);
  int kills = 0;
  std::size_t in_processing_at_kills = 0;
  for (; kills < kCycles; ++kills) {
    // Each cycle lets some files complete, then kills in the middle of the next ones.
    const std::size_t done_before = ListNames(feed_ / "done").size();
    WaitFor([&] { return ListNames(feed_ / "done").size() >= done_before + 50; }, 20s);
    in_processing_at_kills += ListNames(feed_ / "processing").size();
    daemon_->Signal(SIGKILL);
    ASSERT_EQ(daemon_->Wait(10s), 128 + SIGKILL);
    StartDaemon();
  }
  stream.Join();
  broker_->SetBrokerRtt(1, 0);
  std::cout << "chaos kill -9: " << kills << " kills, " << in_processing_at_kills
            << " file(s) in processing/ at the kills in all\n";
  ExpectEveryFilePublished("kill -9 x10", kFiles, 180s);
  StopDaemonCleanly();
}

// The broker goes down and comes back, answers slowly, and refuses produce requests with
// retriable errors, while 2,000 files stream in.
TEST_F(ChaosTest, BrokerOutageSlownessAndProduceErrorsLoseNothing) {
  constexpr int kFiles = 2000;
  StartDaemon();
  FileStream stream(feed_, "broker", kFiles, 400);
  WaitFor([&] { return stream.written() >= 300; }, 20s);
  broker_->SetBrokerDown(1);
  std::this_thread::sleep_for(3s);
  const std::size_t done_while_down = ListNames(feed_ / "done").size();
  broker_->SetBrokerUp(1);
  WaitFor([&] { return stream.written() >= 900; }, 20s);
  broker_->SetBrokerRtt(1, 800);
  std::this_thread::sleep_for(2s);
  broker_->SetBrokerRtt(1, 0);
  WaitFor([&] { return stream.written() >= 1400; }, 20s);
  broker_->PushRequestErrors(kProduceApiKey,
                             {kNotLeaderForPartition, kRequestTimedOut, kNotEnoughReplicas,
                              kNotLeaderForPartition, kRequestTimedOut, kNotEnoughReplicas});
  stream.Join();
  std::cout << "chaos broker: " << done_while_down << " file(s) done before the outage ended\n";
  ExpectEveryFilePublished("broker down, slow, produce errors", kFiles, 180s);
  StopDaemonCleanly();
}

// A burst far beyond the inotify queue (fs.inotify.max_queued_events) arrives while the daemon
// cannot read its events (SIGSTOP): the queue overflows, and the rescan that follows finds
// every file.
TEST_F(ChaosTest, InotifyQueueOverflowIsFollowedByARescanThatFindsEveryFile) {
  std::size_t queue_limit = 16384;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> queue_limit;
  // Each drop is two events (the .part's create and close, then the rename), so this is about
  // twice the queue.
  const int files = static_cast<int>(queue_limit) + 2000;
  StartDaemon();
  daemon_->Signal(SIGSTOP);
  for (int index = 0; index < files; ++index) {
    DropFile(feed_, "burst-" + std::to_string(index) + ".txt", ArticleText("burst", index));
  }
  daemon_->Signal(SIGCONT);
  ASSERT_TRUE(daemon_->WaitForLog("inotify queue overflowed", 30s)) << daemon_->Log();
  ExpectEveryFilePublished("inotify overflow", static_cast<std::size_t>(files), 600s);
  StopDaemonCleanly();
}

// SIGTERM under load: the daemon stops taking files, drains what is in flight within
// shutdown_timeout_ms and exits 0; nothing is half-done, and a restart finishes the rest.
TEST_F(ChaosTest, SigtermUnderLoadDrainsThenARestartFinishesTheRest) {
  constexpr int kFiles = 2000;
  for (int index = 0; index < kFiles; ++index) {
    WriteFile(feed_ / ("term-" + std::to_string(index) + ".txt"), ArticleText("term", index));
  }
  // A small in-flight budget leaves most files in the inbox when SIGTERM comes.
  const std::string limits = "limits:\n  max_in_flight_files: 200\n";
  broker_->SetBrokerRtt(1, 100);
  StartDaemon(limits);
  ASSERT_TRUE(WaitFor([&] { return ListNames(feed_ / "done").size() >= 300; }, 60s))
      << daemon_->Log();
  const auto term_at = std::chrono::steady_clock::now();
  daemon_->Signal(SIGTERM);
  const auto exit_code = daemon_->Wait(30s);
  const auto drain = std::chrono::steady_clock::now() - term_at;
  ASSERT_TRUE(exit_code.has_value()) << daemon_->Log();
  EXPECT_EQ(*exit_code, 0) << daemon_->Log();
  const std::size_t left_in_processing = ListNames(feed_ / "processing").size();
  const std::size_t done_at_stop = ListNames(feed_ / "done").size();
  std::cout << "chaos SIGTERM: exited " << *exit_code << " after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(drain).count() << " ms, "
            << done_at_stop << " done, " << left_in_processing << " left in processing/\n";
  // The drain completed everything it had taken.
  EXPECT_EQ(left_in_processing, 0U);
  EXPECT_LT(done_at_stop, static_cast<std::size_t>(kFiles));
  broker_->SetBrokerRtt(1, 0);
  StartDaemon(limits);
  ExpectEveryFilePublished("SIGTERM under load", kFiles, 180s);
  StopDaemonCleanly();
}

// The feed directory is deleted while files stream in: the daemon exits 74 (a source failed),
// and the restart that systemd makes (Restart=on-failure) recreates it. Every file written to
// the new directory is published; what was in the old one was deleted with it.
TEST_F(ChaosTest, AFeedDirectoryDeletedAndRecreatedLosesNothingWrittenAfterwards) {
  constexpr int kBefore = 300;
  constexpr int kAfter = 1000;
  StartDaemon();
  { FileStream before(feed_, "before", kBefore, 1000); }
  RemoveFeedDirectory();
  const auto exit_code = daemon_->Wait(20s);
  ASSERT_TRUE(exit_code.has_value()) << daemon_->Log();
  EXPECT_EQ(*exit_code, 74) << daemon_->Log();
  StartDaemon();
  ASSERT_TRUE(fs::is_directory(feed_));
  FileStream after(feed_, "after", kAfter, 1000);
  after.Join();
  // Only the files of the new directory count: the events of the old one may or may not have
  // gone out before it was deleted.
  EXPECT_TRUE(AwaitDone(kAfter, 120s)) << daemon_->Log();
  auto events = TestConsumer::Create(broker_->bootstrap_servers(), {kTopic});
  ASSERT_TRUE(events) << events.error().Describe();
  std::vector<ConsumedRecord> records = (*events)->ReadAll(2s);
  std::set<std::string> after_keys;
  std::size_t after_events = 0;
  for (const auto& record : records) {
    if (record.Header("ce_subject").rfind("after-", 0) != 0) continue;
    ++after_events;
    after_keys.insert(record.key);
  }
  const std::size_t missing = kAfter - std::min<std::size_t>(after_keys.size(), kAfter);
  std::cout << "chaos feed directory deleted and recreated: files in " << kAfter
            << " (after the restart), events out " << after_events << ", duplicates "
            << after_events - after_keys.size() << ", missing " << missing << ", exit "
            << *exit_code << " at the deletion\n";
  EXPECT_EQ(missing, 0U);
  StopDaemonCleanly();
}

// Files deleted or truncated after the daemon claimed them, and done/ unwritable for a while.
// A deleted file is published if it was read before (its move to done/ then fails, logged) or
// dead-lettered if not; a truncated one is published as it was read; a file that cannot be
// moved to done/ stays in processing/ (logged) and is published again after a restart. Every
// file that was not deleted ends in done/ with its event.
TEST_F(ChaosTest, FilesDeletedOrTruncatedWhileClaimedAndAnUnwritableDoneDirectory) {
  const bool root = geteuid() == 0;
  constexpr int kFiles = 600;
  // A slow broker and a small budget keep files waiting in processing/ long enough to tamper.
  const std::string limits = "limits:\n  max_in_flight_files: 100\n";
  const DaemonOptions dropped{
      .drop_file_capabilities = root, .environment = {}, .extra_arguments = {}};
  broker_->SetBrokerRtt(1, 300);
  StartDaemon(limits, dropped);
  fs::create_directories(feed_ / "done");
  fs::permissions(feed_ / "done", fs::perms::owner_read | fs::perms::owner_exec);
  FileStream stream(feed_, "tamper", kFiles, 300);
  std::set<std::string> deleted;
  std::size_t truncated = 0;
  WaitFor([&] { return ListNames(feed_ / "processing").size() >= 40; }, 30s);
  for (const auto& name : ListNames(feed_ / "processing")) {
    std::error_code error;
    if (deleted.size() < 10) {
      if (fs::remove(feed_ / "processing" / name, error)) deleted.insert(name);
    } else if (truncated < 10) {
      fs::resize_file(feed_ / "processing" / name, 12, error);
      truncated += error ? 0 : 1;
    }
  }
  std::this_thread::sleep_for(2s);
  fs::permissions(feed_ / "done", fs::perms::owner_all);
  stream.Join();
  broker_->SetBrokerRtt(1, 0);
  const std::size_t expected_done = kFiles - deleted.size();
  // What could not be moved to done/ waits in processing/ until the next start.
  EXPECT_TRUE(WaitFor(
      [&] {
        return ListNames(feed_ / "done").size() + ListNames(feed_ / "processing").size() >=
               expected_done;
      },
      120s))
      << daemon_->Log();
  const std::size_t stuck = ListNames(feed_ / "processing").size();
  EXPECT_NE(daemon_->Log().find("cannot move"), std::string::npos);
  StopDaemonCleanly();
  StartDaemon(limits, dropped);
  EXPECT_TRUE(AwaitDone(expected_done, 120s)) << daemon_->Log();

  auto events = TestConsumer::Create(broker_->bootstrap_servers(), {kTopic});
  ASSERT_TRUE(events) << events.error().Describe();
  std::vector<ConsumedRecord> records;
  std::set<std::string> published;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (published.size() < kFiles && std::chrono::steady_clock::now() < deadline) {
    for (auto& record : (*events)->ReadAtLeast(1, 500ms)) {
      published.insert(record.Header("ce_subject"));
      records.push_back(std::move(record));
    }
    if (published.size() >= expected_done) break;
  }
  for (auto& record : (*events)->ReadAll(1s)) {
    published.insert(record.Header("ce_subject"));
    records.push_back(std::move(record));
  }
  KeysWithMatchingIds(records);
  std::size_t missing = 0;
  for (int index = 0; index < kFiles; ++index) {
    const std::string name = "tamper-" + std::to_string(index) + ".txt";
    if (!deleted.contains(name) && !published.contains(name)) ++missing;
  }
  auto dead_letters = TestConsumer::Create(broker_->bootstrap_servers(), {kDeadLetterTopic});
  ASSERT_TRUE(dead_letters) << dead_letters.error().Describe();
  const std::size_t dead_letter_count = (*dead_letters)->ReadAll(1s).size();
  std::cout << "chaos tampering: " << deleted.size() << " file(s) deleted and " << truncated
            << " truncated while claimed, done/ read-only for 2 s (" << stuck
            << " left in processing/ until the restart): files in " << kFiles << ", events out "
            << records.size() << ", files published " << published.size() << ", missing " << missing
            << ", dead letters " << dead_letter_count << "\n";
  EXPECT_EQ(missing, 0U);
  // Only a deleted file can be dead-lettered here (it vanished before it was read).
  EXPECT_LE(dead_letter_count, deleted.size());
  StopDaemonCleanly();
}

// The inotify watch limit (fs.inotify.max_user_watches) reached: in a recursive feed directory
// of 8 subdirectories, the daemon (in a user namespace of its own) may hold 3 watches. It says
// which directories it cannot watch and scans the tree every 2 s instead, so every file is
// published, however it arrives.
TEST_F(ChaosTest, TheWatchLimitReachedFallsBackToScanning) {
  constexpr int kDirectories = 8;
  constexpr int kFilesPerDirectory = 50;
  for (int directory = 0; directory < kDirectories; ++directory) {
    fs::create_directories(feed_ / ("section-" + std::to_string(directory)));
  }
  StartDaemon("",
              DaemonOptions{.drop_file_capabilities = false,
                            .environment = {},
                            .extra_arguments = {},
                            .max_inotify_watches = 3},
              "      recursive: true\n");
  ASSERT_NE(daemon_->Log().find("scanning it every 2 s instead"), std::string::npos)
      << daemon_->Log();
  ASSERT_NE(daemon_->Log().find("raise fs.inotify.max_user_watches"), std::string::npos);
  for (int directory = 0; directory < kDirectories; ++directory) {
    FileStream stream(feed_ / ("section-" + std::to_string(directory)),
                      "watch" + std::to_string(directory), kFilesPerDirectory, 500);
  }
  ExpectEveryFilePublished("watch limit", kDirectories * kFilesPerDirectory, 120s);
  StopDaemonCleanly();
}

// No watch at all (a limit of 0): the feed directory itself is scanned every 2 s, files are
// published, and its removal is still noticed (exit 74) though no inotify event reports it.
TEST_F(ChaosTest, WithoutAnyWatchTheFeedDirectoryIsScannedAndItsRemovalNoticed) {
  constexpr int kFiles = 200;
  StartDaemon("", DaemonOptions{.drop_file_capabilities = false,
                                .environment = {},
                                .extra_arguments = {},
                                .max_inotify_watches = 0});
  ASSERT_NE(daemon_->Log().find("scanning it every 2 s instead"), std::string::npos)
      << daemon_->Log();
  { FileStream stream(feed_, "unwatched", kFiles, 500); }
  ExpectEveryFilePublished("no watch", kFiles, 120s);
  RemoveFeedDirectory();
  const auto exit_code = daemon_->Wait(20s);
  ASSERT_TRUE(exit_code.has_value()) << daemon_->Log();
  EXPECT_EQ(*exit_code, 74) << daemon_->Log();
}

// The state directory cannot be written at start: a clear error naming it, and a non-zero exit,
// before anything is taken from the feed directory.
TEST_F(ChaosTest, AnUnwritableStateDirectoryStopsTheStartWithAClearError) {
  const bool root = geteuid() == 0;
  const fs::path state = temp_.path() / "state";
  fs::create_directories(state);
  fs::permissions(state, fs::perms::owner_read | fs::perms::owner_exec);
  DropFile(feed_, "waiting.txt", ArticleText("state", 0));
  const fs::path config = temp_.path() / "newswire.yaml";
  WriteFile(config, DaemonConfig(broker_->bootstrap_servers(), feed_, temp_.path() / "broker"));
  DaemonProcess daemon(
      config, temp_.path() / "newswire.log",
      DaemonOptions{.drop_file_capabilities = root, .environment = {}, .extra_arguments = {}});
  const auto exit_code = daemon.Wait(30s);
  ASSERT_TRUE(exit_code.has_value()) << daemon.Log();
  const std::string log = daemon.Log();
  const std::size_t named = log.find(state.string());
  const std::size_t line_begin = named == std::string::npos ? 0 : log.rfind('\n', named) + 1;
  std::cout << "chaos unwritable state directory: exit " << *exit_code << ", "
            << log.substr(line_begin, log.find('\n', line_begin) - line_begin) << "\n";
  EXPECT_NE(*exit_code, 0) << daemon.Log();
  EXPECT_NE(daemon.Log().find(state.string()), std::string::npos) << daemon.Log();
  EXPECT_EQ(daemon.Log().find("newswire ready"), std::string::npos) << daemon.Log();
  EXPECT_TRUE(fs::exists(feed_ / "waiting.txt"));
  fs::permissions(state, fs::perms::owner_all);
}

}  // namespace
}  // namespace newswire::testing
