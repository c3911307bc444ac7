// Announce-then-fetch gossip of transactions, block relay (compact blocks:
// compact_blocks.cpp), serving headers and bodies, and the relay of opaque
// consensus payloads.

#include <algorithm>
#include <cmath>

#include "crypto/hex.hpp"
#include "p2p/host_impl.hpp"

namespace tally::p2p {
namespace {

// Announced transaction hashes a peer's backlog holds (32 bytes each) while
// its request window is full, and hashes asked for in one GetTxs (a reply
// of transfers stays well under the Txs size cap).
constexpr std::size_t kMaxTxBacklog = 8'192;
constexpr std::size_t kMaxTxHashesPerRequest = 1'024;
// A block whose whole encoding is less than this bigger than its compact
// form (empty or nearly empty blocks) is pushed whole: no round trip for
// nothing.
constexpr std::size_t kMinCompactSavingBytes = 1U << 10U;

}  // namespace

std::uint64_t Host::Impl::send_request(const PeerPtr& peer, PendingRequest request, const Message& message) {
  const auto id = next_request_id++;
  request.peer = peer->id;
  request.deadline = Clock::now() + options.request_timeout;
  requests.emplace(id, std::move(request));
  ++peer->requests_in_flight;
  peer->send(message);
  return id;
}

void Host::Impl::expire_requests(Clock::time_point now) {
  for (auto it = tx_requests.begin(); it != tx_requests.end();) {
    it = it->second <= now ? tx_requests.erase(it) : std::next(it);
  }
  expire_tx_batches(now);
  std::vector<std::pair<std::uint64_t, PendingRequest>> expired;
  for (const auto& [id, request] : requests) {
    if (request.deadline <= now) expired.emplace_back(id, request);
  }
  for (const auto& [id, request] : expired) {
    requests.erase(id);
    auto peer = find_peer(request.peer);
    if (peer) --peer->requests_in_flight;
    if (request.cancelled) continue;
    if (peer) misbehave(peer, kScoreRequestTimeout, "request " + std::to_string(id) + " timed out");
    switch (request.kind) {
      case RequestKind::certificates:
        break;  // the node asks again if it still needs them
      case RequestKind::compact_block:
        block_fetches.erase(request.hashes.front());  // the next announcement asks again
        break;
      case RequestKind::block_txs:
        if (auto it = compact_blocks.find(request.hashes.front());
            it != compact_blocks.end() && it->second.request_id == id) {
          forget_compact_block(request.hashes.front());
        }
        break;
      case RequestKind::sync_headers:
      case RequestKind::sync_bodies:
        on_sync_request_failed(request);
        break;
    }
  }
}

// ---------------------------------------------------------------- transactions

void Host::Impl::expire_tx_batches(Clock::time_point now) {
  std::vector<std::pair<PeerPtr, std::size_t>> late;
  for (const auto& [id, peer] : peers) {
    std::size_t count = 0;
    for (auto& batch : peer->tx_batches) {
      if (batch.expired || batch.deadline > now) continue;
      batch.expired = true;  // its hashes left tx_requests at the same deadline
      ++count;
    }
    if (count > 0) late.emplace_back(peer, count);
  }
  // Scored after the walk: a ban disconnects, which changes `peers`.
  for (const auto& [peer, count] : late) {
    for (std::size_t i = 0; i < count; ++i) misbehave(peer, kScoreRequestTimeout, "a transaction request timed out");
    if (peer->state == PeerState::active) request_backlog(peer);
  }
}

void Host::Impl::on_new_tx_hashes(const PeerPtr& peer, const NewTxHashes& message) {
  peer->known_txs.insert_all(message.hashes, [](const Hash256&) {});
  // Behind a full request window the hashes wait in the peer's backlog
  // (bounded; the oldest go first) and are asked for when a reply frees a
  // slot, so no announcement is lost under load.
  // Most announcements of a transaction come after it arrived from the
  // first peer to announce it: those need no place in the backlog.
  for (const auto& hash : message.hashes) {
    if (!seen_txs.contains(hash)) peer->tx_backlog.push_back(hash);
  }
  while (peer->tx_backlog.size() > kMaxTxBacklog) peer->tx_backlog.pop_front();
  request_backlog(peer);
}

void Host::Impl::request_backlog(const PeerPtr& peer) {
  while (!peer->tx_backlog.empty()) {
    const auto waiting = std::count_if(peer->tx_batches.begin(), peer->tx_batches.end(),
                                       [](const Peer::TxBatch& batch) { return !batch.expired; });
    if (static_cast<std::size_t>(waiting) >= options.max_requests_in_flight ||
        peer->tx_batches.size() >= 2 * options.max_requests_in_flight) {
      return;
    }
    GetTxs request;
    while (!peer->tx_backlog.empty() && request.hashes.size() < kMaxTxHashesPerRequest) {
      const Hash256 hash = peer->tx_backlog.front();
      peer->tx_backlog.pop_front();
      if (seen_txs.contains(hash) || tx_requests.count(hash) != 0 || chain.has_tx(hash)) continue;
      request.hashes.push_back(hash);
    }
    if (request.hashes.empty()) return;
    const auto deadline = Clock::now() + options.request_timeout;
    for (const auto& hash : request.hashes) tx_requests[hash] = deadline;
    peer->tx_batches.push_back(Peer::TxBatch{request.hashes, deadline});
    peer->send(request);
  }
}

void Host::Impl::on_get_txs(const PeerPtr& peer, const GetTxs& message) {
  Txs reply;
  std::size_t bytes = 0;
  for (const auto& hash : message.hashes) {
    auto tx = chain.pooled_tx(hash);
    if (!tx) continue;
    const auto size = chain::encoded_size(*tx) + 8;
    if (bytes + size > kMaxTxsMessageBytes - kReplyMargin) break;
    bytes += size;
    peer->known_txs.insert(hash);
    reply.transactions.push_back(std::move(*tx));
  }
  peer->send(reply);
}

void Host::Impl::on_txs(const PeerPtr& peer, Txs message) {
  if (peer->tx_batches.empty()) {
    misbehave(peer, kScoreUnrequested, "transactions nobody asked for");
    return;
  }
  const Peer::TxBatch answered = std::move(peer->tx_batches.front());
  peer->tx_batches.pop_front();
  // An expired batch's hashes may have been asked of another peer since.
  if (!answered.expired) {
    for (const auto& hash : answered.hashes) tx_requests.erase(hash);
  }
  accept_txs(peer, answered.hashes, std::move(message));
  // The answer freed a request slot.
  if (peer->state == PeerState::active) request_backlog(peer);
}

void Host::Impl::accept_txs(const PeerPtr& peer, const std::vector<Hash256>& batch, Txs message) {
  std::vector<Hash256> hashes;
  std::vector<chain::Transaction> wanted;
  for (auto& tx : message.transactions) {
    const auto hash = chain::tx_hash(tx);
    if (std::find(batch.begin(), batch.end(), hash) == batch.end()) {
      misbehave(peer, kScoreUnrequested, "a transaction it was not asked for");
      if (peer->state != PeerState::active) return;
      continue;
    }
    peer->known_txs.insert(hash);
    hashes.push_back(hash);
    wanted.push_back(std::move(tx));
  }
  if (wanted.empty()) return;
  {
    std::lock_guard lock(snapshot_mutex);
    stats.txs_submitted += wanted.size();
  }
  const auto verdicts = chain.submit_txs(peer->id, std::move(wanted), hashes);
  std::vector<Hash256> accepted;
  for (std::size_t i = 0; i < hashes.size() && i < verdicts.size(); ++i) {
    if (verdicts[i] == TxVerdict::accepted) accepted.push_back(hashes[i]);
    if (verdicts[i] == TxVerdict::invalid && peer->state == PeerState::active) {
      misbehave(peer, kScoreInvalidTx, "invalid transaction " + to_hex_prefixed(hashes[i]));
    }
  }
  relay_txs(accepted, peer->id);
}

void Host::Impl::relay_txs(const std::vector<Hash256>& hashes, PeerId except) {
  std::vector<Hash256> fresh;
  seen_txs.insert_all(hashes, [&](const Hash256& hash) { fresh.push_back(hash); });
  if (fresh.empty()) return;
  for (const auto& peer : active_peers()) {
    if (peer->id == except) continue;
    NewTxHashes announce;
    peer->known_txs.insert_all(fresh, [&](const Hash256& hash) { announce.hashes.push_back(hash); });
    for (std::size_t begin = 0; begin < announce.hashes.size(); begin += kMaxHashesPerMessage) {
      const auto end = std::min(announce.hashes.size(), begin + kMaxHashesPerMessage);
      peer->send(NewTxHashes{{announce.hashes.begin() + static_cast<std::ptrdiff_t>(begin),
                              announce.hashes.begin() + static_cast<std::ptrdiff_t>(end)}});
    }
  }
}

// ---------------------------------------------------------------- blocks

void Host::Impl::note_weight(Peer& peer, const U256& total_weight, const Hash256& block) {
  if (total_weight <= peer.total_weight) return;
  peer.total_weight = total_weight;
  peer.weight_block = block;
}

void Host::Impl::submit_block(PeerId from, chain::Block block) {
  received_blocks.insert(chain::block_hash(block));
  {
    std::lock_guard lock(snapshot_mutex);
    ++stats.blocks_submitted;
  }
  chain.submit_block(from, std::move(block));
}

void Host::Impl::on_new_block_hashes(const PeerPtr& peer, const NewBlockHashes& message) {
  const auto local = chain.status();
  for (const auto& announced : message.blocks) {
    peer->known_blocks.insert(announced.hash);
    peer->head_number = std::max(peer->head_number, announced.number);
    if (received_blocks.contains(announced.hash) || block_fetches.count(announced.hash) != 0 ||
        compact_blocks.count(announced.hash) != 0 || chain.has_block(announced.hash)) {
      continue;
    }
    // A block far ahead needs its ancestors first: sync fetches those.
    if (announced.number > local.head.number + 1 || sync.active) continue;
    if (peer->requests_in_flight >= options.max_requests_in_flight) continue;
    block_fetches[announced.hash] = peer->id;
    send_request(peer, PendingRequest{0, RequestKind::compact_block, {}, {announced.hash}, 1},
                 GetCompactBlock{next_request_id, announced.hash});
  }
}

void Host::Impl::on_new_block(const PeerPtr& peer, NewBlock message) {
  const auto hash = chain::block_hash(message.block);
  peer->known_blocks.insert(hash);
  peer->head_number = std::max(peer->head_number, message.block.header.number);
  note_weight(*peer, message.total_weight, hash);
  if (received_blocks.contains(hash) || chain.has_block(hash)) return;
  // Without its parent the node cannot import it; sync will fetch the gap.
  if (!chain.has_block(message.block.header.parent_hash)) return;
  block_fetches.erase(hash);
  forget_compact_block(hash);  // a GetBlockTxs still in flight is answered and dropped
  submit_block(peer->id, std::move(message.block));
}

void Host::Impl::relay_block(const chain::Block& block, const U256& total_weight) {
  const auto hash = chain::block_hash(block);
  received_blocks.insert(hash);
  if (!seen_blocks.insert(hash)) return;
  std::vector<PeerPtr> targets;
  for (const auto& peer : active_peers()) {
    if (!peer->known_blocks.contains(hash)) targets.push_back(peer);
  }
  if (targets.empty()) return;
  std::shuffle(targets.begin(), targets.end(), random);
  // By hash to every peer when consensus committed it: the validators hold
  // it already, and pushing it to one another cost each of them a compact
  // block (tens of KiB) to encode and several to decode per block; a full
  // node fetches it.
  if (committed_blocks.contains(hash)) {
    const NewBlockHashes announce{{BlockAnnouncement{hash, block.header.number}}};
    for (const auto& peer : targets) {
      peer->known_blocks.insert(hash);
      peer->send(announce);
    }
    return;
  }
  // Pushed to sqrt(n) peers, by hash to the rest (as eth/68). The push is
  // the compact form (header and transaction hashes: the receivers hold
  // most transactions already), unless the whole block is barely bigger.
  const auto pushed = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(targets.size()))));
  std::vector<Hash256> hashes;
  hashes.reserve(block.transactions.size());
  for (const auto& tx : block.transactions) hashes.push_back(chain::tx_hash(tx));
  // Both forms carry the header: the whole block adds the transactions (and
  // a few bytes of list framing), the compact one 33 bytes per hash. Sized
  // without encoding the block.
  std::size_t transaction_bytes = 0;
  for (const auto& tx : block.transactions) transaction_bytes += chain::encoded_size(tx);
  const bool whole =
      transaction_bytes < 33 * hashes.size() + kMinCompactSavingBytes || hashes.size() > kMaxCompactBlockTxs;
  const Message push = whole ? Message{NewBlock{block, total_weight}}
                             : Message{CompactBlock{0, block.header, std::move(hashes), total_weight}};
  const NewBlockHashes announce{{BlockAnnouncement{hash, block.header.number}}};
  for (std::size_t i = 0; i < targets.size(); ++i) {
    targets[i]->known_blocks.insert(hash);
    if (i < pushed) {
      targets[i]->send(push);
    } else {
      targets[i]->send(announce);
    }
  }
}

