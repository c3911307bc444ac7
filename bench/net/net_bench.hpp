#pragma once
// The network macro benchmarks (bench/macro/network.sh runs them):
//   propagation: how fast and how cheaply a PoW block reaches every node of
//                a random network of real tallyd processes under load;
//   sync:        how fast a fresh tallyd syncs a long chain over p2p, next to
//                a bare in-process import of the same blocks;
//   restart:     how fast a tallyd with a long chain starts, and its idle
//                memory.
// Each returns one JSON report.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "chain/block.hpp"
#include "chain/genesis.hpp"
#include "consensus/pow/engine.hpp"
#include "rpc/client.hpp"

namespace tally::bench::net {

using rpc::Json;

struct PropagationOptions {
  std::filesystem::path tallyd;
  std::filesystem::path workdir;  // datadirs and logs go here
  std::size_t nodes = 4;
  std::size_t dials = 4;            // peers each node dials (random, distinct)
  double seconds = 60;              // of transaction load
  double tx_per_second = 100;       // pre-signed transfers to random nodes
  std::size_t senders = 200;        // accounts funded in genesis
  std::uint64_t block_seconds = 1;  // genesis target block time; difficulty = that much hashing
  std::uint64_t seed = 1;
};
Json run_propagation(const PropagationOptions& options);

struct SyncOptions {
  std::filesystem::path tallyd;
  std::filesystem::path workdir;
  std::uint64_t blocks = 10'000;
  std::uint32_t txs_per_block = 20;  // the EIP-1559 gas target: the genesis gas limit is twice their gas
  std::size_t senders = 100;
  std::size_t runs = 1;  // bare import and p2p sync, alternating, on one generated chain
};
Json run_sync(const SyncOptions& options);

// A PoW chain of options.blocks blocks of options.txs_per_block transfers
// (difficulty 1, timestamps on schedule and in the past), built into
// `datadir`/chaindata, its genesis written to `genesis_file`.
struct GeneratedChain {
  chain::Genesis genesis;
  std::unique_ptr<consensus::pow::PowEngine> engine;
  std::vector<chain::Block> blocks;
  std::uint64_t transactions = 0;
  std::uint64_t bytes = 0;  // encoded blocks
  double seconds = 0;
};
GeneratedChain generate(const SyncOptions& options, const std::filesystem::path& datadir,
                        const std::filesystem::path& genesis_file);

// Restart: start time (to JSON-RPC answering at the head) and idle RSS of a
// tallyd whose datadir holds `blocks` blocks, next to the same with an
// empty datadir, in one run.
struct RestartOptions {
  std::filesystem::path tallyd;
  std::filesystem::path workdir;
  std::uint64_t blocks = 100'000;
  std::uint32_t txs_per_block = 1;
  std::size_t runs = 3;
  double idle_seconds = 5;  // before reading the idle RSS
};
Json run_restart(const RestartOptions& options);

// {count, mean, p50, p99, max} of `values` (nulls when empty).
Json summary(std::vector<double> values);

}  // namespace tally::bench::net
