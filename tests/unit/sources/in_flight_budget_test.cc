#include "daemon/sources/in_flight_budget.h"

#include <gtest/gtest.h>

namespace newswire::sources {
namespace {

TEST(InFlightBudgetTest, LimitsFiles) {
  InFlightBudget budget(2, 1000);
  EXPECT_TRUE(budget.TryAcquire(1));
  EXPECT_TRUE(budget.TryAcquire(1));
  EXPECT_FALSE(budget.TryAcquire(1));
  EXPECT_TRUE(budget.exhausted());
  budget.Release(1);
  EXPECT_TRUE(budget.TryAcquire(1));
}

TEST(InFlightBudgetTest, LimitsBytes) {
  InFlightBudget budget(100, 1000);
  EXPECT_TRUE(budget.TryAcquire(600));
  EXPECT_FALSE(budget.TryAcquire(600));
  EXPECT_TRUE(budget.TryAcquire(400));
  EXPECT_EQ(budget.bytes(), 1000);
  EXPECT_EQ(budget.files(), 2);
}

TEST(InFlightBudgetTest, OneOversizeItemPassesWhenIdleSoIntakeNeverWedges) {
  InFlightBudget budget(100, 1000);
  EXPECT_TRUE(budget.TryAcquire(5000));
  EXPECT_FALSE(budget.TryAcquire(1));
  budget.Release(5000);
  EXPECT_EQ(budget.bytes(), 0);
  EXPECT_TRUE(budget.TryAcquire(1));
}

TEST(InFlightBudgetTest, ReleaseWakesListeners) {
  InFlightBudget budget(1, 1000);
  int woken = 0;
  budget.OnRelease([&woken] { ++woken; });
  ASSERT_TRUE(budget.TryAcquire(10));
  budget.Release(10);
  EXPECT_EQ(woken, 1);
}

TEST(InFlightBudgetTest, ARemovedListenerIsNotCalledAgain) {
  InFlightBudget budget(2, 1000);
  int first = 0;
  int second = 0;
  const InFlightBudget::ListenerId first_id = budget.OnRelease([&first] { ++first; });
  budget.OnRelease([&second] { ++second; });
  ASSERT_TRUE(budget.TryAcquire(10));
  ASSERT_TRUE(budget.TryAcquire(10));
  budget.Release(10);
  budget.RemoveListener(first_id);
  budget.Release(10);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
}

}  // namespace
}  // namespace newswire::sources
