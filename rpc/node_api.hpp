#pragma once
// The small interfaces through which the RPC layer reaches the node. node/
// implements them over the chain manager, mempool, miner and p2p; tests
// implement them over an in-memory chain. Every call may come from any RPC
// thread at any time: implementations are thread-safe and never block on
// block import (readers see a consistent snapshot).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/block.hpp"
#include "chain/chain_store.hpp"
#include "chain/config.hpp"
#include "chain/engine.hpp"
#include "chain/mempool.hpp"
#include "chain/state.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::rpc {

// Read access to the stored chain.
class ChainReader {
 public:
  virtual ~ChainReader() = default;
  virtual const chain::ChainConfig& config() const = 0;
  virtual Hash256 genesis_hash() const = 0;
  virtual chain::ChainTip head() const = 0;
  virtual std::optional<chain::Header> header(const Hash256& hash) const = 0;
  virtual std::optional<chain::Block> block(const Hash256& hash) const = 0;
  virtual std::optional<std::vector<chain::Receipt>> receipts(const Hash256& hash) const = 0;
  // The canonical block hash at `number`, if the chain is that long.
  virtual std::optional<Hash256> canonical_hash(std::uint64_t number) const = 0;
  // Where a canonical transaction is.
  virtual std::optional<chain::TxLocation> tx_location(const Hash256& tx_hash) const = 0;
  // Nonce and balance at a stored block's state; nullopt if the block is unknown.
  virtual std::optional<chain::Account> account_at(const Address& address, const Hash256& block_hash) const = 0;
  // Total weight (PoW: total difficulty) of the chain up to a stored block,
  // for a block's "totalDifficulty". Optional: this default knows none, and
  // the RPC then reports it for the head only (from head()) and null for
  // other blocks.
  virtual std::optional<U256> total_weight(const Hash256& /*block_hash*/) const { return std::nullopt; }
  // The block numbers the "safe" and "finalized" tags name (PoW: head minus
  // a configured depth; PBFT: the newest final block).
  virtual std::uint64_t safe_number() const = 0;
  virtual std::uint64_t finalized_number() const = 0;
};

// The transaction pool as RPC sees it.
class TxPoolApi {
 public:
  virtual ~TxPoolApi() = default;
  // Decodes, checks, recovers the sender and adds a raw signed transaction;
  // relays it to peers when added. Added: the hash. Refused: an error in
  // Ethereum's words ("nonce too low", "already known", "insufficient funds
  // for gas * price + value", "replacement transaction underpriced", ...).
  virtual Result<Hash256> submit_raw(BytesView raw) = 0;
  virtual chain::PooledTxPtr pooled(const Hash256& hash) const = 0;  // nullptr if not pooled
  virtual std::uint64_t pending_nonce(const Address& sender) const = 0;
  virtual chain::MempoolStatus status() const = 0;
  virtual std::vector<chain::SenderContent> content() const = 0;
};

// Mining, for PoW chains. A PBFT node answers every call with an Error that
// says validators produce the blocks.
class MinerApi {
 public:
  virtual ~MinerApi() = default;
  struct Work {
    Hash256 seal_hash{};  // what the nonce seals
    Hash256 seed{};       // zero: Tally's PoW has no epoch seed
    Hash256 target{};     // 2^256 / difficulty, big-endian
    std::uint64_t number = 0;
  };
  // Work on a new block template with the pool's best transactions, paying
  // `beneficiary` (or the etherbase when nullopt). Error when no beneficiary
  // is known or the chain is not PoW.
  virtual Result<Work> get_work(const std::optional<Address>& beneficiary) = 0;
  // True when `nonce` seals the template handed out as `seal_hash` and the
  // block was imported as the new head; false for stale, unknown or invalid
  // work (and nothing changes).
  virtual bool submit_work(std::uint64_t nonce, const Hash256& seal_hash) = 0;
  virtual Result<void> start(std::optional<unsigned> threads) = 0;
  virtual void stop() = 0;
  virtual bool mining() const = 0;
  virtual std::uint64_t hashrate() const = 0;  // hashes per second of the node's own miner
  virtual Result<void> set_etherbase(const Address& address) = 0;
  virtual std::optional<Address> etherbase() const = 0;
  // Mines `count` blocks at once (dev chains: minimum difficulty), each with
  // the pool's best transactions. Returns their hashes. Error when the chain
  // does not allow instant mining or no beneficiary is known.
  virtual Result<std::vector<Hash256>> mine_now(std::uint64_t count, const std::optional<Address>& beneficiary) = 0;
};

struct PeerInfo {
  std::string id;  // 0x node id (public key)
  std::string name;
  std::string remote_address;  // host:port
  bool inbound = false;
  std::uint64_t head_number = 0;
};

struct SyncStatus {
  std::uint64_t starting_block = 0;
  std::uint64_t current_block = 0;
  std::uint64_t highest_block = 0;
};

struct ConsensusStatus {
  std::string engine;        // "pow" or "pbft"
  std::uint64_t height = 0;  // the height being decided (PBFT) or mined (PoW)
  std::uint64_t view = 0;    // PBFT view at that height
  std::vector<Address> validators;
  std::uint64_t last_final = 0;
};

// The node itself and its peers.
class NodeInfoApi {
 public:
  virtual ~NodeInfoApi() = default;
  virtual std::string client_version() const = 0;  // "tally/v0.1.0/linux-x86_64"
  virtual std::string node_id() const = 0;
  virtual std::string listen_address() const = 0;  // p2p host:port, empty when not listening
  virtual std::vector<PeerInfo> peers() const = 0;
  virtual Result<void> add_peer(const std::string& host_port) = 0;
  virtual std::optional<SyncStatus> syncing() const = 0;  // nullopt when caught up
  virtual ConsensusStatus consensus_status() const = 0;
};

// Everything the Ethereum API needs, borrowed (the node outlives the server).
struct NodeApi {
  ChainReader* chain = nullptr;
  TxPoolApi* pool = nullptr;
  MinerApi* miner = nullptr;
  NodeInfoApi* info = nullptr;
};

}  // namespace tally::rpc
