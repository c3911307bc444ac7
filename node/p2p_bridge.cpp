#include "node/p2p_bridge.hpp"

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "chain/execution.hpp"
#include "node/clock.hpp"

namespace tally::node {

namespace {

// Ancestors the median-time-past rule reads (the parent and 10 before it),
// with room to spare.
constexpr std::size_t kCheckedTail = 16;

// Headers of a sync batch not stored yet, in front of the store, so engine
// rules that look at ancestors (median time past) see the whole chain.
class BatchHeaderReader final : public chain::HeaderReader {
 public:
  explicit BatchHeaderReader(const chain::HeaderReader& store) : store_(store) {}
  void add(const chain::Header& header) { batch_.emplace(chain::header_hash(header), header); }
  std::optional<chain::Header> header_by_hash(const Hash256& hash) const override {
    if (auto it = batch_.find(hash); it != batch_.end()) return it->second;
    return store_.header_by_hash(hash);
  }

 private:
  const chain::HeaderReader& store_;
  std::unordered_map<Hash256, chain::Header, FixedBytesHasher, FixedBytesEqual> batch_;
};

}  // namespace

p2p::ChainStatus P2pBridge::status() const {
  return p2p::ChainStatus{chain_.head(), chain_.finalized_number()};
}

std::vector<chain::Header> P2pBridge::headers_from(std::uint64_t first, std::size_t count, std::uint64_t skip) const {
  std::vector<chain::Header> headers;
  const std::uint64_t head = chain_.head().number;
  for (std::uint64_t number = first; headers.size() < count && number <= head; number += skip + 1) {
    const auto hash = chain_.store().canonical_hash(number);
    if (!hash) break;
    auto header = chain_.store().header(*hash);
    if (!header) break;
    headers.push_back(std::move(*header));
    if (skip + 1 > UINT64_MAX - number) break;
  }
  return headers;
}

std::optional<std::uint64_t> P2pBridge::canonical_number(const Hash256& hash) const {
  const auto header = chain_.store().header(hash);
  if (!header) return std::nullopt;
  const auto canonical = chain_.store().canonical_hash(header->number);
  if (!canonical || *canonical != hash) return std::nullopt;
  return header->number;
}

// The pool alone, as geth's fetcher asks: a LevelDB lookup of every new
// announced hash cost 2% of a loaded validator's CPU, almost always to learn
// that the transaction is new. Gossip's seen set already filters what this
// node has lately had; an older, included transaction that a peer announces
// is fetched and refused as known (nonce too low), which scores nobody.
bool P2pBridge::has_tx(const Hash256& hash) const {
  return pool_.contains(hash);
}

std::vector<Hash256> P2pBridge::pooled_hashes(std::size_t max_count) const {
  std::vector<Hash256> hashes;
  for (const auto& tx : pool_.best(0, UINT64_MAX, max_count)) hashes.push_back(tx->hash);
  return hashes;
}

std::optional<chain::Transaction> P2pBridge::pooled_tx(const Hash256& hash) const {
  auto pooled = pool_.get(hash);
  if (!pooled) return std::nullopt;
  return pooled->tx;
}

std::vector<p2p::TxVerdict> P2pBridge::submit_txs(p2p::PeerId /*from*/, std::vector<chain::Transaction> txs,
                                                  std::span<const Hash256> hashes) {
  std::vector<p2p::TxVerdict> verdicts;
  verdicts.reserve(txs.size());
  for (const auto verdict : pool_service_.submit_from_peer(txs, hashes)) {
    switch (verdict) {
      case PoolService::Verdict::accepted:
        verdicts.push_back(p2p::TxVerdict::accepted);
        break;
      case PoolService::Verdict::known:
        verdicts.push_back(p2p::TxVerdict::known);
        break;
      case PoolService::Verdict::refused:
        verdicts.push_back(p2p::TxVerdict::refused);
        break;
      case PoolService::Verdict::invalid:
        verdicts.push_back(p2p::TxVerdict::invalid);
        break;
    }
  }
  return verdicts;
}

Result<void> P2pBridge::check_headers(const chain::Header& parent, std::span<const chain::Header> headers) {
  BatchHeaderReader reader(chain_.store());
  for (const auto& header : checked_tail_) reader.add(header);
  reader.add(parent);
  const chain::Header* previous = &parent;
  const std::uint64_t now = unix_seconds();
  for (const auto& header : headers) {
    if (auto ok = chain::verify_header(chain_.config(), chain_.engine(), header, *previous, reader, now); !ok) {
      return ok;
    }
    reader.add(header);
    previous = &header;
  }
  for (const auto& header : headers) {
    checked_tail_.push_back(header);
    if (checked_tail_.size() > kCheckedTail) checked_tail_.pop_front();
  }
  return {};
}

void P2pBridge::submit_block(p2p::PeerId from, chain::Block block) {
  if (blocks_) {
    blocks_(from, std::move(block));
    return;
  }
  importer_.submit_async(std::move(block), [this, from](const chain::ImportResult& result) {
    if (result.ok() || host_ == nullptr) return;
    // Our own limits are not the peer's fault.
    if (result.error == "import queue full" || result.error == "node is stopping") return;
    spdlog::info("p2p: block from peer {} refused: {}", from, result.error);
    host_->report_bad_peer(from, result.error);
  });
}

void P2pBridge::deliver_consensus(p2p::PeerId from, Bytes payload) {
  if (consensus_) consensus_(from, std::move(payload));
}

void P2pBridge::on_head_change(const chain::HeadChange& change) {
  if (host_ == nullptr) return;
  for (const auto& block : change.added) {
    const auto hash = chain::block_hash(block);
    const auto weight = chain_.store().total_weight(hash);
    host_->announce_block(block, weight ? *weight : U256(0));
  }
}

void P2pBridge::on_pooled(const chain::PooledTxPtr& tx) {
  if (host_ != nullptr) host_->announce_txs({tx->hash});
}

}  // namespace tally::node
