// State trie: the cost of one block's worth of account updates (k = 100
// random existing accounts read, changed and written, then the state root
// computed and the changed nodes committed) on a state of N accounts, for
// N = 10^4, 10^5, 10^6. The cost per touched account must grow like log N.
//
//   build/release/bench/tally_bench --benchmark_filter=StateUpdate
//
// Cold: each block opens a fresh StateDB at the parent root, so every node it
// touches is read from the MemoryNodeStore, hash-checked and parsed (the
// per-block pattern of a node importing blocks). Warm: one StateDB carries
// on across blocks, so upper nodes stay cached (batches are not written
// back; the base state in the store stays the same for every iteration).
// The base state is built once per N (outside the timing) in batches of
// 100,000 accounts; the build time is reported as the counter build_s.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>

#include "chain/node_store.hpp"
#include "chain/state.hpp"
#include "crypto/keccak.hpp"

namespace {

using namespace tally;
using namespace tally::chain;

constexpr int kAccountsPerBlock = 100;

class CountingStore final : public NodeStore {
 public:
  explicit CountingStore(const NodeStore& inner) : inner_(inner) {}
  std::optional<Bytes> get_node(const Hash256& hash) const override {
    ++reads;
    return inner_.get_node(hash);
  }
  mutable std::uint64_t reads = 0;

 private:
  const NodeStore& inner_;
};

struct BaseState {
  MemoryNodeStore store;
  Hash256 root{};
  std::vector<Address> addresses;
  double build_seconds = 0;
};

Address address_of(std::uint64_t i) {
  std::array<std::uint8_t, 8> le{};
  for (std::size_t b = 0; b < le.size(); ++b) le[b] = static_cast<std::uint8_t>(i >> (8 * b));
  const Hash256 h = crypto::keccak256(le);
  Address a{};
  std::copy(h.begin(), h.begin() + 20, a.begin());
  return a;
}

const BaseState& base_state(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<BaseState>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<BaseState>();
  BaseState& base = *slot;
  const auto start = std::chrono::steady_clock::now();
  base.root = empty_trie_root();
  base.addresses.reserve(n);
  constexpr std::size_t kChunk = 100'000;
  for (std::size_t begin = 0; begin < n; begin += kChunk) {
    StateDB state(base.store, base.root);
    for (std::size_t i = begin; i < std::min(n, begin + kChunk); ++i) {
      base.addresses.push_back(address_of(i));
      state.set(base.addresses.back(), Account{1, U256(1'000'000'000) + i});
    }
    NodeBatch batch;
    base.root = state.commit(batch);
    base.store.put(batch);
  }
  base.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "bench_trie: built %zu accounts in %.1f s (%zu nodes in the store)\n", n, base.build_seconds,
               base.store.size());
  return base;
}

void touch_accounts(StateDB& state, const BaseState& base, std::mt19937_64& rng) {
  for (int i = 0; i < kAccountsPerBlock; ++i) {
    const Address& address = base.addresses[static_cast<std::size_t>(rng() % base.addresses.size())];
    Account account = state.get(address);
    account.nonce += 1;
    account.balance += 1;
    state.set(address, account);
  }
}

void report(benchmark::State& state, const BaseState& base, std::uint64_t reads, std::uint64_t written) {
  const auto blocks = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * kAccountsPerBlock);
  state.counters["per_account"] =
      benchmark::Counter(blocks * kAccountsPerBlock, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["reads_per_block"] = static_cast<double>(reads) / blocks;
  state.counters["nodes_written_per_block"] = static_cast<double>(written) / blocks;
  state.counters["build_s"] = base.build_seconds;
}

void BM_StateUpdateCold(benchmark::State& state) {
  const BaseState& base = base_state(static_cast<std::size_t>(state.range(0)));
  CountingStore store(base.store);
  std::mt19937_64 rng(42);
  std::uint64_t written = 0;
  for (auto _ : state) {
    StateDB db(store, base.root);
    touch_accounts(db, base, rng);
    NodeBatch batch;
    benchmark::DoNotOptimize(db.commit(batch));
    written += batch.size();
  }
  report(state, base, store.reads, written);
}

void BM_StateUpdateWarm(benchmark::State& state) {
  const BaseState& base = base_state(static_cast<std::size_t>(state.range(0)));
  CountingStore store(base.store);
  std::mt19937_64 rng(43);
  std::uint64_t written = 0;
  StateDB db(store, base.root);
  for (auto _ : state) {
    touch_accounts(db, base, rng);
    NodeBatch batch;
    benchmark::DoNotOptimize(db.commit(batch));
    written += batch.size();
  }
  report(state, base, store.reads, written);
}

BENCHMARK(BM_StateUpdateCold)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StateUpdateWarm)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace
