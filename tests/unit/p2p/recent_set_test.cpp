// The bounded known/seen hash sets of gossip: what they keep, what they
// forget, and that they never hold more than their capacity.

#include <gtest/gtest.h>

#include <vector>

#include "p2p/recent_set.hpp"

namespace tally::p2p {
namespace {

RecentHashSet::Key key_of(std::uint32_t n) {
  RecentHashSet::Key key{};
  key[28] = static_cast<std::uint8_t>(n >> 24U);
  key[29] = static_cast<std::uint8_t>(n >> 16U);
  key[30] = static_cast<std::uint8_t>(n >> 8U);
  key[31] = static_cast<std::uint8_t>(n);
  return key;
}

TEST(RecentHashSet, InsertTellsWhetherTheHashWasNew) {
  RecentHashSet set(16);
  EXPECT_FALSE(set.contains(key_of(1)));
  EXPECT_TRUE(set.insert(key_of(1)));
  EXPECT_FALSE(set.insert(key_of(1)));
  EXPECT_TRUE(set.contains(key_of(1)));
  EXPECT_FALSE(set.contains(key_of(2)));
  EXPECT_TRUE(set.insert(key_of(2)));
  EXPECT_EQ(set.size(), 2U);
}

TEST(RecentHashSet, KeepsAtLeastTheLastHalfOfItsCapacity) {
  constexpr std::uint32_t kCapacity = 1'000;
  RecentHashSet set(kCapacity);
  constexpr std::uint32_t kInserted = 10'000;
  for (std::uint32_t n = 0; n < kInserted; ++n) {
    ASSERT_TRUE(set.insert(key_of(n))) << n;
    ASSERT_LE(set.size(), kCapacity);
  }
  for (std::uint32_t n = kInserted - kCapacity / 2; n < kInserted; ++n) EXPECT_TRUE(set.contains(key_of(n))) << n;
  std::uint32_t remembered = 0;
  for (std::uint32_t n = 0; n < kInserted; ++n) remembered += set.contains(key_of(n)) ? 1U : 0U;
  EXPECT_GE(remembered, kCapacity / 2);
  EXPECT_LE(remembered, kCapacity);
  EXPECT_FALSE(set.contains(key_of(0)));  // long forgotten: announced again, it is new again
  EXPECT_TRUE(set.insert(key_of(0)));
}

TEST(RecentHashSet, InsertAllMatchesOneInsertAfterAnother) {
  // Batches with repeats inside them and across them, over many generation
  // swaps and table growths: the same fresh keys, in the same order, and
  // the same set afterwards as single inserts.
  constexpr std::uint32_t kCapacity = 200;
  RecentHashSet batched(kCapacity);
  RecentHashSet single(kCapacity);
  std::uint32_t next = 0;
  for (std::uint32_t round = 0; round < 300; ++round) {
    std::vector<RecentHashSet::Key> keys;
    for (std::uint32_t i = 0; i < round % 23; ++i) {
      keys.push_back(key_of(next + i / 2));              // each key twice in a row
      if (i % 5 == 0) keys.push_back(key_of(next / 3));  // and an older one again
    }
    next += round % 23;
    std::vector<RecentHashSet::Key> fresh_batched;
    batched.insert_all(keys, [&](const RecentHashSet::Key& key) { fresh_batched.push_back(key); });
    std::vector<RecentHashSet::Key> fresh_single;
    for (const auto& key : keys) {
      if (single.insert(key)) fresh_single.push_back(key);
    }
    ASSERT_EQ(fresh_batched, fresh_single) << "round " << round;
    ASSERT_EQ(batched.size(), single.size()) << "round " << round;
  }
  for (std::uint32_t n = 0; n < next; ++n) EXPECT_EQ(batched.contains(key_of(n)), single.contains(key_of(n))) << n;
  std::vector<RecentHashSet::Key> none;
  batched.insert_all(none, [](const RecentHashSet::Key&) { ADD_FAILURE() << "no key was given"; });
}

TEST(RecentHashSet, TouchingAHashKeepsIt) {
  RecentHashSet set(100);
  ASSERT_TRUE(set.insert(key_of(7)));
  for (std::uint32_t n = 1'000; n < 1'000 + 10 * 100; ++n) {
    EXPECT_FALSE(set.insert(key_of(7)));  // re-announced between newer ones
    ASSERT_TRUE(set.insert(key_of(n)));
  }
  EXPECT_TRUE(set.contains(key_of(7)));
}

TEST(RecentHashSet, HashesAlikeButForOneByteStayApart) {
  // Keys differing in a single byte anywhere (what a peer could announce to
  // crowd one probe chain) are all told apart.
  RecentHashSet set(4'096);
  std::uint32_t inserted = 0;
  for (std::size_t byte = 0; byte < 32; ++byte) {
    for (std::uint32_t value = 1; value < 64; ++value) {
      RecentHashSet::Key key{};
      key[byte] = static_cast<std::uint8_t>(value);
      ASSERT_TRUE(set.insert(key));
      ++inserted;
    }
  }
  EXPECT_EQ(set.size(), inserted);
  EXPECT_TRUE(set.insert(RecentHashSet::Key{}));
  EXPECT_FALSE(set.insert(RecentHashSet::Key{}));
}

TEST(RecentHashSet, TinyCapacitiesStillWork) {
  RecentHashSet zero(0);
  EXPECT_TRUE(zero.insert(key_of(1)));
  EXPECT_LE(zero.size(), zero.capacity());
  EXPECT_TRUE(zero.insert(key_of(2)));
  EXPECT_LE(zero.size(), zero.capacity());
  RecentHashSet one(1);
  EXPECT_TRUE(one.insert(key_of(1)));
  EXPECT_TRUE(one.insert(key_of(2)));
  EXPECT_LE(one.size(), one.capacity());
}

}  // namespace
}  // namespace tally::p2p