// ---- headers and bodies

void Host::Impl::on_get_headers(const PeerPtr& peer, const GetHeaders& message) {
  Headers reply;
  reply.request_id = message.request_id;
  const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(message.count, kMaxHeadersPerMessage));
  std::vector<chain::Header> headers;
  if (message.start_hash && count == 1) {
    // A single header by hash may be off the canonical chain (a fresh block).
    if (auto block = chain.block_by_hash(*message.start_hash)) headers.push_back(block->header);
  } else if (message.start_hash) {
    if (auto number = chain.canonical_number(*message.start_hash))
      headers = chain.headers_from(*number, count, message.skip);
  } else if (count > 0) {
    headers = chain.headers_from(message.start_number, count, message.skip);
  }
  std::size_t bytes = 0;
  for (auto& header : headers) {
    if (reply.headers.size() == count) break;
    const auto size = chain::encode_header(header).size();
    if (bytes + size > kMaxHeadersMessageBytes - kReplyMargin) break;
    bytes += size;
    reply.headers.push_back(std::move(header));
  }
  peer->send(reply);
}

void Host::Impl::on_get_bodies(const PeerPtr& peer, const GetBodies& message) {
  Bodies reply;
  reply.request_id = message.request_id;
  std::size_t bytes = 0;
  for (const auto& hash : message.hashes) {
    auto block = chain.block_by_hash(hash);
    if (!block) break;  // a prefix: the asker retries the rest elsewhere
    chain::BlockBody body{std::move(block->transactions)};
    const auto size = chain::encode_body(body).size();
    if (bytes + size > kMaxBlockMessageBytes - kReplyMargin) break;
    bytes += size;
    reply.bodies.push_back(std::move(body));
  }
  peer->send(reply);
}

