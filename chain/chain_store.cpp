#include "chain/chain_store.hpp"

#include <limits>

#include "chain/state.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {
namespace {

constexpr std::uint8_t kHeader = 'h';
constexpr std::uint8_t kBody = 'b';
constexpr std::uint8_t kReceipts = 'R';  // stored form (encode_stored_receipts)
// Receipts in the consensus form, as earlier builds wrote them: read, never
// written (see kSchemaVersion).
constexpr std::uint8_t kConsensusReceipts = 'r';
constexpr std::uint8_t kWeight = 'w';
constexpr std::uint8_t kFinality = 'f';
constexpr std::uint8_t kCanonical = 'n';
constexpr std::uint8_t kTxIndex = 'x';
constexpr std::uint8_t kNode = 's';
constexpr std::string_view kMetaSchema = "mschema";
constexpr std::string_view kMetaGenesis = "mgenesis";
constexpr std::string_view kMetaHead = "mhead";
constexpr std::string_view kMetaFinal = "mfinal";

Bytes key(std::uint8_t prefix, BytesView id) {
  Bytes k;
  k.reserve(1 + id.size());
  k.push_back(prefix);
  append(k, id);
  return k;
}

Bytes number_key(std::uint64_t number) {
  Bytes k(9);
  k[0] = kCanonical;
  for (std::size_t i = 0; i < 8; ++i) k[8 - i] = static_cast<std::uint8_t>(number >> (8 * i));
  return k;
}

[[noreturn]] void corrupt(std::string_view what, BytesView id, const Error& error) {
  throw StorageError("datadir is corrupt: " + std::string(what) + " " + to_hex_prefixed(id) +
                     " does not decode: " + error.message);
}

template <class T>
std::optional<T> decode_or_throw(std::optional<Bytes> raw, std::string_view what, BytesView id,
                                 Result<T> (*decoder)(BytesView)) {
  if (!raw) return std::nullopt;
  auto decoded = decoder(*raw);
  if (!decoded) corrupt(what, id, decoded.error());
  return std::move(decoded).value();
}

Result<Header> decode_header_default(BytesView b) {
  return decode_header(b);
}
Result<BlockBody> decode_body_default(BytesView b) {
  return decode_body(b);
}
Result<std::vector<Receipt>> decode_receipts_default(BytesView b) {
  return decode_receipts(b);
}
Result<std::vector<Receipt>> decode_stored_receipts_default(BytesView b) {
  return decode_stored_receipts(b);
}
Result<U256> decode_weight(BytesView b) {
  return u256_from_be(b);
}
Result<Hash256> decode_hash(BytesView b) {
  if (b.size() != 32) return fail("expected 32 bytes, got " + std::to_string(b.size()));
  Hash256 h{};
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}
Result<TxLocation> decode_location(BytesView b) {
  auto item = rlp::decode(b);
  if (!item) return Unexpected{item.error()};
  auto list = rlp::read_list(*item);
  if (!list) return Unexpected{list.error()};
  auto hash_item = list->next();
  if (!hash_item) return Unexpected{hash_item.error()};
  auto hash = rlp::read_fixed<32>(*hash_item);
  if (!hash) return Unexpected{hash.error()};
  auto index_item = list->next();
  if (!index_item) return Unexpected{index_item.error()};
  auto index = rlp::read_uint64(*index_item);
  if (!index) return Unexpected{index.error()};
  if (!list->at_end()) return fail("trailing items in a transaction location");
  return TxLocation{*hash, *index};
}
Result<std::uint64_t> decode_u64(BytesView b) {
  auto v = u256_from_be(b);
  if (!v) return Unexpected{v.error()};
  if (*v > std::numeric_limits<std::uint64_t>::max()) return fail("value above 64 bits");
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

std::optional<Header> ChainStore::header(const Hash256& hash) const {
  return decode_or_throw<Header>(db_.get(key(kHeader, hash)), "header", hash, decode_header_default);
}

std::optional<BlockBody> ChainStore::body(const Hash256& hash) const {
  return decode_or_throw<BlockBody>(db_.get(key(kBody, hash)), "body", hash, decode_body_default);
}

std::optional<Block> ChainStore::block(const Hash256& hash) const {
  auto h = header(hash);
  if (!h) return std::nullopt;
  auto b = body(hash);
  if (!b) throw StorageError("datadir is corrupt: header " + to_hex_prefixed(hash) + " has no body");
  return Block{std::move(*h), std::move(b->transactions)};
}

std::optional<std::vector<Receipt>> ChainStore::receipts(const Hash256& hash) const {
  if (auto stored = decode_or_throw<std::vector<Receipt>>(db_.get(key(kReceipts, hash)), "receipts", hash,
                                                          decode_stored_receipts_default)) {
    return stored;
  }
  return decode_or_throw<std::vector<Receipt>>(db_.get(key(kConsensusReceipts, hash)), "receipts", hash,
                                               decode_receipts_default);
}

std::optional<U256> ChainStore::total_weight(const Hash256& hash) const {
  return decode_or_throw<U256>(db_.get(key(kWeight, hash)), "total weight", hash, decode_weight);
}

std::optional<Bytes> ChainStore::finality_certificate(const Hash256& hash) const {
  return db_.get(key(kFinality, hash));
}

std::optional<Hash256> ChainStore::canonical_hash(std::uint64_t number) const {
  const Bytes k = number_key(number);
  return decode_or_throw<Hash256>(db_.get(k), "canonical entry", k, decode_hash);
}

std::optional<TxLocation> ChainStore::tx_location(const Hash256& tx_hash) const {
  return decode_or_throw<TxLocation>(db_.get(key(kTxIndex, tx_hash)), "transaction index", tx_hash, decode_location);
}

bool ChainStore::has_block(const Hash256& hash) const {
  return db_.get(key(kHeader, hash)).has_value();
}

std::optional<std::uint64_t> ChainStore::schema_version() const {
  return decode_or_throw<std::uint64_t>(db_.get(as_bytes(kMetaSchema)), "metadata", as_bytes(kMetaSchema), decode_u64);
}

std::optional<Hash256> ChainStore::genesis_hash() const {
  return decode_or_throw<Hash256>(db_.get(as_bytes(kMetaGenesis)), "metadata", as_bytes(kMetaGenesis), decode_hash);
}

std::optional<Hash256> ChainStore::head_hash() const {
  return decode_or_throw<Hash256>(db_.get(as_bytes(kMetaHead)), "metadata", as_bytes(kMetaHead), decode_hash);
}

std::optional<Hash256> ChainStore::final_hash() const {
  return decode_or_throw<Hash256>(db_.get(as_bytes(kMetaFinal)), "metadata", as_bytes(kMetaFinal), decode_hash);
}

std::optional<Bytes> ChainStore::get_node(const Hash256& hash) const {
  if (auto cached = node_cache_.get(hash)) return cached;
  auto node = db_.get(key(kNode, hash));
  if (!node) return node;
  // Checked once here, so neither the cache nor the trie hashes it again.
  if (crypto::keccak256(*node) != hash) {
    throw StateCorruption("state trie node 0x" + to_hex(hash) + " is corrupt: its stored bytes do not hash to it");
  }
  node_cache_.put(hash, *node);
  return node;
}

void ChainStore::put_block(WriteBatch& batch, const Block& block, const Hash256& hash,
                           std::span<const Receipt> receipts, const U256& total_weight) {
  batch.put(key(kHeader, hash), encode_header(block.header));
  batch.put(key(kBody, hash), encode_body(BlockBody{block.transactions}));
  batch.put(key(kReceipts, hash), encode_stored_receipts(receipts));
  batch.put(key(kWeight, hash), u256_to_be_minimal(total_weight));
}

void ChainStore::cache_nodes(NodeBatch&& nodes) const {
  for (auto& [hash, node] : nodes) node_cache_.put(hash, std::move(node));
}

void ChainStore::put_nodes(WriteBatch& batch, const NodeBatch& nodes) {
  for (const auto& [hash, node] : nodes) batch.put(key(kNode, hash), node);
}

void ChainStore::put_finality_certificate(WriteBatch& batch, const Hash256& hash, BytesView certificate) {
  batch.put(key(kFinality, hash), certificate);
}

void ChainStore::set_canonical(WriteBatch& batch, const Block& block, const Hash256& hash) {
  batch.put(number_key(block.header.number), hash);
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    Bytes location;
    rlp::Encoder enc(location);
    const std::size_t list = enc.begin_list();
    enc.string(hash);
    enc.uint(i);
    enc.end_list(list);
    batch.put(key(kTxIndex, tx_hash(block.transactions[i])), location);
  }
}

void ChainStore::unset_canonical(WriteBatch& batch, const Block& block) {
  batch.erase(number_key(block.header.number));
  for (const auto& tx : block.transactions) batch.erase(key(kTxIndex, tx_hash(tx)));
}

void ChainStore::put_meta(WriteBatch& batch, std::uint64_t schema, const Hash256& genesis) {
  put_schema(batch, schema);
  batch.put(as_bytes(kMetaGenesis), genesis);
}

void ChainStore::put_schema(WriteBatch& batch, std::uint64_t schema) {
  batch.put(as_bytes(kMetaSchema), u256_to_be_minimal(U256(schema)));
}

void ChainStore::set_head(WriteBatch& batch, const Hash256& hash) {
  batch.put(as_bytes(kMetaHead), hash);
}

}  // namespace tally::chain

namespace tally::chain {
void ChainStore::set_final(WriteBatch& batch, const Hash256& hash) {
  batch.put(as_bytes(kMetaFinal), hash);
}
}  // namespace tally::chain
