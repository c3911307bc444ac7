// Mempool caps: global count, queued, underpaid, bytes and the per-sender
// nonce window; eviction of the lowest payer, refusal of a newcomer that
// pays no more, demotion behind an evicted pending transaction.

#include <gtest/gtest.h>

#include "chain/mempool.hpp"
#include "mempool_test_util.hpp"

namespace tally::chain::test {
namespace {

class MempoolEvictionTest : public ::testing::Test, public PoolFixture {
 protected:
  void SetUp() override {
    for (std::size_t i = 0; i < 8; ++i) fund(i);
  }
  static MempoolOptions small(std::size_t max_txs) {
    MempoolOptions options;
    options.max_txs = max_txs;
    return options;
  }
};

TEST_F(MempoolEvictionTest, FullPoolEvictsTheLowestPayerAndRefusesACheaperNewcomer) {
  auto pool = this->pool(small(4));
  std::vector<Hash256> hashes;
  for (std::size_t i = 0; i < 4; ++i) {
    hashes.push_back(add_ok(*pool, signer(i), {.nonce = 0, .tip = U256(10 * (i + 1))}).hash);
  }
  const std::size_t bytes = pool->size_bytes();

  AddResult r = pool->add(make_tx(signer(4), {.nonce = 0, .tip = 5}), signer(4).address, 0);
  EXPECT_EQ(r.status, AddStatus::pool_full);
  EXPECT_EQ(r.message,
            "txpool is full: no cheaper transaction to evict (4 transactions, " + std::to_string(bytes) + " bytes)");
  // Paying the same as the cheapest is not enough either.
  r = pool->add(make_tx(signer(4), {.nonce = 0, .tip = 10}), signer(4).address, 0);
  EXPECT_EQ(r.status, AddStatus::pool_full);

  auto in = add_ok(*pool, signer(4), {.nonce = 0, .tip = 15});
  EXPECT_EQ(in.evicted, std::vector<Hash256>{hashes[0]});
  EXPECT_FALSE(pool->contains(hashes[0]));
  EXPECT_EQ(pool->pending_count(), 4U);

  EXPECT_EQ(pool->add(make_tx(signer(5), {.nonce = 0, .tip = 15}), signer(5).address, 0).status, AddStatus::pool_full);
  auto next = add_ok(*pool, signer(5), {.nonce = 0, .tip = 16});
  EXPECT_EQ(next.evicted, std::vector<Hash256>{in.hash});
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, EvictingAPendingTransactionDemotesTheSendersLaterNonces) {
  auto pool = this->pool(small(3));
  auto n0 = add_ok(*pool, signer(0), {.nonce = 0, .tip = 1});
  add_ok(*pool, signer(0), {.nonce = 1, .tip = 50});
  add_ok(*pool, signer(0), {.nonce = 2, .tip = 50});
  auto in = add_ok(*pool, signer(1), {.nonce = 0, .tip = 10});
  EXPECT_EQ(in.evicted, std::vector<Hash256>{n0.hash});
  EXPECT_EQ(pool->pending_count(), 1U);  // signer 1's
  EXPECT_EQ(pool->queued_count(), 2U);   // signer 0's nonces 1 and 2, behind the gap
  EXPECT_EQ(pool->pending_nonce(signer(0).address), 0U);
  EXPECT_TRUE(pool->best(0, kBlockGas).size() == 1);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, DemotionPastTheQueuedCapDropsTheCheapestQueued) {
  MempoolOptions options = small(3);
  options.max_queued = 1;
  auto pool = this->pool(options);
  auto n0 = add_ok(*pool, signer(0), {.nonce = 0, .tip = 1});
  add_ok(*pool, signer(0), {.nonce = 1, .tip = 50});
  auto n2 = add_ok(*pool, signer(0), {.nonce = 2, .tip = 50});
  auto in = add_ok(*pool, signer(1), {.nonce = 0, .tip = 10});
  // Equal tips: the later arrival goes first.
  EXPECT_EQ(in.evicted, (std::vector<Hash256>{n0.hash, n2.hash}));
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, RemovalPastTheQueuedCapDropsTheCheapestQueued) {
  MempoolOptions options;
  options.max_queued = 1;
  auto pool = this->pool(options);
  auto n0 = add_ok(*pool, signer(0), {.nonce = 0});
  auto n1 = add_ok(*pool, signer(0), {.nonce = 1, .tip = 20});
  add_ok(*pool, signer(0), {.nonce = 2, .tip = 10});
  ASSERT_TRUE(pool->remove(n0.hash));
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_TRUE(pool->contains(n1.hash));  // the better payer stays
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, NewcomerNeverEvictsItsOwnSender) {
  auto pool = this->pool(small(2));
  add_ok(*pool, signer(0), {.nonce = 0, .tip = 1});
  add_ok(*pool, signer(0), {.nonce = 1, .tip = 1});
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 2, .tip = 100}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::pool_full);
  // Another sender may evict them.
  auto in = add_ok(*pool, signer(1), {.nonce = 0, .tip = 100});
  EXPECT_EQ(in.evicted.size(), 1U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, FutureTransactionNeverEvictsExecutableOnes) {
  auto pool = this->pool(small(2));
  add_ok(*pool, signer(0), {.nonce = 0, .tip = 1});
  add_ok(*pool, signer(1), {.nonce = 0, .tip = 1});
  AddResult r = pool->add(make_tx(signer(2), {.nonce = 5, .tip = 100}), signer(2).address, 0);
  EXPECT_EQ(r.status, AddStatus::pool_full);
  auto in = add_ok(*pool, signer(2), {.nonce = 0, .tip = 100});
  EXPECT_TRUE(in.pending);
  EXPECT_EQ(in.evicted.size(), 1U);
}

TEST_F(MempoolEvictionTest, QueuedCapEvictsACheaperQueuedOrRefuses) {
  MempoolOptions options;
  options.max_queued = 2;
  auto pool = this->pool(options);
  auto q0 = add_ok(*pool, signer(0), {.nonce = 1, .tip = 5});
  add_ok(*pool, signer(1), {.nonce = 1, .tip = 6});
  auto in = add_ok(*pool, signer(2), {.nonce = 1, .tip = 7});
  EXPECT_EQ(in.evicted, std::vector<Hash256>{q0.hash});
  AddResult r = pool->add(make_tx(signer(3), {.nonce = 1, .tip = 6}), signer(3).address, 0);
  EXPECT_EQ(r.status, AddStatus::pool_full);
  // Pending transactions are not held back by the queued cap.
  add_ok(*pool, signer(3), {.nonce = 0, .tip = 1});
  EXPECT_EQ(pool->queued_count(), 2U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, ByteCapEvictsAsManyCheaperTransactionsAsNeeded) {
  MempoolOptions options;
  options.max_bytes = 1950;
  options.max_tx_bytes = 1500;
  auto pool = this->pool(options);
  auto a = add_ok(*pool, signer(0), {.nonce = 0, .tip = 1, .data_bytes = 500});
  auto b = add_ok(*pool, signer(1), {.nonce = 0, .tip = 2, .data_bytes = 500});
  ASSERT_LT(pool->size_bytes(), 1950U - 600U);

  // A big one paying no more than the cheapest cannot get in.
  EXPECT_EQ(pool->add(make_tx(signer(2), {.nonce = 0, .tip = 1, .data_bytes = 1300}), signer(2).address, 0).status,
            AddStatus::pool_full);
  auto big = add_ok(*pool, signer(2), {.nonce = 0, .tip = 3, .data_bytes = 1300});
  EXPECT_EQ(big.evicted, (std::vector<Hash256>{a.hash, b.hash}));
  EXPECT_LE(pool->size_bytes(), 1950U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, UnderpaidSetIsBounded) {
  MempoolOptions options;
  options.max_underpaid = 2;
  auto pool = this->pool(options, 100);
  auto u0 = add_ok(*pool, signer(0), {.nonce = 0, .fee_cap = 50, .tip = 5});
  add_ok(*pool, signer(1), {.nonce = 0, .fee_cap = 60, .tip = 5});
  EXPECT_EQ(pool->status().underpaid, 2U);

  auto u2 = add_ok(*pool, signer(2), {.nonce = 0, .fee_cap = 55, .tip = 5});
  EXPECT_EQ(u2.evicted, std::vector<Hash256>{u0.hash});
  EXPECT_EQ(pool->status().underpaid, 2U);

  AddResult r = pool->add(make_tx(signer(3), {.nonce = 0, .fee_cap = 40, .tip = 5}), signer(3).address, 0);
  EXPECT_EQ(r.status, AddStatus::underpriced);
  EXPECT_EQ(r.message,
            "transaction underpriced: max fee per gas 40 below base fee 100, and the underpaid set is full (2)");
  EXPECT_EQ(pool->add(make_tx(signer(3), {.nonce = 0, .fee_cap = 55, .tip = 5}), signer(3).address, 0).status,
            AddStatus::underpriced);
  // Paying transactions do not count against it.
  add_ok(*pool, signer(4), {.nonce = 0, .fee_cap = 200, .tip = 5});
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, UnderpaidAreEvictedFirst) {
  auto pool = this->pool(small(3), 100);
  auto u = add_ok(*pool, signer(0), {.nonce = 0, .fee_cap = 99, .tip = 99});
  add_ok(*pool, signer(1), {.nonce = 0, .fee_cap = 101, .tip = 1});
  add_ok(*pool, signer(2), {.nonce = 0, .fee_cap = 200, .tip = 1});
  // Tip 1, like the cheapest paying one: only the underpaid one is cheaper.
  auto in = add_ok(*pool, signer(3), {.nonce = 0, .fee_cap = 101, .tip = 1});
  EXPECT_EQ(in.evicted, std::vector<Hash256>{u.hash});
  EXPECT_EQ(pool->status().underpaid, 0U);
}

TEST_F(MempoolEvictionTest, BaseFeeRiseTrimsTheUnderpaidSet) {
  MempoolOptions options;
  options.max_underpaid = 1;
  auto pool = this->pool(options);
  auto p0 = add_ok(*pool, signer(0), {.nonce = 0, .fee_cap = 50, .tip = 5});
  auto p1 = add_ok(*pool, signer(1), {.nonce = 0, .fee_cap = 60, .tip = 5});
  add_ok(*pool, signer(2), {.nonce = 0, .fee_cap = 500, .tip = 5});
  HeadUpdate update = pool->on_new_head(head(100));
  EXPECT_EQ(update.evicted, 1U);
  EXPECT_FALSE(pool->contains(p0.hash));  // the lower fee cap goes
  EXPECT_TRUE(pool->contains(p1.hash));
  EXPECT_EQ(pool->status().underpaid, 1U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, PerSenderWindowCapsEachSender) {
  MempoolOptions options;
  options.max_txs_per_sender = 4;
  auto pool = this->pool(options);
  for (std::uint64_t n = 0; n < 4; ++n) add_ok(*pool, signer(0), {.nonce = n});
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 4}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::nonce_too_high);
  EXPECT_EQ(r.message, "nonce too high: next nonce 0, tx nonce 4, the pool holds at most 4 nonces per sender");
  // Two mined: the window slides.
  accounts->set(signer(0).address, 2, kRich);
  pool->on_new_head(head());
  add_ok(*pool, signer(0), {.nonce = 4});
  add_ok(*pool, signer(0), {.nonce = 5});
  EXPECT_EQ(pool->pending_count(), 4U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolEvictionTest, DefaultOptionsMatchTheDocumentedBounds) {
  const MempoolOptions options;
  EXPECT_EQ(options.max_txs, 6144U);
  EXPECT_EQ(options.max_queued, 1024U);
  EXPECT_EQ(options.max_underpaid, 512U);
  EXPECT_EQ(options.max_bytes, 32U * 1024 * 1024);
  EXPECT_EQ(options.max_txs_per_sender, 64U);
  EXPECT_EQ(options.max_tx_bytes, 128U * 1024);
  EXPECT_EQ(options.min_tip, 0);
  EXPECT_EQ(options.price_bump_percent, 10U);
  EXPECT_EQ(options.queued_lifetime_ms, 3U * 3600 * 1000);
}

}  // namespace
}  // namespace tally::chain::test