void Host::Impl::on_headers(const PeerPtr& peer, Headers message) {
  auto it = requests.find(message.request_id);
  if (it == requests.end() || it->second.peer != peer->id || it->second.kind != RequestKind::sync_headers) {
    misbehave(peer, kScoreUnrequested, "headers nobody asked for");
    return;
  }
  const auto request = it->second;
  requests.erase(it);
  --peer->requests_in_flight;
  if (request.cancelled) return;
  on_sync_headers(peer, request, std::move(message.headers));
}

void Host::Impl::on_bodies(const PeerPtr& peer, Bodies message) {
  auto it = requests.find(message.request_id);
  if (it == requests.end() || it->second.peer != peer->id || it->second.kind != RequestKind::sync_bodies) {
    misbehave(peer, kScoreUnrequested, "bodies nobody asked for");
    return;
  }
  const auto request = it->second;
  requests.erase(it);
  --peer->requests_in_flight;
  if (request.cancelled) return;
  if (message.bodies.size() > request.hashes.size()) {
    misbehave(peer, kScoreBadSyncData, "more bodies than asked for");
    on_sync_request_failed(request);
    return;
  }
  on_sync_bodies(peer, request, std::move(message.bodies));
}

// ---------------------------------------------------------------- certificates

void Host::Impl::request_certificates(PeerId peer_id, std::vector<Hash256> hashes) {
  if (hashes.empty()) return;
  if (hashes.size() > kMaxCertificatesPerMessage) hashes.resize(kMaxCertificatesPerMessage);
  PeerPtr peer = peer_id != 0 ? find_peer(peer_id) : nullptr;
  if (!peer || !peer->active()) {
    auto candidates = active_peers();
    if (candidates.empty()) return;
    std::uniform_int_distribution<std::size_t> pick(0, candidates.size() - 1);
    peer = candidates[pick(random)];
  }
  if (peer->requests_in_flight >= options.max_requests_in_flight) return;
  PendingRequest request{0, RequestKind::certificates, {}, hashes, hashes.size()};
  send_request(peer, std::move(request), GetCertificates{next_request_id, std::move(hashes)});
}

