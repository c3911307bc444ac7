#pragma once
// tally_rpc_load: the JSON-RPC intake benchmark. Pre-signs EIP-1559 transfers
// from several senders, submits them with eth_sendRawTransaction over
// kept-alive connections, watches blocks until they are all included, then
// measures eth_getBalance and eth_blockNumber. Works against any Ethereum
// JSON-RPC node (Tally, ganache, Hardhat), so one load compares them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tally::bench {

using Clock = std::chrono::steady_clock;

struct LoadOptions {
  std::string url;  // setup, block watching and reads
  // Submission endpoints (each sender's transfers go to one of them, in
  // turn by sender); empty: `url`.
  std::vector<std::string> submit_urls;
  std::size_t transfers = 10'000;
  std::size_t senders = 100;
  std::size_t concurrency = 64;
  // Transfers per request: 1 sends single calls, more send JSON-RPC batches
  // (at most the node's batch limit, 100).
  std::size_t batch = 1;
  std::size_t reads = 20'000;  // eth_getBalance calls, and as many eth_blockNumber calls
  // Accounts 0..funded-1 of the mnemonic hold coins at start; senders past
  // them are funded from these in a setup phase.
  std::size_t funded = 10;
  std::string mnemonic = "test test test test test test test test test test test junk";
  // At most this many transfers accepted and not yet seen in a block (a
  // closed loop that keeps the node saturated without overflowing its pool);
  // 0: no limit, everything is submitted as fast as the node takes it.
  std::size_t window = 0;
  // Watch only blocks up to the "finalized" tag instead of the head, so an
  // inclusion is a finalization.
  bool finalized = false;
  std::chrono::seconds inclusion_timeout{600};
  std::chrono::milliseconds call_timeout{60'000};
};

// Latencies in milliseconds, and their nearest-rank percentiles.
struct LatencySample {
  std::vector<double> ms;
  double percentile(double p) const;
  nlohmann::json summary() const;  // {"p50": .., "p99": .., "max": ..}
};

// Runs every phase and returns the report (see bench/README.md for fields).
// Throws std::runtime_error when the node cannot be set up for the load
// (unreachable, funding never mined).
nlohmann::json run_load(const LoadOptions& options);

}  // namespace tally::bench
