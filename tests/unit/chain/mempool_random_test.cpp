// Mempool under seeded random operations with small caps: after every step
// the counts match the contents, pending runs have no gaps, the byte total
// matches, every cap holds and the internal audit passes. Also a threaded
// smoke test (run under the sanitizers by ./tally.sh test).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "chain/mempool.hpp"
#include "mempool_test_util.hpp"

namespace tally::chain::test {
namespace {

constexpr std::size_t kSenders = 6;

MempoolOptions tight_options() {
  MempoolOptions options;
  options.max_txs = 20;
  options.max_queued = 6;
  options.max_underpaid = 4;
  options.max_bytes = 3000;
  options.max_tx_bytes = 1000;
  options.max_txs_per_sender = 6;
  options.queued_lifetime_ms = 5000;
  return options;
}

// Checks the pool through its public surface, then its internal audit.
::testing::AssertionResult check_pool(const Mempool& pool, const MempoolOptions& options) {
  const MempoolStatus status = pool.status();
  std::size_t pending = 0, queued = 0, bytes = 0;
  for (const SenderContent& c : pool.content()) {
    std::uint64_t expected = c.account_nonce;
    for (const auto& ptx : c.pending) {
      if (ptx->tx.nonce != expected++) return ::testing::AssertionFailure() << "gap in a pending run";
      if (ptx->sender != c.sender) return ::testing::AssertionFailure() << "pending tx under the wrong sender";
      bytes += ptx->size;
    }
    for (const auto& ptx : c.queued) {
      if (ptx->tx.nonce <= expected) return ::testing::AssertionFailure() << "queued tx that should be pending";
      bytes += ptx->size;
    }
    if (pool.pending_nonce(c.sender) != c.account_nonce + c.pending.size()) {
      return ::testing::AssertionFailure() << "pending nonce does not match the content";
    }
    pending += c.pending.size();
    queued += c.queued.size();
  }
  if (pending != status.pending || pending != pool.pending_count()) {
    return ::testing::AssertionFailure() << "pending count " << status.pending << " vs content " << pending;
  }
  if (queued != status.queued || queued != pool.queued_count()) {
    return ::testing::AssertionFailure() << "queued count " << status.queued << " vs content " << queued;
  }
  if (bytes != status.bytes || bytes != pool.size_bytes()) return ::testing::AssertionFailure() << "byte total";
  if (pending + queued > options.max_txs) return ::testing::AssertionFailure() << "max_txs exceeded";
  if (queued > options.max_queued) return ::testing::AssertionFailure() << "max_queued exceeded";
  if (status.underpaid > options.max_underpaid) return ::testing::AssertionFailure() << "max_underpaid exceeded";
  if (bytes > options.max_bytes) return ::testing::AssertionFailure() << "max_bytes exceeded";
  return pool_consistent(pool);
}

// best() must hand out executable runs: per sender consecutive from the
// account nonce, payable at the base fee, within the gas limit.
::testing::AssertionResult check_best(const Mempool& pool, const std::vector<PooledTxPtr>& best, const U256& base_fee,
                                      std::uint64_t gas_limit) {
  std::map<Address, std::uint64_t> next;
  std::uint64_t gas = 0;
  for (const auto& ptx : best) {
    auto [it, fresh] = next.try_emplace(ptx->sender, pool.content_of(ptx->sender).account_nonce);
    if (ptx->tx.nonce != it->second) return ::testing::AssertionFailure() << "best() broke nonce order";
    ++it->second;
    if (fee_cap(ptx->tx) < base_fee) return ::testing::AssertionFailure() << "best() chose an underpaid tx";
    gas += ptx->tx.gas_limit;
  }
  if (gas > gas_limit) return ::testing::AssertionFailure() << "best() exceeded the gas limit";
  return ::testing::AssertionSuccess();
}

class MempoolRandomTest : public ::testing::TestWithParam<std::uint64_t>, public PoolFixture {};

TEST_P(MempoolRandomTest, InvariantsHoldAfterEveryOperation) {
  std::mt19937_64 rng(GetParam());
  auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  const MempoolOptions options = tight_options();
  for (std::size_t i = 0; i < kSenders; ++i) fund(i, pick(0, 3), U256(pick(1, 6)) * 3'000'000 + pick(0, 999));
  U256 base_fee = pick(0, 50);
  auto pool = this->pool(options, base_fee);
  std::uint64_t now_ms = 0;
  std::vector<std::pair<Transaction, std::size_t>> seen;  // (tx, signer): duplicates and replacements
  std::size_t heads = 0, evicted = 0, replaced = 0, reinjected = 0;
  std::vector<RecoveredTx> last_block;
  std::map<Address, AccountInfo> before_block;
  std::map<AddStatus, std::size_t> outcomes;
  auto record = [&](const AddResult& r) {
    ++outcomes[r.status];
    evicted += r.evicted.size();
    replaced += r.replaced ? 1U : 0U;
  };

  for (int step = 0; step < 2500; ++step) {
    now_ms += pick(0, 200);
    const std::uint64_t op = pick(0, 99);
    if (op < 50) {
      const std::size_t s = pick(0, kSenders - 1);
      const std::uint64_t account_nonce = accounts->account(signer(s).address).nonce;
      TxSpec spec;
      spec.nonce = account_nonce + pick(0, 6) - (pick(0, 20) == 0 && account_nonce > 0 ? 1U : 0U);
      spec.fee_cap = pick(0, 120);
      spec.tip = pick(0, static_cast<std::uint64_t>(spec.fee_cap));
      spec.value = pick(0, 3) == 0 ? pick(0, 1'000'000) : 0;
      spec.data_bytes = pick(0, 9) == 0 ? pick(0, 600) : 0;
      Transaction tx = make_tx(signer(s), spec);
      seen.emplace_back(tx, s);
      record(pool->add(std::move(tx), signer(s).address, now_ms));
    } else if (op < 60 && !seen.empty()) {
      // A replacement of an earlier transaction, bumped by 0..20%.
      const auto [old, s] = seen[pick(0, seen.size() - 1)];
      const std::uint64_t pct = pick(100, 120);
      TxSpec spec{.nonce = old.nonce,
                  .fee_cap = old.max_fee_per_gas * pct / 100,
                  .tip = old.max_priority_fee_per_gas * pct / 100,
                  .gas = old.gas_limit,
                  .value = old.value};
      Transaction tx = make_tx(signer(s), spec);
      seen.emplace_back(tx, s);
      record(pool->add(std::move(tx), signer(s).address, now_ms));
    } else if (op < 66 && !seen.empty()) {
      // Mostly a recent one, which is likelier still pooled.
      const std::size_t back = std::min<std::size_t>(seen.size(), pick(0, 1) == 0 ? 4 : seen.size());
      const auto [again, s] = seen[seen.size() - 1 - pick(0, back - 1)];
      const bool known = pool->contains(tx_hash(again));
      AddResult r = pool->add(again, signer(s).address, now_ms);
      record(r);
      if (known) {
        EXPECT_EQ(r.status, AddStatus::already_known);
      }
    } else if (op < 82) {
      // Mine a block from best() and move to it.
      const std::uint64_t gas_limit = pick(21'000, 200'000);
      const auto block = pool->best(base_fee, gas_limit, pick(1, 8));
      ASSERT_TRUE(check_best(*pool, block, base_fee, gas_limit)) << "step " << step;
      std::set<Address> touched;
      last_block.clear();
      before_block.clear();
      for (const auto& ptx : block) {
        before_block.try_emplace(ptx->sender, accounts->account(ptx->sender));
        last_block.push_back(RecoveredTx{ptx->tx, ptx->sender});
        AccountInfo& account = accounts->at(ptx->sender);
        const U256 spent = U256(ptx->tx.gas_limit) * *effective_gas_price(ptx->tx, base_fee) + ptx->tx.value;
        ASSERT_LE(spent, account.balance) << "best() chose a tx its sender cannot pay, step " << step;
        account.balance -= spent;
        account.nonce += 1;
        touched.insert(ptx->sender);
      }
      if (pick(0, 2) == 0 && last_block.empty()) {  // someone else's block moves a sender
        const Address& other = signer(pick(0, kSenders - 1)).address;
        AccountInfo& account = accounts->at(other);
        if (pick(0, 1) == 0) {
          account.nonce += 1;
        } else {
          account.balance = U256(pick(0, 6)) * 3'000'000;
        }
        touched.insert(other);
      }
      base_fee = pick(0, 3) == 0 ? U256(pick(0, 100)) : base_fee;
      const std::vector<Address> list(touched.begin(), touched.end());
      if (pick(0, 3) == 0) {
        pool->on_new_head(head(base_fee));
      } else {
        pool->on_new_head(head(base_fee), list);
      }
      ++heads;
    } else if (op < 86 && !last_block.empty()) {
      // Reorg: the last block is abandoned; its senders' accounts go back
      // and its transactions are put back (unless refused now).
      for (const auto& [address, account] : before_block) accounts->at(address) = account;
      pool->on_new_head(head(base_fee));
      const std::size_t n = last_block.size();
      const std::size_t back = pool->reinject(std::move(last_block), now_ms);
      ASSERT_LE(back, n);
      reinjected += back;
      last_block.clear();
      before_block.clear();
    } else if (op < 92 && !seen.empty()) {
      (void)pool->remove(tx_hash(seen[pick(0, seen.size() - 1)].first));
    } else if (op < 96) {
      (void)pool->expire(now_ms);
    } else {
      const U256 fee = pick(0, 100);
      const std::uint64_t gas_limit = pick(0, 300'000);
      ASSERT_TRUE(check_best(*pool, pool->best(fee, gas_limit), fee, gas_limit)) << "step " << step;
    }
    ASSERT_TRUE(check_pool(*pool, options)) << "step " << step << ", seed " << GetParam();
  }
  // The run reached the paths it is meant to stress.
  EXPECT_GT(outcomes[AddStatus::added], 100U);
  EXPECT_GT(outcomes[AddStatus::already_known], 0U);
  EXPECT_GT(outcomes[AddStatus::replacement_underpriced], 0U);
  EXPECT_GT(outcomes[AddStatus::insufficient_funds], 0U);
  EXPECT_GT(outcomes[AddStatus::pool_full] + outcomes[AddStatus::underpriced], 0U);
  EXPECT_GT(replaced, 0U);
  EXPECT_GT(evicted, 0U);
  EXPECT_GT(heads, 50U);
  EXPECT_GT(reinjected, 0U);
  for (const auto& [status, n] : outcomes) std::printf("  %-45s %zu\n", std::string(to_string(status)).c_str(), n);
  std::printf("  evicted %zu, replaced %zu, heads %zu, reinjected %zu\n", evicted, replaced, heads, reinjected);
}

INSTANTIATE_TEST_SUITE_P(Seeds, MempoolRandomTest, ::testing::Values(1U, 2U, 3U, 42U, 20240601U));

TEST(MempoolThreadsTest, ConcurrentAddsHeadsAndReadsStayConsistent) {
  PoolFixture fixture;
  constexpr std::size_t kPerThread = 4;
  constexpr std::uint64_t kNonces = 12;
  std::vector<std::vector<std::pair<Transaction, Address>>> work(2);
  for (std::size_t t = 0; t < 2; ++t) {
    for (std::size_t i = 0; i < kPerThread; ++i) {
      const Signer& s = signer(10 + t * kPerThread + i);
      fixture.accounts->set(s.address, 0, kRich);
      for (std::uint64_t n = 0; n < kNonces; ++n) {
        work[t].emplace_back(make_tx(s, {.nonce = n, .fee_cap = U256(20 + n), .tip = U256(1 + i)}), s.address);
      }
    }
    std::shuffle(work[t].begin(), work[t].end(), std::mt19937_64(t));
  }
  auto pool = fixture.pool();

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t now = 0;
      for (auto& [tx, sender] : work[t]) (void)pool->add(tx, sender, ++now);
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      // The accounts do not change, so every head keeps everything.
      pool->on_new_head(fixture.head(U256(i % 30)));
      (void)pool->best(U256(i % 30), kBlockGas);
      (void)pool->content();
    }
  });
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(pool_consistent(*pool));
  EXPECT_EQ(pool->pending_count(), 2 * kPerThread * kNonces);
}

}  // namespace
}  // namespace tally::chain::test