void Host::Impl::on_get_certificates(const PeerPtr& peer, const GetCertificates& message) {
  Certificates reply;
  reply.request_id = message.request_id;
  std::size_t bytes = 0;
  for (const auto& hash : message.hashes) {
    auto certificate = chain.certificate(hash);
    if (!certificate || certificate->size() > kMaxCertificateBytes) continue;
    const auto size = certificate->size() + 48;
    if (bytes + size > kMaxBlockMessageBytes - kReplyMargin) break;
    bytes += size;
    reply.certificates.push_back(CertificateEntry{hash, std::move(*certificate)});
  }
  peer->send(reply);
}

void Host::Impl::on_certificates(const PeerPtr& peer, Certificates message) {
  auto it = requests.find(message.request_id);
  if (it == requests.end() || it->second.peer != peer->id || it->second.kind != RequestKind::certificates) {
    misbehave(peer, kScoreUnrequested, "certificates nobody asked for");
    return;
  }
  const auto request = it->second;
  requests.erase(it);
  --peer->requests_in_flight;
  for (const auto& entry : message.certificates) {
    if (std::find(request.hashes.begin(), request.hashes.end(), entry.block_hash) == request.hashes.end()) {
      misbehave(peer, kScoreBadSyncData, "a certificate for a block it was not asked about");
      return;
    }
  }
  if (message.certificates.empty()) return;
  chain.deliver_certificates(peer->id, std::move(message.certificates));
}

