#pragma once
// Transaction intake: raw bytes from RPC or peers become pooled transactions.
// Decoding, the state-free checks and the sender's recovery (the expensive
// part) run on the caller's thread, so RPC threads and peers work in
// parallel; only the pool's own bookkeeping is serialized (by its lock).

#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_set>
#include <vector>

#include "chain/config.hpp"
#include "chain/mempool.hpp"
#include "node/tx_journal.hpp"
#include "rpc/node_api.hpp"

namespace tally::node {

class PoolService final : public rpc::TxPoolApi {
 public:
  // Called after a transaction enters the pool, on the submitting thread.
  using TxListener = std::function<void(const chain::PooledTxPtr&)>;

  PoolService(const chain::ChainConfig& config, chain::Mempool& pool) : config_(config), pool_(pool) {}

  // Register before the node starts taking transactions.
  void add_listener(TxListener listener) { listeners_.push_back(std::move(listener)); }
  // Remember which transactions came over RPC (the node's own, kept in the
  // journal), and where to journal them (before start).
  void track_locals() { track_locals_ = true; }
  void set_journal(TxJournal* journal) { journal_ = journal; }
  // The raw transactions submitted here (RPC) that are still pooled.
  std::vector<Bytes> pooled_locals();
  // Rewrites the journal when it has grown well past what is still pooled.
  void compact_journal();

  // Checks and pools a transaction already decoded.
  Result<Hash256> submit(const chain::Transaction& tx);

  // For transactions from peers: whether the sender of `tx` is to blame.
  enum class Verdict : std::uint8_t {
    accepted,
    known,    // pooled already, or mined (nonce too low)
    refused,  // valid, but not wanted now (fees, pool full, nonce gap too wide)
    invalid,  // invalid whatever the state: bad signature, wrong chain, malformed
  };
  // One verdict per transaction of a peer's batch, in its order. `hashes`
  // is empty or holds each transaction's tx_hash, as the p2p host computed.
  std::vector<Verdict> submit_from_peer(std::span<const chain::Transaction> txs, std::span<const Hash256> hashes = {});

  Result<Hash256> submit_raw(BytesView raw) override;
  chain::PooledTxPtr pooled(const Hash256& hash) const override { return pool_.get(hash); }
  std::uint64_t pending_nonce(const Address& sender) const override { return pool_.pending_nonce(sender); }
  chain::MempoolStatus status() const override { return pool_.status(); }
  std::vector<chain::SenderContent> content() const override { return pool_.content(); }

 private:
  struct Outcome {
    Result<Hash256> result;
    Verdict verdict;
  };
  Outcome admit(const chain::Transaction& tx);
  // The state-free checks and the sender's recovery.
  Result<Address> check(const chain::Transaction& tx) const;
  Outcome add(const chain::Transaction& tx, const Address& sender, std::optional<Hash256> hash = std::nullopt);

  const chain::ChainConfig& config_;
  chain::Mempool& pool_;
  std::vector<TxListener> listeners_;
  TxJournal* journal_ = nullptr;
  bool track_locals_ = false;
  std::mutex locals_mutex_;
  std::unordered_set<Hash256, FixedBytesHasher, FixedBytesEqual> locals_;
  std::size_t journal_compacted_bytes_ = 0;
};

}  // namespace tally::node
