// Mempool: admission and its refusals (Ethereum's wording), replacement,
// nonce ordering, new heads, reorg reinjection, block selection, queries.
// Caps and eviction: mempool_eviction_test.cpp; randomized invariants and
// threads: mempool_random_test.cpp.

#include "chain/mempool.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "mempool_test_util.hpp"

namespace tally::chain::test {
namespace {

class MempoolTest : public ::testing::Test, public PoolFixture {
 protected:
  void SetUp() override {
    for (std::size_t i = 0; i < 6; ++i) fund(i);
  }
};

std::vector<Hash256> hashes_of(const std::vector<PooledTxPtr>& txs) {
  std::vector<Hash256> out;
  for (const auto& ptx : txs) out.push_back(ptx->hash);
  return out;
}

// ---------------------------------------------------------------- admission

TEST_F(MempoolTest, AddsPendingThenQueuedAndPromotesWhenTheGapFills) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  auto r0 = add_ok(*pool, a, {.nonce = 0});
  EXPECT_TRUE(r0.pending);
  EXPECT_EQ(r0.message, "added");
  auto r2 = add_ok(*pool, a, {.nonce = 2});
  EXPECT_FALSE(r2.pending);
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_EQ(pool->pending_nonce(a.address), 1U);

  auto r1 = add_ok(*pool, a, {.nonce = 1});
  EXPECT_TRUE(r1.pending);
  EXPECT_EQ(pool->pending_count(), 3U);
  EXPECT_EQ(pool->queued_count(), 0U);
  EXPECT_EQ(pool->pending_nonce(a.address), 3U);

  SenderContent content = pool->content_of(a.address);
  ASSERT_EQ(content.pending.size(), 3U);
  for (std::uint64_t n = 0; n < 3; ++n) EXPECT_EQ(content.pending[n]->tx.nonce, n);
  EXPECT_TRUE(content.queued.empty());
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, SecondAddOfTheSameTransactionIsAlreadyKnownAndChangesNothing) {
  auto pool = this->pool();
  const Transaction tx = make_tx(signer(0), {.nonce = 0});
  ASSERT_TRUE(pool->add(tx, signer(0).address, 1).ok());
  const MempoolStatus before = pool->status();

  AddResult again = pool->add(tx, signer(0).address, 2);
  EXPECT_EQ(again.status, AddStatus::already_known);
  EXPECT_EQ(again.message, "already known");
  EXPECT_EQ(again.hash, tx_hash(tx));
  const MempoolStatus after = pool->status();
  EXPECT_EQ(after.pending, before.pending);
  EXPECT_EQ(after.queued, before.queued);
  EXPECT_EQ(after.bytes, before.bytes);
  EXPECT_EQ(pool->get(tx_hash(tx))->added_ms, 1U);  // the first arrival stays
}

TEST_F(MempoolTest, GetContainsAndSize) {
  auto pool = this->pool();
  const Transaction tx = make_tx(signer(0), {.nonce = 0, .data_bytes = 10});
  const Hash256 hash = tx_hash(tx);
  EXPECT_FALSE(pool->contains(hash));
  EXPECT_EQ(pool->get(hash), nullptr);
  ASSERT_TRUE(pool->add(tx, signer(0).address, 7).ok());
  EXPECT_TRUE(pool->contains(hash));
  PooledTxPtr got = pool->get(hash);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->tx, tx);
  EXPECT_EQ(got->sender, signer(0).address);
  EXPECT_EQ(got->size, encoded_size(tx));
  EXPECT_EQ(got->cost, U256(tx.gas_limit) * tx.max_fee_per_gas);
  EXPECT_EQ(pool->size_bytes(), encoded_size(tx));
}

// ---------------------------------------------------------------- refusals, exact wording

TEST_F(MempoolTest, RefusesNonceTooLow) {
  fund(0, 5);
  auto pool = this->pool();
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 3}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::nonce_too_low);
  EXPECT_EQ(r.message, "nonce too low: next nonce 5, tx nonce 3");
  EXPECT_EQ(pool->status().pending + pool->status().queued, 0U);
}

TEST_F(MempoolTest, RefusesNonceBeyondTheSenderWindow) {
  auto pool = this->pool();  // max_txs_per_sender = 64
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 64}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::nonce_too_high);
  EXPECT_EQ(r.message, "nonce too high: next nonce 0, tx nonce 64, the pool holds at most 64 nonces per sender");
  add_ok(*pool, signer(0), {.nonce = 63});  // the last nonce of the window, queued
  EXPECT_EQ(pool->queued_count(), 1U);
}

