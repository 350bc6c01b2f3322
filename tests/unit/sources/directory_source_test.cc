#include "daemon/sources/directory/directory_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace newswire::sources {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// The kernel stamps modification times from a clock that ticks in jiffies (up to 10 ms): a file
// can look that much older than the write that just returned.
constexpr milliseconds kTimestampGranularity{20};

std::string ReadAll(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary);
  file << content;
}

std::vector<std::string> Names(const fs::path& directory) {
  std::vector<std::string> names;
  if (!fs::exists(directory)) return names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A feed directory in a fresh temp dir, a DirectorySource on it, and an io_context the test runs
// until a condition holds: real inotify, real renames.
class DirectorySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("newswire-source-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    feed_ = root_ / "inbox";
    fs::create_directories(feed_);
    config_.name = "inbox";
    config_.path = feed_.string();
    config_.processing_dir = (feed_ / "processing").string();
    config_.done_dir = (feed_ / "done").string();
    config_.failed_dir = (feed_ / "failed").string();
    // Files written just before Start() are taken at once; the settle tests set their own.
    config_.settle_ms = 0;
  }
  void TearDown() override {
    source_.reset();
    fs::remove_all(root_);
  }

  void Start(std::int64_t max_files = 100, std::int64_t max_bytes = 1 << 20) {
    budget_ = std::make_unique<InFlightBudget>(max_files, max_bytes);
    source_ = std::make_unique<DirectorySource>(io_, config_, *budget_, /*retry_backoff_ms=*/20,
                                                io_.get_executor());
    auto started = source_->Start([this](SourceItem item) { items_.push_back(std::move(item)); },
                                  [this](const Error& error) { failures_.push_back(error); });
    ASSERT_TRUE(started) << started.error().Describe();
  }

  // Runs the event loop until `done` holds or `timeout` passed.
  bool RunUntil(const std::function<bool()>& done, milliseconds timeout = milliseconds(2000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(milliseconds(5));
    }
    return true;
  }

  fs::path root_;
  fs::path feed_;
  config::DirectorySourceConfig config_;
  asio::io_context io_;
  std::unique_ptr<InFlightBudget> budget_;
  std::unique_ptr<DirectorySource> source_;
  std::vector<SourceItem> items_;
  std::vector<Error> failures_;
};

