// NodeCache: a bounded LRU of trie nodes by hash.

#include <gtest/gtest.h>

#include "chain/node_cache.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {
namespace {

Bytes node_of(std::uint8_t fill, std::size_t size) {
  return Bytes(size, fill);
}

TEST(NodeCacheTest, ReturnsWhatWasPut) {
  NodeCache cache(1U << 20U);
  const Bytes node = node_of(7, 100);
  const Hash256 hash = crypto::keccak256(node);
  EXPECT_FALSE(cache.get(hash));
  cache.put(hash, node);
  ASSERT_TRUE(cache.get(hash));
  EXPECT_EQ(*cache.get(hash), node);
  EXPECT_EQ(cache.entries(), 1U);
}

TEST(NodeCacheTest, PuttingTheSameHashTwiceKeepsOneEntry) {
  NodeCache cache(1U << 20U);
  const Bytes node = node_of(1, 50);
  const Hash256 hash = crypto::keccak256(node);
  cache.put(hash, node);
  const std::size_t bytes = cache.size_bytes();
  cache.put(hash, node);
  EXPECT_EQ(cache.entries(), 1U);
  EXPECT_EQ(cache.size_bytes(), bytes);
}

TEST(NodeCacheTest, StaysWithinItsByteBudgetEvictingTheLeastRecentlyUsed) {
  // Room for about three 1,000-byte nodes with their overhead.
  NodeCache cache(3'500);
  std::vector<Hash256> hashes;
  for (std::uint8_t i = 0; i < 3; ++i) {
    const Bytes node = node_of(i, 1'000);
    hashes.push_back(crypto::keccak256(node));
    cache.put(hashes.back(), node);
  }
  ASSERT_EQ(cache.entries(), 3U);
  // Touch the oldest, so the second is now the least recently used.
  ASSERT_TRUE(cache.get(hashes[0]));
  const Bytes fourth = node_of(3, 1'000);
  cache.put(crypto::keccak256(fourth), fourth);
  EXPECT_LE(cache.size_bytes(), 3'500U);
  EXPECT_TRUE(cache.get(hashes[0]));
  EXPECT_FALSE(cache.get(hashes[1]));
  EXPECT_TRUE(cache.get(hashes[2]));
  EXPECT_TRUE(cache.get(crypto::keccak256(fourth)));
}

TEST(NodeCacheTest, ANodeLargerThanTheWholeBudgetIsNotKept) {
  NodeCache cache(1'000);
  const Bytes small = node_of(1, 100);
  cache.put(crypto::keccak256(small), small);
  const Bytes huge = node_of(2, 5'000);
  cache.put(crypto::keccak256(huge), huge);
  EXPECT_FALSE(cache.get(crypto::keccak256(huge)));
  EXPECT_TRUE(cache.get(crypto::keccak256(small)));  // not flushed out by it
}

}  // namespace
}  // namespace tally::chain