TEST_F(MempoolTest, RefusesInsufficientFunds) {
  fund(0, 0, 21'000 * 100 - 1);
  auto pool = this->pool();
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 0, .fee_cap = 100}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::insufficient_funds);
  EXPECT_EQ(r.message, "insufficient funds for gas * price + value: balance 2099999, tx cost 2100000, overshot 1");

  // The value counts too.
  fund(1, 0, 21'000 * 100);
  r = pool->add(make_tx(signer(1), {.nonce = 0, .fee_cap = 100, .value = 1}), signer(1).address, 0);
  EXPECT_EQ(r.status, AddStatus::insufficient_funds);
  EXPECT_EQ(r.message, "insufficient funds for gas * price + value: balance 2100000, tx cost 2100001, overshot 1");
}

TEST_F(MempoolTest, RefusesWhenTheSendersOtherTransactionsUseTheBalance) {
  fund(0, 0, 21'000 * 100 * 2 - 1);
  auto pool = this->pool();
  add_ok(*pool, signer(0), {.nonce = 0, .fee_cap = 100});
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 1, .fee_cap = 100}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::insufficient_funds);
  EXPECT_EQ(r.message,
            "insufficient funds for gas * price + value: balance 4199999, queued cost 2100000, tx cost 2100000, "
            "overshot 1");
}

TEST_F(MempoolTest, RefusesCostBeyond256Bits) {
  auto pool = this->pool();
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 0, .value = u256_max()}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::insufficient_funds);
  EXPECT_EQ(r.message, "insufficient funds for gas * price + value: tx cost does not fit 256 bits");
}

TEST_F(MempoolTest, RefusesTipBelowTheMinimum) {
  MempoolOptions options;
  options.min_tip = 5;
  auto pool = this->pool(options);
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 0, .tip = 4}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::underpriced);
  EXPECT_EQ(r.message, "transaction underpriced: gas tip cap 4, minimum needed 5");
  add_ok(*pool, signer(0), {.nonce = 0, .tip = 5});
}

TEST_F(MempoolTest, DefaultMinTipIsZero) {
  auto pool = this->pool();
  add_ok(*pool, signer(0), {.nonce = 0, .fee_cap = 0, .tip = 0});
}