TEST_F(DirectorySourceTest, ScansAtStartClaimsAndCompletesOnAcknowledge) {
  WriteFile(feed_ / "a.txt", "Title A\nBody A\n");
  WriteFile(feed_ / "b.txt", "Title B\nBody B\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  EXPECT_EQ(items_[0].raw.bytes, "Title A\nBody A\n");
  EXPECT_EQ(items_[0].raw.origin.path, (feed_ / "a.txt").string());
  EXPECT_EQ(items_[0].raw.origin.source_name, "inbox");
  EXPECT_FALSE(items_[0].rejection);
  // Claimed: out of the inbox, in processing/, not yet done.
  EXPECT_EQ(Names(feed_ / "processing"), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_TRUE(Names(feed_ / "done").empty());
  EXPECT_EQ(source_->in_flight(), 2u);

  source_->Acknowledge(items_[0].ticket);
  EXPECT_EQ(Names(feed_ / "done"), (std::vector<std::string>{"a.txt"}));
  EXPECT_EQ(Names(feed_ / "processing"), (std::vector<std::string>{"b.txt"}));
  EXPECT_EQ(source_->in_flight(), 1u);
  // A second acknowledge of the same ticket is ignored, not a double move.
  source_->Acknowledge(items_[0].ticket);
  EXPECT_EQ(source_->stats().completed, 1u);
}

TEST_F(DirectorySourceTest, FollowsCloseAfterWriteAndRenamesIntoPlace) {
  Start();
  WriteFile(feed_ / "written.txt", "Written\nbody\n");
  WriteFile(feed_ / ".hidden.txt", "never\n");
  WriteFile(feed_ / "moved.txt.part", "Moved\nbody\n");
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  fs::rename(feed_ / "moved.txt.part", feed_ / "moved.txt");
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  EXPECT_EQ(items_[0].raw.bytes, "Written\nbody\n");
  EXPECT_EQ(items_[1].raw.bytes, "Moved\nbody\n");
  io_.restart();
  io_.run_for(milliseconds(50));
  EXPECT_EQ(items_.size(), 2u);  // the dotfile and the .part name were ignored
  EXPECT_TRUE(fs::exists(feed_ / ".hidden.txt"));
}

// A file found by the start-up scan while its writer still has it open (no rename into place)
// is not taken half-written: it settles, and its close-after-write takes it, complete, at once.
TEST_F(DirectorySourceTest, AWriterStillWritingAtStartIsTakenWhenItClosesTheFile) {
  config_.settle_ms = 60000;
  const int fd = open((feed_ / "slow.txt").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::string written = "Slow story\n";
  ASSERT_EQ(write(fd, written.data(), written.size()), static_cast<ssize_t>(written.size()));
  Start();
  EXPECT_EQ(source_->pending_files(), 1u);
  for (int chunk = 0; chunk < 5; ++chunk) {
    io_.restart();
    io_.run_for(milliseconds(20));
    EXPECT_TRUE(items_.empty());
    const std::string line = "line " + std::to_string(chunk) + " of the body\n";
    ASSERT_EQ(write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    written += line;
  }
  EXPECT_TRUE(fs::exists(feed_ / "slow.txt"));
  close(fd);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  EXPECT_EQ(items_[0].raw.bytes, written);
  EXPECT_EQ(source_->stats().seen, 1u);
  EXPECT_EQ(source_->pending_files(), 0u);
}

// A writer that never closes the file while newswire watches (or whose close came before the
// watch): the file is taken once its size and modification time stood still for settle_ms.
TEST_F(DirectorySourceTest, AFileLeftOpenIsTakenOnceItSettled) {
  config_.settle_ms = 3000;
  const int fd = open((feed_ / "open.txt").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::string written = "Open story\n";
  ASSERT_EQ(write(fd, written.data(), written.size()), static_cast<ssize_t>(written.size()));
  Start();
  auto last_write = std::chrono::steady_clock::now();
  for (int chunk = 0; chunk < 10; ++chunk) {
    io_.restart();
    io_.run_for(milliseconds(30));
    EXPECT_TRUE(items_.empty()) << "taken while still being written";
    const std::string line = "line " + std::to_string(chunk) + " of the body\n";
    ASSERT_EQ(write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    last_write = std::chrono::steady_clock::now();
    written += line;
  }
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }, milliseconds(20000)));
  EXPECT_GE(std::chrono::steady_clock::now() - last_write,
            milliseconds(3000) - kTimestampGranularity);
  close(fd);
  EXPECT_EQ(items_[0].raw.bytes, written);
  EXPECT_EQ(items_[0].raw.origin.path, (feed_ / "open.txt").string());
  EXPECT_EQ(source_->stats().seen, 1u);
}

// A hard link into the feed directory raises IN_CREATE and never a close-after-write: it is
// taken while newswire runs, once it settled.
TEST_F(DirectorySourceTest, AHardLinkIsTakenWithoutARestartOnceItSettled) {
  config_.settle_ms = 500;
  const auto written_at = std::chrono::steady_clock::now();
  WriteFile(root_ / "outside.txt", "Linked\nstory\n");
  Start();
  ASSERT_EQ(link((root_ / "outside.txt").c_str(), (feed_ / "linked.txt").c_str()), 0)
      << std::strerror(errno);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }, milliseconds(20000)));
  EXPECT_GE(std::chrono::steady_clock::now() - written_at,
            milliseconds(500) - kTimestampGranularity);
  EXPECT_EQ(items_[0].raw.bytes, "Linked\nstory\n");
  EXPECT_EQ(items_[0].raw.origin.path, (feed_ / "linked.txt").string());
  source_->Acknowledge(items_[0].ticket);
  EXPECT_EQ(Names(feed_ / "done"), (std::vector<std::string>{"linked.txt"}));
}

