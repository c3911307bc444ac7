#include "chain/pool_sync.hpp"

#include <gtest/gtest.h>

#include "chain_test_util.hpp"

namespace tally::chain {
namespace {

using test::build_block;
using test::dev_address;
using test::ether;
using test::transfer;

constexpr std::uint64_t kNow = 1'000'000'000;

class PoolSyncTest : public test::ChainTest {
 protected:
  PoolSyncTest() : ChainTest("pool-sync") {}
  void SetUp() override {
    ChainTest::SetUp();
    pool_ = std::make_unique<Mempool>(MempoolOptions{}, pool_head_state(*chain_));
  }
  void add(const Transaction& tx) {
    const auto r = pool_->add(tx, *recover_sender(tx), 0);
    ASSERT_TRUE(r.ok()) << r.message;
  }
  void import(const Block& b) {
    const auto r = chain_->import_block(b, kNow);
    ASSERT_TRUE(r.ok()) << r.error;
    if (r.head_change) sync_pool(*pool_, *chain_, *r.head_change, 0);
  }

  std::unique_ptr<Mempool> pool_;
};

TEST_F(PoolSyncTest, MinedTransactionsLeaveThePoolAndNonceFollowsHead) {
  const Transaction t0 = transfer(0, dev_address(5), ether(), 0);
  const Transaction t1 = transfer(0, dev_address(5), ether(), 1);
  add(t0);
  add(t1);
  EXPECT_EQ(pool_->pending_nonce(dev_address(0)), 2U);
  import(build_block(*chain_, genesis_.block.header, {t0}));
  EXPECT_FALSE(pool_->contains(tx_hash(t0)));
  EXPECT_TRUE(pool_->contains(tx_hash(t1)));
  EXPECT_EQ(pool_->pending_count(), 1U);
  EXPECT_EQ(pool_->pending_nonce(dev_address(0)), 2U);
}

TEST_F(PoolSyncTest, ReorgReturnsRemovedTransactionsUnlessTheNewBranchHasThem) {
  const Transaction only_in_a = transfer(0, dev_address(5), ether(), 0);
  const Transaction in_both = transfer(1, dev_address(6), ether(), 0);
  add(only_in_a);
  add(in_both);
  const Block a1 = build_block(*chain_, genesis_.block.header, {only_in_a, in_both}, 1);
  import(a1);
  EXPECT_EQ(pool_->pending_count(), 0U);

  const Block b1 = build_block(*chain_, genesis_.block.header, {in_both}, 2);
  import(b1);  // equal weight: side chain, pool unchanged
  EXPECT_EQ(pool_->pending_count(), 0U);
  const Block b2 = build_block(*chain_, b1.header, {}, 2);
  import(b2);  // reorg to B
  ASSERT_EQ(chain_->head().hash, block_hash(b2));
  EXPECT_TRUE(pool_->contains(tx_hash(only_in_a)));
  EXPECT_FALSE(pool_->contains(tx_hash(in_both)));
  EXPECT_EQ(pool_->pending_count(), 1U);
  // And a builder on the new head can mine it again.
  const auto best = pool_->best(next_base_fee(chain_->head_header()), chain_->config().gas_limit);
  ASSERT_EQ(best.size(), 1U);
  EXPECT_EQ(tx_hash(best[0]->tx), tx_hash(only_in_a));
}

}  // namespace
}  // namespace tally::chain
