// Scaling with the state: what transaction intake and block import cost as
// the number of accounts grows (10^4, 10^5, 10^6), on a real LevelDB
// datadir, the way a node runs them. The trie alone is bench_trie.cpp.
//
//   build/release/bench/tally_bench --benchmark_filter=Scaling
//
// The genesis holds N funded accounts plus kSenders senders (N accounts are
// written once per N, outside the timing: build_s). Intake: decode, static
// checks, sender recovery and pool admission of kSenders transfers, the pool
// reading accounts through a fresh reader of the head state (as after each
// new head). Import: blocks of kSenders transfers to random existing
// accounts, built on a scratch chain and imported into the measured one.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>

#include "../tests/unit/chain/chain_test_util.hpp"
#include "chain/mempool.hpp"
#include "chain/pool_sync.hpp"
#include "crypto/address.hpp"
#include "crypto/keccak.hpp"

namespace {

using namespace tally;

constexpr std::uint32_t kSenders = 200;
constexpr std::uint64_t kNow = 4'000'000'000;
constexpr int kImportBlocks = 10;

Address filler_address(std::uint64_t i) {
  std::array<std::uint8_t, 9> seed{0x5c};
  for (std::size_t b = 0; b < 8; ++b) seed[b + 1] = static_cast<std::uint8_t>(i >> (8 * b));
  const Hash256 h = crypto::keccak256(seed);
  Address a{};
  std::copy(h.begin(), h.begin() + 20, a.begin());
  return a;
}

crypto::PrivateKey sender_key(std::uint32_t i) {
  std::array<std::uint8_t, 5> seed{0x5e, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8U),
                                   static_cast<std::uint8_t>(i >> 16U), 1};
  const Hash256 h = crypto::keccak256(seed);
  return *crypto::private_key_from_bytes(h);
}

// The dev genesis with N filler accounts and kSenders funded senders added.
struct ScaledGenesis {
  chain::Genesis genesis;
  std::vector<crypto::PrivateKey> keys;
  std::vector<Address> fillers;
  double build_seconds = 0;
};

const ScaledGenesis& scaled_genesis(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<ScaledGenesis>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<ScaledGenesis>();
  ScaledGenesis& out = *slot;
  const auto start = std::chrono::steady_clock::now();
  out.genesis = test::dev_genesis();
  chain::MemoryNodeStore store;
  store.put(out.genesis.state);
  Hash256 root = out.genesis.block.header.state_root;
  chain::NodeBatch all = out.genesis.state;
  constexpr std::size_t kChunk = 100'000;
  for (std::size_t begin = 0; begin < n; begin += kChunk) {
    chain::StateDB state(store, root);
    for (std::size_t i = begin; i < std::min(n, begin + kChunk); ++i) {
      out.fillers.push_back(filler_address(i));
      state.set(out.fillers.back(), chain::Account{0, U256(1'000'000'000) + i});
    }
    if (begin == 0) {
      for (std::uint32_t s = 0; s < kSenders; ++s) {
        out.keys.push_back(sender_key(s));
        state.set(crypto::address_of(crypto::public_key_of(out.keys.back())),
                  chain::Account{0, U256(1'000'000'000'000'000'000ULL)});
      }
    }
    chain::NodeBatch batch;
    root = state.commit(batch);
    store.put(batch);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  out.genesis.state = std::move(all);
  out.genesis.block.header.state_root = root;
  out.genesis.hash = chain::header_hash(out.genesis.block.header);
  out.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "bench_scaling: genesis with %zu accounts in %.1f s\n", n, out.build_seconds);
  return out;
}

chain::Transaction transfer(const crypto::PrivateKey& key, std::uint64_t nonce, const Address& to) {
  chain::Transaction tx;
  tx.chain_id = chain::kDevChainId;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = 1;
  tx.max_fee_per_gas = U256(100'000'000'000ULL);
  tx.gas_limit = 21'000;
  tx.to = to;
  tx.value = 1;
  chain::sign(tx, key);
  return tx;
}

struct OpenChain {
  test::TempDir dir{"bench-scaling"};
  test::TestEngine engine;
  std::unique_ptr<chain::Database> db;
  std::unique_ptr<chain::ChainManager> chain;
  explicit OpenChain(const chain::Genesis& genesis) {
    chain::ChainOptions options;
    options.sync_writes = false;
    db = std::move(*chain::Database::open(dir.path()));
    chain = std::move(*chain::ChainManager::open(*db, genesis, engine, options));
  }
};

void BM_ScalingIntake(benchmark::State& state) {
  const ScaledGenesis& g = scaled_genesis(static_cast<std::size_t>(state.range(0)));
  OpenChain node(g.genesis);
  std::vector<Bytes> raws;
  for (std::uint32_t s = 0; s < kSenders; ++s) raws.push_back(chain::encode(transfer(g.keys[s], 0, g.fillers[s])));
  chain::TxRules rules;
  rules.chain_id = chain::kDevChainId;
  for (auto _ : state) {
    state.PauseTiming();
    chain::Mempool pool(chain::MempoolOptions{}, chain::pool_head_state(*node.chain));
    state.ResumeTiming();
    for (const Bytes& raw : raws) {
      auto tx = chain::decode(raw);
      if (!tx || !chain::validate_static(*tx, rules)) {
        state.SkipWithError("transfer refused");
        return;
      }
      auto sender = chain::recover_sender(*tx);
      if (!sender || !pool.add(std::move(*tx), *sender, 0).ok()) {
        state.SkipWithError("pool refused a transfer");
        return;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kSenders);
  state.counters["build_s"] = g.build_seconds;
}

// kImportBlocks blocks of kSenders transfers to random filler accounts.
std::vector<chain::Block> import_blocks(const ScaledGenesis& g) {
  OpenChain scratch(g.genesis);
  std::mt19937_64 rng(7);
  std::vector<chain::Block> blocks;
  for (int b = 0; b < kImportBlocks; ++b) {
    std::vector<chain::Transaction> txs;
    for (std::uint32_t s = 0; s < kSenders; ++s) {
      txs.push_back(transfer(g.keys[s], static_cast<std::uint64_t>(b), g.fillers[rng() % g.fillers.size()]));
    }
    chain::Block block = test::build_block(*scratch.chain, scratch.chain->head_header(), txs);
    if (scratch.chain->import_block(block, kNow).status != chain::ImportStatus::new_head) return {};
    blocks.push_back(std::move(block));
  }
  return blocks;
}

void BM_ScalingImport(benchmark::State& state) {
  const ScaledGenesis& g = scaled_genesis(static_cast<std::size_t>(state.range(0)));
  const std::vector<chain::Block> blocks = import_blocks(g);
  if (blocks.empty()) {
    state.SkipWithError("could not build the blocks");
    return;
  }
  std::unique_ptr<OpenChain> node;
  std::size_t next = blocks.size();
  for (auto _ : state) {
    if (next == blocks.size()) {
      state.PauseTiming();
      node.reset();
      node = std::make_unique<OpenChain>(g.genesis);
      next = 0;
      state.ResumeTiming();
    }
    if (node->chain->import_block(blocks[next++], kNow).status != chain::ImportStatus::new_head) {
      state.SkipWithError("import failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kSenders);
  state.counters["build_s"] = g.build_seconds;
}

BENCHMARK(BM_ScalingIntake)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScalingImport)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(kImportBlocks)
    ->Unit(benchmark::kMillisecond);

}  // namespace