// Not modified for longer than settle_ms (a link to an old file, a backlog found at start):
// nothing to wait for.
TEST_F(DirectorySourceTest, FilesUnchangedForTheSettleTimeAreTakenAtOnce) {
  config_.settle_ms = 60000;
  const timespec an_hour_ago{time(nullptr) - 3600, 0};
  const timespec times[2] = {an_hour_ago, an_hour_ago};
  WriteFile(feed_ / "backlog.txt", "Backlog\nstory\n");
  ASSERT_EQ(utimensat(AT_FDCWD, (feed_ / "backlog.txt").c_str(), times, 0), 0);
  WriteFile(root_ / "old.txt", "Old\nstory\n");
  ASSERT_EQ(utimensat(AT_FDCWD, (root_ / "old.txt").c_str(), times, 0), 0);
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  ASSERT_EQ(link((root_ / "old.txt").c_str(), (feed_ / "old.txt").c_str()), 0)
      << std::strerror(errno);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  EXPECT_EQ(items_[0].raw.bytes, "Backlog\nstory\n");
  EXPECT_EQ(items_[1].raw.bytes, "Old\nstory\n");
}

// settle_ms 0: files a scan finds are taken at once, and so is a hard link; a writer's new file
// still waits for its close-after-write.
TEST_F(DirectorySourceTest, WithoutSettlingAHardLinkIsTakenAtOnce) {
  WriteFile(root_ / "outside.txt", "Linked\nstory\n");
  Start();
  ASSERT_EQ(link((root_ / "outside.txt").c_str(), (feed_ / "linked.txt").c_str()), 0)
      << std::strerror(errno);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  EXPECT_EQ(items_[0].raw.bytes, "Linked\nstory\n");
}

TEST_F(DirectorySourceTest, RejectMovesToFailedWithAnErrorNote) {
  WriteFile(feed_ / "bad.txt", "\xff\xfe");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  source_->Reject(items_[0].ticket,
                  Error{Stage::kDecode, ErrorCode::kInvalidUtf8, "invalid UTF-8 at byte 0"});
  EXPECT_EQ(Names(feed_ / "failed"), (std::vector<std::string>{"bad.txt", "bad.txt.error"}));
  std::string note = ReadAll(feed_ / "failed" / "bad.txt.error");
  EXPECT_NE(note.find("stage: decode"), std::string::npos) << note;
  EXPECT_NE(note.find("error: invalid_utf8"), std::string::npos) << note;
  EXPECT_NE(note.find((feed_ / "bad.txt").string()), std::string::npos) << note;
  EXPECT_NE(note.find("location: file://" + (feed_ / "failed" / "bad.txt").string()),
            std::string::npos)
      << note;
  EXPECT_EQ(source_->in_flight(), 0u);
}

