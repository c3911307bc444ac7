// Handshake, message dispatch, scoring and bans, keep-alive, peer exchange,
// dialling policy and the snapshots behind the thread-safe accessors.

#include <algorithm>

#include "crypto/hex.hpp"
#include "p2p/host_impl.hpp"
#include "p2p/node_key.hpp"

namespace tally::p2p {

void Host::Impl::count_sent(MessageType type) {
  std::lock_guard lock(snapshot_mutex);
  ++stats.messages_sent[static_cast<std::size_t>(type)];
}

void Host::Impl::count_received(MessageType type) {
  std::lock_guard lock(snapshot_mutex);
  ++stats.messages_received[static_cast<std::size_t>(type)];
}

PeerPtr Host::Impl::find_peer(PeerId id) const {
  auto it = peers.find(id);
  if (it == peers.end() || it->second->state == PeerState::closed) return nullptr;
  return it->second;
}

std::vector<PeerPtr> Host::Impl::active_peers() const {
  std::vector<PeerPtr> out;
  for (const auto& [id, peer] : peers) {
    if (peer->active()) out.push_back(peer);
  }
  return out;
}

// ---------------------------------------------------------------- dispatch

void Host::Impl::on_frame(const PeerPtr& peer, MessageType type, BytesView payload) {
  if (peer->state == PeerState::closed) return;
  const auto now = Clock::now();
  if (!peer->message_bucket.take(1.0, now) ||
      !peer->byte_bucket.take(static_cast<double>(payload.size() + kFrameHeaderBytes), now)) {
    misbehave(peer, kScoreFlood, "over the inbound rate limit");
    return;
  }
  auto message = decode_message(type, payload);
  if (!message) {
    misbehave(peer, kScoreMalformed, "malformed " + std::string(to_string(type)) + ": " + message.error().message);
    if (peer->state != PeerState::closed) peer->disconnect(DisconnectReason::protocol_error, message.error().message);
    return;
  }
  count_received(type);
  if (peer->state == PeerState::closing) {
    if (type == MessageType::disconnect) on_disconnect_message(peer, std::get<Disconnect>(*message));
    return;
  }
  on_message(peer, *message);
}

void Host::Impl::on_message(const PeerPtr& peer, Message& message) {
  const auto type = type_of(message);
  if (type == MessageType::disconnect) {
    on_disconnect_message(peer, std::get<Disconnect>(message));
    return;
  }
  if (peer->state == PeerState::handshaking) {
    if (type == MessageType::challenge) {
      on_challenge(peer, std::get<Challenge>(message));
    } else if (type == MessageType::hello) {
      on_hello(peer, std::move(std::get<Hello>(message)));
    } else {
      refuse(peer, DisconnectReason::protocol_error, std::string(to_string(type)) + " before the handshake finished");
    }
    return;
  }
  switch (type) {
    case MessageType::challenge:
    case MessageType::hello:
      misbehave(peer, kScoreMalformed, "handshake message after the handshake");
      return;
    case MessageType::ping:
      peer->send(Pong{std::get<Ping>(message).nonce});
      return;
    case MessageType::pong:
      if (peer->ping_outstanding && *peer->ping_outstanding == std::get<Pong>(message).nonce) {
        peer->ping_outstanding.reset();
      } else {
        misbehave(peer, kScoreUnrequested, "pong without a matching ping");
      }
      return;
    case MessageType::get_peers:
      on_get_peers(peer);
      return;
    case MessageType::peers:
      on_peers(peer, std::get<Peers>(message));
      return;
    case MessageType::new_tx_hashes:
      on_new_tx_hashes(peer, std::get<NewTxHashes>(message));
      return;
    case MessageType::get_txs:
      on_get_txs(peer, std::get<GetTxs>(message));
      return;
    case MessageType::txs:
      on_txs(peer, std::move(std::get<Txs>(message)));
      return;
    case MessageType::new_block_hashes:
      on_new_block_hashes(peer, std::get<NewBlockHashes>(message));
      return;
    case MessageType::new_block:
      on_new_block(peer, std::move(std::get<NewBlock>(message)));
      return;
    case MessageType::get_headers:
      on_get_headers(peer, std::get<GetHeaders>(message));
      return;
    case MessageType::headers:
      on_headers(peer, std::move(std::get<Headers>(message)));
      return;
    case MessageType::get_bodies:
      on_get_bodies(peer, std::get<GetBodies>(message));
      return;
    case MessageType::bodies:
      on_bodies(peer, std::move(std::get<Bodies>(message)));
      return;
    case MessageType::get_certificates:
      on_get_certificates(peer, std::get<GetCertificates>(message));
      return;
    case MessageType::certificates:
      on_certificates(peer, std::move(std::get<Certificates>(message)));
      return;
    case MessageType::compact_block:
      on_compact_block(peer, std::move(std::get<CompactBlock>(message)));
      return;
    case MessageType::get_compact_block:
      on_get_compact_block(peer, std::get<GetCompactBlock>(message));
      return;
    case MessageType::get_block_txs:
      on_get_block_txs(peer, std::get<GetBlockTxs>(message));
      return;
    case MessageType::block_txs:
      on_block_txs(peer, std::move(std::get<BlockTxs>(message)));
      return;
    case MessageType::consensus:
      on_consensus(peer, std::move(std::get<Consensus>(message)));
      return;
    case MessageType::consensus_hashes:
      on_consensus_hashes(peer, std::get<ConsensusHashes>(message));
      return;
    case MessageType::disconnect:
      return;  // handled above
  }
}

// ---------------------------------------------------------------- handshake

void Host::Impl::on_challenge(const PeerPtr& peer, const Challenge& challenge) {
  if (peer->got_challenge) {
    refuse(peer, DisconnectReason::protocol_error, "a second challenge");
    return;
  }
  peer->got_challenge = true;
  const auto status = chain.status();
  Hello hello;
  hello.chain_id = chain.chain_id();
  hello.genesis_hash = chain.genesis_hash();
  hello.head_number = status.head.number;
  hello.head_hash = status.head.hash;
  hello.total_weight = status.head.total_weight;
  hello.final_height = status.final_height;
  hello.node_id = node_id;
  hello.signature = crypto::sign(hello_digest(challenge.nonce, node_id), key);
  hello.listen_port = options.listen ? bound_port.load() : std::uint16_t{0};
  hello.client_name = options.client_name.substr(0, kMaxClientNameBytes);
  peer->send(hello);
}

std::optional<std::pair<DisconnectReason, std::string>> Host::Impl::check_hello(const PeerPtr& peer,
                                                                                const Hello& hello) {
  using R = DisconnectReason;
  if (!peer->got_challenge) return std::pair{R::protocol_error, std::string("hello before challenge")};
  if (hello.protocol_version != kProtocolVersion) {
    return std::pair{R::wrong_version, "protocol version " + std::to_string(hello.protocol_version) +
                                           ", this node speaks " + std::to_string(kProtocolVersion)};
  }
  if (hello.chain_id != chain.chain_id()) {
    return std::pair{R::wrong_chain_id, "chain id " + std::to_string(hello.chain_id) + ", this node is on " +
                                            std::to_string(chain.chain_id())};
  }
  if (hello.genesis_hash != chain.genesis_hash()) {
    return std::pair{R::wrong_genesis, "genesis " + to_hex_prefixed(hello.genesis_hash) + ", this node has " +
                                           to_hex_prefixed(chain.genesis_hash())};
  }
  if (!crypto::verify(hello_digest(peer->my_challenge, hello.node_id), hello.signature, hello.node_id)) {
    return std::pair{R::bad_signature, std::string("the signature does not prove the claimed node id")};
  }
  if (hello.node_id == node_id) return std::pair{R::self_connection, std::string("connected to itself")};
  const auto id_hex = p2p::node_id_hex(hello.node_id);
  if (is_banned(id_hex)) return std::pair{R::banned, std::string("node id is banned for misbehaviour")};
  return std::nullopt;
}

void Host::Impl::on_hello(const PeerPtr& peer, Hello hello) {
  if (auto refusal = check_hello(peer, hello)) {
    if (refusal->first == DisconnectReason::self_connection && peer->outbound) {
      self_addresses.insert(peer->dial_address);
      book.remove(peer->dial_address);
    }
    refuse(peer, refusal->first, refusal->second);
    return;
  }
  peer->node_id_hex = p2p::node_id_hex(hello.node_id);
  peer->head_number = hello.head_number;
  peer->total_weight = hello.total_weight;
  peer->weight_block = hello.head_hash;
  peer->final_height = hello.final_height;
  peer->hello = std::move(hello);
  // Two connections to one node (both dialled at once): both sides keep the
  // one dialled by the smaller node id, so they agree which survives.
  for (const auto& [id, other] : peers) {
    if (other == peer || !other->active() || other->node_id_hex != peer->node_id_hex) continue;
    const auto dialer_of = [this](const Peer& p) { return p.outbound ? node_id_hex : p.node_id_hex; };
    if (dialer_of(*peer) < dialer_of(*other)) {
      refuse(other, DisconnectReason::duplicate, "already connected to this node");
      break;
    }
    refuse(peer, DisconnectReason::duplicate, "already connected to this node");
    return;
  }
  activate(peer);
}

void Host::Impl::activate(const PeerPtr& peer) {
  peer->state = PeerState::active;
  peer->last_ping_sent = Clock::now();
  {
    std::lock_guard lock(snapshot_mutex);
    ++stats.handshakes_completed;
  }
  // Without discovery only the bootstrap addresses are ever dialled: the
  // book learns nothing from the peer, not even its own listening address.
  const auto address = options.discovery ? peer->listen_address() : (peer->outbound ? peer->dial_address : "");
  if (!address.empty()) book.mark_success(address, unix_ms());
  log(LogLevel::info, peer->label() + ": connected, client '" + peer->hello->client_name + "', head " +
                          std::to_string(peer->head_number));
  // Learn more addresses while the book is small, or from every outbound peer.
  if (peer->outbound || book.size() < options.max_outbound * 2) ask_for_peers(peer);
  announce_pool(peer);
  publish_snapshot();
}

void Host::Impl::announce_pool(const PeerPtr& peer) {
  NewTxHashes announce;
  for (const auto& hash : chain.pooled_hashes(kMaxHashesPerMessage)) {
    if (peer->known_txs.insert(hash)) announce.hashes.push_back(hash);
  }
  if (!announce.hashes.empty()) peer->send(std::move(announce));
}

void Host::Impl::refuse(const PeerPtr& peer, DisconnectReason reason, const std::string& detail) {
  log(LogLevel::info, "refused " + peer->label() + ": " + std::string(to_string(reason)) + ": " + detail);
  peer->disconnect(reason, detail);
}

void Host::Impl::on_disconnect_message(const PeerPtr& peer, const Disconnect& message) {
  {
    std::lock_guard lock(snapshot_mutex);
    ++stats.disconnects_received[static_cast<std::size_t>(message.reason)];
  }
  log(LogLevel::info, peer->label() + " disconnected: " + std::string(to_string(message.reason)) +
                          (message.detail.empty() ? "" : ": " + message.detail));
  if (peer->outbound && message.reason == DisconnectReason::self_connection) {
    self_addresses.insert(peer->dial_address);
    book.remove(peer->dial_address);
  }
  peer->close();
}

void Host::Impl::on_peer_io_error(const PeerPtr& peer, const std::string& what) {
  if (peer->state != PeerState::closing) log(LogLevel::debug, peer->label() + ": connection closed: " + what);
  peer->close();
}

void Host::Impl::on_peer_closed(const PeerPtr& peer) {
  auto it = peers.find(peer->id);
  if (it == peers.end()) return;
  peers.erase(it);
  if (peer->outbound && peer->hello == std::nullopt && !peer->dial_address.empty()) {
    book.mark_failure(peer->dial_address, unix_ms());
  }
  for (auto req = requests.begin(); req != requests.end();) {
    if (req->second.peer == peer->id) {
      const auto request = req->second;
      req = requests.erase(req);
      if (!request.cancelled &&
          (request.kind == RequestKind::sync_headers || request.kind == RequestKind::sync_bodies)) {
        on_sync_request_failed(request);
      }
    } else {
      ++req;
    }
  }
  for (auto fetch = block_fetches.begin(); fetch != block_fetches.end();) {
    fetch = fetch->second == peer->id ? block_fetches.erase(fetch) : std::next(fetch);
  }
  std::vector<Hash256> rebuilding;
  for (const auto& [hash, pending] : compact_blocks) {
    if (pending.peer == peer->id) rebuilding.push_back(hash);
  }
  for (const auto& hash : rebuilding) forget_compact_block(hash);
  for (const auto& batch : peer->tx_batches) {
    if (batch.expired) continue;
    for (const auto& hash : batch.hashes) tx_requests.erase(hash);
  }
  if (sync.active && sync.header_peer == peer->id) stop_sync("the sync peer disconnected");
  publish_snapshot();
}

// ---------------------------------------------------------------- scoring and bans

std::int32_t decayed_score(std::int32_t score, std::chrono::milliseconds elapsed, std::int32_t per_minute) {
  if (score <= 0 || per_minute <= 0 || elapsed.count() <= 0) return std::max(score, 0);
  const auto faded = static_cast<std::int64_t>(elapsed.count()) * per_minute / 60'000;
  return static_cast<std::int32_t>(std::max<std::int64_t>(0, score - faded));
}

void Host::Impl::misbehave(const PeerPtr& peer, std::int32_t points, const std::string& why) {
  if (peer->state == PeerState::closed) return;
  const auto now = Clock::now();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - peer->score_at);
  const std::int32_t decayed = decayed_score(peer->score, elapsed, options.score_decay_per_minute);
  // Keep the remainder of a partly faded point for the next call.
  if (decayed != peer->score || peer->score == 0) peer->score_at = now;
  peer->score = decayed + points;
  log(LogLevel::warn,
      peer->label() + ": " + why + " (+" + std::to_string(points) + ", score " + std::to_string(peer->score) + ")");
  if (peer->score < options.ban_threshold) return;
  if (!peer->node_id_hex.empty()) ban(peer->node_id_hex);
  if (peer->outbound) book.mark_failure(peer->dial_address, unix_ms());
  // Before the handshake a peer has no id to ban; dropping it is all we can do
  // without banning a shared IP.
  peer->disconnect(DisconnectReason::misbehaviour, why);
}

