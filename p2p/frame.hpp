#pragma once
// Wire framing: every message travels as one frame
//
//   length (4 bytes, big-endian) | type (1 byte) | payload (length bytes, RLP)
//
// `length` counts the payload only. Each message type has its own payload
// cap (max_payload_bytes); a reader checks the 5-byte header against the cap
// before it allocates anything for the payload, so a peer announcing a 4 GiB
// frame costs nothing. Pure code: no I/O, no exceptions from the decoders.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::p2p {

// Message ids. Numbers are part of the wire format: never reuse one.
enum class MessageType : std::uint8_t {
  challenge = 0x00,  // handshake: a random nonce the other side must sign
  hello = 0x01,
  disconnect = 0x02,
  ping = 0x03,
  pong = 0x04,
  get_peers = 0x05,
  peers = 0x06,
  new_tx_hashes = 0x10,
  get_txs = 0x11,
  txs = 0x12,
  new_block_hashes = 0x20,
  new_block = 0x21,
  get_headers = 0x22,
  headers = 0x23,
  get_bodies = 0x24,
  bodies = 0x25,
  get_certificates = 0x26,  // finality certificates (PBFT) of blocks, by hash
  certificates = 0x27,
  compact_block = 0x28,      // a block as its header and transaction hashes
  get_compact_block = 0x29,  // a block's compact form, by hash
  get_block_txs = 0x2a,      // transactions of a block, by index
  block_txs = 0x2b,
  consensus = 0x30,
  consensus_hashes = 0x31,  // digests of consensus payloads the sender holds
};

inline constexpr std::size_t kFrameHeaderBytes = 5;

// Per-type payload caps (bytes).
inline constexpr std::size_t kMaxBlockMessageBytes = 10U << 20U;  // new_block, bodies, block_txs, consensus
// compact_block: a header (at most 64 KiB) and 65,536 transaction hashes.
inline constexpr std::size_t kMaxCompactBlockMessageBytes = 3U << 20U;
// get_block_txs: a block hash and 65,536 indexes of at most 3 bytes each.
inline constexpr std::size_t kMaxBlockTxsRequestBytes = 256U << 10U;
inline constexpr std::size_t kMaxHeadersMessageBytes = 2U << 20U;  // headers
inline constexpr std::size_t kMaxTxsMessageBytes = 2U << 20U;      // txs
inline constexpr std::size_t kMaxHashListMessageBytes = 160U << 10U;
inline constexpr std::size_t kMaxSmallMessageBytes = 1U << 10U;  // challenge, disconnect, ping, pong, get_*
inline constexpr std::size_t kMaxHelloBytes = 1U << 10U;
inline constexpr std::size_t kMaxPeersMessageBytes = 32U << 10U;

// The cap for a type byte; nullopt for an unknown type.
std::optional<std::size_t> max_payload_bytes(std::uint8_t type) noexcept;
std::string_view to_string(MessageType type) noexcept;

struct FrameHeader {
  MessageType type = MessageType::ping;
  std::uint32_t payload_length = 0;
};

// Decodes and checks the first kFrameHeaderBytes of `input`: a known type
// and a length within that type's cap.
Result<FrameHeader> decode_frame_header(BytesView input) noexcept;

// A whole frame: the header and the payload it announces.
Bytes encode_frame(MessageType type, BytesView payload);

struct Frame {
  MessageType type = MessageType::ping;
  BytesView payload;  // a view into the input
};

// Reads the frame at the front of `input`. `consumed` is set to the frame's
// size on success. An error for a bad header or a payload not yet complete
// (`incomplete` tells the two apart, for stream readers).
struct FrameDecode {
  Frame frame;
  std::size_t consumed = 0;
};
Result<FrameDecode> decode_frame(BytesView input, bool* incomplete = nullptr) noexcept;

}  // namespace tally::p2p