// The failed/ name is decided when a file is handed out, so its dead letter can name it: a name
// free in failed/ (an older file there, or its note, keeps its name) and not promised to another
// file in flight. The rejected file ends up exactly there.
TEST_F(DirectorySourceTest, TheLocationNamesTheFailedPathTheFileWillHave) {
  fs::create_directories(feed_ / "failed");
  WriteFile(feed_ / "failed" / "a.txt", "an older failure\n");
  WriteFile(feed_ / "failed" / "c.txt.error", "a note whose file was removed\n");
  WriteFile(feed_ / "a.1.txt", "First\nbody\n");
  WriteFile(feed_ / "a.txt", "Second\nbody\n");
  WriteFile(feed_ / "c.txt", "Third\nbody\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 3; }));
  const auto failed = [&](const std::string& name) {
    return "file://" + (feed_ / "failed" / name).string();
  };
  std::map<std::string, const SourceItem*> by_name;
  for (const auto& item : items_) by_name[fs::path(item.raw.origin.path).filename()] = &item;
  // Names are claimed in sorted order: a.1.txt takes its own name, so a.txt (whose own name an
  // older file has) cannot take a.1.txt and gets a.2.txt.
  EXPECT_EQ(by_name["a.1.txt"]->raw.origin.location, failed("a.1.txt"));
  EXPECT_EQ(by_name["a.txt"]->raw.origin.location, failed("a.2.txt"));
  EXPECT_EQ(by_name["c.txt"]->raw.origin.location, failed("c.1.txt"));
  const Error error{Stage::kDecode, ErrorCode::kEmptyInput, "no article"};
  for (const auto& item : items_) source_->Reject(item.ticket, error);
  EXPECT_EQ(ReadAll(feed_ / "failed" / "a.txt"), "an older failure\n");
  EXPECT_EQ(ReadAll(feed_ / "failed" / "a.1.txt"), "First\nbody\n");
  EXPECT_EQ(ReadAll(feed_ / "failed" / "a.2.txt"), "Second\nbody\n");
  EXPECT_EQ(ReadAll(feed_ / "failed" / "c.1.txt"), "Third\nbody\n");
  const std::string note = ReadAll(feed_ / "failed" / "a.2.txt.error");
  EXPECT_NE(note.find("location: " + failed("a.2.txt") + "\n"), std::string::npos) << note;
}

TEST_F(DirectorySourceTest, ALocationIsAnAbsolutePercentEncodedFileUri) {
  config_.recursive = true;
  fs::create_directories(feed_ / "world");
  WriteFile(feed_ / "world" / "big story.txt", "Big\nstory\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  EXPECT_EQ(items_[0].raw.origin.location,
            "file://" + (feed_ / "failed").string() + "/world%252Fbig%20story.txt");
}

// Something outside newswire takes the promised name meanwhile: nothing is overwritten, the file
// goes under another name and its note says where it is.
TEST_F(DirectorySourceTest, APromisedFailedNameTakenMeanwhileIsNeverOverwritten) {
  WriteFile(feed_ / "a.txt", "Title\nbody\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  WriteFile(feed_ / "failed" / "a.txt", "put there by hand\n");
  source_->Reject(items_[0].ticket, Error{Stage::kDecode, ErrorCode::kEmptyInput, "no article"});
  EXPECT_EQ(ReadAll(feed_ / "failed" / "a.txt"), "put there by hand\n");
  EXPECT_EQ(ReadAll(feed_ / "failed" / "a.1.txt"), "Title\nbody\n");
  const std::string note = ReadAll(feed_ / "failed" / "a.1.txt.error");
  EXPECT_NE(note.find("location: file://" + (feed_ / "failed" / "a.1.txt").string()),
            std::string::npos)
      << note;
}

TEST_F(DirectorySourceTest, ReleaseHandsTheFileOutAgainAfterTheBackoff) {
  WriteFile(feed_ / "a.txt", "Title\nbody\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  source_->Release(items_[0].ticket);
  EXPECT_EQ(Names(feed_ / "processing"), (std::vector<std::string>{"a.txt"}));
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  EXPECT_EQ(items_[1].ticket, items_[0].ticket);
  EXPECT_EQ(items_[1].raw.bytes, "Title\nbody\n");
  source_->Acknowledge(items_[1].ticket);
  EXPECT_EQ(Names(feed_ / "done"), (std::vector<std::string>{"a.txt"}));
}

TEST_F(DirectorySourceTest, RecoversWhatACrashLeftInProcessingFirst) {
  fs::create_directories(feed_ / "processing");
  WriteFile(feed_ / "processing" / "world%2Fleft.txt", "Left\nover\n");
  WriteFile(feed_ / "new.txt", "New\nfile\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  EXPECT_EQ(items_[0].raw.bytes, "Left\nover\n");
  EXPECT_EQ(items_[0].raw.origin.path, (feed_ / "world" / "left.txt").string());
  EXPECT_EQ(source_->stats().recovered, 1u);
  EXPECT_NE(items_[0].created_at, std::chrono::system_clock::time_point{});
  EXPECT_TRUE(source_->oldest_in_flight());
  source_->Acknowledge(items_[0].ticket);
  EXPECT_EQ(Names(feed_ / "done"), (std::vector<std::string>{"world%2Fleft.txt"}));
}

TEST_F(DirectorySourceTest, StopsClaimingWhenTheBudgetIsUsedUp) {
  for (int i = 0; i < 5; ++i) WriteFile(feed_ / ("f" + std::to_string(i) + ".txt"), "T\nb\n");
  Start(/*max_files=*/2);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  io_.restart();
  io_.run_for(milliseconds(50));
  EXPECT_EQ(items_.size(), 2u);
  EXPECT_EQ(Names(feed_ / "processing").size(), 2u);  // the other three were not even claimed
  source_->Acknowledge(items_[0].ticket);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 3; }));
  EXPECT_EQ(Names(feed_ / "processing").size(), 2u);
}

// The backlog metric: files another source's work keeps from being claimed are pending (and
// seen once), and drain when the budget frees up.
TEST_F(DirectorySourceTest, FilesWaitingForTheBudgetArePendingUntilItFreesUp) {
  constexpr std::size_t kFiles = 4;
  Start(/*max_files=*/kFiles);
  std::size_t taken = 0;
  while (budget_->TryAcquire(0)) ++taken;
  ASSERT_EQ(taken, kFiles);
  for (std::size_t i = 0; i < kFiles; ++i) {
    WriteFile(feed_ / ("f" + std::to_string(i) + ".txt"), "T\nb\n");
  }
  ASSERT_TRUE(RunUntil([&] { return source_->pending_files() == kFiles; }))
      << source_->pending_files();
  EXPECT_EQ(source_->stats().seen, kFiles);
  EXPECT_EQ(source_->stats().claimed, 0u);
  EXPECT_TRUE(items_.empty());
  EXPECT_FALSE(source_->oldest_in_flight());

  for (std::size_t i = 0; i < taken; ++i) budget_->Release(0);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == kFiles; }));
  EXPECT_EQ(source_->pending_files(), 0u);
  EXPECT_EQ(source_->stats().claimed, kFiles);
  EXPECT_EQ(source_->stats().seen, kFiles);  // claiming does not count them again
}

