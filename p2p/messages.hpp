#pragma once
// The messages of the Tally wire protocol and their strict RLP encodings.
// Each payload is one RLP list; docs/p2p.md lists the fields. Decoders are
// strict (canonical RLP, exact field counts, fixed sizes), bound every list
// by a count checked before anything is decoded, and never throw:
// decode(encode(m)) == m and encode(decode(b)) == b for every accepted b.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chain/block.hpp"
#include "chain/transaction.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"
#include "crypto/uint256.hpp"
#include "p2p/frame.hpp"

namespace tally::p2p {

// 2: compact block relay (0x28-0x2b). 3: consensus_hashes (0x31), and large
// consensus payloads relayed only to peers that have not announced them.
inline constexpr std::uint32_t kProtocolVersion = 3;

// Per-message count bounds.
inline constexpr std::size_t kMaxClientNameBytes = 64;
inline constexpr std::size_t kMaxHostBytes = 255;  // a host name or IP literal
inline constexpr std::size_t kMaxPeerAddresses = 256;
inline constexpr std::size_t kMaxHashesPerMessage = 4'096;
inline constexpr std::size_t kMaxTxsPerMessage = 4'096;
inline constexpr std::size_t kMaxBlockHashesPerMessage = 1'024;
inline constexpr std::size_t kMaxHeadersPerMessage = 512;
inline constexpr std::size_t kMaxBodiesPerMessage = 128;
inline constexpr std::size_t kMaxCertificatesPerMessage = 128;
// One finality certificate: 1,024 validators' 65-byte signatures fit.
inline constexpr std::size_t kMaxCertificateBytes = 128U << 10U;
inline constexpr std::size_t kMaxDisconnectDetailBytes = 256;
// Transactions of one block in CompactBlock, GetBlockTxs and BlockTxs: as
// many as a block may hold (chain::BlockLimits).
inline constexpr std::size_t kMaxCompactBlockTxs = chain::BlockLimits{}.max_transactions;

// Why a connection is closed. Numbers are part of the wire format.
enum class DisconnectReason : std::uint8_t {
  requested = 0,        // a clean close (shutdown, operator)
  protocol_error = 1,   // a malformed frame or message, or one out of order
  wrong_version = 2,    // incompatible protocol version
  wrong_chain_id = 3,   // another network
  wrong_genesis = 4,    // same chain id, different genesis
  bad_signature = 5,    // the hello's signature does not prove its node id
  self_connection = 6,  // we dialled ourselves
  duplicate = 7,        // already connected to this node id
  too_many_peers = 8,
  timeout = 9,        // handshake or ping timed out
  misbehaviour = 10,  // score over the threshold: banned for a while
  slow_reader = 11,   // the send queue went past its limit
  banned = 12,        // refused: the node id is banned
};
inline constexpr std::uint8_t kMaxDisconnectReason = 12;
std::string_view to_string(DisconnectReason reason) noexcept;

// A 65-byte compact signature: r || s || recovery id.
inline constexpr std::size_t kSignatureBytes = 65;

struct Challenge {
  static constexpr MessageType kType = MessageType::challenge;
  Hash256 nonce{};
  bool operator==(const Challenge&) const = default;
};

struct Hello {
  static constexpr MessageType kType = MessageType::hello;
  std::uint32_t protocol_version = kProtocolVersion;
  std::uint64_t chain_id = 0;
  Hash256 genesis_hash{};
  std::uint64_t head_number = 0;
  Hash256 head_hash{};
  U256 total_weight = 0;
  std::uint64_t final_height = 0;
  crypto::PublicKey node_id{};    // uncompressed, 64 bytes
  crypto::Signature signature{};  // over hello_digest(the other side's challenge, node_id)
  std::uint16_t listen_port = 0;  // 0: does not accept connections
  std::string client_name;        // at most kMaxClientNameBytes
  bool operator==(const Hello&) const = default;
};

// What a Hello signs: keccak256("tally-p2p-hello-v1" || challenge || node_id).
Hash256 hello_digest(const Hash256& challenge, const crypto::PublicKey& node_id);

struct Disconnect {
  static constexpr MessageType kType = MessageType::disconnect;
  DisconnectReason reason = DisconnectReason::requested;
  std::string detail;  // human-readable, at most kMaxDisconnectDetailBytes
  bool operator==(const Disconnect&) const = default;
};

struct Ping {
  static constexpr MessageType kType = MessageType::ping;
  std::uint64_t nonce = 0;
  bool operator==(const Ping&) const = default;
};
struct Pong {
  static constexpr MessageType kType = MessageType::pong;
  std::uint64_t nonce = 0;
  bool operator==(const Pong&) const = default;
};

struct GetPeers {
  static constexpr MessageType kType = MessageType::get_peers;
  bool operator==(const GetPeers&) const = default;
};

struct PeerAddress {
  std::string host;  // IP literal or name, at most kMaxHostBytes
  std::uint16_t port = 0;
  bool operator==(const PeerAddress&) const = default;
  std::string to_string() const;  // "host:port", IPv6 in brackets
};
// Parses "host:port" or "[v6]:port"; the port must be 1..65535.
Result<PeerAddress> parse_peer_address(std::string_view text);

struct Peers {
  static constexpr MessageType kType = MessageType::peers;
  std::vector<PeerAddress> addresses;  // at most kMaxPeerAddresses
  bool operator==(const Peers&) const = default;
};

struct NewTxHashes {
  static constexpr MessageType kType = MessageType::new_tx_hashes;
  std::vector<Hash256> hashes;
  bool operator==(const NewTxHashes&) const = default;
};
struct GetTxs {
  static constexpr MessageType kType = MessageType::get_txs;
  std::vector<Hash256> hashes;
  bool operator==(const GetTxs&) const = default;
};
struct Txs {
  static constexpr MessageType kType = MessageType::txs;
  std::vector<chain::Transaction> transactions;
  bool operator==(const Txs&) const = default;
};

struct BlockAnnouncement {
  Hash256 hash{};
  std::uint64_t number = 0;
  bool operator==(const BlockAnnouncement&) const = default;
};
struct NewBlockHashes {
  static constexpr MessageType kType = MessageType::new_block_hashes;
  std::vector<BlockAnnouncement> blocks;
  bool operator==(const NewBlockHashes&) const = default;
};
struct NewBlock {
  static constexpr MessageType kType = MessageType::new_block;
  chain::Block block;
  U256 total_weight = 0;  // of the chain this block ends
  bool operator==(const NewBlock&) const = default;
};

struct GetHeaders {
  static constexpr MessageType kType = MessageType::get_headers;
  std::uint64_t request_id = 0;
  // Start at this hash when set (32 bytes on the wire), else at start_number.
  std::optional<Hash256> start_hash;
  std::uint64_t start_number = 0;
  std::uint64_t count = 0;  // at most kMaxHeadersPerMessage are served
  std::uint64_t skip = 0;   // headers left out between two returned ones
  bool operator==(const GetHeaders&) const = default;
};
struct Headers {
  static constexpr MessageType kType = MessageType::headers;
  std::uint64_t request_id = 0;
  std::vector<chain::Header> headers;
  bool operator==(const Headers&) const = default;
};
struct GetBodies {
  static constexpr MessageType kType = MessageType::get_bodies;
  std::uint64_t request_id = 0;
  std::vector<Hash256> hashes;  // at most kMaxBodiesPerMessage
  bool operator==(const GetBodies&) const = default;
};
struct Bodies {
  static constexpr MessageType kType = MessageType::bodies;
  std::uint64_t request_id = 0;
  // In the order asked; a peer that lacks one stops there (a prefix).
  std::vector<chain::BlockBody> bodies;
  bool operator==(const Bodies&) const = default;
};

// Finality certificates (PBFT commit certificates, opaque to p2p) of blocks.
struct GetCertificates {
  static constexpr MessageType kType = MessageType::get_certificates;
  std::uint64_t request_id = 0;
  std::vector<Hash256> hashes;  // at most kMaxCertificatesPerMessage
  bool operator==(const GetCertificates&) const = default;
};
struct CertificateEntry {
  Hash256 block_hash{};
  Bytes certificate;  // at most kMaxCertificateBytes
  bool operator==(const CertificateEntry&) const = default;
};
struct Certificates {
  static constexpr MessageType kType = MessageType::certificates;
  std::uint64_t request_id = 0;
  // Those of the asked blocks the peer holds a certificate for, in the order asked.
  std::vector<CertificateEntry> certificates;
  bool operator==(const Certificates&) const = default;
};

// Compact block relay: a block travels as its header and transaction
// hashes; the receiver rebuilds it from its pool and asks for what it lacks.
struct CompactBlock {
  static constexpr MessageType kType = MessageType::compact_block;
  std::uint64_t request_id = 0;  // 0: pushed; else the GetCompactBlock it answers
  chain::Header header;
  std::vector<Hash256> tx_hashes;  // the block's transactions in order, at most kMaxCompactBlockTxs
  U256 total_weight = 0;           // of the chain this block ends; 0: not known to the sender
  bool operator==(const CompactBlock&) const = default;
};
// Answered by a CompactBlock, or by an empty BlockTxs when the peer does
// not hold the block.
struct GetCompactBlock {
  static constexpr MessageType kType = MessageType::get_compact_block;
  std::uint64_t request_id = 0;
  Hash256 block_hash{};
  bool operator==(const GetCompactBlock&) const = default;
};
struct GetBlockTxs {
  static constexpr MessageType kType = MessageType::get_block_txs;
  std::uint64_t request_id = 0;
  Hash256 block_hash{};
  // Positions in the block's transaction list: 1..kMaxCompactBlockTxs of
  // them, strictly increasing, each below kMaxCompactBlockTxs.
  std::vector<std::uint32_t> indexes;
  bool operator==(const GetBlockTxs&) const = default;
};
struct BlockTxs {
  static constexpr MessageType kType = MessageType::block_txs;
  std::uint64_t request_id = 0;
  // The transactions asked for, in the order asked; none: the peer does not
  // hold the block (the answer to GetBlockTxs or GetCompactBlock).
  std::vector<chain::Transaction> transactions;
  bool operator==(const BlockTxs&) const = default;
};

struct Consensus {
  static constexpr MessageType kType = MessageType::consensus;
  Bytes payload;  // opaque to p2p; dedup by consensus_digest(payload)
  bool operator==(const Consensus&) const = default;
};

// "I hold these consensus payloads" (by consensus_digest): sent on receipt
// of a large payload, so peers do not relay it to the sender.
struct ConsensusHashes {
  static constexpr MessageType kType = MessageType::consensus_hashes;
  std::vector<Hash256> hashes;
  bool operator==(const ConsensusHashes&) const = default;
};

using Message =
    std::variant<Challenge, Hello, Disconnect, Ping, Pong, GetPeers, Peers, NewTxHashes, GetTxs, Txs, NewBlockHashes,
                 NewBlock, GetHeaders, Headers, GetBodies, Bodies, GetCertificates, Certificates, CompactBlock,
                 GetCompactBlock, GetBlockTxs, BlockTxs, Consensus, ConsensusHashes>;

MessageType type_of(const Message& message) noexcept;

// The RLP payload of a message (without the frame header).
Bytes encode_payload(const Message& message);
// A whole frame: header and payload.
Bytes encode_message(const Message& message);

// Strict decode of a payload of the given type. Errors name the message and field.
Result<Message> decode_message(MessageType type, BytesView payload) noexcept;

}  // namespace tally::p2p