void Host::Impl::ban(const std::string& id_hex) {
  bans[id_hex] = Clock::now() + options.ban_duration;
  log(LogLevel::warn,
      "banned node " + id_hex.substr(0, 16) + " for " + std::to_string(options.ban_duration.count() / 1000) + " s");
  std::lock_guard lock(snapshot_mutex);
  ++stats.bans;
}

bool Host::Impl::is_banned(const std::string& id_hex) {
  auto it = bans.find(id_hex);
  if (it == bans.end()) return false;
  if (it->second <= Clock::now()) {
    bans.erase(it);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- keep-alive

void Host::Impl::keep_alive(Clock::time_point now) {
  for (const auto& [id, peer] : peers) {
    if (peer->state == PeerState::handshaking && now - peer->created > options.handshake_timeout) {
      refuse(peer, DisconnectReason::timeout,
             "no handshake within " + std::to_string(options.handshake_timeout.count()) + " ms");
      continue;
    }
    if (!peer->active()) continue;
    if (peer->ping_outstanding) {
      if (now - peer->last_ping_sent > options.ping_timeout) {
        refuse(peer, DisconnectReason::timeout,
               "no pong within " + std::to_string(options.ping_timeout.count()) + " ms");
      }
      continue;
    }
    if (now - peer->last_ping_sent >= options.ping_interval) {
      peer->ping_outstanding = random();
      peer->last_ping_sent = now;
      peer->send(Ping{*peer->ping_outstanding});
    }
  }
}

// ---------------------------------------------------------------- addresses

void Host::Impl::dial_more() {
  std::size_t outbound = dialing.size();
  std::unordered_set<std::string> connected;
  for (const auto& [id, peer] : peers) {
    if (peer->outbound) ++outbound;
    const auto address = peer->listen_address();
    if (!address.empty()) connected.insert(address);
    if (!peer->dial_address.empty()) connected.insert(peer->dial_address);
  }
  if (outbound >= options.max_outbound) return;
  const auto want = options.max_outbound - outbound;
  const auto candidates = book.dial_candidates(unix_ms(), want + connected.size() + dialing.size() + 8);
  std::size_t dialled = 0;
  for (const auto& address : candidates) {
    if (dialled == want) break;
    if (connected.count(address) != 0 || dialing.count(address) != 0 || self_addresses.count(address) != 0) {
      continue;
    }
    dial(address);
    ++dialled;
  }
}

void Host::Impl::ask_for_peers(const PeerPtr& peer) {
  if (!options.discovery) return;
  peer->asked_for_peers = true;
  peer->send(GetPeers{});
}

void Host::Impl::on_get_peers(const PeerPtr& peer) {
  Peers reply;
  std::unordered_set<std::string> added;
  const auto asker = peer->listen_address();
  auto offer = [&](const std::string& address) {
    if (address.empty() || address == asker || reply.addresses.size() >= 64 || !added.insert(address).second) return;
    auto parsed = parse_peer_address(address);
    if (parsed) reply.addresses.push_back(*parsed);
  };
  for (const auto& other : active_peers()) offer(other->listen_address());
  for (const auto& address : book.good_addresses(64)) offer(address);
  peer->send(reply);
}

void Host::Impl::on_peers(const PeerPtr& peer, const Peers& message) {
  if (!peer->asked_for_peers) {
    misbehave(peer, kScoreUnrequested, "peers nobody asked for");
    return;
  }
  peer->asked_for_peers = false;
  std::size_t learned = 0;
  for (const auto& address : message.addresses) {
    const auto text = address.to_string();
    if (self_addresses.count(text) != 0 || book.contains(text)) continue;
    book.add(text);
    ++learned;
  }
  if (learned > 0) log(LogLevel::debug, peer->label() + ": learned " + std::to_string(learned) + " addresses");
}

void Host::Impl::save_address_book() {
  last_book_save = Clock::now();
  if (options.datadir.empty()) return;
  auto saved = book.save(options.datadir / kAddressBookFileName);
  if (!saved) log(LogLevel::warn, saved.error().message);
}

void Host::Impl::publish_snapshot() {
  std::vector<PeerInfo> infos;
  for (const auto& peer : active_peers()) {
    PeerInfo info;
    info.id = peer->id;
    info.node_id = peer->node_id_hex;
    info.remote_address = PeerAddress{peer->remote_ip, peer->remote_port}.to_string();
    info.listen_address = peer->listen_address();
    info.outbound = peer->outbound;
    info.client_name = peer->hello ? peer->hello->client_name : std::string{};
    info.head_number = peer->head_number;
    info.score =
        decayed_score(peer->score, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - peer->score_at),
                      options.score_decay_per_minute);
    infos.push_back(std::move(info));
  }
  std::vector<std::string> banned_ids;
  for (const auto& [id_hex, until] : bans) banned_ids.push_back(id_hex);
  SyncStatus status;
  status.syncing = sync.active;
  status.starting_block = sync.starting_block;
  status.highest_block = sync.highest_block;
  status.current_block = chain.status().head.number;
  std::lock_guard lock(snapshot_mutex);
  peer_snapshot = std::move(infos);
  ban_snapshot = std::move(banned_ids);
  sync_snapshot = status;
}

}  // namespace tally::p2p
