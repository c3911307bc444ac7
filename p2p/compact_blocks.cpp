// Compact block relay: a block travels as its header and transaction
// hashes; the receiver rebuilds it from its pool and asks the sender only
// for the transactions it lacks (GetBlockTxs). Pending rebuilds are bounded
// in count, per peer and in bytes.

#include <algorithm>

#include "crypto/hex.hpp"
#include "p2p/host_impl.hpp"

namespace tally::p2p {
namespace {

// Compact blocks waiting for transactions: at most this many, this many
// from one peer, and this much memory (an estimate: a header at its largest,
// a slot and a hash per transaction, the pooled transactions' bytes).
constexpr std::size_t kMaxPendingCompactBlocks = 16;
constexpr std::size_t kMaxPendingCompactBlocksPerPeer = 4;
constexpr std::size_t kMaxPendingCompactBytes = 64U << 20U;
// The bounds a block received whole obeys (NewBlock, Bodies).
constexpr std::size_t kMaxBlockBytes = chain::BlockLimits{}.max_block_bytes;
constexpr std::size_t kMaxHeaderBytes = chain::BlockLimits{}.max_header_bytes;

}  // namespace

void Host::Impl::on_get_compact_block(const PeerPtr& peer, const GetCompactBlock& message) {
  auto block = chain.block_by_hash(message.block_hash);
  if (!block || block->transactions.size() > kMaxCompactBlockTxs) {
    peer->send(BlockTxs{message.request_id, {}});  // not held
    return;
  }
  CompactBlock reply;
  reply.request_id = message.request_id;
  reply.tx_hashes.reserve(block->transactions.size());
  for (const auto& tx : block->transactions) reply.tx_hashes.push_back(chain::tx_hash(tx));
  reply.header = std::move(block->header);
  // The weight of the chain a block ends is known here for the head only.
  const auto local = chain.status();
  if (local.head.hash == message.block_hash) reply.total_weight = local.head.total_weight;
  peer->known_blocks.insert(message.block_hash);
  peer->send(reply);
}

void Host::Impl::on_get_block_txs(const PeerPtr& peer, const GetBlockTxs& message) {
  BlockTxs reply;
  reply.request_id = message.request_id;
  auto block = chain.block_by_hash(message.block_hash);
  if (!block) {
    peer->send(reply);  // not held
    return;
  }
  // Only a peer that was never sent this block's hashes asks past its end.
  if (message.indexes.back() >= block->transactions.size()) {
    misbehave(peer, kScoreMalformed,
              "asked for transaction " + std::to_string(message.indexes.back()) + " of a block of " +
                  std::to_string(block->transactions.size()));
    return;
  }
  std::size_t bytes = 0;
  reply.transactions.reserve(message.indexes.size());
  for (const auto index : message.indexes) {
    bytes += chain::encoded_size(block->transactions[index]) + 8;
    reply.transactions.push_back(std::move(block->transactions[index]));
  }
  // Blocks within chain::BlockLimits always fit; anything else is not served.
  if (bytes > kMaxBlockMessageBytes - kReplyMargin) reply.transactions.clear();
  peer->send(reply);
}

void Host::Impl::on_compact_block(const PeerPtr& peer, CompactBlock message) {
  const auto hash = chain::header_hash(message.header);
  if (message.request_id != 0) {
    auto it = requests.find(message.request_id);
    if (it == requests.end() || it->second.peer != peer->id || it->second.kind != RequestKind::compact_block) {
      misbehave(peer, kScoreUnrequested, "a compact block nobody asked for");
      return;
    }
    const auto request = it->second;
    requests.erase(it);
    --peer->requests_in_flight;
    block_fetches.erase(request.hashes.front());
    if (hash != request.hashes.front()) {
      misbehave(peer, kScoreBadSyncData, "a compact block that is not the block asked for");
      return;
    }
  }
  peer->known_blocks.insert(hash);
  peer->head_number = std::max(peer->head_number, message.header.number);
  // Without its parent the node cannot import it; sync will fetch the gap.
  if (received_blocks.contains(hash) || compact_blocks.count(hash) != 0 || chain.has_block(hash) ||
      !chain.has_block(message.header.parent_hash)) {
    note_weight(*peer, message.total_weight, hash);
    return;
  }
  block_fetches.erase(hash);
  rebuild_compact_block(peer, hash, std::move(message));
}

void Host::Impl::rebuild_compact_block(const PeerPtr& peer, const Hash256& hash, CompactBlock message) {
  PendingCompactBlock pending;
  pending.peer = peer->id;
  pending.header = std::move(message.header);
  pending.hashes = std::move(message.tx_hashes);
  pending.transactions.resize(pending.hashes.size());
  for (std::size_t i = 0; i < pending.hashes.size(); ++i) {
    auto tx = chain.pooled_tx(pending.hashes[i]);
    if (!tx) {
      pending.missing.push_back(static_cast<std::uint32_t>(i));
      continue;
    }
    pending.known_bytes += chain::encoded_size(*tx);
    if (pending.known_bytes > kMaxBlockBytes) {
      misbehave(peer, kScoreBadSyncData, "a compact block larger than a block may be");
      return;
    }
    pending.transactions[i] = std::move(*tx);
  }
  // The weight the block claims counts once it is rebuilt (or left to
  // sync): while its transactions are on their way, a sync from this peer
  // would only fetch the same block again.
  pending.total_weight = message.total_weight;
  if (pending.missing.empty()) {
    note_weight(*peer, pending.total_weight, hash);
    complete_compact_block(peer, std::move(pending.header), std::move(pending.transactions));
    return;
  }
  // Ask the sender for what the pool lacks, within bounds; a block that
  // does not fit is left to a later announcement or to sync.
  pending.footprint = kMaxHeaderBytes + pending.known_bytes +
                      pending.hashes.size() * (sizeof(Hash256) + sizeof(chain::Transaction) + sizeof(std::uint32_t));
  const auto from_peer = static_cast<std::size_t>(std::count_if(
      compact_blocks.begin(), compact_blocks.end(), [&](const auto& entry) { return entry.second.peer == peer->id; }));
  if (compact_blocks.size() >= kMaxPendingCompactBlocks || from_peer >= kMaxPendingCompactBlocksPerPeer ||
      pending_compact_bytes + pending.footprint > kMaxPendingCompactBytes ||
      peer->requests_in_flight >= options.max_requests_in_flight) {
    log(LogLevel::debug, peer->label() + ": compact block " + to_hex_prefixed(hash) +
                             " not rebuilt: too many blocks waiting for transactions");
    note_weight(*peer, pending.total_weight, hash);
    return;
  }
  GetBlockTxs ask{next_request_id, hash, pending.missing};
  pending.request_id =
      send_request(peer, PendingRequest{0, RequestKind::block_txs, {}, {hash}, pending.missing.size()}, ask);
  pending_compact_bytes += pending.footprint;
  compact_blocks.emplace(hash, std::move(pending));
}

void Host::Impl::on_block_txs(const PeerPtr& peer, BlockTxs message) {
  auto it = requests.find(message.request_id);
  if (it == requests.end() || it->second.peer != peer->id ||
      (it->second.kind != RequestKind::block_txs && it->second.kind != RequestKind::compact_block)) {
    misbehave(peer, kScoreUnrequested, "block transactions nobody asked for");
    return;
  }
  const auto request = it->second;
  requests.erase(it);
  --peer->requests_in_flight;
  const auto hash = request.hashes.front();
  if (request.kind == RequestKind::compact_block) {
    // The answer of a peer that does not hold the block: no transactions.
    block_fetches.erase(hash);
    if (!message.transactions.empty()) misbehave(peer, kScoreUnrequested, "transactions for a compact block request");
    return;
  }
  auto pending_it = compact_blocks.find(hash);
  // The block arrived another way meanwhile.
  if (pending_it == compact_blocks.end() || pending_it->second.request_id != message.request_id) return;
  auto pending = std::move(pending_it->second);
  forget_compact_block(hash);
  if (message.transactions.empty()) return;  // not held after all: left to sync
  if (message.transactions.size() != pending.missing.size()) {
    misbehave(peer, kScoreBadSyncData,
              "block transactions: " + std::to_string(message.transactions.size()) + " for " +
                  std::to_string(pending.missing.size()) + " asked");
    return;
  }
  std::size_t bytes = pending.known_bytes;
  for (std::size_t i = 0; i < message.transactions.size(); ++i) {
    auto& tx = message.transactions[i];
    const auto index = pending.missing[i];
    if (chain::tx_hash(tx) != pending.hashes[index]) {
      misbehave(peer, kScoreBadSyncData, "a block transaction that is not the one asked for");
      return;
    }
    bytes += chain::encoded_size(tx);
    if (bytes > kMaxBlockBytes) {
      misbehave(peer, kScoreBadSyncData, "a compact block larger than a block may be");
      return;
    }
    pending.transactions[index] = std::move(tx);
  }
  note_weight(*peer, pending.total_weight, hash);
  complete_compact_block(peer, std::move(pending.header), std::move(pending.transactions));
}

void Host::Impl::complete_compact_block(const PeerPtr& peer, chain::Header header,
                                        std::vector<chain::Transaction> txs) {
  // Each transaction matches its hash, so a wrong root means wrong hashes.
  if (chain::transactions_root(txs) != header.transactions_root) {
    misbehave(peer, kScoreBadSyncData, "a compact block whose transactions do not match its header");
    return;
  }
  chain::Block block{std::move(header), std::move(txs)};
  const auto hash = chain::block_hash(block);
  if (received_blocks.contains(hash) || chain.has_block(hash)) return;
  submit_block(peer->id, std::move(block));
}

void Host::Impl::forget_compact_block(const Hash256& hash) {
  auto it = compact_blocks.find(hash);
  if (it == compact_blocks.end()) return;
  pending_compact_bytes -= it->second.footprint;
  compact_blocks.erase(it);
}

}  // namespace tally::p2p