TEST_F(DirectorySourceTest, OldestInFlightKeepsTheFirstHandOutAcrossRetries) {
  Start();
  EXPECT_FALSE(source_->oldest_in_flight());
  const auto before = std::chrono::steady_clock::now();
  WriteFile(feed_ / "a.txt", "A\nbody\n");
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  const auto first = source_->oldest_in_flight();
  ASSERT_TRUE(first);
  EXPECT_GE(*first, before);
  EXPECT_LE(*first, std::chrono::steady_clock::now());

  WriteFile(feed_ / "b.txt", "B\nbody\n");
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  EXPECT_EQ(source_->oldest_in_flight(), first);  // a.txt is older

  // Released and handed out again: a.txt keeps its first time, so a retry loop shows as old.
  source_->Release(items_[0].ticket);
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 3; }));
  ASSERT_EQ(items_[2].ticket, items_[0].ticket);
  EXPECT_EQ(source_->oldest_in_flight(), first);

  source_->Acknowledge(items_[0].ticket);
  const auto second = source_->oldest_in_flight();
  ASSERT_TRUE(second);
  EXPECT_GT(*second, *first);  // b.txt, claimed after a.txt was handed out
  source_->Acknowledge(items_[1].ticket);
  EXPECT_FALSE(source_->oldest_in_flight());
}

