// The state trie a block execution leaves for the next block on its root:
// handed to one StateDB at a time, bounded, never kept after a change that
// was not committed, and never a different state than a cold open gives.

#include "chain/warm_tries.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "chain/state.hpp"
#include "chain/trie.hpp"

namespace tally::chain {
namespace {

// A store that keeps what block executions leave (as ChainStore does) and
// counts the nodes read from it.
class WarmNodeStore final : public NodeStore {
 public:
  std::optional<Bytes> get_node(const Hash256& hash) const override {
    ++reads;
    return nodes.get_node(hash);
  }
  WarmTries* warm_tries() const noexcept override { return &warm; }
  MemoryNodeStore nodes;
  mutable WarmTries warm;
  mutable std::uint64_t reads = 0;
};

Address address_of(std::uint64_t n) {
  Address a{};
  for (std::size_t i = 0; i < 8; ++i) a[19 - i] = static_cast<std::uint8_t>(n >> (8 * i));
  a[0] = 0xa0;
  return a;
}

std::unique_ptr<SecureTrie> committed_trie(std::uint8_t tag, std::uint64_t writes) {
  auto trie = std::make_unique<SecureTrie>();
  for (std::uint64_t i = 0; i < writes; ++i) trie->put(address_of(i), Bytes{tag, static_cast<std::uint8_t>(i)});
  NodeBatch ignored;
  trie->commit(ignored);
  return trie;
}

TEST(WarmTries, HandsATrieToOneTakerAtItsRoot) {
  WarmTries warm;
  auto trie = committed_trie(1, 3);
  const Hash256 root = trie->root_hash();
  SecureTrie* kept = trie.get();
  EXPECT_EQ(warm.take(root), nullptr);
  warm.keep(std::move(trie));
  EXPECT_EQ(warm.kept_root(), std::optional<Hash256>(root));
  EXPECT_EQ(warm.take(committed_trie(2, 3)->root_hash()), nullptr);  // another root
  EXPECT_EQ(warm.kept_root(), std::optional<Hash256>(root));         // which leaves it kept
  auto taken = warm.take(root);
  EXPECT_EQ(taken.get(), kept);
  EXPECT_EQ(warm.take(root), nullptr);  // moved out: nobody else gets it
  EXPECT_EQ(warm.kept_root(), std::nullopt);
}

TEST(WarmTries, KeepsTheNewest) {
  WarmTries warm;
  auto first = committed_trie(1, 2);
  auto second = committed_trie(2, 2);
  const Hash256 first_root = first->root_hash();
  const Hash256 second_root = second->root_hash();
  warm.keep(std::move(first));
  warm.keep(std::move(second));
  EXPECT_EQ(warm.take(first_root), nullptr);
  EXPECT_NE(warm.take(second_root), nullptr);
  warm.keep(nullptr);
  EXPECT_EQ(warm.kept_root(), std::nullopt);
}

TEST(WarmTries, DropsATrieThatMadeTooManyNodes) {
  WarmTries warm;
  auto small = committed_trie(1, 10);
  const Hash256 small_root = small->root_hash();
  warm.keep(std::move(small));
  auto big = committed_trie(2, WarmTries::kMaxNodes + 1);  // a node per new key at least
  ASSERT_GT(big->plain().nodes_made(), WarmTries::kMaxNodes);
  warm.keep(std::move(big));
  EXPECT_EQ(warm.kept_root(), std::optional<Hash256>(small_root));  // it displaced nothing
}

// nodes_made counts the nodes a trie made, loaded ones with their stubs.
TEST(WarmTries, TrieCountsTheNodesItMakes) {
  MemoryNodeStore store;
  SecureTrie fresh;
  EXPECT_EQ(fresh.plain().nodes_made(), 0U);
  fresh.put(address_of(1), Bytes{1});
  EXPECT_EQ(fresh.plain().nodes_made(), 1U);  // a leaf
  fresh.put(address_of(1), Bytes{2});
  EXPECT_EQ(fresh.plain().nodes_made(), 1U);  // changed in place
  fresh.put(address_of(2), Bytes{2});
  EXPECT_LE(fresh.plain().nodes_made(), 4U);
  EXPECT_GE(fresh.plain().nodes_made(), 3U);  // a branch and a second leaf, at least
  for (std::uint64_t i = 3; i < 300; ++i) fresh.put(address_of(i), Bytes{3});
  NodeBatch batch;
  const Hash256 root = fresh.commit(batch);
  store.put(batch);

  SecureTrie reopened(store, root);
  ASSERT_EQ(reopened.get(address_of(7)), std::optional<Bytes>(Bytes{3}));
  const Trie& plain = reopened.plain();
  // Each load makes the node and a stub per child: at least 16 for the
  // full root branch of 300 keys, and never fewer than the loads.
  EXPECT_GE(plain.nodes_made(), plain.nodes_loaded() + 16);
  EXPECT_LE(plain.nodes_made(), plain.nodes_loaded() * 17);
}

TEST(WarmTries, TheNextBlockReadsWhatTheLastOneTouchedWithoutTheStore) {
  WarmNodeStore store;
  Hash256 root = empty_trie_root();
  {
    StateDB block(store, root, StateUse::block);
    for (std::uint64_t i = 0; i < 200; ++i) block.set(address_of(i), Account{1, i + 1});
    NodeBatch batch;
    root = block.commit(batch);
    store.nodes.put(batch);
  }
  EXPECT_EQ(store.warm.kept_root(), std::optional<Hash256>(root));

  // A query at that root leaves the kept trie alone and reads the store.
  store.reads = 0;
  EXPECT_EQ(StateDB(store, root).get(address_of(7)), (Account{1, 8}));
  EXPECT_GT(store.reads, 0U);
  EXPECT_EQ(store.warm.kept_root(), std::optional<Hash256>(root));

  // The next block on that root takes it: the accounts are in memory.
  store.reads = 0;
  {
    StateDB block(store, root, StateUse::block);
    EXPECT_EQ(store.warm.kept_root(), std::nullopt);
    for (std::uint64_t i = 0; i < 200; ++i) EXPECT_EQ(block.get(address_of(i)), (Account{1, i + 1}));
    block.set(address_of(7), Account{2, 1});
    NodeBatch batch;
    root = block.commit(batch);
    store.nodes.put(batch);
  }
  EXPECT_EQ(store.reads, 0U);
  EXPECT_EQ(store.warm.kept_root(), std::optional<Hash256>(root));
}

TEST(WarmTries, AChangeNotCommittedIsNeverKept) {
  WarmNodeStore store;
  NodeBatch batch;
  StateDB first(store, empty_trie_root(), StateUse::block);
  first.set(address_of(1), Account{1, 1});
  const Hash256 root = first.commit(batch);
  store.nodes.put(batch);
  first.set(address_of(2), Account{1, 1});  // after the commit: the trie is not at `root` any more
  { StateDB gone = std::move(first); }
  EXPECT_EQ(store.warm.kept_root(), std::nullopt);

  {
    StateDB failed(store, root, StateUse::block);
    failed.set(address_of(1), Account{9, 9});
    (void)failed.root();  // written into the trie, then abandoned (an invalid block)
  }
  EXPECT_EQ(store.warm.kept_root(), std::nullopt);
  StateDB next(store, root, StateUse::block);
  EXPECT_EQ(next.get(address_of(1)), (Account{1, 1}));
  EXPECT_EQ(next.get(address_of(2)), Account{});
}

// Blocks of random writes (new accounts, repeated ones, deletions), some
// abandoned part-way: every root matches a StateDB that never reuses a trie,
// and each root reopens cold from the nodes the warm commits handed out.
TEST(WarmTries, WarmBlocksMatchColdOnesAndStoreEveryNode) {
  WarmNodeStore warm_store;
  MemoryNodeStore cold_store;
  std::mt19937_64 rng(8);
  std::map<std::uint64_t, Account> expected;
  Hash256 warm_root = empty_trie_root();
  Hash256 cold_root = empty_trie_root();
  for (int block = 0; block < 40; ++block) {
    if (block > 0) {  // the last block's trie waits for this one
      ASSERT_EQ(warm_store.warm.kept_root(), std::optional<Hash256>(warm_root));
    }
    if (block % 7 == 3) {  // an invalid block on the same parent, then the valid one
      StateDB abandoned(warm_store, warm_root, StateUse::block);
      abandoned.set(address_of(rng() % 50), Account{7, 7});
      (void)abandoned.root();
    }
    StateDB warm(warm_store, warm_root, StateUse::block);
    StateDB cold(cold_store, cold_root);
    for (int write = 0; write < 60; ++write) {
      const std::uint64_t id = rng() % (block < 20 ? 300 : 3000);
      const Account account = rng() % 9 == 0 ? Account{} : Account{rng() % 100, rng() % 1000 + 1};
      ASSERT_EQ(warm.get(address_of(id)), cold.get(address_of(id)));
      warm.set(address_of(id), account);
      cold.set(address_of(id), account);
      if (account.empty()) {
        expected.erase(id);
      } else {
        expected[id] = account;
      }
    }
    NodeBatch warm_nodes;
    NodeBatch cold_nodes;
    warm_root = warm.commit(warm_nodes);
    cold_root = cold.commit(cold_nodes);
    ASSERT_EQ(warm_root, cold_root) << "block " << block;
    warm_store.nodes.put(warm_nodes);
    cold_store.put(cold_nodes);

    // The warm store holds nothing but what the warm commits handed out.
    const StateDB reopened(warm_store.nodes, warm_root);
    for (const auto& [id, account] : expected) ASSERT_EQ(reopened.get(address_of(id)), account) << "block " << block;
  }
}

}  // namespace
}  // namespace tally::chain
