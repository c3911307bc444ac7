#pragma once
// The p2p host: listens for and dials peers, runs the handshake, keeps
// peers alive, exchanges addresses, gossips transactions, blocks and
// consensus payloads, and syncs a node that is behind. docs/p2p.md describes
// the protocol, the limits and the contract with the node.
//
// Threads. The host runs one I/O thread of its own. Every ChainAccess call
// happens on it (see chain_access.hpp: the node must not block there). The
// public methods below are thread-safe and never block on the I/O thread:
// they post work to it, or read a snapshot. Boost.Asio stays out of this
// header.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/block.hpp"
#include "chain/transaction.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"
#include "p2p/chain_access.hpp"
#include "p2p/messages.hpp"

namespace tally::p2p {

enum class LogLevel : std::uint8_t { debug, info, warn };

struct HostOptions {
  std::string listen_address = "0.0.0.0";  // an IP literal
  std::uint16_t port = 30'333;             // 0: an ephemeral port, see Host::port()
  bool listen = true;                      // false: outbound only
  std::vector<std::string> bootstrap;      // "host:port", from --peer
  // false: dial only the bootstrap peers and never ask for others (a fixed
  // topology, as tests that place proxies between nodes need).
  bool discovery = true;
  // Where peers.json lives; empty: the address book is not persisted.
  std::filesystem::path datadir;
  std::string client_name = "tally";

  std::size_t max_outbound = 8;  // target: the host dials until it has this many
  std::size_t max_inbound = 32;  // one more is accepted and refused with too_many_peers

