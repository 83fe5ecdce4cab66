// Slot management: claim, release, reset, full pools and capacity errors
// that leave the pool untouched.
#include <gtest/gtest.h>

#include "lfm/StatePool.h"

namespace lfm {
namespace {

TEST(StatePool, ClaimGivesLowestFreeSlotAndReleaseFreesIt) {
  auto pool = StatePool::create({3, 10});
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(*pool->claim(100), 0);
  EXPECT_EQ(*pool->claim(7), 1);
  EXPECT_EQ(*pool->claim(-5), 2);
  EXPECT_EQ(pool->freeSlots(), 0);
  EXPECT_TRUE(pool->release(7).ok());
  EXPECT_FALSE(pool->contains(7));
  EXPECT_EQ(pool->freeSlots(), 1);
  EXPECT_EQ(*pool->claim(8), 1);
  EXPECT_EQ(*pool->slotOf(100), 0);
  EXPECT_EQ(*pool->slotOf(8), 1);
}

TEST(StatePool, ErrorsForFullPoolDoubleClaimAndUnknownRequests) {
  auto pool = StatePool::create({1, 10});
  ASSERT_TRUE(pool.ok());
  ASSERT_TRUE(pool->claim(1).ok());
  absl::StatusOr<int32_t> again = pool->claim(1);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<int32_t> full = pool->claim(2);
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("request 2"), std::string::npos) << full.status();
  absl::Status unknown = pool->release(3);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find("request 3"), std::string::npos) << unknown;
  EXPECT_FALSE(pool->length(3).ok());
  EXPECT_FALSE(StatePool::create({0, 10}).ok());
  EXPECT_FALSE(StatePool::create({2, 0}).ok());
}

TEST(StatePool, LengthsAdvanceAndResetWhenASlotIsReclaimed) {
  auto pool = StatePool::create({2, 10});
  ASSERT_TRUE(pool.ok());
  ASSERT_TRUE(pool->claim(1).ok());
  ASSERT_TRUE(pool->claim(2).ok());
  StatePool::Append appends[] = {{1, 4}, {2, 1}};
  ASSERT_TRUE(pool->advance(appends).ok());
  EXPECT_EQ(*pool->length(1), 4);
  EXPECT_EQ(*pool->length(2), 1);
  ASSERT_TRUE(pool->release(1).ok());
  ASSERT_TRUE(pool->claim(3).ok());
  EXPECT_EQ(*pool->length(3), 0);
  pool->reset();
  EXPECT_EQ(pool->activeRequests(), 0);
  EXPECT_EQ(pool->freeSlots(), 2);
  EXPECT_EQ(*pool->claim(9), 0);
  EXPECT_EQ(*pool->length(9), 0);
}

TEST(StatePool, CapacityErrorNamesTheRequestAndChangesNothing) {
  auto pool = StatePool::create({2, 8});
  ASSERT_TRUE(pool.ok());
  ASSERT_TRUE(pool->claim(1).ok());
  ASSERT_TRUE(pool->claim(2).ok());
  StatePool::Append first[] = {{1, 6}, {2, 2}};
  ASSERT_TRUE(pool->advance(first).ok());
  // Request 2 fits, request 1 does not: neither advances.
  StatePool::Append over[] = {{2, 1}, {1, 3}};
  absl::Status s = pool->advance(over);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("request 1"), std::string::npos) << s;
  EXPECT_NE(s.message().find("holds 6 tokens"), std::string::npos) << s;
  EXPECT_NE(s.message().find("capacity of 8"), std::string::npos) << s;
  EXPECT_EQ(*pool->length(1), 6);
  EXPECT_EQ(*pool->length(2), 2);
  // Exactly filling the capacity is fine.
  StatePool::Append fill[] = {{1, 2}};
  EXPECT_TRUE(pool->advance(fill).ok());
  EXPECT_EQ(*pool->length(1), 8);
  StatePool::Append one_more[] = {{1, 1}};
  EXPECT_FALSE(pool->checkAppend(one_more).ok());
}

TEST(StatePool, AppendRejectsUnclaimedAndRepeatedRequests) {
  auto pool = StatePool::create({2, 8});
  ASSERT_TRUE(pool.ok());
  ASSERT_TRUE(pool->claim(1).ok());
  StatePool::Append unclaimed[] = {{5, 1}};
  EXPECT_EQ(pool->checkAppend(unclaimed).code(), absl::StatusCode::kNotFound);
  StatePool::Append twice[] = {{1, 1}, {1, 1}};
  EXPECT_FALSE(pool->advance(twice).ok());
  EXPECT_EQ(*pool->length(1), 0);
}

}  // namespace
}  // namespace lfm
