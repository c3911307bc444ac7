// Header-first sync: headers in batches from the best peer, checked by the
// node, bodies from several peers in parallel, blocks handed to the node in
// order; back to gossip when caught up.

#include <algorithm>

#include "p2p/host_impl.hpp"

namespace tally::p2p {
namespace {

// A peer whose sync ended without bringing us level is left alone for a while.
constexpr auto kSyncCooldown = std::chrono::seconds(10);

// `weight_counts`: false while the block whose weight the peer claims is
// already with the node, being imported.
bool ahead_of(const Peer& peer, const ChainStatus& local, bool weight_counts = true) {
  return (weight_counts && peer.total_weight > local.head.total_weight) || peer.final_height > local.final_height ||
         peer.head_number > local.head.number + 1;
}

}  // namespace

PeerPtr Host::Impl::best_sync_peer(const ChainStatus& local) {
  PeerPtr best;
  const auto now = Clock::now();
  for (const auto& peer : active_peers()) {
    // A block just handed to the node raises its sender's weight before the
    // import raises ours: syncing then would only fetch that block again.
    const bool weight_counts = !received_blocks.contains(peer->weight_block);
    if (peer->sync_cooldown_until > now || !ahead_of(*peer, local, weight_counts)) continue;
    if (!best || peer->final_height > best->final_height ||
        (peer->final_height == best->final_height && peer->total_weight > best->total_weight)) {
      best = peer;
    }
  }
  return best;
}

void Host::Impl::sync_tick() {
  const auto local = chain.status();
  if (!sync.active) {
    if (auto peer = best_sync_peer(local)) start_sync(peer, local);
    return;
  }
  auto header_peer = find_peer(sync.header_peer);
  if (!header_peer) {
    stop_sync("the sync peer is gone");
    return;
  }
  submit_sync_blocks(local);
  if (sync.headers_exhausted && sync.pending.empty()) {
    log(LogLevel::info, "sync finished at block " + std::to_string(sync.submitted));
    if (ahead_of(*header_peer, chain.status())) header_peer->sync_cooldown_until = Clock::now() + kSyncCooldown;
    sync = SyncState{};
    return;
  }
  request_sync_headers();
  request_sync_bodies();
}

void Host::Impl::start_sync(const PeerPtr& peer, const ChainStatus& local) {
  sync = SyncState{};
  sync.active = true;
  sync.header_peer = peer->id;
  // Start a little below our head, so a peer on a short fork can still link.
  const auto below_head = local.head.number > options.sync_reorg_lookback
                              ? local.head.number - options.sync_reorg_lookback
                              : std::uint64_t{0};
  sync.next_number = std::max(below_head, local.final_height) + 1;
  sync.starting_block = local.head.number;
  sync.highest_block = std::max(peer->head_number, local.head.number);
  sync.submitted = local.head.number;
  log(LogLevel::info, "syncing from " + peer->label() + ": local head " + std::to_string(local.head.number) +
                          ", peer head " + std::to_string(peer->head_number));
  request_sync_headers();
}

void Host::Impl::stop_sync(const std::string& why) {
  if (!sync.active) return;
  log(LogLevel::info, "sync stopped: " + why);
  for (auto& [id, request] : requests) {
    if (request.kind == RequestKind::sync_headers || request.kind == RequestKind::sync_bodies) {
      request.cancelled = true;
    }
  }
  sync = SyncState{};
}

void Host::Impl::request_sync_headers() {
  if (!sync.active || sync.header_request != 0 || sync.headers_exhausted) return;
  if (sync.pending.size() >= options.sync_window_blocks) return;
  const auto local = chain.status();
  if (sync.next_number > local.head.number + 2 * options.sync_window_blocks) return;
  auto peer = find_peer(sync.header_peer);
  if (!peer || peer->requests_in_flight >= options.max_requests_in_flight) return;
  const auto count = std::min<std::size_t>(options.sync_headers_per_request, kMaxHeadersPerMessage);
  PendingRequest request{0, RequestKind::sync_headers, {}, {}, count};
  sync.header_request =
      send_request(peer, request, GetHeaders{next_request_id, std::nullopt, sync.next_number, count, 0});
}

void Host::Impl::on_sync_headers(const PeerPtr& peer, const PendingRequest& request,
                                 std::vector<chain::Header> headers) {
  if (!sync.active || peer->id != sync.header_peer) return;
  sync.header_request = 0;
  if (headers.size() > request.count) {
    misbehave(peer, kScoreBadSyncData, "more headers than asked for");
    stop_sync("bad headers");
    return;
  }
  if (headers.size() < request.count) sync.headers_exhausted = true;
  // Linked: consecutive numbers from the one asked, each on its predecessor.
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const bool number_ok = headers[i].number == sync.next_number + i;
    const bool parent_ok = i == 0 || headers[i].parent_hash == chain::header_hash(headers[i - 1]);
    if (!number_ok || !parent_ok) {
      misbehave(peer, kScoreBadSyncData, "headers that do not form a chain");
      stop_sync("bad headers");
      return;
    }
  }
  // Skip what we already hold (the lookback below our head).
  std::size_t first_new = 0;
  if (!sync.last_header) {
    while (first_new < headers.size() && chain.has_block(chain::header_hash(headers[first_new]))) ++first_new;
  }
  if (first_new == headers.size()) {
    if (!headers.empty()) {
      sync.next_number = headers.back().number + 1;
      sync.last_header = headers.back();
    }
    return;
  }
  std::optional<chain::Header> parent;
  if (first_new > 0) {
    parent = headers[first_new - 1];
  } else if (sync.last_header) {
    if (headers[0].parent_hash != chain::header_hash(*sync.last_header)) {
      misbehave(peer, kScoreBadSyncData, "headers that do not link to the previous batch");
      stop_sync("bad headers");
      return;
    }
    parent = sync.last_header;
  } else if (auto block = chain.block_by_hash(headers[0].parent_hash)) {
    parent = block->header;
  } else {
    // Our chains part further back than the lookback: not this peer's fault.
    peer->sync_cooldown_until = Clock::now() + kSyncCooldown;
    stop_sync("no common ancestor with " + peer->label() + " within the lookback");
    return;
  }
  const std::span<const chain::Header> fresh(headers.begin() + static_cast<std::ptrdiff_t>(first_new), headers.end());
  auto checked = chain.check_headers(*parent, fresh);
  if (!checked) {
    misbehave(peer, kScoreBadSyncData, "invalid headers: " + checked.error().message);
    stop_sync("invalid headers");
    return;
  }
  for (const auto& header : fresh) {
    const auto hash = chain::header_hash(header);
    sync.number_of[hash] = header.number;
    sync.pending.emplace(header.number, SyncBlock{header, hash, std::nullopt, false});
    sync.highest_block = std::max(sync.highest_block, header.number);
  }
  sync.next_number = headers.back().number + 1;
  sync.last_header = headers.back();
  request_sync_bodies();
  request_sync_headers();
}

