#pragma once
// Private to p2p/: the host's state and the peer connection. Everything
// here lives on the host's one I/O thread unless marked otherwise.

// Asio's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <atomic>
// GCC 12 at -O2/-O3 reports a null dereference inside Asio's scheduler
// (scheduler.ipp, compensating_work_started), which only ever runs on a
// scheduler thread where the pointer is set: a false positive in a system
// header, silenced for the Asio headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crypto/sha256.hpp"
#include "p2p/address_book.hpp"
#include "p2p/host.hpp"
#include "p2p/messages.hpp"
#include "p2p/recent_set.hpp"

namespace tally::p2p {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using HashSet = RecentHashSet;

// Room left in a reply for the list headers around its items.
inline constexpr std::size_t kReplyMargin = 1U << 10U;

// What consensus payloads are deduplicated by (never sent): SHA-256, as
// collision resistant as keccak256 and 5 to 7 times faster on a PBFT proposal
// through OpenSSL (BM_Sha256 vs BM_Keccak256 at 128 KiB); a proposal
// reaches a validator from every peer that relays it.
inline Hash256 consensus_digest(BytesView payload) {
  return crypto::sha256(payload);
}

// Refills `rate` per second up to `burst`.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst), last_(Clock::now()) {}
  bool take(double amount, Clock::time_point now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

enum class PeerState : std::uint8_t { handshaking, active, closing, closed };

class Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(Host::Impl& host, tcp::socket socket, PeerId id, bool outbound, std::string dial_address);

  void start();
  void send(const Message& message);
  // Sends a Disconnect, then closes once it is written (or after a second).
  void disconnect(DisconnectReason reason, const std::string& detail);
  // Closes now; the host forgets the peer on its next turn.
  void close();

  bool active() const { return state == PeerState::active; }
  std::string label() const;  // for logs: "peer 3 (127.0.0.1:5555, 1a2b3c4d)"
  std::string listen_address() const;

  Host::Impl& host;
  const PeerId id;
  const bool outbound;
  const std::string dial_address;  // outbound: the address dialled
  std::string remote_ip;
  std::uint16_t remote_port = 0;
  PeerState state = PeerState::handshaking;
  Clock::time_point created = Clock::now();

  // Handshake.
  Hash256 my_challenge{};
  bool got_challenge = false;
  std::optional<Hello> hello;  // theirs, once accepted
  std::string node_id_hex;

  // Keep-alive.
  Clock::time_point last_ping_sent = Clock::now();
  std::optional<std::uint64_t> ping_outstanding;

  // What the peer said of its chain.
  std::uint64_t head_number = 0;
  U256 total_weight = 0;
  Hash256 weight_block{};  // the block whose chain `total_weight` is
  std::uint64_t final_height = 0;

  std::int32_t score = 0;
  Clock::time_point score_at = Clock::now();  // when `score` was last decayed
  HashSet known_txs;
  HashSet known_blocks;
  HashSet known_consensus;
  TokenBucket message_bucket;
  TokenBucket byte_bucket;

  bool asked_for_peers = false;
  // GetTxs in flight, oldest first (replies come in request order). A batch
  // past its deadline stays, marked expired, to match a late reply; it no
  // longer counts against the requests a peer may have in flight.
  struct TxBatch {
    std::vector<Hash256> hashes;
    Clock::time_point deadline;
    bool expired = false;
  };
  std::deque<TxBatch> tx_batches;
  std::deque<Hash256> tx_backlog;      // announced, not yet asked for (the request window was full)
  std::size_t requests_in_flight = 0;  // tracked requests (PendingRequest): blocks, headers, bodies, certificates
  Clock::time_point sync_cooldown_until{};

 private:
  void read_header();
  void read_payload();
  void write_next();
  void queue_frame(Bytes frame);

  tcp::socket socket_;
  asio::steady_timer close_timer_;
  std::array<std::uint8_t, kFrameHeaderBytes> header_buffer_{};
  FrameHeader frame_header_{};
  Bytes payload_buffer_;
  // Frames written together at most (well under the system's IOV_MAX).
  static constexpr std::size_t kMaxFramesPerWrite = 64;
  std::deque<Bytes> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
};
using PeerPtr = std::shared_ptr<Peer>;

// A request in flight, answered by the message with its request id.
enum class RequestKind : std::uint8_t {
  compact_block,  // GetCompactBlock: a block announced by hash
  block_txs,      // GetBlockTxs: what the pool lacked to rebuild a compact block
  sync_headers,
  sync_bodies,
  certificates,
};
struct PendingRequest {
  PeerId peer = 0;
  RequestKind kind = RequestKind::compact_block;
  Clock::time_point deadline;
  std::vector<Hash256> hashes;  // compact_block, block_txs: the block; sync_bodies: the bodies asked
  std::uint64_t count = 0;      // sync_headers: how many asked; block_txs: transactions asked
  // No longer wanted (sync stopped): the answer is dropped without scoring
  // the peer, which did nothing wrong.
  bool cancelled = false;
};

// A compact block waiting for the transactions the pool lacked (GetBlockTxs).
struct PendingCompactBlock {
  PeerId peer = 0;
  std::uint64_t request_id = 0;  // the GetBlockTxs in flight
  chain::Header header;
  std::vector<Hash256> hashes;                   // the block's transaction hashes, in order
  std::vector<chain::Transaction> transactions;  // from the pool; placeholders at `missing`
  std::vector<std::uint32_t> missing;            // indexes asked for, increasing
  U256 total_weight = 0;                         // the block's claim, taken as the peer's once the block is rebuilt
  std::size_t known_bytes = 0;                   // encoded size of the transactions from the pool
  std::size_t footprint = 0;                     // memory held, counted against the host's budget
};

struct SyncBlock {
  chain::Header header;
  Hash256 hash{};
  std::optional<chain::BlockBody> body;
  bool requested = false;
};

struct SyncState {
  bool active = false;
  PeerId header_peer = 0;
  std::uint64_t next_number = 0;
  std::optional<chain::Header> last_header;    // tail of the checked headers
  bool headers_exhausted = false;              // the header peer has no more
  std::uint64_t header_request = 0;            // request id in flight, 0: none
  std::map<std::uint64_t, SyncBlock> pending;  // by number: checked headers awaiting bodies or submission
  std::unordered_map<Hash256, std::uint64_t, FixedBytesHasher, FixedBytesEqual> number_of;
  std::uint64_t starting_block = 0;
  std::uint64_t highest_block = 0;
  std::uint64_t submitted = 0;  // highest number handed to the node
};

struct Host::Impl {
  Impl(const crypto::PrivateKey& node_key, ChainAccess& chain_access, HostOptions host_options);