TEST_F(MempoolTest, RefusesGasAboveTheBlockGasLimit) {
  auto pool = this->pool({}, 0, 100'000);
  AddResult r = pool->add(make_tx(signer(0), {.nonce = 0, .gas = 100'001}), signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::gas_limit_exceeded);
  EXPECT_EQ(r.message, "exceeds block gas limit: tx gas 100001, block gas limit 100000");
  add_ok(*pool, signer(0), {.nonce = 0, .gas = 100'000});
}

TEST_F(MempoolTest, RefusesOversizedData) {
  MempoolOptions options;
  options.max_tx_bytes = 1000;
  auto pool = this->pool(options);
  const Transaction tx = make_tx(signer(0), {.nonce = 0, .data_bytes = 1000});
  AddResult r = pool->add(tx, signer(0).address, 0);
  EXPECT_EQ(r.status, AddStatus::oversized_data);
  EXPECT_EQ(r.message, "oversized data: transaction size " + std::to_string(encoded_size(tx)) + ", limit 1000");
  add_ok(*pool, signer(0), {.nonce = 0, .data_bytes = 800});
}

TEST_F(MempoolTest, StatusWordsAreEthereums) {
  EXPECT_EQ(to_string(AddStatus::already_known), "already known");
  EXPECT_EQ(to_string(AddStatus::nonce_too_low), "nonce too low");
  EXPECT_EQ(to_string(AddStatus::nonce_too_high), "nonce too high");
  EXPECT_EQ(to_string(AddStatus::insufficient_funds), "insufficient funds for gas * price + value");
  EXPECT_EQ(to_string(AddStatus::underpriced), "transaction underpriced");
  EXPECT_EQ(to_string(AddStatus::replacement_underpriced), "replacement transaction underpriced");
  EXPECT_EQ(to_string(AddStatus::gas_limit_exceeded), "exceeds block gas limit");
  EXPECT_EQ(to_string(AddStatus::oversized_data), "oversized data");
  EXPECT_EQ(to_string(AddStatus::pool_full), "txpool is full");
}

TEST_F(MempoolTest, RefusesBadConstruction) {
  EXPECT_THROW({ Mempool p({}, HeadState{0, kBlockGas, nullptr}); }, std::invalid_argument);
  MempoolOptions options;
  options.max_tx_bytes = options.max_bytes + 1;
  EXPECT_THROW({ Mempool p(options, head()); }, std::invalid_argument);
  options = {};
  options.max_txs = 0;
  EXPECT_THROW({ Mempool p(options, head()); }, std::invalid_argument);
}

// ---------------------------------------------------------------- replacement

TEST_F(MempoolTest, ReplacementNeedsTenPercentOnBothCaps) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  auto old = add_ok(*pool, a, {.nonce = 0, .fee_cap = 200, .tip = 100});

  // +9% on both: refused.
  AddResult r = pool->add(make_tx(a, {.nonce = 0, .fee_cap = 218, .tip = 109}), a.address, 0);
  EXPECT_EQ(r.status, AddStatus::replacement_underpriced);
  EXPECT_EQ(r.message,
            "replacement transaction underpriced: fee cap 218 and tip cap 109 must be at least 10% above 200 and 100");
  // +10% on one cap only: refused.
  r = pool->add(make_tx(a, {.nonce = 0, .fee_cap = 220, .tip = 109}), a.address, 0);
  EXPECT_EQ(r.status, AddStatus::replacement_underpriced);
  r = pool->add(make_tx(a, {.nonce = 0, .fee_cap = 219, .tip = 110}), a.address, 0);
  EXPECT_EQ(r.status, AddStatus::replacement_underpriced);
  EXPECT_TRUE(pool->contains(old.hash));

  // Exactly +10% on both: accepted, the old one is gone.
  const Transaction bumped = make_tx(a, {.nonce = 0, .fee_cap = 220, .tip = 110});
  r = pool->add(bumped, a.address, 0);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_TRUE(r.replaced.has_value());
  EXPECT_EQ(*r.replaced, old.hash);
  EXPECT_TRUE(r.pending);
  EXPECT_FALSE(pool->contains(old.hash));
  EXPECT_TRUE(pool->contains(tx_hash(bumped)));
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_EQ(pool->size_bytes(), encoded_size(bumped));
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, ReplacementOfZeroPricesMustStillRaiseThem) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  add_ok(*pool, a, {.nonce = 0, .fee_cap = 0, .tip = 0});
  AddResult r = pool->add(make_tx(a, {.nonce = 0, .fee_cap = 0, .tip = 0, .value = 1}), a.address, 0);
  EXPECT_EQ(r.status, AddStatus::replacement_underpriced);
  add_ok(*pool, a, {.nonce = 0, .fee_cap = 1, .tip = 1});
}

TEST_F(MempoolTest, ReplacementBumpIsConfigurable) {
  MempoolOptions options;
  options.price_bump_percent = 50;
  auto pool = this->pool(options);
  const Signer& a = signer(0);
  add_ok(*pool, a, {.nonce = 0, .fee_cap = 100, .tip = 100});
  EXPECT_EQ(pool->add(make_tx(a, {.nonce = 0, .fee_cap = 149, .tip = 149}), a.address, 0).status,
            AddStatus::replacement_underpriced);
  add_ok(*pool, a, {.nonce = 0, .fee_cap = 150, .tip = 150});
}

TEST_F(MempoolTest, ReplacementKeepsQueuedStateAndCountsTheBalanceOnce) {
  // Balance for one transaction at the bumped price: the replaced one's cost
  // is not counted twice.
  fund(0, 0, 21'000 * 220);
  auto pool = this->pool();
  const Signer& a = signer(0);
  add_ok(*pool, a, {.nonce = 0, .fee_cap = 200, .tip = 100});
  auto r = add_ok(*pool, a, {.nonce = 0, .fee_cap = 220, .tip = 110});
  EXPECT_TRUE(r.pending);

  auto q = add_ok(*pool, signer(1), {.nonce = 3, .fee_cap = 200, .tip = 100});
  EXPECT_FALSE(q.pending);
  auto q2 = add_ok(*pool, signer(1), {.nonce = 3, .fee_cap = 220, .tip = 110});
  EXPECT_FALSE(q2.pending);
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_TRUE(pool_consistent(*pool));
}

// ---------------------------------------------------------------- removal and demotion

TEST_F(MempoolTest, RemovingAPendingTransactionDemotesTheLaterOnes) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  add_ok(*pool, a, {.nonce = 0});
  auto r1 = add_ok(*pool, a, {.nonce = 1});
  add_ok(*pool, a, {.nonce = 2});
  ASSERT_EQ(pool->pending_count(), 3U);
  EXPECT_TRUE(pool->remove(r1.hash));
  EXPECT_FALSE(pool->remove(r1.hash));
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_EQ(pool->pending_nonce(a.address), 1U);
  // Sending nonce 1 again closes the gap.
  add_ok(*pool, a, {.nonce = 1, .tip = 11});
  EXPECT_EQ(pool->pending_count(), 3U);
  EXPECT_TRUE(pool_consistent(*pool));
}

// ---------------------------------------------------------------- new heads

TEST_F(MempoolTest, NewHeadRemovesMinedTransactions) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  std::vector<Hash256> hashes;
  for (std::uint64_t n = 0; n < 4; ++n) hashes.push_back(add_ok(*pool, a, {.nonce = n}).hash);
  accounts->set(a.address, 2, kRich);  // nonces 0 and 1 mined
  HeadUpdate update = pool->on_new_head(head());
  EXPECT_EQ(update.removed_stale, 2U);
  EXPECT_EQ(update.senders_checked, 1U);
  EXPECT_FALSE(pool->contains(hashes[0]));
  EXPECT_FALSE(pool->contains(hashes[1]));
  EXPECT_TRUE(pool->contains(hashes[2]));
  EXPECT_EQ(pool->pending_count(), 2U);
  EXPECT_EQ(pool->pending_nonce(a.address), 4U);

  accounts->set(a.address, 4, kRich);
  update = pool->on_new_head(head());
  EXPECT_EQ(update.removed_stale, 2U);
  EXPECT_EQ(pool->status().senders, 0U);
  EXPECT_EQ(pool->size_bytes(), 0U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, NewHeadPromotesQueuedWhenTheAccountNonceCatchesUp) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  add_ok(*pool, a, {.nonce = 1});
  add_ok(*pool, a, {.nonce = 2});
  ASSERT_EQ(pool->queued_count(), 2U);
  accounts->set(a.address, 1, kRich);  // nonce 0 was mined from elsewhere
  HeadUpdate update = pool->on_new_head(head());
  EXPECT_EQ(update.promoted, 2U);
  EXPECT_EQ(pool->pending_count(), 2U);
  EXPECT_EQ(pool->queued_count(), 0U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, NewHeadDropsUnaffordableAndDemotesBehindThem) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  auto r0 = add_ok(*pool, a, {.nonce = 0, .fee_cap = 1, .tip = 1});
  auto r1 = add_ok(*pool, a, {.nonce = 1, .fee_cap = 1, .tip = 1, .value = 1'000'000});
  auto r2 = add_ok(*pool, a, {.nonce = 2, .fee_cap = 1, .tip = 1});
  // The balance now covers tx 0 and tx 2, not tx 1 as well.
  accounts->set(a.address, 0, 21'000 * 2 + 500'000);
  HeadUpdate update = pool->on_new_head(head());
  EXPECT_EQ(update.removed_unaffordable, 1U);
  EXPECT_EQ(update.demoted, 1U);
  EXPECT_TRUE(pool->contains(r0.hash));
  EXPECT_FALSE(pool->contains(r1.hash));
  EXPECT_TRUE(pool->contains(r2.hash));
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, NewHeadDropsTransactionsAboveALoweredGasLimit) {
  auto pool = this->pool();
  add_ok(*pool, signer(0), {.nonce = 0, .gas = 50'000});
  add_ok(*pool, signer(0), {.nonce = 1, .gas = 21'000});
  add_ok(*pool, signer(1), {.nonce = 0, .gas = 21'000});
  HeadUpdate update = pool->on_new_head(head(0, 40'000), std::span<const Address>{});
  EXPECT_EQ(update.removed_gas_limit, 1U);
  EXPECT_EQ(update.demoted, 1U);
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, NewHeadRevalidatesOnlyTouchedSenders) {
  auto pool = this->pool();
  add_ok(*pool, signer(0), {.nonce = 0});
  add_ok(*pool, signer(1), {.nonce = 0});
  accounts->set(signer(0).address, 1, kRich);
  accounts->set(signer(1).address, 1, kRich);
  const std::vector<Address> touched{signer(0).address, signer(5).address};  // 5 holds nothing
  HeadUpdate update = pool->on_new_head(head(), touched);
  EXPECT_EQ(update.senders_checked, 1U);
  EXPECT_EQ(update.removed_stale, 1U);
  EXPECT_EQ(pool->pending_count(), 1U);  // signer 1 was not named: still there

  // Its next add reads the fresh state and brings the sender in line.
  add_ok(*pool, signer(1), {.nonce = 1});
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_EQ(pool->pending_nonce(signer(1).address), 2U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, NewHeadReSortsByTheNewBaseFee) {
  auto pool = this->pool();
  add_ok(*pool, signer(0), {.nonce = 0, .fee_cap = 50, .tip = 5});
  add_ok(*pool, signer(1), {.nonce = 0, .fee_cap = 500, .tip = 5});
  EXPECT_EQ(pool->status().underpaid, 0U);
  pool->on_new_head(head(100));
  EXPECT_EQ(pool->status().underpaid, 1U);
  pool->on_new_head(head(10));
  EXPECT_EQ(pool->status().underpaid, 0U);
  EXPECT_TRUE(pool_consistent(*pool));
}

TEST_F(MempoolTest, ExpireDropsQueuedOfIdleSendersOnly) {
  MempoolOptions options;
  options.queued_lifetime_ms = 1000;
  auto pool = this->pool(options);
  add_ok(*pool, signer(0), {.nonce = 0}, 0);
  add_ok(*pool, signer(0), {.nonce = 2}, 0);
  add_ok(*pool, signer(1), {.nonce = 5}, 600);
  EXPECT_EQ(pool->expire(999), 0U);
  EXPECT_EQ(pool->expire(1000), 1U);  // signer 0's queued nonce 2
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_EQ(pool->queued_count(), 1U);
  EXPECT_EQ(pool->expire(1600), 1U);
  EXPECT_EQ(pool->queued_count(), 0U);
  EXPECT_EQ(pool->pending_count(), 1U);
  EXPECT_TRUE(pool_consistent(*pool));
}

// ---------------------------------------------------------------- reorgs

TEST_F(MempoolTest, ReinjectPutsBackTransactionsOfAbandonedBlocks) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  const Transaction t0 = make_tx(a, {.nonce = 0});
  const Transaction t1 = make_tx(a, {.nonce = 1});
  const Transaction t2 = make_tx(a, {.nonce = 2});
  for (const auto& tx : {t0, t1, t2}) ASSERT_TRUE(pool->add(tx, a.address, 0).ok());
  // Block A mines all three.
  accounts->set(a.address, 3, kRich);
  pool->on_new_head(head());
  EXPECT_EQ(pool->status().senders, 0U);

  // Reorg to a branch that mined only t0: t1 and t2 come back, t0 is stale.
  accounts->set(a.address, 1, kRich);
  pool->on_new_head(head());
  std::vector<RecoveredTx> removed{{t2, a.address}, {t0, a.address}, {t1, a.address}};  // any order
  EXPECT_EQ(pool->reinject(removed, 10), 2U);
  EXPECT_FALSE(pool->contains(tx_hash(t0)));
  EXPECT_TRUE(pool->contains(tx_hash(t1)));
  EXPECT_TRUE(pool->contains(tx_hash(t2)));
  EXPECT_EQ(pool->pending_count(), 2U);
  EXPECT_EQ(pool->pending_nonce(a.address), 3U);

  // Reinjecting what is already there adds nothing.
  EXPECT_EQ(pool->reinject({{t1, a.address}}, 11), 0U);
  EXPECT_TRUE(pool_consistent(*pool));
}

// ---------------------------------------------------------------- block selection

TEST_F(MempoolTest, BestOrdersByTipAcrossSendersKeepingNonceOrder) {
  auto pool = this->pool();
  const Signer& a = signer(0);
  const Signer& b = signer(1);
  auto a0 = add_ok(*pool, a, {.nonce = 0, .fee_cap = 100, .tip = 5});
  auto a1 = add_ok(*pool, a, {.nonce = 1, .fee_cap = 100, .tip = 9});
  auto b0 = add_ok(*pool, b, {.nonce = 0, .fee_cap = 100, .tip = 7});
  auto b1 = add_ok(*pool, b, {.nonce = 1, .fee_cap = 100, .tip = 1});
  add_ok(*pool, b, {.nonce = 3, .fee_cap = 100, .tip = 50});  // queued: never selected

  const auto best = pool->best(0, kBlockGas);
  EXPECT_EQ(hashes_of(best), (std::vector<Hash256>{b0.hash, a0.hash, a1.hash, b1.hash}));
  EXPECT_EQ(hashes_of(pool->best(0, kBlockGas, 2)), (std::vector<Hash256>{b0.hash, a0.hash}));
  EXPECT_TRUE(pool->best(0, kBlockGas, 0).empty());
}

TEST_F(MempoolTest, BestBreaksTipTiesByArrival) {
  auto pool = this->pool();
  auto first = add_ok(*pool, signer(2), {.nonce = 0, .tip = 5});
  auto second = add_ok(*pool, signer(1), {.nonce = 0, .tip = 5});
  auto third = add_ok(*pool, signer(0), {.nonce = 0, .tip = 5});
  EXPECT_EQ(hashes_of(pool->best(0, kBlockGas)), (std::vector<Hash256>{first.hash, second.hash, third.hash}));
}

TEST_F(MempoolTest, BestSkipsATransactionTooBigAndPacksTheRest) {
  auto pool = this->pool();
  auto x0 = add_ok(*pool, signer(0), {.nonce = 0, .tip = 10, .gas = 60'000});
  add_ok(*pool, signer(1), {.nonce = 0, .tip = 9, .gas = 50'000});
  add_ok(*pool, signer(1), {.nonce = 1, .tip = 20, .gas = 21'000});  // behind the skipped one
  auto z0 = add_ok(*pool, signer(2), {.nonce = 0, .tip = 8, .gas = 21'000});
  add_ok(*pool, signer(3), {.nonce = 0, .tip = 7, .gas = 21'000});  // no room left
  EXPECT_EQ(hashes_of(pool->best(0, 100'000)), (std::vector<Hash256>{x0.hash, z0.hash}));
}

TEST_F(MempoolTest, BestFiltersByBaseFeeAndRanksByEffectiveTip) {
  auto pool = this->pool();
  auto p = add_ok(*pool, signer(0), {.nonce = 0, .fee_cap = 100, .tip = 50});
  auto q = add_ok(*pool, signer(1), {.nonce = 0, .fee_cap = 1000, .tip = 20});
  auto low = add_ok(*pool, signer(2), {.nonce = 0, .fee_cap = 60, .tip = 60});
  add_ok(*pool, signer(2), {.nonce = 1, .fee_cap = 1000, .tip = 60});  // waits behind `low`

  // Base fee 0: tips 50, 20, 60.
  EXPECT_EQ(hashes_of(pool->best(0, kBlockGas)).front(), low.hash);
  // Base fee 90: p earns min(50, 10) = 10 < q's 20; `low` cannot pay, nor can
  // its sender's next nonce go first.
  EXPECT_EQ(hashes_of(pool->best(90, kBlockGas)), (std::vector<Hash256>{q.hash, p.hash}));
  // Base fee 100: p pays exactly the base fee, tip 0.
  EXPECT_EQ(hashes_of(pool->best(100, kBlockGas)), (std::vector<Hash256>{q.hash, p.hash}));
  EXPECT_EQ(hashes_of(pool->best(101, kBlockGas)), (std::vector<Hash256>{q.hash}));
}

// ---------------------------------------------------------------- queries

TEST_F(MempoolTest, PendingNonceIsAccountNoncePlusContiguousPending) {
  fund(0, 7);
  auto pool = this->pool();
  const Signer& a = signer(0);
  EXPECT_EQ(pool->pending_nonce(a.address), 7U);          // nothing pooled: the account nonce
  EXPECT_EQ(pool->pending_nonce(signer(9).address), 0U);  // unknown account
  add_ok(*pool, a, {.nonce = 7});
  add_ok(*pool, a, {.nonce = 8});
  add_ok(*pool, a, {.nonce = 10});
  EXPECT_EQ(pool->pending_nonce(a.address), 9U);
}

TEST_F(MempoolTest, ContentListsEverySenderByAddress) {
  auto pool = this->pool();
  add_ok(*pool, signer(0), {.nonce = 0});
  add_ok(*pool, signer(0), {.nonce = 2});
  add_ok(*pool, signer(1), {.nonce = 1});
  const auto content = pool->content();
  ASSERT_EQ(content.size(), 2U);
  EXPECT_LT(content[0].sender, content[1].sender);
  std::size_t pending = 0, queued = 0;
  for (const auto& c : content) {
    pending += c.pending.size();
    queued += c.queued.size();
  }
  EXPECT_EQ(pending, 1U);
  EXPECT_EQ(queued, 2U);
  EXPECT_TRUE(pool->content_of(signer(4).address).pending.empty());
}

}  // namespace
}  // namespace tally::chain::test
