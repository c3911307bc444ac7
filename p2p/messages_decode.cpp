// Strict decoders of every message payload (see messages.hpp).

#include <algorithm>
#include <string>
#include <vector>

#include "p2p/messages.hpp"

namespace tally::p2p {
namespace {

using rlp::Item;
using rlp::ListReader;

std::string field_error(std::string_view message, std::string_view field, const Error& error) {
  return std::string(message) + " field '" + std::string(field) + "': " + error.message;
}

// The payload's top-level list and its items, exactly `count` of them.
Result<std::vector<Item>> read_fields(BytesView payload, std::size_t count, std::string_view message) noexcept {
  auto top = rlp::decode(payload);
  if (!top) return fail(std::string(message) + ": " + top.error().message);
  auto reader = rlp::read_list(*top);
  if (!reader) return fail(std::string(message) + ": " + reader.error().message);
  std::vector<Item> items;
  items.reserve(count);
  while (!reader->at_end()) {
    if (items.size() == count) {
      return fail(std::string(message) + ": more than " + std::to_string(count) + " fields");
    }
    auto item = reader->next();
    if (!item) return fail(std::string(message) + ": " + item.error().message);
    items.push_back(*item);
  }
  if (items.size() != count) {
    return fail(std::string(message) + ": expected " + std::to_string(count) + " fields, got " +
                std::to_string(items.size()));
  }
  return items;
}

// The items of a list field, at most `max` of them (checked before decoding any).
Result<std::vector<Item>> read_items(const Item& list, std::size_t max, std::string_view what) noexcept {
  auto reader = rlp::read_list(list);
  if (!reader) return fail(std::string(what) + ": " + reader.error().message);
  auto count = reader->count();
  if (!count) return fail(std::string(what) + ": " + count.error().message);
  if (*count > max) {
    return fail(std::string(what) + ": " + std::to_string(*count) + " items, more than the limit of " +
                std::to_string(max));
  }
  std::vector<Item> items;
  items.reserve(*count);
  while (!reader->at_end()) {
    auto item = reader->next();
    if (!item) return fail(std::string(what) + ": " + item.error().message);
    items.push_back(*item);
  }
  return items;
}

Result<std::string> read_text(const Item& item, std::size_t max, std::string_view what) noexcept {
  auto bytes = rlp::read_bytes(item);
  if (!bytes) return fail(std::string(what) + ": " + bytes.error().message);
  if (bytes->size() > max) return fail(std::string(what) + ": longer than " + std::to_string(max) + " bytes");
  return std::string(bytes->begin(), bytes->end());
}

Result<std::vector<Hash256>> read_hashes(const Item& list, std::size_t max, std::string_view what) noexcept {
  auto items = read_items(list, max, what);
  if (!items) return Unexpected{items.error()};
  std::vector<Hash256> hashes;
  hashes.reserve(items->size());
  for (const auto& item : *items) {
    auto hash = rlp::read_fixed<32>(item);
    if (!hash) return fail(std::string(what) + ": " + hash.error().message);
    hashes.push_back(*hash);
  }
  return hashes;
}

Result<std::uint16_t> read_port(const Item& item, std::string_view what) noexcept {
  auto value = rlp::read_uint64(item);
  if (!value) return fail(std::string(what) + ": " + value.error().message);
  if (*value > 65'535) return fail(std::string(what) + ": port above 65535");
  return static_cast<std::uint16_t>(*value);
}
// ---------------------------------------------------------------- decoders

Result<Message> decode_challenge(BytesView payload) noexcept {
  auto f = read_fields(payload, 1, "challenge");
  if (!f) return Unexpected{f.error()};
  auto nonce = rlp::read_fixed<32>((*f)[0]);
  if (!nonce) return fail(field_error("challenge", "nonce", nonce.error()));
  return Message{Challenge{*nonce}};
}

Result<crypto::Signature> read_signature(const Item& item) noexcept {
  auto bytes = rlp::read_fixed<kSignatureBytes>(item);
  if (!bytes) return Unexpected{bytes.error()};
  crypto::Signature sig;
  std::copy_n(bytes->begin(), 32, sig.r.begin());
  std::copy_n(bytes->begin() + 32, 32, sig.s.begin());
  sig.recovery_id = (*bytes)[64];
  if (sig.recovery_id > 3) return fail("RLP: recovery id above 3");
  return sig;
}

Result<Message> decode_hello(BytesView payload) noexcept {
  auto f = read_fields(payload, 11, "hello");
  if (!f) return Unexpected{f.error()};
  const auto& items = *f;
  Hello m;
  auto version = rlp::read_uint64(items[0]);
  if (!version) return fail(field_error("hello", "protocol_version", version.error()));
  if (*version > 0xffff'ffffU) return fail("hello field 'protocol_version': above 2^32 - 1");
  m.protocol_version = static_cast<std::uint32_t>(*version);
  auto chain_id = rlp::read_uint64(items[1]);
  if (!chain_id) return fail(field_error("hello", "chain_id", chain_id.error()));
  m.chain_id = *chain_id;
  auto genesis = rlp::read_fixed<32>(items[2]);
  if (!genesis) return fail(field_error("hello", "genesis_hash", genesis.error()));
  m.genesis_hash = *genesis;
  auto head_number = rlp::read_uint64(items[3]);
  if (!head_number) return fail(field_error("hello", "head_number", head_number.error()));
  m.head_number = *head_number;
  auto head_hash = rlp::read_fixed<32>(items[4]);
  if (!head_hash) return fail(field_error("hello", "head_hash", head_hash.error()));
  m.head_hash = *head_hash;
  auto weight = rlp::read_u256(items[5]);
  if (!weight) return fail(field_error("hello", "total_weight", weight.error()));
  m.total_weight = *weight;
  auto final_height = rlp::read_uint64(items[6]);
  if (!final_height) return fail(field_error("hello", "final_height", final_height.error()));
  m.final_height = *final_height;
  auto node_id = rlp::read_fixed<64>(items[7]);
  if (!node_id) return fail(field_error("hello", "node_id", node_id.error()));
  m.node_id.xy = *node_id;
  auto sig = read_signature(items[8]);
  if (!sig) return fail(field_error("hello", "signature", sig.error()));
  m.signature = *sig;
  auto port = read_port(items[9], "hello field 'listen_port'");
  if (!port) return Unexpected{port.error()};
  m.listen_port = *port;
  auto name = read_text(items[10], kMaxClientNameBytes, "hello field 'client_name'");
  if (!name) return Unexpected{name.error()};
  m.client_name = std::move(*name);
  return Message{std::move(m)};
}

Result<Message> decode_disconnect(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "disconnect");
  if (!f) return Unexpected{f.error()};
  auto reason = rlp::read_uint64((*f)[0]);
  if (!reason) return fail(field_error("disconnect", "reason", reason.error()));
  if (*reason > kMaxDisconnectReason)
    return fail("disconnect field 'reason': unknown reason " + std::to_string(*reason));
  auto detail = read_text((*f)[1], kMaxDisconnectDetailBytes, "disconnect field 'detail'");
  if (!detail) return Unexpected{detail.error()};
  return Message{Disconnect{static_cast<DisconnectReason>(*reason), std::move(*detail)}};
}

template <class M>
Result<Message> decode_nonce_message(BytesView payload, std::string_view name) noexcept {
  auto f = read_fields(payload, 1, name);
  if (!f) return Unexpected{f.error()};
  auto nonce = rlp::read_uint64((*f)[0]);
  if (!nonce) return fail(field_error(name, "nonce", nonce.error()));
  return Message{M{*nonce}};
}

Result<Message> decode_get_peers(BytesView payload) noexcept {
  auto f = read_fields(payload, 0, "get_peers");
  if (!f) return Unexpected{f.error()};
  return Message{GetPeers{}};
}

Result<Message> decode_peers(BytesView payload) noexcept {
  auto f = read_fields(payload, 1, "peers");
  if (!f) return Unexpected{f.error()};
  auto items = read_items((*f)[0], kMaxPeerAddresses, "peers field 'addresses'");
  if (!items) return Unexpected{items.error()};
  Peers m;
  m.addresses.reserve(items->size());
  for (const auto& item : *items) {
    auto reader = rlp::read_list(item);
    if (!reader) return fail("peers: address entry: " + reader.error().message);
    auto host = reader->next();
    if (!host) return fail("peers: address entry: " + host.error().message);
    auto port = reader->next();
    if (!port) return fail("peers: address entry: " + port.error().message);
    if (!reader->at_end()) return fail("peers: address entry has more than 2 fields");
    auto text = read_text(*host, kMaxHostBytes, "peers: address host");
    if (!text) return Unexpected{text.error()};
    if (text->empty()) return fail("peers: address host is empty");
    auto number = read_port(*port, "peers: address port");
    if (!number) return Unexpected{number.error()};
    m.addresses.push_back(PeerAddress{std::move(*text), *number});
  }
  return Message{std::move(m)};
}

template <class M>
Result<Message> decode_hash_message(BytesView payload, std::string_view name) noexcept {
  auto f = read_fields(payload, 1, name);
  if (!f) return Unexpected{f.error()};
  auto hashes = read_hashes((*f)[0], kMaxHashesPerMessage, std::string(name) + " field 'hashes'");
  if (!hashes) return Unexpected{hashes.error()};
  return Message{M{std::move(*hashes)}};
}

Result<Message> decode_txs(BytesView payload) noexcept {
  auto f = read_fields(payload, 1, "txs");
  if (!f) return Unexpected{f.error()};
  auto items = read_items((*f)[0], kMaxTxsPerMessage, "txs field 'transactions'");
  if (!items) return Unexpected{items.error()};
  Txs m;
  m.transactions.reserve(items->size());
  for (const auto& item : *items) {
    auto tx = chain::decode_in_list(item);
    if (!tx) return fail("txs: transaction " + std::to_string(m.transactions.size()) + ": " + tx.error().message);
    m.transactions.push_back(std::move(*tx));
  }
  return Message{std::move(m)};
}

Result<Message> decode_new_block_hashes(BytesView payload) noexcept {
  auto f = read_fields(payload, 1, "new_block_hashes");
  if (!f) return Unexpected{f.error()};
  auto items = read_items((*f)[0], kMaxBlockHashesPerMessage, "new_block_hashes field 'blocks'");
  if (!items) return Unexpected{items.error()};
  NewBlockHashes m;
  for (const auto& item : *items) {
    auto reader = rlp::read_list(item);
    if (!reader) return fail("new_block_hashes: entry: " + reader.error().message);
    auto hash = reader->next();
    if (!hash) return fail("new_block_hashes: entry: " + hash.error().message);
    auto number = reader->next();
    if (!number) return fail("new_block_hashes: entry: " + number.error().message);
    if (!reader->at_end()) return fail("new_block_hashes: entry has more than 2 fields");
    auto h = rlp::read_fixed<32>(*hash);
    if (!h) return fail("new_block_hashes: entry hash: " + h.error().message);
    auto n = rlp::read_uint64(*number);
    if (!n) return fail("new_block_hashes: entry number: " + n.error().message);
    m.blocks.push_back(BlockAnnouncement{*h, *n});
  }
  return Message{std::move(m)};
}

Result<Message> decode_new_block(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "new_block");
  if (!f) return Unexpected{f.error()};
  auto block = chain::decode_block((*f)[0].encoded);
  if (!block) return fail(field_error("new_block", "block", block.error()));
  auto weight = rlp::read_u256((*f)[1]);
  if (!weight) return fail(field_error("new_block", "total_weight", weight.error()));
  return Message{NewBlock{std::move(*block), *weight}};
}

Result<Message> decode_get_headers(BytesView payload) noexcept {
  auto f = read_fields(payload, 5, "get_headers");
  if (!f) return Unexpected{f.error()};
  const auto& items = *f;
  GetHeaders m;
  auto id = rlp::read_uint64(items[0]);
  if (!id) return fail(field_error("get_headers", "request_id", id.error()));
  m.request_id = *id;
  auto hash = rlp::read_bytes(items[1]);
  if (!hash) return fail(field_error("get_headers", "start_hash", hash.error()));
  if (hash->size() == 32) {
    Hash256 h{};
    std::copy(hash->begin(), hash->end(), h.begin());
    m.start_hash = h;
  } else if (!hash->empty()) {
    return fail("get_headers field 'start_hash': expected 0 or 32 bytes");
  }
  auto number = rlp::read_uint64(items[2]);
  if (!number) return fail(field_error("get_headers", "start_number", number.error()));
  m.start_number = *number;
  if (m.start_hash && m.start_number != 0) return fail("get_headers: both start_hash and start_number are set");
  auto count = rlp::read_uint64(items[3]);
  if (!count) return fail(field_error("get_headers", "count", count.error()));
  m.count = *count;
  auto skip = rlp::read_uint64(items[4]);
  if (!skip) return fail(field_error("get_headers", "skip", skip.error()));
  m.skip = *skip;
  return Message{m};
}

Result<Message> decode_headers(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "headers");
  if (!f) return Unexpected{f.error()};
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("headers", "request_id", id.error()));
  auto items = read_items((*f)[1], kMaxHeadersPerMessage, "headers field 'headers'");
  if (!items) return Unexpected{items.error()};
  Headers m;
  m.request_id = *id;
  m.headers.reserve(items->size());
  for (const auto& item : *items) {
    auto header = chain::decode_header_item(item);
    if (!header) return fail("headers: header " + std::to_string(m.headers.size()) + ": " + header.error().message);
    m.headers.push_back(std::move(*header));
  }
  return Message{std::move(m)};
}

