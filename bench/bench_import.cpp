// Block import: validate + execute + commit of transfer blocks through the
// chain manager into a real LevelDB datadir, with and without synced
// writes, next to bare signature recovery (the ceiling per core); and the
// start time of a node whose datadir holds 100,000 blocks.
//
//   build/release/bench/tally_bench --benchmark_filter='Import|Reopen|BareRecover'

#include <benchmark/benchmark.h>

#include <chrono>

#include "../tests/unit/chain/chain_test_util.hpp"

namespace {

using namespace tally;

constexpr std::uint64_t kNow = 4'000'000'000;
constexpr int kBlocks = 20;
constexpr std::uint32_t kTxsPerBlock = 200;

chain::ChainOptions unsynced() {
  chain::ChainOptions o;
  o.sync_writes = false;
  return o;
}

// Transfer blocks built once, on a scratch datadir, then replayed per run.
const std::vector<chain::Block>& transfer_blocks() {
  static const std::vector<chain::Block> blocks = [] {
    test::TempDir dir("bench-build");
    auto db = chain::Database::open(dir.path());
    const chain::Genesis genesis = test::dev_genesis();
    test::TestEngine engine;
    auto chain = chain::ChainManager::open(**db, genesis, engine, unsynced());
    std::vector<crypto::PrivateKey> keys;
    for (std::uint32_t i = 0; i < 10; ++i) keys.push_back(test::dev_key(i));
    std::vector<std::uint64_t> nonces(10, 0);
    std::vector<chain::Block> out;
    for (int b = 0; b < kBlocks; ++b) {
      std::vector<chain::Transaction> txs;
      for (std::uint32_t i = 0; i < kTxsPerBlock; ++i) {
        const std::uint32_t from = i % 10;
        chain::Transaction tx;
        tx.chain_id = chain::kDevChainId;
        tx.nonce = nonces[from]++;
        tx.max_priority_fee_per_gas = 1;
        tx.max_fee_per_gas = U256(100'000'000'000ULL);
        tx.gas_limit = 21'000;
        tx.to = Address{static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(i), 7};  // new accounts
        tx.value = 1;
        chain::sign(tx, keys[from]);
        txs.push_back(std::move(tx));
      }
      chain::Block block = test::build_block(**chain, (*chain)->head_header(), txs);
      (void)(*chain)->import_block(block, kNow);
      out.push_back(std::move(block));
    }
    return out;
  }();
  return blocks;
}

void import_all(benchmark::State& state, bool sync) {
  const auto& blocks = transfer_blocks();
  const chain::Genesis genesis = test::dev_genesis();
  test::TestEngine engine;
  chain::ChainOptions options;
  options.sync_writes = sync;
  for (auto _ : state) {
    state.PauseTiming();
    test::TempDir dir("bench-import");
    auto db = chain::Database::open(dir.path());
    auto chain = chain::ChainManager::open(**db, genesis, engine, options);
    state.ResumeTiming();
    for (const auto& block : blocks) {
      if ((*chain)->import_block(block, kNow).status != chain::ImportStatus::new_head) {
        state.SkipWithError("import failed");
        return;
      }
    }
    state.PauseTiming();
    chain->reset();
    db->reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBlocks * kTxsPerBlock);
  state.counters["blocks/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kBlocks), benchmark::Counter::kIsRate);
}

void BM_ImportTransferBlocks_Unsynced(benchmark::State& state) {
  import_all(state, false);
}
void BM_ImportTransferBlocks_Synced(benchmark::State& state) {
  import_all(state, true);
}
BENCHMARK(BM_ImportTransferBlocks_Unsynced)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImportTransferBlocks_Synced)->Unit(benchmark::kMillisecond);

// The same transactions' sender recovery alone: what import cannot beat on
// one core.
void BM_ImportBaseline_BareRecover(benchmark::State& state) {
  const auto& blocks = transfer_blocks();
  for (auto _ : state) {
    for (const auto& block : blocks) {
      for (const auto& tx : block.transactions) benchmark::DoNotOptimize(chain::recover_sender(tx));
    }
  }
  state.SetItemsProcessed(state.iterations() * kBlocks * kTxsPerBlock);
}
BENCHMARK(BM_ImportBaseline_BareRecover)->Unit(benchmark::kMillisecond);

// Start time: open a datadir holding `range(0)` empty blocks (built once,
// outside the timing) and reach the head.
void BM_ReopenDatadir(benchmark::State& state) {
  const auto blocks = static_cast<std::uint64_t>(state.range(0));
  static test::TempDir dir("bench-reopen");
  static std::uint64_t built = 0;
  const chain::Genesis genesis = test::dev_genesis();
  test::TestEngine engine;
  if (built < blocks) {
    auto db = chain::Database::open(dir.path());
    auto chain = chain::ChainManager::open(**db, genesis, engine, unsynced());
    while ((*chain)->head().number < blocks) {
      const chain::Block b = test::build_block(**chain, (*chain)->head_header(), {});
      (void)(*chain)->import_block(b, kNow);
    }
    built = blocks;
  }
  for (auto _ : state) {
    auto db = chain::Database::open(dir.path());
    auto chain = chain::ChainManager::open(**db, genesis, engine);
    if (!chain || (*chain)->head().number != blocks) state.SkipWithError("reopen did not reach the head");
    benchmark::DoNotOptimize((*chain)->head());
  }
}
BENCHMARK(BM_ReopenDatadir)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
