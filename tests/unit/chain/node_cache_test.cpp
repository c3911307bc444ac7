// NodeCache: a bounded cache of trie nodes by hash, in two generations.

#include <gtest/gtest.h>

#include <vector>

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

TEST(NodeCacheTest, StaysWithinItsByteBudgetKeepingWhatWasUsedRecently) {
  // Each 1,000-byte node costs a little more with its overhead: the budget
  // holds eight, each generation four.
  NodeCache cache(8 * 1'100);
  std::vector<Bytes> nodes;
  std::vector<Hash256> hashes;
  for (std::uint8_t i = 0; i < 8; ++i) {
    nodes.push_back(node_of(i, 1'000));
    hashes.push_back(crypto::keccak256(nodes.back()));
  }
  for (std::size_t i = 0; i < 4; ++i) cache.put(hashes[i], nodes[i]);
  cache.put(hashes[4], nodes[4]);  // the first four become the older generation
  ASSERT_EQ(cache.entries(), 5U);
  // A hit in the older generation moves the node to the newer one.
  ASSERT_TRUE(cache.get(hashes[0]));
  cache.put(hashes[5], nodes[5]);
  cache.put(hashes[6], nodes[6]);
  cache.put(hashes[7], nodes[7]);  // drops 1, 2 and 3, untouched since
  EXPECT_LE(cache.size_bytes(), 8U * 1'100U);
  EXPECT_EQ(cache.entries(), 5U);
  EXPECT_EQ(cache.get(hashes[0]), nodes[0]);
  for (std::size_t i = 1; i < 4; ++i) EXPECT_FALSE(cache.get(hashes[i])) << i;
  for (std::size_t i = 4; i < 8; ++i) EXPECT_EQ(cache.get(hashes[i]), nodes[i]) << i;
}

TEST(NodeCacheTest, PuttingANodeOfTheOlderGenerationKeepsOneCopy) {
  NodeCache cache(4 * 1'100);
  const Bytes first = node_of(1, 1'000);
  const Bytes second = node_of(2, 1'000);
  const Bytes third = node_of(3, 1'000);
  cache.put(crypto::keccak256(first), first);
  cache.put(crypto::keccak256(second), second);
  cache.put(crypto::keccak256(third), third);  // first and second are older now
  const std::size_t bytes = cache.size_bytes();
  cache.put(crypto::keccak256(first), first);
  EXPECT_EQ(cache.entries(), 3U);
  EXPECT_EQ(cache.size_bytes(), bytes);
  EXPECT_EQ(cache.get(crypto::keccak256(first)), first);
}

TEST(NodeCacheTest, ANodeLargerThanHalfTheBudgetIsNotKept) {
  NodeCache cache(2'000);
  const Bytes small = node_of(1, 100);
  cache.put(crypto::keccak256(small), small);
  const Bytes huge = node_of(2, 1'000);
  cache.put(crypto::keccak256(huge), huge);
  EXPECT_FALSE(cache.get(crypto::keccak256(huge)));
  EXPECT_TRUE(cache.get(crypto::keccak256(small)));  // not flushed out by it
}

}  // namespace
}  // namespace tally::chain