Result<Message> decode_get_bodies(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "get_bodies");
  if (!f) return Unexpected{f.error()};
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("get_bodies", "request_id", id.error()));
  auto hashes = read_hashes((*f)[1], kMaxBodiesPerMessage, "get_bodies field 'hashes'");
  if (!hashes) return Unexpected{hashes.error()};
  return Message{GetBodies{*id, std::move(*hashes)}};
}

Result<Message> decode_bodies(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "bodies");
  if (!f) return Unexpected{f.error()};
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("bodies", "request_id", id.error()));
  auto items = read_items((*f)[1], kMaxBodiesPerMessage, "bodies field 'bodies'");
  if (!items) return Unexpected{items.error()};
  Bodies m;
  m.request_id = *id;
  for (const auto& item : *items) {
    auto body = chain::decode_body(item.encoded);
    if (!body) return fail("bodies: body " + std::to_string(m.bodies.size()) + ": " + body.error().message);
    m.bodies.push_back(std::move(*body));
  }
  return Message{std::move(m)};
}

Result<Message> decode_get_certificates(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "get_certificates");
  if (!f) return Unexpected{f.error()};
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("get_certificates", "request_id", id.error()));
  auto hashes = read_hashes((*f)[1], kMaxCertificatesPerMessage, "get_certificates field 'hashes'");
  if (!hashes) return Unexpected{hashes.error()};
  return Message{GetCertificates{*id, std::move(*hashes)}};
}