void Host::Impl::request_sync_bodies() {
  if (!sync.active) return;
  auto candidates = active_peers();
  std::shuffle(candidates.begin(), candidates.end(), random);
  auto next = sync.pending.begin();
  for (const auto& peer : candidates) {
    if (peer->requests_in_flight >= 2) continue;  // at most two body requests per peer at a time
    std::vector<Hash256> hashes;
    while (next != sync.pending.end() && hashes.size() < options.sync_bodies_per_request) {
      auto& block = next->second;
      if (!block.body && !block.requested &&
          (peer->id == sync.header_peer || block.header.number <= peer->head_number)) {
        block.requested = true;
        hashes.push_back(block.hash);
      }
      ++next;
    }
    if (hashes.empty()) break;
    PendingRequest request{0, RequestKind::sync_bodies, {}, hashes, hashes.size()};
    send_request(peer, request, GetBodies{next_request_id, hashes});
  }
}

void Host::Impl::on_sync_request_failed(const PendingRequest& request) {
  if (!sync.active) return;
  if (request.kind == RequestKind::sync_headers) {
    sync.header_request = 0;
    stop_sync("the sync peer did not answer a headers request");
    return;
  }
  for (const auto& hash : request.hashes) {
    auto it = sync.number_of.find(hash);
    if (it == sync.number_of.end()) continue;
    auto block = sync.pending.find(it->second);
    if (block != sync.pending.end() && !block->second.body) block->second.requested = false;
  }
}

void Host::Impl::on_sync_bodies(const PeerPtr& peer, const PendingRequest& request,
                                std::vector<chain::BlockBody> bodies) {
  if (!sync.active) return;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    auto it = sync.number_of.find(request.hashes[i]);
    if (it == sync.number_of.end()) continue;
    auto block = sync.pending.find(it->second);
    if (block == sync.pending.end() || block->second.body) continue;
    if (chain::transactions_root(bodies[i].transactions) != block->second.header.transactions_root) {
      misbehave(peer, kScoreBadSyncData, "a body that does not match its header");
      on_sync_request_failed(request);
      return;
    }
    block->second.body = std::move(bodies[i]);
  }
  // What it did not send goes to another peer.
  PendingRequest rest = request;
  rest.hashes.assign(request.hashes.begin() + static_cast<std::ptrdiff_t>(bodies.size()), request.hashes.end());
  if (!rest.hashes.empty()) {
    peer->sync_cooldown_until = Clock::now() + kSyncCooldown;
    on_sync_request_failed(rest);
  }
  submit_sync_blocks(chain.status());
  request_sync_bodies();
  request_sync_headers();
}

void Host::Impl::submit_sync_blocks(const ChainStatus& local) {
  while (!sync.pending.empty()) {
    auto& [number, block] = *sync.pending.begin();
    if (!block.body) break;
    // Do not run further ahead of the node's imports than the window.
    if (number > local.head.number + options.sync_window_blocks) break;
    const auto hash = block.hash;
    sync.number_of.erase(hash);
    chain::Block full{std::move(block.header), std::move(block.body->transactions)};
    sync.submitted = number;
    sync.pending.erase(sync.pending.begin());
    if (!received_blocks.contains(hash) && !chain.has_block(hash)) {
      submit_block(sync.header_peer, std::move(full));
    }
  }
}

}  // namespace tally::p2p
