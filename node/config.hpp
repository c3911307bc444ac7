#pragma once
// Everything a node is told at start: from flags (main.cpp) or a testnet's
// per-node config file. Defaults are those of a single local dev node.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chain/mempool.hpp"
#include "crypto/bytes.hpp"

namespace tally::node {

struct RpcConfig {
  bool enabled = true;
  std::string address = "127.0.0.1";  // geth's and Anvil's default: loopback only
  std::uint16_t port = 8545;
  std::vector<std::string> cors_origins;  // empty: no CORS headers (geth's default)
};

// Prometheus metrics (GET /metrics). Off by default, as in geth and
// CometBFT.
struct MetricsConfig {
  bool enabled = false;
  // Unset: served on the JSON-RPC port. Set: on a listener of its own at
  // address:port (0: an ephemeral port), as geth's --metrics.port 6060.
  std::optional<std::uint16_t> port;
  std::string address = "127.0.0.1";
};

struct P2pConfig {
  bool enabled = true;
  std::string address = "127.0.0.1";
  std::uint16_t port = 30303;
  std::vector<std::string> peers;  // bootstrap peers, host:port
  // Peer exchange: ask peers for addresses and dial them. Off: only the
  // --peer addresses are ever dialled (fixed topologies, fault tests).
  bool discovery = true;
  std::uint64_t backoff_max_ms = 300'000;      // reconnect backoff ceiling
  std::size_t sync_headers_per_request = 192;  // headers per sync batch
};

// When the miner makes a block with no transactions.
enum class EmptyBlocks : std::uint8_t {
  automatic,  // dev genesis: only when transactions wait (geth --dev); otherwise always
  always,
  never,
};

struct MiningConfig {
  bool enabled = false;                // --mine
  std::optional<Address> beneficiary;  // --miner-address (the etherbase)
  unsigned threads = 0;                // 0: all cores but one, at least one
  EmptyBlocks empty_blocks = EmptyBlocks::automatic;
  // A template older than this is rebuilt when better transactions arrived
  // (geth's --miner.recommit is 2 s).
  std::uint64_t recommit_ms = 2'000;
};

// PBFT chains (the genesis chooses the consensus).
struct PbftConfig {
  // File holding this validator's secp256k1 key (64 hex characters), as
  // `tallyd testnet init --consensus pbft` writes it. Empty: a full node
  // that follows the chain by checking certificates.
  std::filesystem::path validator_key;
  // Without transactions, a block is made after this long; 0: never.
  std::uint64_t idle_block_ms = 10'000;
};

struct NodeConfig {
  std::filesystem::path datadir;
  std::filesystem::path genesis_file;  // empty: the built-in dev genesis
  RpcConfig rpc;
  MetricsConfig metrics;
  P2pConfig p2p;
  MiningConfig mining;
  PbftConfig pbft;
  // Transactions the pool holds, executable and waiting (geth's
  // --txpool.globalslots + globalqueue; the default is the pool's).
  std::size_t txpool_max_txs = chain::MempoolOptions{}.max_txs;
  // PoW: the "safe" and "finalized" block tags point this many blocks below the head.
  std::uint64_t safe_depth = 6;
  std::string log_level = "info";
  bool log_to_stderr = true;
};

// The default miner thread count: all cores but one, at least one.
unsigned default_miner_threads();

}  // namespace tally::node
