// Host lifecycle, accepting and dialling, the housekeeping tick, and the
// thread-safe public methods (which post to the I/O thread).

#include "p2p/host.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "p2p/host_impl.hpp"
#include "p2p/node_key.hpp"

namespace tally::p2p {
namespace {

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {  // NOLINT
    throw std::runtime_error("OpenSSL RAND_bytes failed to seed the p2p host");
  }
  return seed;
}

AddressBookOptions book_options(const HostOptions& options) {
  return AddressBookOptions{options.address_book_max, options.backoff_base, options.backoff_max};
}

}  // namespace

Host::Impl::Impl(const crypto::PrivateKey& node_key, ChainAccess& chain_access, HostOptions host_options)
    : key(node_key),
      node_id(crypto::public_key_of(node_key)),
      node_id_hex(p2p::node_id_hex(node_id)),
      chain(chain_access),
      options(std::move(host_options)),
      acceptor(io),
      tick_timer(io),
      random(random_seed()),
      book(book_options(options)),
      seen_txs(options.max_seen_items),
      seen_blocks(options.max_seen_items),
      received_blocks(options.max_seen_items),
      committed_blocks(options.max_known_items),
      seen_consensus(options.max_seen_items) {}

void Host::Impl::log(LogLevel level, const std::string& message) const {
  if (options.log) options.log(level, message);
}

std::int64_t Host::Impl::unix_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> Host::Impl::start() {
  if (started) return fail("p2p host already started");
  if (!options.datadir.empty() && options.discovery) {
    auto loaded = book.load(options.datadir / kAddressBookFileName);
    if (!loaded) log(LogLevel::warn, loaded.error().message + "; starting with an empty address book");
  }
  for (const auto& address : options.bootstrap) {
    auto parsed = parse_peer_address(address);
    if (!parsed) return fail("--peer: " + parsed.error().message);
    book.add(parsed->to_string(), true);
  }
  if (options.listen) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.listen_address, ec);
    if (ec) return fail("p2p listen address '" + options.listen_address + "' is not an IP address");
    const tcp::endpoint endpoint(address, options.port);
    const std::string where = options.listen_address + ":" + std::to_string(options.port);
    if (acceptor.open(endpoint.protocol(), ec); ec) return fail("cannot listen on " + where + ": " + ec.message());
    if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
      return fail("cannot listen on " + where + ": " + ec.message());
    }
    if (acceptor.bind(endpoint, ec); ec) return fail("cannot listen on " + where + ": " + ec.message());
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
      return fail("cannot listen on " + where + ": " + ec.message());
    }
    bound_port = acceptor.local_endpoint(ec).port();
    if (ec) return fail("cannot listen on " + where + ": " + ec.message());
    log(LogLevel::info, "p2p listening on " + options.listen_address + ":" + std::to_string(bound_port.load()) +
                            " as node " + node_id_hex);
    accept_next();
  }
  started = true;
  work.emplace(io.get_executor());
  asio::post(io, [this] { tick(); });
  thread = std::thread([this] {
    // A handler that throws (a bug, or the node's callback) must not take the
    // host down: log it and keep serving.
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        log(LogLevel::warn, std::string("p2p I/O thread caught: ") + e.what());
      }
    }
  });
  return {};
}

void Host::Impl::stop() {
  if (!started || stopping) return;
  stopping = true;
  asio::post(io, [this] {
    boost::system::error_code ignored;  // shutting down: nothing to do about it
    acceptor.close(ignored);
    tick_timer.cancel();
    for (auto& [id, peer] : peers) peer->disconnect(DisconnectReason::requested, "shutting down");
    save_address_book();
    work.reset();
    // Give the Disconnect frames a moment to leave, then stop whatever is left.
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(200));
    timer->async_wait([this, timer](const boost::system::error_code&) { io.stop(); });
  });
  if (thread.joinable()) thread.join();
}

void Host::Impl::accept_next() {
  acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log(LogLevel::warn, "p2p accept failed: " + ec.message());
    } else {
      on_connected(std::move(socket), false, {});
    }
    accept_next();
  });
}

void Host::Impl::dial(const std::string& address) {
  if (stopping || dialing.count(address) != 0) return;
  auto parsed = parse_peer_address(address);
  if (!parsed) {
    log(LogLevel::warn, "not dialling '" + address + "': " + parsed.error().message);
    book.remove(address);
    return;
  }
  dialing.insert(address);
  book.mark_attempt(address, unix_ms());
  auto resolver = std::make_shared<tcp::resolver>(io);
  auto socket = std::make_shared<tcp::socket>(io);
  auto timer = std::make_shared<asio::steady_timer>(io, options.handshake_timeout);
  timer->async_wait([socket, resolver](const boost::system::error_code& ec) {
    if (ec) return;
    resolver->cancel();
    boost::system::error_code ignored;  // cancelling a connect that took too long
    socket->close(ignored);
  });
  auto failed = [this, address, timer](const std::string& why) {
    timer->cancel();
    dialing.erase(address);
    book.mark_failure(address, unix_ms());
    log(LogLevel::debug, "dial " + address + " failed: " + why);
  };
  resolver->async_resolve(parsed->host, std::to_string(parsed->port),
                          [this, address, resolver, socket, timer, failed](const boost::system::error_code& ec,
                                                                           const tcp::resolver::results_type& results) {
                            if (ec) {
                              failed(ec.message());
                              return;
                            }
                            asio::async_connect(*socket, results,
                                                [this, address, socket, timer, failed](
                                                    const boost::system::error_code& connect_ec, const tcp::endpoint&) {
                                                  if (connect_ec) {
                                                    failed(connect_ec.message());
                                                    return;
                                                  }
                                                  timer->cancel();
                                                  dialing.erase(address);
                                                  if (stopping) return;
                                                  on_connected(std::move(*socket), true, address);
                                                });
                          });
}