Result<Message> decode_certificates(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "certificates");
  if (!f) return Unexpected{f.error()};
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("certificates", "request_id", id.error()));
  auto items = read_items((*f)[1], kMaxCertificatesPerMessage, "certificates field 'certificates'");
  if (!items) return Unexpected{items.error()};
  Certificates m;
  m.request_id = *id;
  for (const auto& item : *items) {
    const std::string what = "certificates: entry " + std::to_string(m.certificates.size());
    auto pair = read_items(item, 2, what);
    if (!pair) return Unexpected{pair.error()};
    if (pair->size() != 2) return fail(what + ": expected [block_hash, certificate]");
    auto hash = rlp::read_fixed<32>((*pair)[0]);
    if (!hash) return fail(what + " field 'block_hash': " + hash.error().message);
    auto cert = rlp::read_bytes((*pair)[1]);
    if (!cert) return fail(what + " field 'certificate': " + cert.error().message);
    if (cert->size() > kMaxCertificateBytes) {
      return fail(what + " field 'certificate': longer than " + std::to_string(kMaxCertificateBytes) + " bytes");
    }
    m.certificates.push_back(CertificateEntry{*hash, to_bytes(*cert)});
  }
  return Message{std::move(m)};
}

Result<Message> decode_compact_block(BytesView payload) noexcept {
  auto f = read_fields(payload, 4, "compact_block");
  if (!f) return Unexpected{f.error()};
  CompactBlock m;
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("compact_block", "request_id", id.error()));
  m.request_id = *id;
  auto header = chain::decode_header((*f)[1].encoded);
  if (!header) return fail(field_error("compact_block", "header", header.error()));
  m.header = std::move(*header);
  auto hashes = read_hashes((*f)[2], kMaxCompactBlockTxs, "compact_block field 'tx_hashes'");
  if (!hashes) return Unexpected{hashes.error()};
  m.tx_hashes = std::move(*hashes);
  auto weight = rlp::read_u256((*f)[3]);
  if (!weight) return fail(field_error("compact_block", "total_weight", weight.error()));
  m.total_weight = *weight;
  return Message{std::move(m)};
}