TEST_F(DirectorySourceTest, CreatedAtIsTheFileModificationTime) {
  // Written elsewhere, dated, then moved in: a rename keeps the modification time.
  const fs::path staged = root_ / "dated.txt";
  WriteFile(staged, "Dated\nbody\n");
  const timespec modified{1'600'000'000, 123'456'789};
  const timespec times[2] = {modified, modified};
  ASSERT_EQ(utimensat(AT_FDCWD, staged.c_str(), times, 0), 0) << std::strerror(errno);
  Start();
  fs::rename(staged, feed_ / "dated.txt");
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  EXPECT_EQ(items_[0].created_at,
            std::chrono::system_clock::time_point(
                std::chrono::duration_cast<std::chrono::system_clock::duration>(
                    std::chrono::seconds(1'600'000'000) + std::chrono::nanoseconds(123'456'789))));
}

TEST_F(DirectorySourceTest, RejectsSymlinksDirectoriesAndOversizeFilesWithoutReadingThem) {
  config_.max_file_bytes = 10;
  WriteFile(root_ / "secret", "outside the feed directory\n");
  fs::create_symlink(root_ / "secret", feed_ / "link.txt");
  fs::create_directory(feed_ / "subdir");
  WriteFile(feed_ / "big.txt", std::string(100, 'x'));
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 3; }));
  std::map<std::string, SourceItem*> by_name;
  for (auto& item : items_) by_name[fs::path(item.raw.origin.path).filename()] = &item;
  ASSERT_TRUE(by_name["link.txt"]->rejection);
  EXPECT_EQ(by_name["link.txt"]->rejection->code, ErrorCode::kSymlink);
  EXPECT_TRUE(by_name["link.txt"]->raw.bytes.empty());
  ASSERT_TRUE(by_name["subdir"]->rejection);
  EXPECT_EQ(by_name["subdir"]->rejection->code, ErrorCode::kNotRegularFile);
  ASSERT_TRUE(by_name["big.txt"]->rejection);
  EXPECT_EQ(by_name["big.txt"]->rejection->code, ErrorCode::kTooLarge);
  EXPECT_EQ(by_name["big.txt"]->original_size, 100u);
  EXPECT_TRUE(by_name["big.txt"]->raw.bytes.empty());
  for (auto& item : items_) source_->Reject(item.ticket, *item.rejection);
  EXPECT_TRUE(fs::is_symlink(feed_ / "failed" / "link.txt"));  // the link moved, not its target
  EXPECT_EQ(ReadAll(root_ / "secret"), "outside the feed directory\n");
  EXPECT_TRUE(fs::is_directory(feed_ / "failed" / "subdir"));
}

TEST_F(DirectorySourceTest, RecursiveWatchesNewSubdirectories) {
  config_.recursive = true;
  Start();
  fs::create_directories(feed_ / "world");
  ASSERT_TRUE(RunUntil([&] { return fs::exists(feed_ / "world"); }));
  io_.restart();
  io_.run_for(milliseconds(20));  // let the new directory's watch be added
  WriteFile(feed_ / "world" / "a.txt", "World\nnews\n");
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  EXPECT_EQ(items_[0].raw.origin.path, (feed_ / "world" / "a.txt").string());
  EXPECT_EQ(Names(feed_ / "processing"), (std::vector<std::string>{"world%2Fa.txt"}));
}

TEST_F(DirectorySourceTest, DeleteModeRemovesCompletedFiles) {
  config_.on_success = config::DirectorySourceConfig::OnSuccess::kDelete;
  WriteFile(feed_ / "a.txt", "T\nb\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  source_->Acknowledge(items_[0].ticket);
  EXPECT_TRUE(Names(feed_ / "processing").empty());
  EXPECT_TRUE(Names(feed_ / "done").empty());
}

TEST_F(DirectorySourceTest, SameNameTwiceDoesNotOverwrite) {
  WriteFile(feed_ / "a.txt", "first\nx\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  WriteFile(feed_ / "a.txt", "second\nx\n");
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 2; }));
  EXPECT_EQ(Names(feed_ / "processing"), (std::vector<std::string>{"a.1.txt", "a.txt"}));
  source_->Acknowledge(items_[0].ticket);
  source_->Acknowledge(items_[1].ticket);
  EXPECT_EQ(Names(feed_ / "done"), (std::vector<std::string>{"a.1.txt", "a.txt"}));
}

TEST_F(DirectorySourceTest, AFeedThatAlwaysWritesTheSameNameNeverRunsOutOfNames) {
  Start();
  constexpr int kFiles = 25;
  for (int i = 0; i < kFiles; ++i) {
    WriteFile(feed_ / "feed.xml", "Edition " + std::to_string(i) + "\nbody\n");
    ASSERT_TRUE(RunUntil([&] { return items_.size() == static_cast<std::size_t>(i + 1); }));
    source_->Acknowledge(items_.back().ticket);
  }
  auto done = Names(feed_ / "done");
  EXPECT_EQ(done.size(), static_cast<std::size_t>(kFiles));
  EXPECT_TRUE(std::find(done.begin(), done.end(), "feed.9.xml") != done.end());
  EXPECT_EQ(source_->stats().completed, static_cast<std::uint64_t>(kFiles));
  EXPECT_TRUE(Names(feed_ / "processing").empty());
}

TEST_F(DirectorySourceTest, NonRecursiveDirectoriesFollowIncludeAndExclude) {
  config_.include = {"*.txt"};
  fs::create_directory(feed_ / "archive");
  fs::create_directory(feed_ / "odd.txt");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  io_.restart();
  io_.run_for(milliseconds(50));
  ASSERT_EQ(items_.size(), 1u);
  EXPECT_EQ(fs::path(items_[0].raw.origin.path).filename(), "odd.txt");
  EXPECT_TRUE(fs::is_directory(feed_ / "archive"));  // not wanted, so left alone
}

TEST_F(DirectorySourceTest, StopEndsIntakeButInFlightItemsStillComplete) {
  WriteFile(feed_ / "a.txt", "T\nb\n");
  Start();
  ASSERT_TRUE(RunUntil([&] { return items_.size() == 1; }));
  source_->Stop();
  WriteFile(feed_ / "late.txt", "T\nb\n");
  io_.restart();
  io_.run_for(milliseconds(50));
  EXPECT_EQ(items_.size(), 1u);
  source_->Acknowledge(items_[0].ticket);
  EXPECT_EQ(Names(feed_ / "done"), (std::vector<std::string>{"a.txt"}));
  EXPECT_TRUE(fs::exists(feed_ / "late.txt"));
}

TEST_F(DirectorySourceTest, ARemovedFeedDirectoryIsReportedAsAFailure) {
  Start();
  fs::remove_all(feed_);
  ASSERT_TRUE(RunUntil([&] { return !failures_.empty(); }));
  EXPECT_EQ(failures_[0].stage, Stage::kSource);
  EXPECT_NE(failures_[0].message.find("was removed or moved"), std::string::npos);
}

TEST_F(DirectorySourceTest, ProcessingOnAnotherFilesystemIsRefusedAtStart) {
  if (!fs::exists("/dev/shm")) GTEST_SKIP() << "no /dev/shm";
  struct stat shm {
  }, temp{};
  stat("/dev/shm", &shm);
  stat(root_.c_str(), &temp);
  if (shm.st_dev == temp.st_dev) GTEST_SKIP() << "/dev/shm is on the same filesystem";
  fs::path elsewhere = fs::path("/dev/shm") / ("newswire-test-" + std::to_string(getpid()));
  config_.processing_dir = elsewhere.string();
  budget_ = std::make_unique<InFlightBudget>(10, 1000);
  source_ = std::make_unique<DirectorySource>(io_, config_, *budget_, 20, io_.get_executor());
  auto started = source_->Start([](SourceItem) {}, [](const Error&) {});
  fs::remove_all(elsewhere);
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("same filesystem"), std::string::npos);
}

}  // namespace
}  // namespace newswire::sources