  std::chrono::milliseconds handshake_timeout{5'000};
  std::chrono::milliseconds ping_interval{15'000};
  std::chrono::milliseconds ping_timeout{20'000};  // no pong within it: dropped
  std::chrono::milliseconds tick_interval{250};    // housekeeping: dials, pings, timeouts, sync
  std::chrono::milliseconds peer_exchange_interval{30'000};
  std::chrono::milliseconds request_timeout{10'000};  // headers, bodies, txs, compact blocks and their txs

  std::size_t max_send_queue_bytes = 32U << 20U;  // a peer that does not read past it is dropped
  std::size_t max_known_items = 32'768;           // per peer, per kind (txs, blocks, consensus)
  std::size_t max_seen_items = 65'536;            // host-wide seen sets, per kind
  std::size_t max_requests_in_flight = 16;        // per peer
  // A consensus payload of at least this many bytes (a proposal) that came
  // from a peer is relayed lazily: its digest goes to the other peers at
  // once (consensus_hashes), the payload itself after consensus_relay_delay
  // and only to peers that have not said meanwhile that they hold it. In a
  // full mesh nobody needs the relay. Smaller payloads (votes) and this
  // node's own go out whole at once.
  std::size_t lazy_consensus_relay_bytes = 4U << 10U;
  std::chrono::milliseconds consensus_relay_delay{50};
  // Inbound rate: messages and bytes per second per peer (a token bucket
  // holding two seconds' worth). Past it: the message is dropped and the
  // peer scored.
  std::uint32_t max_messages_per_second = 2'000;
  std::size_t max_bytes_per_second = 32U << 20U;

  std::int32_t ban_threshold = 100;
  std::chrono::milliseconds ban_duration{600'000};
  // Misbehaviour points fade by this many per minute, so only sustained
  // misbehaviour reaches the threshold: rare invalid transactions from a
  // long-lived peer (a tx that went stale in flight) never add up to a ban.
  std::int32_t score_decay_per_minute = 10;

  std::size_t address_book_max = 1'000;
  std::chrono::milliseconds backoff_base{1'000};
  std::chrono::milliseconds backoff_max{300'000};

  // Sync: headers per request, bodies per request, and how far ahead of the
  // local head blocks may be fetched and handed over before the node has
  // imported them.
  std::size_t sync_headers_per_request = 192;
  std::size_t sync_bodies_per_request = 32;
  std::size_t sync_window_blocks = 512;
  std::uint64_t sync_reorg_lookback = 128;

  // Receives every log line; empty: nothing is logged.
  std::function<void(LogLevel, const std::string&)> log;
};

// Misbehaviour points (a peer is banned at HostOptions::ban_threshold).
inline constexpr std::int32_t kScoreMalformed = 100;     // bad frame or message
inline constexpr std::int32_t kScoreInvalidBlock = 100;  // reported by the node
inline constexpr std::int32_t kScoreInvalidTx = 10;      // per transaction
inline constexpr std::int32_t kScoreUnrequested = 20;    // data nobody asked for
inline constexpr std::int32_t kScoreFlood = 25;          // per message over the rate limit
inline constexpr std::int32_t kScoreBadSyncData = 100;   // headers that do not link, wrong bodies
inline constexpr std::int32_t kScoreRequestTimeout = 10;

// A score after `elapsed` of decay at `per_minute` points a minute, never
// below zero.
std::int32_t decayed_score(std::int32_t score, std::chrono::milliseconds elapsed, std::int32_t per_minute);

struct PeerInfo {
  PeerId id = 0;
  std::string node_id;         // 128 hex characters
  std::string remote_address;  // "ip:port" of the socket
  std::string listen_address;  // "ip:listen_port", empty if the peer does not listen
  bool outbound = false;
  std::string client_name;
  std::uint64_t head_number = 0;
  std::int32_t score = 0;
};

struct SyncStatus {
  bool syncing = false;
  std::uint64_t starting_block = 0;
  std::uint64_t current_block = 0;
  std::uint64_t highest_block = 0;
};

// Counters, for tests and metrics.
struct HostStats {
  std::array<std::uint64_t, 256> messages_received{};  // by MessageType value
  std::array<std::uint64_t, 256> messages_sent{};
  std::array<std::uint64_t, kMaxDisconnectReason + 1> disconnects_sent{};
  std::array<std::uint64_t, kMaxDisconnectReason + 1> disconnects_received{};
  std::uint64_t handshakes_completed = 0;
  std::uint64_t bans = 0;
  std::uint64_t blocks_submitted = 0;  // handed to ChainAccess::submit_block
  std::uint64_t txs_submitted = 0;
  std::uint64_t lazy_consensus_relays = 0;  // delayed relays of large consensus payloads that have run
  std::uint64_t ticks = 0;  // maintenance rounds run (keep-alive, request expiry, sync), every tick_interval
  // Bytes read from and written to peers' sockets (frames, headers
  // included), over all connections since start.
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
};

class Host {
 public:
  // `chain` must outlive the host.
  Host(const crypto::PrivateKey& node_key, ChainAccess& chain, HostOptions options);
  ~Host();  // stop()
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Loads the address book, binds and listens, starts the I/O thread and
  // dials. Error: e.g. "cannot listen on 0.0.0.0:30333: Address already in use".
  Result<void> start();
  // Saves the address book, closes every connection, joins the thread. Idempotent.
  void stop();

  std::uint16_t port() const;  // the bound port (after start), 0 if not listening
  const crypto::PublicKey& node_id() const;

  // Thread-safe, non-blocking.
  // A block that became part of the local chain (mined or imported): pushed
  // to sqrt(n) peers that do not know it (compact: header and transaction
  // hashes; whole when that saves nothing) and announced by hash to the rest.
  void announce_block(const chain::Block& block, const U256& total_weight);
  // A block the node is importing on its own (a PBFT commit): compact blocks
  // and announcements of it from peers are dropped unrebuilt and unfetched,
  // as for a block a peer sent that waits for import. When announce_block
  // relays it, it goes by hash only: every validator committed it too, and
  // a peer that lacks it (a full node) fetches it.
  void note_local_block(const Hash256& hash);
  // Transactions accepted into the local pool (e.g. from RPC), by hash.
  void announce_txs(std::vector<Hash256> hashes);
  void announce_tx(const Hash256& hash) { announce_txs({hash}); }
  // An opaque consensus payload to every peer (deduplicated by its SHA-256).
  void broadcast_consensus(Bytes payload);
  // Asks `peer` (0: any active peer) for the finality certificates of
  // blocks (at most kMaxCertificatesPerMessage; more are dropped); the
  // answer arrives at ChainAccess::deliver_certificates.
  void request_certificates(PeerId peer, std::vector<Hash256> hashes);
  // The node found data from `peer` invalid (e.g. a block import failed).
  void report_bad_peer(PeerId peer, std::string reason);
  // Dials "host:port" now and keeps it in the address book.
  void add_peer(const std::string& address);

  std::size_t peer_count() const;
  std::vector<PeerInfo> peers() const;
  SyncStatus sync_status() const;
  HostStats stats() const;
  // Node ids (hex) currently banned.
  std::vector<std::string> banned() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace tally::p2p