  // ---- host.cpp: lifecycle, accept, dial
  Result<void> start();
  void stop();
  void accept_next();
  void dial(const std::string& address);
  void on_connected(tcp::socket socket, bool outbound, const std::string& dial_address);
  void schedule_tick();
  void tick();
  void log(LogLevel level, const std::string& message) const;
  std::int64_t unix_ms() const;

  // ---- peer_manager.cpp: handshake, dispatch, scoring, bans, keep-alive, addresses
  void on_frame(const PeerPtr& peer, MessageType type, BytesView payload);
  void on_message(const PeerPtr& peer, Message& message);
  void on_challenge(const PeerPtr& peer, const Challenge& challenge);
  void on_hello(const PeerPtr& peer, Hello hello);
  std::optional<std::pair<DisconnectReason, std::string>> check_hello(const PeerPtr& peer, const Hello& hello);
  void activate(const PeerPtr& peer);
  void announce_pool(const PeerPtr& peer);
  void on_disconnect_message(const PeerPtr& peer, const Disconnect& message);
  void on_peer_closed(const PeerPtr& peer);
  void on_peer_io_error(const PeerPtr& peer, const std::string& what);
  void refuse(const PeerPtr& peer, DisconnectReason reason, const std::string& detail);
  void misbehave(const PeerPtr& peer, std::int32_t points, const std::string& why);
  void ban(const std::string& node_id_hex);
  bool is_banned(const std::string& node_id_hex);
  void keep_alive(Clock::time_point now);
  void dial_more();
  void on_get_peers(const PeerPtr& peer);
  void on_peers(const PeerPtr& peer, const Peers& message);
  void ask_for_peers(const PeerPtr& peer);
  void save_address_book();
  void publish_snapshot();
  PeerPtr find_peer(PeerId id) const;
  std::vector<PeerPtr> active_peers() const;
  void count_sent(MessageType type);
  void count_received(MessageType type);

  // ---- gossip.cpp: txs, blocks, consensus
  void on_new_tx_hashes(const PeerPtr& peer, const NewTxHashes& message);
  void on_get_txs(const PeerPtr& peer, const GetTxs& message);
  void on_txs(const PeerPtr& peer, Txs message);
  void relay_txs(const std::vector<Hash256>& hashes, PeerId except);
  void on_new_block_hashes(const PeerPtr& peer, const NewBlockHashes& message);
  void on_new_block(const PeerPtr& peer, NewBlock message);
  void relay_block(const chain::Block& block, const U256& total_weight);
  // Takes a block's claimed chain weight as the peer's, if it is more.
  static void note_weight(Peer& peer, const U256& total_weight, const Hash256& block);
  void on_get_headers(const PeerPtr& peer, const GetHeaders& message);
  void on_get_bodies(const PeerPtr& peer, const GetBodies& message);
  void on_headers(const PeerPtr& peer, Headers message);
  void on_bodies(const PeerPtr& peer, Bodies message);
  void on_consensus(const PeerPtr& peer, Consensus message);
  void on_consensus_hashes(const PeerPtr& peer, const ConsensusHashes& message);
  // Tells the peers that this node holds the payload, and relays it after
  // consensus_relay_delay to those that have not said they hold it.
  void relay_consensus_lazily(const Hash256& hash, Bytes payload, PeerId from);
  void request_certificates(PeerId peer, std::vector<Hash256> hashes);
  void on_get_certificates(const PeerPtr& peer, const GetCertificates& message);
  void on_certificates(const PeerPtr& peer, Certificates message);
  void relay_consensus(const Hash256& hash, const Bytes& payload, PeerId except);
  std::uint64_t send_request(const PeerPtr& peer, PendingRequest request, const Message& message);
  void expire_requests(Clock::time_point now);
  void expire_tx_batches(Clock::time_point now);
  void request_backlog(const PeerPtr& peer);
  void accept_txs(const PeerPtr& peer, const std::vector<Hash256>& batch, Txs message);
  void submit_block(PeerId from, chain::Block block);

