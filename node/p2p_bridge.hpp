#pragma once
// The node's side of the p2p contract (p2p::ChainAccess): answers peers from
// the store and the pool, admits their transactions, queues their blocks on
// the importer, and announces what the node imports or pools.
//
// Every ChainAccess call arrives on the p2p host's I/O thread and must not
// block: reads go to LevelDB and the pool (both thread-safe), blocks are
// queued on the importer and judged on its thread.

#include <deque>
#include <functional>
#include <memory>

#include "chain/chain_manager.hpp"
#include "node/importer.hpp"
#include "node/pool_service.hpp"
#include "p2p/chain_access.hpp"
#include "p2p/host.hpp"

namespace tally::node {

class P2pBridge final : public p2p::ChainAccess {
 public:
  using ConsensusHandler = std::function<void(p2p::PeerId, Bytes)>;
  using BlockHandler = std::function<void(p2p::PeerId, chain::Block)>;
  using CertificatesHandler = std::function<void(p2p::PeerId, std::vector<p2p::CertificateEntry>)>;

  P2pBridge(const chain::ChainManager& chain, chain::Mempool& pool, PoolService& pool_service, Importer& importer)
      : chain_(chain), pool_(pool), pool_service_(pool_service), importer_(importer) {}

  // The host this bridge reports to (set once, before the host starts).
  void attach(p2p::Host* host) { host_ = host; }
  // Where consensus payloads go (PBFT); dropped when unset.
  void set_consensus_handler(ConsensusHandler handler) { consensus_ = std::move(handler); }
  // Chains with finality: peers' blocks go here (to wait for their
  // certificates) instead of straight to the importer, and so do the
  // certificates peers send.
  void set_certified_handlers(BlockHandler blocks, CertificatesHandler certificates) {
    blocks_ = std::move(blocks);
    certificates_ = std::move(certificates);
  }

  // Node events to announce.
  void on_head_change(const chain::HeadChange& change);
  void on_pooled(const chain::PooledTxPtr& tx);

  // p2p::ChainAccess
  std::uint64_t chain_id() const override { return chain_.config().chain_id; }
  Hash256 genesis_hash() const override { return chain_.genesis_hash(); }
  p2p::ChainStatus status() const override;
  std::vector<chain::Header> headers_from(std::uint64_t first, std::size_t count, std::uint64_t skip) const override;
  std::optional<std::uint64_t> canonical_number(const Hash256& hash) const override;
  std::optional<chain::Block> block_by_hash(const Hash256& hash) const override { return chain_.store().block(hash); }
  bool has_block(const Hash256& hash) const override { return chain_.store().has_block(hash); }
  bool has_tx(const Hash256& hash) const override;
  std::optional<chain::Transaction> pooled_tx(const Hash256& hash) const override;
  std::vector<Hash256> pooled_hashes(std::size_t max_count) const override;
  std::vector<p2p::TxVerdict> submit_txs(p2p::PeerId from, std::vector<chain::Transaction> txs,
                                         std::span<const Hash256> hashes) override;
  Result<void> check_headers(const chain::Header& parent, std::span<const chain::Header> headers) override;
  void submit_block(p2p::PeerId from, chain::Block block) override;
  void deliver_consensus(p2p::PeerId from, Bytes payload) override;
  std::optional<Bytes> certificate(const Hash256& hash) const override {
    return chain_.store().finality_certificate(hash);
  }
  void deliver_certificates(p2p::PeerId from, std::vector<p2p::CertificateEntry> certificates) override {
    if (certificates_) certificates_(from, std::move(certificates));
  }

 private:
  const chain::ChainManager& chain_;
  chain::Mempool& pool_;
  PoolService& pool_service_;
  Importer& importer_;
  p2p::Host* host_ = nullptr;
  ConsensusHandler consensus_;
  BlockHandler blocks_;
  CertificatesHandler certificates_;
  // The newest headers check_headers passed (I/O thread only): the next
  // sync batch starts on the last of them, and the median-time-past rule
  // needs its ancestors before their bodies are stored.
  std::deque<chain::Header> checked_tail_;
};

}  // namespace tally::node
