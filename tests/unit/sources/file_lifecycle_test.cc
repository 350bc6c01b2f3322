#include "daemon/sources/directory/file_lifecycle.h"

#include <gtest/gtest.h>

namespace newswire::sources {
namespace {

TEST(FileLifecycleTest, HappyPathEndsCompleted) {
  auto dispatched = NextFileState(FileState::kClaimed, FileEvent::kDispatch);
  ASSERT_TRUE(dispatched);
  EXPECT_EQ(*dispatched, FileState::kDispatched);
  auto completed = NextFileState(*dispatched, FileEvent::kAcknowledge);
  ASSERT_TRUE(completed);
  EXPECT_EQ(*completed, FileState::kCompleted);
}

TEST(FileLifecycleTest, RejectEndsFailed) {
  auto failed = NextFileState(FileState::kDispatched, FileEvent::kReject);
  ASSERT_TRUE(failed);
  EXPECT_EQ(*failed, FileState::kFailed);
}

TEST(FileLifecycleTest, ReleaseWaitsThenClaimsAgain) {
  auto waiting = NextFileState(FileState::kDispatched, FileEvent::kRelease);
  ASSERT_TRUE(waiting);
  EXPECT_EQ(*waiting, FileState::kRetryWait);
  auto claimed = NextFileState(*waiting, FileEvent::kRetry);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(*claimed, FileState::kClaimed);
}

TEST(FileLifecycleTest, EveryOtherTransitionIsAnError) {
  const FileState states[] = {FileState::kClaimed, FileState::kDispatched, FileState::kRetryWait,
                              FileState::kCompleted, FileState::kFailed};
  const FileEvent events[] = {FileEvent::kDispatch, FileEvent::kAcknowledge, FileEvent::kReject,
                              FileEvent::kRelease, FileEvent::kRetry};
  int allowed = 0;
  for (FileState state : states) {
    for (FileEvent event : events) {
      auto next = NextFileState(state, event);
      if (next) {
        ++allowed;
        continue;
      }
      EXPECT_EQ(next.error().stage, Stage::kSource);
      EXPECT_EQ(next.error().code, ErrorCode::kInternal);
      EXPECT_NE(next.error().message.find(FileStateName(state)), std::string::npos);
    }
  }
  // claimed->dispatched, dispatched->{completed,failed,retry_wait}, retry_wait->claimed.
  EXPECT_EQ(allowed, 5);
  // An acknowledged file can never be acknowledged or rejected again.
  EXPECT_FALSE(NextFileState(FileState::kCompleted, FileEvent::kAcknowledge));
  EXPECT_FALSE(NextFileState(FileState::kFailed, FileEvent::kAcknowledge));
}

TEST(FileLifecycleTest, ClaimNamesRoundTrip) {
  EXPECT_EQ(EncodeClaimName("a.txt"), "a.txt");
  EXPECT_EQ(EncodeClaimName("world/europe/a.txt"), "world%2Feurope%2Fa.txt");
  EXPECT_EQ(EncodeClaimName("100%/x"), "100%25%2Fx");
  for (const char* path : {"a.txt", "world/europe/a.txt", "100%/x", "%2F", "trailing%", "%"}) {
    EXPECT_EQ(DecodeClaimName(EncodeClaimName(path)), path) << path;
  }
}

TEST(FileLifecycleTest, AlternativeNamesKeepTheExtension) {
  EXPECT_EQ(AlternativeName("a.txt", "1"), "a.1.txt");
  EXPECT_EQ(AlternativeName("a.tar.gz", "2"), "a.tar.2.gz");
  EXPECT_EQ(AlternativeName("README", "3"), "README.3");
  EXPECT_EQ(AlternativeName(".profile", "4"), ".profile.4");
}

TEST(FileLifecycleTest, WritersTemporaryNamesAreIgnored) {
  for (const char* name : {".hidden", "a.tmp", "a.part", ".a.swp", "a~", ""}) {
    EXPECT_TRUE(IsIgnoredName(name)) << name;
  }
  for (const char* name : {"a.txt", "a.json", "tmp", "part.txt"}) {
    EXPECT_FALSE(IsIgnoredName(name)) << name;
  }
}

TEST(FileLifecycleTest, IncludeAndExcludeGlobs) {
  std::vector<std::string> all = {"*"};
  EXPECT_TRUE(IsWantedName("a.txt", all, {}));
  EXPECT_FALSE(IsWantedName(".a.txt", all, {}));
  EXPECT_FALSE(IsWantedName("a.txt.part", all, {}));
  std::vector<std::string> text = {"*.txt", "*.json"};
  EXPECT_TRUE(IsWantedName("a.json", text, {}));
  EXPECT_FALSE(IsWantedName("a.html", text, {}));
  EXPECT_FALSE(IsWantedName("draft-a.txt", text, {"draft-*"}));
}

}  // namespace
}  // namespace newswire::sources