  // ---- compact_blocks.cpp
  void on_compact_block(const PeerPtr& peer, CompactBlock message);
  void on_get_compact_block(const PeerPtr& peer, const GetCompactBlock& message);
  void on_get_block_txs(const PeerPtr& peer, const GetBlockTxs& message);
  void on_block_txs(const PeerPtr& peer, BlockTxs message);
  void rebuild_compact_block(const PeerPtr& peer, const Hash256& hash, CompactBlock message);
  void complete_compact_block(const PeerPtr& peer, chain::Header header, std::vector<chain::Transaction> txs);
  void forget_compact_block(const Hash256& hash);

  // ---- sync.cpp
  void sync_tick();
  PeerPtr best_sync_peer(const ChainStatus& local);
  void start_sync(const PeerPtr& peer, const ChainStatus& local);
  void stop_sync(const std::string& why);
  void request_sync_headers();
  void request_sync_bodies();
  void submit_sync_blocks(const ChainStatus& local);
  void on_sync_headers(const PeerPtr& peer, const PendingRequest& request, std::vector<chain::Header> headers);
  void on_sync_bodies(const PeerPtr& peer, const PendingRequest& request, std::vector<chain::BlockBody> bodies);
  void on_sync_request_failed(const PendingRequest& request);

  // Members. io first: destroyed last, after everything that holds its objects.
  asio::io_context io;
  const crypto::PrivateKey key;
  const crypto::PublicKey node_id;
  const std::string node_id_hex;
  ChainAccess& chain;
  const HostOptions options;

  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor;
  asio::steady_timer tick_timer;
  std::thread thread;
  std::atomic<std::uint16_t> bound_port{0};
  bool started = false;
  std::atomic<bool> stopping{false};
  std::mt19937_64 random;

  std::map<PeerId, PeerPtr> peers;  // every open connection, handshaking included
  PeerId next_peer_id = 1;
  AddressBook book;
  std::unordered_set<std::string> dialing;                  // addresses with a dial in progress
  std::unordered_set<std::string> self_addresses;           // addresses that turned out to be us
  std::unordered_map<std::string, Clock::time_point> bans;  // node id hex -> until
  Clock::time_point last_peer_exchange{};
  Clock::time_point last_book_save = Clock::now();

  HashSet seen_txs;
  // Local transactions waiting for the io thread to announce them: one
  // announcement (and one fetch per peer) for all that arrived meanwhile.
  std::mutex announce_mutex;
  std::vector<Hash256> pending_announces;
  HashSet seen_blocks;       // relayed (announced) blocks
  HashSet received_blocks;   // handed to the node
  HashSet committed_blocks;  // noted local by consensus (note_local_block): announced, never pushed
  HashSet seen_consensus;
  // Lazy relays waiting for their delay (each holds its payload); past
  // kMaxPendingConsensusRelays a payload is relayed at once instead.
  static constexpr std::size_t kMaxPendingConsensusRelays = 64;
  std::size_t pending_consensus_relays = 0;
  std::unordered_map<Hash256, Clock::time_point, FixedBytesHasher, FixedBytesEqual> tx_requests;  // hash -> deadline
  // Blocks announced by hash and asked for (GetCompactBlock): hash -> the peer asked.
  std::unordered_map<Hash256, PeerId, FixedBytesHasher, FixedBytesEqual> block_fetches;
  // Compact blocks waiting for transactions, bounded in number (overall and
  // per peer) and in the memory they hold (pending_compact_bytes).
  std::unordered_map<Hash256, PendingCompactBlock, FixedBytesHasher, FixedBytesEqual> compact_blocks;
  std::size_t pending_compact_bytes = 0;
  std::unordered_map<std::uint64_t, PendingRequest> requests;
  std::uint64_t next_request_id = 1;
  SyncState sync;

  // Snapshots for the thread-safe accessors.
  mutable std::mutex snapshot_mutex;
  std::vector<PeerInfo> peer_snapshot;
  HostStats stats;  // bytes_received and bytes_sent: filled from the atomics below
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  SyncStatus sync_snapshot;
  std::vector<std::string> ban_snapshot;
};

}  // namespace tally::p2p
