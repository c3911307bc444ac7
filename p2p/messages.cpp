// Message encoders, names and the small helpers of messages.hpp.

#include <algorithm>
#include <charconv>
#include <type_traits>

#include "crypto/keccak.hpp"
#include "p2p/messages.hpp"

namespace tally::p2p {
namespace {

// The largest valid messages of the compact block types fit their frame
// caps: list headers and ids (9 bytes each at most), a header within
// chain::BlockLimits, 33 bytes per hash, at most 3 bytes per index.
static_assert(9 + 9 + chain::BlockLimits{}.max_header_bytes + 9 + kMaxCompactBlockTxs * 33 + 33 <=
              kMaxCompactBlockMessageBytes);
static_assert(9 + 9 + 33 + 9 + kMaxCompactBlockTxs * 3 <= kMaxBlockTxsRequestBytes);
static_assert(kMaxCompactBlockTxs - 1 <= 0xff'ffU);

void write_hashes(rlp::Encoder& out, const std::vector<Hash256>& hashes) {
  out.list_header(hashes.size() * 33);
  for (const auto& hash : hashes) out.string(hash);
}

// ---------------------------------------------------------------- encoders

void encode_to(rlp::Encoder& out, const Challenge& m) {
  const auto list = out.begin_list();
  out.string(m.nonce);
  out.end_list(list);
}

Bytes signature_bytes(const crypto::Signature& sig) {
  Bytes out(sig.r.begin(), sig.r.end());
  append(out, sig.s);
  out.push_back(sig.recovery_id);
  return out;
}

void encode_to(rlp::Encoder& out, const Hello& m) {
  const auto list = out.begin_list();
  out.uint(m.protocol_version);
  out.uint(m.chain_id);
  out.string(m.genesis_hash);
  out.uint(m.head_number);
  out.string(m.head_hash);
  out.u256(m.total_weight);
  out.uint(m.final_height);
  out.string(m.node_id.xy);
  out.string(signature_bytes(m.signature));
  out.uint(m.listen_port);
  out.string(as_bytes(m.client_name));
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const Disconnect& m) {
  const auto list = out.begin_list();
  out.uint(static_cast<std::uint8_t>(m.reason));
  out.string(as_bytes(m.detail));
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const Ping& m) {
  const auto list = out.begin_list();
  out.uint(m.nonce);
  out.end_list(list);
}
void encode_to(rlp::Encoder& out, const Pong& m) {
  const auto list = out.begin_list();
  out.uint(m.nonce);
  out.end_list(list);
}
void encode_to(rlp::Encoder& out, const GetPeers&) {
  out.list_header(0);
}

void encode_to(rlp::Encoder& out, const Peers& m) {
  const auto list = out.begin_list();
  const auto inner = out.begin_list();
  for (const auto& address : m.addresses) {
    const auto entry = out.begin_list();
    out.string(as_bytes(address.host));
    out.uint(address.port);
    out.end_list(entry);
  }
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const NewTxHashes& m) {
  const auto list = out.begin_list();
  write_hashes(out, m.hashes);
  out.end_list(list);
}
void encode_to(rlp::Encoder& out, const GetTxs& m) {
  const auto list = out.begin_list();
  write_hashes(out, m.hashes);
  out.end_list(list);
}
void encode_to(rlp::Encoder& out, const ConsensusHashes& m) {
  const auto list = out.begin_list();
  write_hashes(out, m.hashes);
  out.end_list(list);
}
void encode_to(rlp::Encoder& out, const Txs& m) {
  const auto list = out.begin_list();
  const auto inner = out.begin_list();
  for (const auto& tx : m.transactions) chain::append_in_list(out, tx);
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const NewBlockHashes& m) {
  const auto list = out.begin_list();
  const auto inner = out.begin_list();
  for (const auto& block : m.blocks) {
    const auto entry = out.begin_list();
    out.string(block.hash);
    out.uint(block.number);
    out.end_list(entry);
  }
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const NewBlock& m) {
  const auto list = out.begin_list();
  out.raw(chain::encode_block(m.block));
  out.u256(m.total_weight);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const GetHeaders& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  if (m.start_hash) {
    out.string(*m.start_hash);
  } else {
    out.string(BytesView{});
  }
  out.uint(m.start_number);
  out.uint(m.count);
  out.uint(m.skip);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const Headers& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  const auto inner = out.begin_list();
  for (const auto& header : m.headers) chain::append_header(out, header);
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const GetBodies& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  write_hashes(out, m.hashes);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const Bodies& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  const auto inner = out.begin_list();
  for (const auto& body : m.bodies) out.raw(chain::encode_body(body));
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const GetCertificates& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  write_hashes(out, m.hashes);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const Certificates& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  const auto inner = out.begin_list();
  for (const auto& entry : m.certificates) {
    const auto pair = out.begin_list();
    out.string(entry.block_hash);
    out.string(entry.certificate);
    out.end_list(pair);
  }
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const CompactBlock& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  chain::append_header(out, m.header);
  write_hashes(out, m.tx_hashes);
  out.u256(m.total_weight);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const GetCompactBlock& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  out.string(m.block_hash);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const GetBlockTxs& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  out.string(m.block_hash);
  const auto inner = out.begin_list();
  for (const auto index : m.indexes) out.uint(index);
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const BlockTxs& m) {
  const auto list = out.begin_list();
  out.uint(m.request_id);
  const auto inner = out.begin_list();
  for (const auto& tx : m.transactions) chain::append_in_list(out, tx);
  out.end_list(inner);
  out.end_list(list);
}

void encode_to(rlp::Encoder& out, const Consensus& m) {
  const auto list = out.begin_list();
  out.string(m.payload);
  out.end_list(list);
}

}  // namespace

std::string_view to_string(DisconnectReason reason) noexcept {
  switch (reason) {
    case DisconnectReason::requested:
      return "requested";
    case DisconnectReason::protocol_error:
      return "protocol error";
    case DisconnectReason::wrong_version:
      return "wrong protocol version";
    case DisconnectReason::wrong_chain_id:
      return "wrong chain id";
    case DisconnectReason::wrong_genesis:
      return "wrong genesis";
    case DisconnectReason::bad_signature:
      return "bad node id signature";
    case DisconnectReason::self_connection:
      return "self connection";
    case DisconnectReason::duplicate:
      return "duplicate connection";
    case DisconnectReason::too_many_peers:
      return "too many peers";
    case DisconnectReason::timeout:
      return "timeout";
    case DisconnectReason::misbehaviour:
      return "misbehaviour";
    case DisconnectReason::slow_reader:
      return "slow reader";
    case DisconnectReason::banned:
      return "banned";
  }
  return "unknown";
}

Hash256 hello_digest(const Hash256& challenge, const crypto::PublicKey& node_id) {
  static constexpr std::string_view kDomain = "tally-p2p-hello-v1";
  crypto::Keccak256 hasher;
  hasher.update(as_bytes(kDomain));
  hasher.update(challenge);
  hasher.update(node_id.xy);
  return hasher.finish();
}

std::string PeerAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<PeerAddress> parse_peer_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail("peer address '" + std::string(text) + "': expected host:port");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return fail("peer address '" + std::string(text) + "': bad [IPv6]");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("peer address '" + std::string(text) + "': write an IPv6 address as [addr]:port");
  }
  if (host.size() > kMaxHostBytes) return fail("peer address: host longer than 255 bytes");
  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto parsed = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || parsed.ec != std::errc{} || parsed.ptr != end || port == 0 || port > 65'535) {
    return fail("peer address '" + std::string(text) + "': port must be 1..65535");
  }
  return PeerAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

MessageType type_of(const Message& message) noexcept {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

Bytes encode_payload(const Message& message) {
  Bytes out;
  rlp::Encoder encoder(out);
  std::visit([&](const auto& m) { encode_to(encoder, m); }, message);
  return out;
}

Bytes encode_message(const Message& message) {
  return encode_frame(type_of(message), encode_payload(message));
}

}  // namespace tally::p2p