void Host::Impl::on_connected(tcp::socket socket, bool outbound, const std::string& dial_address) {
  auto peer = std::make_shared<Peer>(*this, std::move(socket), next_peer_id++, outbound, dial_address);
  peers.emplace(peer->id, peer);
  if (RAND_bytes(peer->my_challenge.data(), static_cast<int>(peer->my_challenge.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed to make a handshake challenge");
  }
  peer->start();
  if (!outbound) {
    std::size_t inbound = 0;
    for (const auto& [id, other] : peers) {
      if (!other->outbound && other->state != PeerState::closed) ++inbound;
    }
    if (inbound > options.max_inbound) {
      refuse(peer, DisconnectReason::too_many_peers,
             "at most " + std::to_string(options.max_inbound) + " inbound peers");
      return;
    }
  }
  peer->send(Challenge{peer->my_challenge});
  log(LogLevel::debug, peer->label() + ": connected " + (outbound ? "(outbound)" : "(inbound)"));
}

void Host::Impl::schedule_tick() {
  if (stopping) return;
  tick_timer.expires_after(options.tick_interval);
  tick_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void Host::Impl::tick() {
  if (stopping) return;
  const auto now = Clock::now();
  for (auto it = bans.begin(); it != bans.end();) {
    it = it->second <= now ? bans.erase(it) : std::next(it);
  }
  keep_alive(now);
  expire_requests(now);
  dial_more();
  if (now - last_peer_exchange >= options.peer_exchange_interval) {
    last_peer_exchange = now;
    auto active = active_peers();
    if (!active.empty()) {
      std::uniform_int_distribution<std::size_t> pick(0, active.size() - 1);
      ask_for_peers(active[pick(random)]);
    }
  }
  sync_tick();
  if (now - last_book_save >= std::chrono::seconds(30)) save_address_book();
  {
    std::lock_guard lock(snapshot_mutex);
    ++stats.ticks;
  }
  publish_snapshot();
  schedule_tick();
}

// ---------------------------------------------------------------- Host

Host::Host(const crypto::PrivateKey& node_key, ChainAccess& chain, HostOptions options)
    : impl_(std::make_shared<Impl>(node_key, chain, std::move(options))) {}

Host::~Host() {
  stop();
}

Result<void> Host::start() {
  return impl_->start();
}

void Host::stop() {
  impl_->stop();
}

std::uint16_t Host::port() const {
  return impl_->bound_port.load();
}

const crypto::PublicKey& Host::node_id() const {
  return impl_->node_id;
}

void Host::announce_block(const chain::Block& block, const U256& total_weight) {
  asio::post(impl_->io, [impl = impl_.get(), block, total_weight] { impl->relay_block(block, total_weight); });
}

void Host::note_local_block(const Hash256& hash) {
  asio::post(impl_->io, [impl = impl_.get(), hash] {
    impl->received_blocks.insert(hash);
    impl->committed_blocks.insert(hash);
  });
}

void Host::announce_txs(std::vector<Hash256> hashes) {
  {
    std::lock_guard lock(impl_->announce_mutex);
    const bool flush_queued = !impl_->pending_announces.empty();
    impl_->pending_announces.insert(impl_->pending_announces.end(), hashes.begin(), hashes.end());
    if (flush_queued) return;
  }
  asio::post(impl_->io, [impl = impl_.get()] {
    std::vector<Hash256> batch;
    {
      std::lock_guard lock(impl->announce_mutex);
      batch.swap(impl->pending_announces);
    }
    impl->relay_txs(batch, 0);
  });
}

void Host::broadcast_consensus(Bytes payload) {
  asio::post(impl_->io, [impl = impl_.get(), payload = std::move(payload)] {
    const auto hash = consensus_digest(payload);
    if (!impl->seen_consensus.insert(hash)) return;
    impl->relay_consensus(hash, payload, 0);
  });
}

void Host::request_certificates(PeerId peer, std::vector<Hash256> hashes) {
  asio::post(impl_->io, [impl = impl_.get(), peer, hashes = std::move(hashes)]() mutable {
    impl->request_certificates(peer, std::move(hashes));
  });
}

void Host::report_bad_peer(PeerId peer, std::string reason) {
  asio::post(impl_->io, [impl = impl_.get(), peer, reason = std::move(reason)] {
    auto found = impl->find_peer(peer);
    if (impl->sync.active && impl->sync.header_peer == peer)
      impl->stop_sync("the node refused a block from the sync peer");
    if (!found) return;
    impl->misbehave(found, kScoreInvalidBlock, "reported by the node: " + reason);
  });
}

void Host::add_peer(const std::string& address) {
  auto parsed = parse_peer_address(address);
  if (!parsed) {
    impl_->log(LogLevel::warn, "add_peer: " + parsed.error().message);
    return;
  }
  asio::post(impl_->io, [impl = impl_.get(), address = parsed->to_string()] {
    impl->book.add(address, true);
    impl->dial(address);
  });
}

std::size_t Host::peer_count() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->peer_snapshot.size();
}

std::vector<PeerInfo> Host::peers() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->peer_snapshot;
}

SyncStatus Host::sync_status() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->sync_snapshot;
}

HostStats Host::stats() const {
  HostStats stats;
  {
    std::lock_guard lock(impl_->snapshot_mutex);
    stats = impl_->stats;
  }
  stats.bytes_received = impl_->bytes_received.load(std::memory_order_relaxed);
  stats.bytes_sent = impl_->bytes_sent.load(std::memory_order_relaxed);
  return stats;
}

std::vector<std::string> Host::banned() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->ban_snapshot;
}

}  // namespace tally::p2p