Result<Message> decode_get_compact_block(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "get_compact_block");
  if (!f) return Unexpected{f.error()};
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("get_compact_block", "request_id", id.error()));
  auto hash = rlp::read_fixed<32>((*f)[1]);
  if (!hash) return fail(field_error("get_compact_block", "block_hash", hash.error()));
  return Message{GetCompactBlock{*id, *hash}};
}

Result<Message> decode_get_block_txs(BytesView payload) noexcept {
  auto f = read_fields(payload, 3, "get_block_txs");
  if (!f) return Unexpected{f.error()};
  GetBlockTxs m;
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("get_block_txs", "request_id", id.error()));
  m.request_id = *id;
  auto hash = rlp::read_fixed<32>((*f)[1]);
  if (!hash) return fail(field_error("get_block_txs", "block_hash", hash.error()));
  m.block_hash = *hash;
  auto items = read_items((*f)[2], kMaxCompactBlockTxs, "get_block_txs field 'indexes'");
  if (!items) return Unexpected{items.error()};
  if (items->empty()) return fail("get_block_txs field 'indexes': empty");
  m.indexes.reserve(items->size());
  for (const auto& item : *items) {
    auto index = rlp::read_uint64(item);
    if (!index) return fail(field_error("get_block_txs", "indexes", index.error()));
    if (*index >= kMaxCompactBlockTxs) {
      return fail("get_block_txs field 'indexes': " + std::to_string(*index) + " is past the largest block");
    }
    if (!m.indexes.empty() && *index <= m.indexes.back()) {
      return fail("get_block_txs field 'indexes': not strictly increasing");
    }
    m.indexes.push_back(static_cast<std::uint32_t>(*index));
  }
  return Message{std::move(m)};
}

