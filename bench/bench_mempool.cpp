// Mempool: admission throughput (1000 senders x 16 nonces, signed and
// recovered outside the timed loop), block selection from a full pool, and
// a new head that re-sorts everything.
//
//   build/release/bench/tally_bench --benchmark_filter=Mempool

#include <benchmark/benchmark.h>

#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "chain/mempool.hpp"
#include "chain/transaction.hpp"
#include "crypto/address.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::chain {
namespace {

constexpr std::size_t kSenders = 1000;
constexpr std::uint64_t kNoncesPerSender = 16;
constexpr std::uint64_t kBlockGas = 30'000'000;
const U256 kGwei = 1'000'000'000;

// Every account: nonce 0 and plenty of funds.
class RichAccounts : public AccountReader {
 public:
  AccountInfo account(const Address&) const override { return AccountInfo{0, U256(1) << 128}; }
};

struct Workload {
  std::vector<std::pair<Transaction, Address>> txs;  // nonce-major: every sender's nonce 0, then 1, ...
};

const Workload& workload() {
  static const Workload w = [] {
    Workload out;
    std::vector<crypto::PrivateKey> keys;
    std::vector<Address> addresses;
    for (std::size_t s = 0; s < kSenders; ++s) {
      Hash256 bytes{};
      bytes[30] = static_cast<std::uint8_t>((s + 1) >> 8);
      bytes[31] = static_cast<std::uint8_t>(s + 1);
      keys.push_back(*crypto::private_key_from_bytes(bytes));
      addresses.push_back(crypto::address_of(crypto::public_key_of(keys.back())));
    }
    Address to{};
    to[19] = 0x42;
    for (std::uint64_t n = 0; n < kNoncesPerSender; ++n) {
      for (std::size_t s = 0; s < kSenders; ++s) {
        Transaction tx;
        tx.type = TxType::dynamic_fee;
        tx.chain_id = 1337;
        tx.nonce = n;
        tx.max_fee_per_gas = 300 * kGwei;
        tx.max_priority_fee_per_gas = U256(1 + (s * 7919 + n * 31) % 100) * kGwei;
        tx.gas_limit = 21'000;
        tx.to = to;
        tx.value = 1;
        sign(tx, keys[s]);
        out.txs.emplace_back(std::move(tx), addresses[s]);
      }
    }
    return out;
  }();
  return w;
}

HeadState head(const U256& base_fee) {
  return HeadState{base_fee, kBlockGas, std::make_shared<RichAccounts>()};
}

MempoolOptions roomy() {
  MempoolOptions options;
  options.max_txs = kSenders * kNoncesPerSender;
  options.max_queued = kSenders * kNoncesPerSender;
  return options;
}

// Adds all 16,000 transactions to an empty pool; options: roomy (all fit)
// or the defaults (6144 fit; the rest evict cheaper ones or are refused).
void add_all(benchmark::State& state, const MempoolOptions& options) {
  const Workload& w = workload();
  std::size_t admitted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto pool = std::make_unique<Mempool>(options, head(100 * kGwei));
    auto txs = w.txs;  // add() takes the transaction by value
    state.ResumeTiming();
    admitted = 0;
    for (auto& [tx, sender] : txs) admitted += pool->add(std::move(tx), sender, 0).ok() ? 1U : 0U;
    state.PauseTiming();
    pool.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(w.txs.size()));
  state.counters["admitted"] = static_cast<double>(admitted);
}

void BM_MempoolAdd(benchmark::State& state) {
  add_all(state, roomy());
}
BENCHMARK(BM_MempoolAdd)->Unit(benchmark::kMillisecond);

void BM_MempoolAddDefaultCaps(benchmark::State& state) {
  add_all(state, MempoolOptions{});
}
BENCHMARK(BM_MempoolAddDefaultCaps)->Unit(benchmark::kMillisecond);

std::unique_ptr<Mempool> full_pool(const MempoolOptions& options) {
  auto pool = std::make_unique<Mempool>(options, head(100 * kGwei));
  for (const auto& [tx, sender] : workload().txs) (void)pool->add(tx, sender, 0);
  return pool;
}

// best() for a 30M-gas block (1428 transfers) from a full default pool.
void BM_MempoolBest30M(benchmark::State& state) {
  auto pool = full_pool(MempoolOptions{});
  std::size_t picked = 0;
  for (auto _ : state) {
    auto best = pool->best(100 * kGwei, kBlockGas);
    picked = best.size();
    benchmark::DoNotOptimize(best.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(picked));
  state.counters["pool"] = static_cast<double>(pool->pending_count() + pool->queued_count());
  state.counters["picked"] = static_cast<double>(picked);
}
BENCHMARK(BM_MempoolBest30M)->Unit(benchmark::kMicrosecond);

// A new head on a full default pool: base fee changes (re-sort of every
// transaction) and every sender is re-read (touched = all).
void BM_MempoolNewHeadAllSenders(benchmark::State& state) {
  auto pool = full_pool(MempoolOptions{});
  std::uint64_t i = 0;
  for (auto _ : state) {
    HeadUpdate update = pool->on_new_head(head(U256(90 + (i++ % 20)) * kGwei));
    benchmark::DoNotOptimize(update.senders_checked);
  }
  state.counters["pool"] = static_cast<double>(pool->pending_count() + pool->queued_count());
}
BENCHMARK(BM_MempoolNewHeadAllSenders)->Unit(benchmark::kMicrosecond);

// A new head whose base fee changes, with nothing touched: the re-sort alone.
void BM_MempoolNewHeadBaseFeeOnly(benchmark::State& state) {
  auto pool = full_pool(MempoolOptions{});
  std::uint64_t i = 0;
  for (auto _ : state) {
    HeadUpdate update = pool->on_new_head(head(U256(90 + (i++ % 20)) * kGwei), std::span<const Address>{});
    benchmark::DoNotOptimize(update.evicted);
  }
  state.counters["pool"] = static_cast<double>(pool->pending_count() + pool->queued_count());
}
BENCHMARK(BM_MempoolNewHeadBaseFeeOnly)->Unit(benchmark::kMicrosecond);

// A new head touching 100 of the 1000 senders, base fee unchanged: the cost
// in proportion to the senders affected.
void BM_MempoolNewHeadTouched100(benchmark::State& state) {
  auto pool = full_pool(MempoolOptions{});
  std::vector<Address> touched;
  for (std::size_t i = 0; i < 100; ++i) touched.push_back(workload().txs[i * 10].second);
  for (auto _ : state) {
    HeadUpdate update = pool->on_new_head(head(100 * kGwei), touched);
    benchmark::DoNotOptimize(update.senders_checked);
  }
}
BENCHMARK(BM_MempoolNewHeadTouched100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tally::chain
