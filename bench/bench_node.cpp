// The miner's reaction to a new head: from the head-change event to the
// mining loop grinding a fresh template, with an empty pool and with a pool
// of pending transfers (the template then executes them). The difficulty is
// far out of reach, so the loop never finds a block and only the event moves it.
//
//   build/release/bench/tally_bench --benchmark_filter=NewHead

#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../tests/unit/chain/chain_test_util.hpp"
#include "node/node.hpp"

namespace {

using namespace tally;

void BM_NewHeadToNewTemplate(benchmark::State& state) {
  test::TempDir dir("bench-newhead");
  std::filesystem::create_directories(dir.path());
  auto genesis = nlohmann::json::parse(chain::dev_genesis_json());
  genesis["consensus"]["initialDifficulty"] = "1099511627776";  // 2^40: never solved here
  genesis["consensus"]["minimumDifficulty"] = "1099511627776";
  std::ofstream(dir.path() / "genesis.json") << genesis.dump();

  node::NodeConfig config;
  config.datadir = dir.path() / "node";
  config.genesis_file = dir.path() / "genesis.json";
  config.rpc.enabled = false;
  config.p2p.enabled = false;
  config.mining.enabled = true;
  config.mining.beneficiary = Address{0xaa};
  config.mining.threads = 1;
  config.mining.empty_blocks = node::EmptyBlocks::always;
  auto node = node::Node::open(config);
  if (!node || !(*node)->start()) {
    state.SkipWithError("node did not start");
    return;
  }
  // Pending transfers: state.range(0) of them, from the ten dev accounts
  // (at most 64 each: the pool's nonce window).
  const auto pending = static_cast<std::uint64_t>(state.range(0));
  for (std::uint64_t i = 0; i < pending; ++i) {
    const auto from = static_cast<std::uint32_t>(i % 10);
    (void)(*node)->pool_service().submit(test::transfer(from, Address{0x42}, 1, i / 10));
  }
  auto& miner = (*node)->miner();
  const auto wait_for_template = [&](std::uint64_t after) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (miner.templates_built() <= after && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  };
  wait_for_template(0);
  for (auto _ : state) {
    const auto before = miner.templates_built();
    miner.on_head_change();
    wait_for_template(before);
  }
  state.counters["pending_txs"] = static_cast<double>(pending);
  (*node)->stop();
}
BENCHMARK(BM_NewHeadToNewTemplate)->Arg(0)->Arg(600)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
