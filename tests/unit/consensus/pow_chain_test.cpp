// The PoW engine under the chain manager: mined blocks import, and fork
// choice follows total difficulty rather than length.

#include <gtest/gtest.h>

#include <vector>

#include "../chain/chain_test_util.hpp"
#include "consensus/pow/engine.hpp"
#include "consensus/pow/miner.hpp"
#include "consensus/pow/seal.hpp"
#include "pow_test_util.hpp"

namespace tally::consensus::pow {
namespace {

class PowChainTest : public ::testing::Test {
 protected:
  PowChainTest()
      : dir_("pow-chain"),
        genesis_(test::pow_genesis("4096", "1")),
        engine_(test::pow_params(genesis_), genesis_.block.header) {}

  void SetUp() override {
    auto db = chain::Database::open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto chain = chain::ChainManager::open(*db_, genesis_, engine_);
    ASSERT_TRUE(chain.ok()) << chain.error().message;
    chain_ = std::move(chain).value();
  }

  // A valid, mined child of `parent` stamped `timestamp`, mined on 2 threads.
  chain::Block mined_block(const chain::Header& parent, std::uint64_t timestamp, std::uint8_t salt) {
    chain::Block block = test::build_block(*chain_, parent, {}, salt);
    block.header.timestamp = timestamp;
    write_seal(block.header, {engine_.next_difficulty(parent), 0});
    auto r = mine(block.header, test::miner_options(2));
    EXPECT_TRUE(r.ok() && r->outcome == MineOutcome::found);
    if (r.ok()) block.header = r->header;
    return block;
  }

  test::TempDir dir_;
  chain::Genesis genesis_;
  PowEngine engine_;
  std::unique_ptr<chain::Database> db_;
  std::unique_ptr<chain::ChainManager> chain_;
};

TEST_F(PowChainTest, MinedBlocksImport) {
  chain::Header tip = genesis_.block.header;
  U256 total = 4096;  // genesis weight
  for (int i = 0; i < 5; ++i) {
    const chain::Block b = mined_block(tip, tip.timestamp + 2, 0);
    const auto r = chain_->import_block(b, b.header.timestamp);
    ASSERT_EQ(r.status, chain::ImportStatus::new_head) << r.error;
    total += read_seal(b.header)->difficulty;
    tip = b.header;
  }
  EXPECT_EQ(chain_->head().number, 5U);
  EXPECT_EQ(chain_->head().total_weight, total);
  EXPECT_EQ(total, 6 * 4096);  // on schedule: the difficulty stays
  // The beneficiary got 5 block rewards.
  const auto account = chain_->account_at(Address{0xbe}, chain_->head().hash);
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->balance, U256(5) * U256("2000000000000000000"));
}

TEST_F(PowChainTest, UnsealedOrWrongDifficultyBlocksRefused) {
  const chain::Header& g = genesis_.block.header;
  chain::Block b = mined_block(g, 2, 0);
  chain::Block wrong = b;
  write_seal(wrong.header, {4095, 0});
  ASSERT_TRUE(mine(wrong.header, {}).ok());
  wrong.header = mine(wrong.header, {})->header;
  const auto r = chain_->import_block(wrong, 2);
  EXPECT_EQ(r.status, chain::ImportStatus::invalid);
  EXPECT_NE(r.error.find("is not the expected 4096"), std::string::npos) << r.error;
  // Stamped 100: fine for a clock at 85 or later, refused before (and not
  // remembered as invalid, so it imports once the clock catches up).
  const chain::Block later = mined_block(g, 100, 1);
  const auto ahead = chain_->import_block(later, 84);
  EXPECT_EQ(ahead.status, chain::ImportStatus::invalid);
  EXPECT_NE(ahead.error.find("in the future"), std::string::npos) << ahead.error;
  EXPECT_EQ(chain_->import_block(later, 85).status, chain::ImportStatus::new_head);
  EXPECT_EQ(chain_->import_block(b, 100).status, chain::ImportStatus::side_chain);  // same weight: first seen stays
}

TEST_F(PowChainTest, HeavierForkWithFewerBlocksWins) {
  const chain::Header& g = genesis_.block.header;
  // Branch A: 3 blocks, the first stamped 2000 s late, so its successors'
  // difficulty falls to 4096 * 2^(-1998/288) = 33.
  chain::Header tip = g;
  std::vector<chain::Block> branch_a;
  for (std::uint64_t ts : {2'000ULL, 2'002ULL, 2'004ULL}) {
    branch_a.push_back(mined_block(tip, ts, 1));
    ASSERT_EQ(chain_->import_block(branch_a.back(), 2'004).status, chain::ImportStatus::new_head);
    tip = branch_a.back().header;
  }
  const chain::Block& a1 = branch_a[0];
  const chain::Block& a2 = branch_a[1];
  EXPECT_EQ(chain_->head().number, 3U);
  const U256 weight_a = chain_->head().total_weight;
  EXPECT_EQ(read_seal(a2.header)->difficulty, engine_.next_difficulty(a1.header));
  EXPECT_LT(read_seal(a2.header)->difficulty, 40);

  // Branch B: 2 blocks on schedule, 4096 each: more work in fewer blocks.
  const chain::Block b1 = mined_block(g, 2, 2);
  EXPECT_EQ(chain_->import_block(b1, 2'004).status, chain::ImportStatus::side_chain);  // lighter than A so far
  const chain::Block b2 = mined_block(b1.header, 4, 2);
  const auto r = chain_->import_block(b2, 2'004);
  ASSERT_EQ(r.status, chain::ImportStatus::new_head) << r.error;
  ASSERT_TRUE(r.head_change.has_value());
  EXPECT_TRUE(r.head_change->is_reorg());
  EXPECT_EQ(r.head_change->removed.size(), 3U);
  EXPECT_EQ(chain_->head().number, 2U);
  EXPECT_EQ(chain_->head().hash, chain::block_hash(b2));
  EXPECT_GT(chain_->head().total_weight, weight_a);
}

}  // namespace
}  // namespace tally::consensus::pow
