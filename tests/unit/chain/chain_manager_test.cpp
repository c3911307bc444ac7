#include "chain/chain_manager.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chain/trie.hpp"
#include "chain_test_util.hpp"
#include "crypto/keccak.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using test::build_block;
using test::dev_address;
using test::ether;
using test::transfer;

constexpr std::uint64_t kNow = 1'000'000'000;

class ChainManagerTest : public test::ChainTest {
 protected:
  ChainManagerTest() : ChainTest("chain") {}

  // Imports `n` blocks on top of `parent`, returning them; each block's
  // salt is `salt` so parallel branches differ.
  std::vector<Block> extend(const Header& parent, int n, std::uint8_t salt) {
    std::vector<Block> blocks;
    Header tip = parent;
    for (int i = 0; i < n; ++i) {
      Block b = build_block(*chain_, tip, {}, salt);
      const auto r = chain_->import_block(b, kNow);
      EXPECT_TRUE(r.ok()) << r.error;
      tip = b.header;
      blocks.push_back(std::move(b));
    }
    return blocks;
  }
};

TEST_F(ChainManagerTest, NewDatadirStartsAtGenesis) {
  EXPECT_EQ(chain_->head().hash, genesis_.hash);
  EXPECT_EQ(chain_->head().number, 0U);
  EXPECT_EQ(chain_->store().canonical_hash(0), genesis_.hash);
  const auto funded = chain_->account_at(dev_address(0), genesis_.hash);
  ASSERT_TRUE(funded.has_value());
  EXPECT_EQ(funded->balance, U256(10'000) * ether());
}

TEST_F(ChainManagerTest, ExtendsAndResumesAtHeadAfterReopen) {
  const Block b1 = build_block(*chain_, genesis_.block.header, {transfer(0, dev_address(5), ether(), 0)});
  const auto r1 = chain_->import_block(b1, kNow);
  ASSERT_EQ(r1.status, ImportStatus::new_head) << r1.error;
  ASSERT_TRUE(r1.head_change.has_value());
  EXPECT_FALSE(r1.head_change->is_reorg());
  ASSERT_EQ(r1.head_change->added.size(), 1U);
  const Block b2 = build_block(*chain_, b1.header, {transfer(0, dev_address(5), ether(), 1)});
  ASSERT_EQ(chain_->import_block(b2, kNow).status, ImportStatus::new_head);

  open();
  EXPECT_EQ(chain_->head().number, 2U);
  EXPECT_EQ(chain_->head().hash, block_hash(b2));
  EXPECT_EQ(chain_->account_at(dev_address(5), block_hash(b2))->balance, U256(10'002) * ether());
  EXPECT_EQ(chain_->account_at(dev_address(5), block_hash(b1))->balance, U256(10'001) * ether());
  const auto location = chain_->store().tx_location(tx_hash(b2.transactions[0]));
  ASSERT_TRUE(location.has_value());
  EXPECT_EQ(location->block_hash, block_hash(b2));
  EXPECT_EQ(location->index, 0U);
}

TEST_F(ChainManagerTest, SecondImportIsAlreadyKnown) {
  const Block b1 = build_block(*chain_, genesis_.block.header, {});
  ASSERT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::new_head);
  const auto again = chain_->import_block(b1, kNow);
  EXPECT_EQ(again.status, ImportStatus::already_known);
  EXPECT_FALSE(again.head_change.has_value());
}

TEST_F(ChainManagerTest, DatadirOfAnotherGenesisIsRefusedUntouched) {
  const Block b1 = build_block(*chain_, genesis_.block.header, {});
  ASSERT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::new_head);
  chain_.reset();
  auto json = nlohmann::json::parse(dev_genesis_json());
  json["chainId"] = 4242;
  auto other = parse_genesis(json.dump());
  ASSERT_TRUE(other.ok()) << other.error().message;
  auto refused = ChainManager::open(*db_, *other, engine_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("another network"), std::string::npos) << refused.error().message;
  open();
  EXPECT_EQ(chain_->head().hash, block_hash(b1));
}

// The store checks a node read from disk against its hash (the trie then
// trusts what it hands out), and keeps only checked nodes in its cache.
TEST_F(ChainManagerTest, StoreRefusesATrieNodeThatDoesNotHashToItsKey) {
  const Bytes good = test::hex("c98320616183206161");  // any RLP will do: nodes are content-addressed
  const Bytes bad = test::hex("c98320616183206162");
  const Hash256 good_hash = crypto::keccak256(good);
  const Hash256 bad_hash = crypto::keccak256(test::hex("c0"));
  WriteBatch batch;
  ChainStore::put_nodes(batch, NodeBatch{{good_hash, good}, {bad_hash, bad}});
  db_->write(batch, true);

  ChainStore store(*db_);
  EXPECT_TRUE(store.nodes_are_checked());
  EXPECT_EQ(store.get_node(good_hash), std::optional<Bytes>(good));
  EXPECT_EQ(store.get_node(good_hash), std::optional<Bytes>(good));  // from the cache
  for (int attempt = 0; attempt < 2; ++attempt) {                    // the bad node was not cached either
    try {
      (void)store.get_node(bad_hash);
      ADD_FAILURE() << "corrupt node returned";
    } catch (const StateCorruption& e) {
      EXPECT_NE(std::string(e.what()).find("do not hash to it"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(store.get_node(crypto::keccak256(test::hex("c1c0"))), std::nullopt);
  // A trie over the store reports it as state corruption.
  const StateDB state(store, bad_hash);
  EXPECT_THROW((void)state.get(Address{}), StateCorruption);
}

TEST_F(ChainManagerTest, NewerSchemaIsRefused) {
  chain_.reset();
  WriteBatch batch;
  ChainStore::put_meta(batch, kSchemaVersion + 1, genesis_.hash);
  db_->write(batch, true);
  auto refused = ChainManager::open(*db_, genesis_, engine_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("newer"), std::string::npos) << refused.error().message;
}

// A schema-1 datadir (receipts in the consensus form under 'r') opens as it
// is, keeps its receipts readable, and is marked with this schema so an
// earlier build refuses it once this one has written to it. Opening it for
// another network changes nothing, not even the mark.
TEST_F(ChainManagerTest, SchemaOneDatadirIsReadAndMarked) {
  const Block b1 = build_block(*chain_, genesis_.block.header, {transfer(0, dev_address(5), ether(), 0)});
  ASSERT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::new_head);
  const auto receipts = chain_->store().receipts(block_hash(b1));
  ASSERT_TRUE(receipts.has_value());
  ASSERT_EQ(receipts->size(), 1U);
  chain_.reset();
  // Rewrite it as schema 1 wrote it.
  Bytes stored_key{'R'};
  append(stored_key, block_hash(b1));
  Bytes old_key{'r'};
  append(old_key, block_hash(b1));
  WriteBatch batch;
  batch.erase(stored_key);
  batch.put(old_key, encode_receipts(*receipts));
  ChainStore::put_schema(batch, 1);
  db_->write(batch, true);

  auto json = nlohmann::json::parse(dev_genesis_json());
  json["chainId"] = 4242;
  auto other = parse_genesis(json.dump());
  ASSERT_TRUE(other.ok()) << other.error().message;
  ASSERT_FALSE(ChainManager::open(*db_, *other, engine_).ok());
  EXPECT_EQ(ChainStore(*db_).schema_version(), std::optional<std::uint64_t>(1));

  open();
  EXPECT_EQ(chain_->store().schema_version(), std::optional<std::uint64_t>(kSchemaVersion));
  EXPECT_EQ(chain_->store().receipts(block_hash(b1)), receipts);
  const Block b2 = build_block(*chain_, b1.header, {transfer(0, dev_address(5), ether(), 1)});
  ASSERT_EQ(chain_->import_block(b2, kNow).status, ImportStatus::new_head);
  EXPECT_EQ(chain_->store().receipts(block_hash(b2))->size(), 1U);
  chain_.reset();
  open();  // and it stays open to this build
  EXPECT_EQ(chain_->head().hash, block_hash(b2));
}

TEST_F(ChainManagerTest, OrphanWaitsForItsParentThenConnects) {
  // Build three blocks on this datadir, then replay them out of order on a
  // fresh one.
  const auto blocks = extend(genesis_.block.header, 3, 0);
  const Block &b1 = blocks[0], &b2 = blocks[1], &b3 = blocks[2];
  chain_.reset();
  db_.reset();
  std::filesystem::remove_all(dir_.path());
  open();
  EXPECT_EQ(chain_->import_block(b3, kNow).status, ImportStatus::orphan);
  EXPECT_EQ(chain_->import_block(b2, kNow).status, ImportStatus::orphan);
  EXPECT_EQ(chain_->orphan_count(), 2U);
  const auto r = chain_->import_block(b1, kNow);
  EXPECT_EQ(r.status, ImportStatus::new_head);
  EXPECT_EQ(chain_->head().hash, block_hash(b3));
  EXPECT_EQ(chain_->orphan_count(), 0U);
  ASSERT_TRUE(r.head_change.has_value());
  EXPECT_EQ(r.head_change->added.size(), 3U);
}

TEST_F(ChainManagerTest, OrphanPoolIsBounded) {
  for (std::uint8_t i = 0; i < 200; ++i) {
    Block stray;
    stray.header.parent_hash = Hash256{i, 1};
    stray.header.number = 7;
    (void)chain_->import_block(stray, kNow);
  }
  EXPECT_LE(chain_->orphan_count(), ChainOptions{}.max_orphans);
  ChainOptions small;
  small.max_orphans = 3;
  chain_.reset();
  auto chain = ChainManager::open(*db_, genesis_, engine_, small);
  ASSERT_TRUE(chain.ok());
  for (std::uint8_t i = 0; i < 10; ++i) {
    Block stray;
    stray.header.parent_hash = Hash256{i, 2};
    (void)(*chain)->import_block(stray, kNow);
  }
  EXPECT_EQ((*chain)->orphan_count(), 3U);
}

TEST_F(ChainManagerTest, InvalidBlockIsRefusedAndItsChildrenToo) {
  Block bad = build_block(*chain_, genesis_.block.header, {transfer(0, dev_address(5), ether(), 0)});
  Block child_of_bad = build_block(*chain_, genesis_.block.header, {});  // placeholder, re-parented below
  bad.header.state_root[0] ^= 1;
  const auto r = chain_->import_block(bad, kNow);
  EXPECT_EQ(r.status, ImportStatus::invalid);
  EXPECT_NE(r.error.find("state root"), std::string::npos) << r.error;
  EXPECT_EQ(chain_->head().hash, genesis_.hash);
  EXPECT_FALSE(chain_->store().has_block(block_hash(bad)));
  child_of_bad.header.parent_hash = block_hash(bad);
  child_of_bad.header.number = 2;
  const auto rc = chain_->import_block(child_of_bad, kNow);
  EXPECT_EQ(rc.status, ImportStatus::invalid);
  EXPECT_NE(rc.error.find("parent is invalid"), std::string::npos) << rc.error;
}

TEST_F(ChainManagerTest, CheckedBlockIsNotStoredAndImportsWithItsOwnState) {
  const Block a = build_block(*chain_, genesis_.block.header, {transfer(0, dev_address(5), ether(), 0)}, 1);
  const Block b = build_block(*chain_, genesis_.block.header, {transfer(0, dev_address(6), ether(), 0)}, 2);
  ChainManager::BlockFault fault = ChainManager::BlockFault::header;
  ASSERT_TRUE(chain_->check_block(a, kNow, {}, &fault).ok());
  EXPECT_EQ(fault, ChainManager::BlockFault::none);
  EXPECT_FALSE(chain_->store().has_block(block_hash(a)));
  EXPECT_EQ(chain_->head().hash, genesis_.hash);
  // The kept execution belongs to `a` alone: its sibling imports with its own.
  ASSERT_EQ(chain_->import_block(b, kNow).status, ImportStatus::new_head);
  EXPECT_EQ(chain_->account_at(dev_address(6), block_hash(b))->balance, U256(10'001) * ether());
  EXPECT_EQ(chain_->account_at(dev_address(5), block_hash(b))->balance, U256(10'000) * ether());
  ASSERT_EQ(chain_->import_block(a, kNow).status, ImportStatus::side_chain);
  EXPECT_EQ(chain_->account_at(dev_address(5), block_hash(a))->balance, U256(10'001) * ether());
  // Checked, then imported: the same state as an import alone.
  const Block c = build_block(*chain_, b.header, {transfer(0, dev_address(7), ether(), 1)});
  ASSERT_TRUE(chain_->check_block(c, kNow).ok());
  ASSERT_EQ(chain_->import_block(c, kNow).status, ImportStatus::new_head);
  EXPECT_EQ(chain_->account_at(dev_address(7), block_hash(c))->balance, U256(10'001) * ether());
  open();
  EXPECT_EQ(chain_->head().hash, block_hash(c));
  EXPECT_EQ(chain_->account_at(dev_address(7), block_hash(c))->balance, U256(10'001) * ether());
}

// A block's new trie nodes go into the node cache only when no warm trie
// (the one its execution left at its root) holds them for the next block.
TEST_F(ChainManagerTest, WrittenNodesAreCachedOnlyWhenNoWarmTrieHoldsThem) {
  const Block b1 = build_block(*chain_, genesis_.block.header, {transfer(0, dev_address(5), ether(), 0)});
  ASSERT_TRUE(chain_->check_block(b1, kNow).ok());
  ASSERT_EQ(chain_->store().warm_tries()->kept_root(), b1.header.state_root);
  const std::size_t before = chain_->store().cached_nodes();
  ASSERT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::new_head);
  EXPECT_EQ(chain_->store().cached_nodes(), before);

  // Its warm trie taken (another execution holds it): the import caches them.
  const Block b2 = build_block(*chain_, b1.header, {transfer(0, dev_address(5), ether(), 1)});
  ASSERT_TRUE(chain_->check_block(b2, kNow).ok());
  ASSERT_NE(chain_->store().warm_tries()->take(b2.header.state_root), nullptr);
  const std::size_t before_second = chain_->store().cached_nodes();
  ASSERT_EQ(chain_->import_block(b2, kNow).status, ImportStatus::new_head);
  EXPECT_GT(chain_->store().cached_nodes(), before_second);

  // Either way each state reads back from a cold trie, after a reopen too.
  EXPECT_EQ(chain_->account_at(dev_address(5), block_hash(b1))->balance, U256(10'001) * ether());
  open();
  EXPECT_EQ(chain_->account_at(dev_address(5), block_hash(b2))->balance, U256(10'002) * ether());
}

TEST_F(ChainManagerTest, CheckSaysWhichRuleABlockBreaks) {
  Block bad = build_block(*chain_, genesis_.block.header, {transfer(0, dev_address(5), ether(), 0)});
  bad.header.state_root[0] ^= 1;
  ChainManager::BlockFault fault = ChainManager::BlockFault::none;
  auto checked = chain_->check_block(bad, kNow, {}, &fault);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(fault, ChainManager::BlockFault::results);
  EXPECT_NE(checked.error().message.find("state root"), std::string::npos) << checked.error().message;
  Block orphan = build_block(*chain_, genesis_.block.header, {});
  orphan.header.parent_hash[0] ^= 1;
  EXPECT_FALSE(chain_->check_block(orphan, kNow, {}, &fault).ok());
  EXPECT_EQ(fault, ChainManager::BlockFault::parent);
  Block early = build_block(*chain_, genesis_.block.header, {});
  early.header.number = 5;
  EXPECT_FALSE(chain_->check_block(early, kNow, {}, &fault).ok());
  EXPECT_EQ(fault, ChainManager::BlockFault::header);
  // A check changes nothing: the bad block is still refused on import.
  EXPECT_EQ(chain_->import_block(bad, kNow).status, ImportStatus::invalid);
  EXPECT_EQ(chain_->head().hash, genesis_.hash);
}

TEST_F(ChainManagerTest, SealRefusedByEngineIsInvalidButNotRemembered) {
  const Block b1 = build_block(*chain_, genesis_.block.header, {});
  engine_.refuse = true;
  EXPECT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::invalid);
  engine_.refuse = false;
  EXPECT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::new_head);
}

TEST_F(ChainManagerTest, HeavierBranchReorganisesAndReindexes) {
  const Transaction tx_a = transfer(0, dev_address(5), ether(), 0);
  const Transaction tx_b = transfer(1, dev_address(6), ether(), 0);
  const Block a1 = build_block(*chain_, genesis_.block.header, {tx_a, tx_b}, 1);
  ASSERT_EQ(chain_->import_block(a1, kNow).status, ImportStatus::new_head);
  const auto a_rest = extend(a1.header, 1, 1);  // branch A: height 2

  const Block b1 = build_block(*chain_, genesis_.block.header, {tx_b}, 2);  // B keeps only tx_b
  EXPECT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::side_chain);
  const Block b2 = build_block(*chain_, b1.header, {}, 2);
  EXPECT_EQ(chain_->import_block(b2, kNow).status, ImportStatus::side_chain);  // equal weight: first seen stays
  EXPECT_EQ(chain_->head().hash, block_hash(a_rest.back()));
  const Block b3 = build_block(*chain_, b2.header, {}, 2);
  const auto r = chain_->import_block(b3, kNow);
  ASSERT_EQ(r.status, ImportStatus::new_head) << r.error;
  EXPECT_EQ(chain_->head().hash, block_hash(b3));
  ASSERT_TRUE(r.head_change.has_value());
  ASSERT_TRUE(r.head_change->is_reorg());
  ASSERT_EQ(r.head_change->removed.size(), 2U);
  EXPECT_EQ(block_hash(r.head_change->removed[0]), block_hash(a_rest.back()));
  EXPECT_EQ(block_hash(r.head_change->removed[1]), block_hash(a1));
  ASSERT_EQ(r.head_change->added.size(), 3U);
  EXPECT_EQ(block_hash(r.head_change->added[0]), block_hash(b1));

  // Indexes follow the new branch: tx_a is gone, tx_b moved.
  EXPECT_FALSE(chain_->store().tx_location(tx_hash(tx_a)).has_value());
  EXPECT_EQ(chain_->store().tx_location(tx_hash(tx_b))->block_hash, block_hash(b1));
  for (std::uint64_t n = 1; n <= 3; ++n) {
    const Hash256 expected = block_hash(n == 1 ? b1 : n == 2 ? b2 : b3);
    EXPECT_EQ(chain_->store().canonical_hash(n), expected) << n;
  }
  EXPECT_EQ(chain_->account_at(dev_address(5), chain_->head().hash)->balance, U256(10'000) * ether());

  open();  // the reorg survives a restart
  EXPECT_EQ(chain_->head().hash, block_hash(b3));
}

TEST_F(ChainManagerTest, ShorterNewHeadClearsHigherCanonicalEntries) {
  // Branch A is longer but B is heavier: weights come from the engine, so
  // make B heavier by giving it more blocks, then check A's extra heights go.
  const auto a = extend(genesis_.block.header, 3, 1);
  const auto b = extend(genesis_.block.header, 4, 2);
  EXPECT_EQ(chain_->head().hash, block_hash(b.back()));
  EXPECT_EQ(chain_->store().canonical_hash(4), block_hash(b.back()));
  const auto more_a = extend(a.back().header, 2, 1);  // A: 5 > 4
  EXPECT_EQ(chain_->head().hash, block_hash(more_a.back()));
  EXPECT_EQ(chain_->store().canonical_hash(5), block_hash(more_a.back()));
  EXPECT_EQ(chain_->store().canonical_hash(1), block_hash(a.front()));
}

TEST_F(ChainManagerTest, DeepReorgOfFiftyBlocks) {
  const auto a = extend(genesis_.block.header, 50, 1);
  const auto b = extend(genesis_.block.header, 51, 2);
  EXPECT_EQ(chain_->head().hash, block_hash(b.back()));
  for (std::uint64_t n = 1; n <= 51; ++n) EXPECT_EQ(chain_->store().canonical_hash(n), block_hash(b[n - 1]));
}

TEST_F(ChainManagerTest, InvalidBlockInHeavierBranchLeavesHeadOnBestValidChain) {
  const auto a = extend(genesis_.block.header, 2, 1);
  const Block b1 = build_block(*chain_, genesis_.block.header, {}, 2);
  ASSERT_EQ(chain_->import_block(b1, kNow).status, ImportStatus::side_chain);
  Block b2 = build_block(*chain_, b1.header, {transfer(0, dev_address(7), ether(), 0)}, 2);
  b2.header.gas_used += 1;  // invalid
  EXPECT_EQ(chain_->import_block(b2, kNow).status, ImportStatus::invalid);
  Block b3;
  b3.header.parent_hash = block_hash(b2);
  b3.header.number = 3;
  EXPECT_EQ(chain_->import_block(b3, kNow).status, ImportStatus::invalid);
  EXPECT_EQ(chain_->head().hash, block_hash(a.back()));
}

class FinalityEngine final : public Engine {
 public:
  std::string_view name() const override { return "final"; }
  Result<void> verify_header(const Header&, const Header&, const HeaderReader&, std::uint64_t) const override {
    return {};
  }
  U256 weight(const Header&) const override { return 1; }
  U256 block_reward(std::uint64_t) const override { return 0; }
  bool has_finality() const override { return true; }
  Result<void> verify_finality(const Header&, BytesView certificate) const override {
    if (certificate.size() == 1 && certificate[0] == 0xcc) return {};
    return fail("bad certificate");
  }
};

TEST_F(ChainManagerTest, NoReorgBelowAFinalBlock) {
  FinalityEngine final_engine;
  chain_.reset();
  auto chain = ChainManager::open(*db_, genesis_, final_engine);
  ASSERT_TRUE(chain.ok());
  chain_ = std::move(chain).value();
  const auto a = extend(genesis_.block.header, 2, 1);
  EXPECT_FALSE(chain_->finalize(block_hash(a[1]), std::vector<std::uint8_t>{0x00}).ok());
  ASSERT_TRUE(chain_->finalize(block_hash(a[1]), std::vector<std::uint8_t>{0xcc}).ok());
  EXPECT_EQ(chain_->finalized_number(), 2U);
  const auto b = extend(genesis_.block.header, 4, 2);  // heavier, but forks below height 2
  EXPECT_EQ(chain_->head().hash, block_hash(a.back()));
  EXPECT_EQ(chain_->store().canonical_hash(1), block_hash(a.front()));
  // The certificate and the final height survive a restart.
  chain_.reset();
  auto reopened = ChainManager::open(*db_, genesis_, final_engine);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->finalized_number(), 2U);
  EXPECT_TRUE((*reopened)->store().finality_certificate(block_hash(a[1])).has_value());
  chain_ = std::move(reopened).value();
  const auto more_a = extend(a.back().header, 1, 1);  // extending above final is fine
  EXPECT_EQ(chain_->head().hash, block_hash(more_a.back()));
  chain_.reset();  // before final_engine goes out of scope
}

}  // namespace
}  // namespace tally::chain
