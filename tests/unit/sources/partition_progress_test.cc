#include "daemon/sources/kafka/partition_progress.h"

#include <gtest/gtest.h>

namespace newswire::sources {
namespace {

TEST(PartitionProgressTest, NothingFinishedStoresNothing) {
  PartitionProgress progress;
  progress.HandOut(10);
  EXPECT_EQ(progress.next_offset_to_store(), -1);
  EXPECT_FALSE(progress.has_unstored_progress());
  EXPECT_EQ(progress.pending(), 1U);
}

TEST(PartitionProgressTest, InOrderFinishingMovesTheOffsetOneByOne) {
  PartitionProgress progress;
  for (std::int64_t offset = 5; offset < 8; ++offset) progress.HandOut(offset);
  progress.Finish(5);
  EXPECT_EQ(progress.next_offset_to_store(), 6);
  progress.Finish(6);
  EXPECT_EQ(progress.next_offset_to_store(), 7);
  EXPECT_EQ(progress.pending(), 1U);
}

// A later record done first waits for the earlier one: storing past an unfinished record would
// skip it after a restart.
TEST(PartitionProgressTest, OutOfOrderFinishingWaitsForTheOldest) {
  PartitionProgress progress;
  for (std::int64_t offset = 0; offset < 4; ++offset) progress.HandOut(offset);
  progress.Finish(2);
  progress.Finish(1);
  EXPECT_EQ(progress.next_offset_to_store(), -1);
  EXPECT_EQ(progress.pending(), 4U);
  progress.Finish(0);
  EXPECT_EQ(progress.next_offset_to_store(), 3);
  EXPECT_EQ(progress.pending(), 1U);
  progress.Finish(3);
  EXPECT_EQ(progress.next_offset_to_store(), 4);
  EXPECT_EQ(progress.pending(), 0U);
}

// Offsets need not be contiguous (compacted topics, transaction markers).
TEST(PartitionProgressTest, GapsBetweenOffsetsDoNotHoldItBack) {
  PartitionProgress progress;
  progress.HandOut(3);
  progress.HandOut(9);
  progress.Finish(3);
  progress.Finish(9);
  EXPECT_EQ(progress.next_offset_to_store(), 10);
}

TEST(PartitionProgressTest, StoringIsRememberedUntilItMovesAgain) {
  PartitionProgress progress;
  progress.HandOut(0);
  progress.HandOut(1);
  progress.Finish(0);
  EXPECT_TRUE(progress.has_unstored_progress());
  progress.MarkStored();
  EXPECT_FALSE(progress.has_unstored_progress());
  progress.Finish(1);
  EXPECT_TRUE(progress.has_unstored_progress());
}

TEST(PartitionProgressTest, FinishingAnOffsetNeverHandedOutIsIgnored) {
  PartitionProgress progress;
  progress.HandOut(4);
  progress.Finish(3);
  progress.Finish(5);
  EXPECT_EQ(progress.next_offset_to_store(), -1);
  EXPECT_EQ(progress.pending(), 1U);
}

// The lag metric counts from here: the oldest offset not finished, even while later ones are.
TEST(PartitionProgressTest, FirstPendingOffsetIsTheOldestNotFinished) {
  PartitionProgress progress;
  EXPECT_EQ(progress.first_pending_offset(), -1);
  for (std::int64_t offset = 7; offset < 10; ++offset) progress.HandOut(offset);
  EXPECT_EQ(progress.first_pending_offset(), 7);
  progress.Finish(8);
  EXPECT_EQ(progress.first_pending_offset(), 7);
  progress.Finish(7);
  EXPECT_EQ(progress.first_pending_offset(), 9);  // 8 was finished already
  progress.Finish(9);
  EXPECT_EQ(progress.first_pending_offset(), -1);
}

}  // namespace
}  // namespace newswire::sources
