#include "p2p/frame.hpp"

#include <string>

namespace tally::p2p {

std::optional<std::size_t> max_payload_bytes(std::uint8_t type) noexcept {
  switch (static_cast<MessageType>(type)) {
    case MessageType::challenge:
    case MessageType::disconnect:
    case MessageType::ping:
    case MessageType::pong:
    case MessageType::get_peers:
    case MessageType::get_headers:
    case MessageType::get_compact_block:
      return kMaxSmallMessageBytes;
    case MessageType::hello:
      return kMaxHelloBytes;
    case MessageType::peers:
      return kMaxPeersMessageBytes;
    case MessageType::new_tx_hashes:
    case MessageType::get_txs:
    case MessageType::new_block_hashes:
    case MessageType::get_bodies:
    case MessageType::get_certificates:
    case MessageType::consensus_hashes:
      return kMaxHashListMessageBytes;
    case MessageType::txs:
      return kMaxTxsMessageBytes;
    case MessageType::headers:
      return kMaxHeadersMessageBytes;
    case MessageType::compact_block:
      return kMaxCompactBlockMessageBytes;
    case MessageType::get_block_txs:
      return kMaxBlockTxsRequestBytes;
    case MessageType::new_block:
    case MessageType::bodies:
    case MessageType::certificates:
    case MessageType::block_txs:
    case MessageType::consensus:
      return kMaxBlockMessageBytes;
  }
  return std::nullopt;
}

std::string_view to_string(MessageType type) noexcept {
  switch (type) {
    case MessageType::challenge:
      return "challenge";
    case MessageType::hello:
      return "hello";
    case MessageType::disconnect:
      return "disconnect";
    case MessageType::ping:
      return "ping";
    case MessageType::pong:
      return "pong";
    case MessageType::get_peers:
      return "get_peers";
    case MessageType::peers:
      return "peers";
    case MessageType::new_tx_hashes:
      return "new_tx_hashes";
    case MessageType::get_txs:
      return "get_txs";
    case MessageType::txs:
      return "txs";
    case MessageType::new_block_hashes:
      return "new_block_hashes";
    case MessageType::new_block:
      return "new_block";
    case MessageType::get_headers:
      return "get_headers";
    case MessageType::headers:
      return "headers";
    case MessageType::get_bodies:
      return "get_bodies";
    case MessageType::bodies:
      return "bodies";
    case MessageType::get_certificates:
      return "get_certificates";
    case MessageType::certificates:
      return "certificates";
    case MessageType::compact_block:
      return "compact_block";
    case MessageType::get_compact_block:
      return "get_compact_block";
    case MessageType::get_block_txs:
      return "get_block_txs";
    case MessageType::block_txs:
      return "block_txs";
    case MessageType::consensus:
      return "consensus";
    case MessageType::consensus_hashes:
      return "consensus_hashes";
  }
  return "unknown";
}

Result<FrameHeader> decode_frame_header(BytesView input) noexcept {
  if (input.size() < kFrameHeaderBytes) return fail("frame: header needs 5 bytes");
  const std::uint32_t length = (std::uint32_t{input[0]} << 24U) | (std::uint32_t{input[1]} << 16U) |
                               (std::uint32_t{input[2]} << 8U) | std::uint32_t{input[3]};
  const auto cap = max_payload_bytes(input[4]);
  if (!cap) return fail("frame: unknown message type " + std::to_string(input[4]));
  const auto type = static_cast<MessageType>(input[4]);
  if (length > *cap) {
    return fail("frame: " + std::string(to_string(type)) + " payload of " + std::to_string(length) +
                " bytes exceeds its limit of " + std::to_string(*cap));
  }
  return FrameHeader{type, length};
}

Bytes encode_frame(MessageType type, BytesView payload) {
  const auto length = static_cast<std::uint32_t>(payload.size());
  Bytes out;
  out.reserve(kFrameHeaderBytes + payload.size());
  out.push_back(static_cast<std::uint8_t>(length >> 24U));
  out.push_back(static_cast<std::uint8_t>(length >> 16U));
  out.push_back(static_cast<std::uint8_t>(length >> 8U));
  out.push_back(static_cast<std::uint8_t>(length));
  out.push_back(static_cast<std::uint8_t>(type));
  append(out, payload);
  return out;
}

Result<FrameDecode> decode_frame(BytesView input, bool* incomplete) noexcept {
  if (incomplete != nullptr) *incomplete = false;
  if (input.size() < kFrameHeaderBytes) {
    if (incomplete != nullptr) *incomplete = true;
    return fail("frame: truncated header");
  }
  auto header = decode_frame_header(input);
  if (!header) return Unexpected{header.error()};
  const std::size_t total = kFrameHeaderBytes + header->payload_length;
  if (input.size() < total) {
    if (incomplete != nullptr) *incomplete = true;
    return fail("frame: truncated payload (" + std::to_string(input.size() - kFrameHeaderBytes) + " of " +
                std::to_string(header->payload_length) + " bytes)");
  }
  return FrameDecode{Frame{header->type, input.subspan(kFrameHeaderBytes, header->payload_length)}, total};
}

}  // namespace tally::p2p