Result<Message> decode_block_txs(BytesView payload) noexcept {
  auto f = read_fields(payload, 2, "block_txs");
  if (!f) return Unexpected{f.error()};
  auto id = rlp::read_uint64((*f)[0]);
  if (!id) return fail(field_error("block_txs", "request_id", id.error()));
  auto items = read_items((*f)[1], kMaxCompactBlockTxs, "block_txs field 'transactions'");
  if (!items) return Unexpected{items.error()};
  BlockTxs m;
  m.request_id = *id;
  m.transactions.reserve(items->size());
  for (const auto& item : *items) {
    auto tx = chain::decode_in_list(item);
    if (!tx) {
      return fail("block_txs: transaction " + std::to_string(m.transactions.size()) + ": " + tx.error().message);
    }
    m.transactions.push_back(std::move(*tx));
  }
  return Message{std::move(m)};
}

Result<Message> decode_consensus(BytesView payload) noexcept {
  auto f = read_fields(payload, 1, "consensus");
  if (!f) return Unexpected{f.error()};
  auto bytes = rlp::read_bytes((*f)[0]);
  if (!bytes) return fail(field_error("consensus", "payload", bytes.error()));
  return Message{Consensus{to_bytes(*bytes)}};
}

}  // namespace

Result<Message> decode_message(MessageType type, BytesView payload) noexcept {
  const auto cap = max_payload_bytes(static_cast<std::uint8_t>(type));
  if (!cap) return fail("unknown message type");
  if (payload.size() > *cap) return fail(std::string(to_string(type)) + ": payload exceeds its limit");
  switch (type) {
    case MessageType::challenge:
      return decode_challenge(payload);
    case MessageType::hello:
      return decode_hello(payload);
    case MessageType::disconnect:
      return decode_disconnect(payload);
    case MessageType::ping:
      return decode_nonce_message<Ping>(payload, "ping");
    case MessageType::pong:
      return decode_nonce_message<Pong>(payload, "pong");
    case MessageType::get_peers:
      return decode_get_peers(payload);
    case MessageType::peers:
      return decode_peers(payload);
    case MessageType::new_tx_hashes:
      return decode_hash_message<NewTxHashes>(payload, "new_tx_hashes");
    case MessageType::get_txs:
      return decode_hash_message<GetTxs>(payload, "get_txs");
    case MessageType::txs:
      return decode_txs(payload);
    case MessageType::new_block_hashes:
      return decode_new_block_hashes(payload);
    case MessageType::new_block:
      return decode_new_block(payload);
    case MessageType::get_headers:
      return decode_get_headers(payload);
    case MessageType::headers:
      return decode_headers(payload);
    case MessageType::get_bodies:
      return decode_get_bodies(payload);
    case MessageType::bodies:
      return decode_bodies(payload);
    case MessageType::get_certificates:
      return decode_get_certificates(payload);
    case MessageType::certificates:
      return decode_certificates(payload);
    case MessageType::compact_block:
      return decode_compact_block(payload);
    case MessageType::get_compact_block:
      return decode_get_compact_block(payload);
    case MessageType::get_block_txs:
      return decode_get_block_txs(payload);
    case MessageType::block_txs:
      return decode_block_txs(payload);
    case MessageType::consensus:
      return decode_consensus(payload);
    case MessageType::consensus_hashes:
      return decode_hash_message<ConsensusHashes>(payload, "consensus_hashes");
  }
  return fail("unknown message type");
}

}  // namespace tally::p2p