// ---------------------------------------------------------------- consensus

void Host::Impl::on_consensus(const PeerPtr& peer, Consensus message) {
  const auto hash = consensus_digest(message.payload);
  peer->known_consensus.insert(hash);
  if (!seen_consensus.insert(hash)) return;
  if (message.payload.size() >= options.lazy_consensus_relay_bytes &&
      pending_consensus_relays < kMaxPendingConsensusRelays) {
    relay_consensus_lazily(hash, message.payload, peer->id);
  } else {
    relay_consensus(hash, message.payload, peer->id);
  }
  chain.deliver_consensus(peer->id, std::move(message.payload));
}

void Host::Impl::on_consensus_hashes(const PeerPtr& peer, const ConsensusHashes& message) {
  for (const auto& hash : message.hashes) peer->known_consensus.insert(hash);
}

void Host::Impl::relay_consensus_lazily(const Hash256& hash, Bytes payload, PeerId from) {
  // Every peer but the sender hears it, even one known to hold the payload:
  // it must learn that this node does too, or its own delayed relay would
  // push the payload here.
  const ConsensusHashes held{{hash}};
  for (const auto& peer : active_peers()) {
    if (peer->id != from) peer->send(held);
  }
  ++pending_consensus_relays;
  auto timer = std::make_shared<asio::steady_timer>(io, options.consensus_relay_delay);
  timer->async_wait([this, timer, hash, from, payload = std::move(payload)](const boost::system::error_code& ec) {
    --pending_consensus_relays;
    if (ec) return;
    relay_consensus(hash, payload, from);
    const std::lock_guard lock(snapshot_mutex);
    ++stats.lazy_consensus_relays;
  });
}

void Host::Impl::relay_consensus(const Hash256& hash, const Bytes& payload, PeerId except) {
  const Consensus message{payload};
  for (const auto& peer : active_peers()) {
    if (peer->id == except || !peer->known_consensus.insert(hash)) continue;
    peer->send(message);
  }
}

}  // namespace tally::p2p
