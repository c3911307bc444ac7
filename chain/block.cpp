#include "chain/block.hpp"

#include <stdexcept>
#include <string>

#include "chain/trie.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {

namespace {

std::string field_error(const char* what, const char* field, const Error& error) {
  return std::string(what) + " field '" + field + "': " + error.message;
}

// Reads the next item of a structure's list, naming the field on failure.
Result<rlp::Item> next_field(rlp::ListReader& reader, const char* what, const char* field) noexcept {
  auto item = reader.next();
  if (!item) return fail(field_error(what, field, item.error()));
  return item;
}

template <class T, class Reader>
Result<T> read_field(rlp::ListReader& reader, const char* what, const char* field, Reader read) noexcept {
  auto item = next_field(reader, what, field);
  if (!item) return Unexpected{item.error()};
  auto value = read(*item);
  if (!value) return fail(field_error(what, field, value.error()));
  return std::move(*value);
}

void append_header_fields(rlp::Encoder& out, const Header& header, std::size_t seal_items) {
  const std::size_t marker = out.begin_list();
  out.string(header.parent_hash);
  out.uint(header.number);
  out.uint(header.timestamp);
  out.string(header.beneficiary);
  out.string(header.state_root);
  out.string(header.transactions_root);
  out.string(header.receipts_root);
  out.uint(header.gas_limit);
  out.uint(header.gas_used);
  out.u256(header.base_fee);
  out.string(header.extra_data);
  for (std::size_t i = 0; i < seal_items; ++i) out.raw(header.seal[i]);
  out.end_list(marker);
}

void append_transactions(rlp::Encoder& out, const std::vector<Transaction>& transactions) {
  const std::size_t marker = out.begin_list();
  for (const auto& tx : transactions) append_in_list(out, tx);
  out.end_list(marker);
}

Result<std::vector<Transaction>> decode_transactions(const rlp::Item& item, const BlockLimits& limits) noexcept {
  auto reader = rlp::read_list(item);
  if (!reader) return fail("transaction list: " + reader.error().message);
  std::vector<Transaction> out;
  while (!reader->at_end()) {
    if (out.size() >= limits.max_transactions) {
      return fail("block has more than " + std::to_string(limits.max_transactions) + " transactions");
    }
    auto tx_item = reader->next();
    if (!tx_item) return fail("transaction " + std::to_string(out.size()) + ": " + tx_item.error().message);
    auto tx = decode_in_list(*tx_item);
    if (!tx) return fail("transaction " + std::to_string(out.size()) + ": " + tx.error().message);
    out.push_back(std::move(*tx));
  }
  return out;
}

Result<void> check_size(const char* what, std::size_t size, std::size_t limit) noexcept {
  if (size > limit) {
    return fail(std::string(what) + " of " + std::to_string(size) + " bytes exceeds the limit of " +
                std::to_string(limit) + " bytes");
  }
  return {};
}

bool is_typed_receipt(TxType type) noexcept {
  return type != TxType::legacy;
}

// Payload of a receipt's consensus list: [status, cumulativeGasUsed, bloom, logs].
std::size_t receipt_payload_size(const Receipt& receipt) noexcept {
  return rlp::length_of_uint(receipt.status) + rlp::length_of_uint(receipt.cumulative_gas_used) +
         rlp::length_of_header(kBloomBytes) + kBloomBytes + 1;  // logs: 0xc0
}

void append_receipt_list(rlp::Encoder& out, const Receipt& receipt) {
  static const Bytes kZeroBloom(kBloomBytes, 0);
  out.list_header(receipt_payload_size(receipt));
  out.uint(receipt.status);
  out.uint(receipt.cumulative_gas_used);
  out.string(kZeroBloom);
  out.list_header(0);
}

// What append_receipt_list writes, counted without writing it.
std::size_t receipt_list_size(const Receipt& receipt) noexcept {
  const std::size_t payload = receipt_payload_size(receipt);
  return rlp::length_of_header(payload) + payload;
}

// A receipt's list, checked to hold exactly `fields` items.
Result<rlp::ListReader> open_receipt(const rlp::Item& item, std::size_t fields) noexcept {
  auto reader = rlp::read_list(item);
  if (!reader) return fail("receipt: " + reader.error().message);
  auto count = reader->count();
  if (!count) return fail("receipt: " + count.error().message);
  if (*count != fields) {
    return fail("receipt: expected " + std::to_string(fields) + " fields, got " + std::to_string(*count));
  }
  return reader;
}

// status then cumulativeGasUsed: both forms hold them in this order.
Result<void> read_status_and_gas(rlp::ListReader& reader, Receipt& receipt) noexcept {
  auto status = read_field<std::uint64_t>(reader, "receipt", "status", rlp::read_uint64);
  if (!status) return Unexpected{status.error()};
  if (*status > 1) return fail("receipt field 'status': must be 0 or 1, got " + std::to_string(*status));
  receipt.status = static_cast<std::uint8_t>(*status);
  auto gas = read_field<std::uint64_t>(reader, "receipt", "cumulativeGasUsed", rlp::read_uint64);
  if (!gas) return Unexpected{gas.error()};
  receipt.cumulative_gas_used = *gas;
  return {};
}

// The four fields of a receipt list; `type` comes from the envelope.
Result<Receipt> decode_receipt_fields(TxType type, BytesView list_bytes) noexcept {
  auto top = rlp::decode(list_bytes);
  if (!top) return fail("receipt: " + top.error().message);
  auto reader = open_receipt(*top, 4);
  if (!reader) return Unexpected{reader.error()};
  Receipt receipt;
  receipt.type = type;
  if (auto fields = read_status_and_gas(*reader, receipt); !fields) return Unexpected{fields.error()};
  auto bloom = read_field<BytesView>(*reader, "receipt", "logsBloom", rlp::read_bytes);
  if (!bloom) return Unexpected{bloom.error()};
  if (bloom->size() != kBloomBytes) {
    return fail("receipt field 'logsBloom': expected " + std::to_string(kBloomBytes) + " bytes, got " +
                std::to_string(bloom->size()));
  }
  for (const std::uint8_t b : *bloom) {
    if (b != 0) return fail("receipt field 'logsBloom': must be zero (value transfers emit no logs)");
  }
  auto logs = next_field(*reader, "receipt", "logs");
  if (!logs) return Unexpected{logs.error()};
  if (!logs->is_list() || !logs->payload.empty()) {
    return fail("receipt field 'logs': must be an empty list (value transfers emit no logs)");
  }
  return receipt;
}

Result<TxType> receipt_type(std::uint8_t first) noexcept {
  if (first == static_cast<std::uint8_t>(TxType::access_list)) return TxType::access_list;
  if (first == static_cast<std::uint8_t>(TxType::dynamic_fee)) return TxType::dynamic_fee;
  return fail("receipt type not supported: " + std::to_string(first) + " (Tally knows legacy, 1 and 2)");
}

}  // namespace

// ---------------------------------------------------------------- headers

void append_header(rlp::Encoder& out, const Header& header) {
  append_header_fields(out, header, header.seal.size());
}

Bytes encode_header(const Header& header) {
  Bytes out;
  rlp::Encoder enc(out);
  append_header(enc, header);
  return out;
}

Bytes encode_header_omitting_seal(const Header& header, std::size_t omit_seal_items) {
  if (omit_seal_items > header.seal.size()) {
    throw std::out_of_range("encode_header_omitting_seal: omitting " + std::to_string(omit_seal_items) + " of " +
                            std::to_string(header.seal.size()) + " seal items");
  }
  Bytes out;
  rlp::Encoder enc(out);
  append_header_fields(enc, header, header.seal.size() - omit_seal_items);
  return out;
}

Hash256 header_hash(const Header& header) {
  return crypto::keccak256(encode_header(header));
}

Result<Header> decode_header_item(const rlp::Item& item) noexcept {
  constexpr const char* kWhat = "header";
  auto reader = rlp::read_list(item);
  if (!reader) return fail("header: " + reader.error().message);
  auto count = reader->count();
  if (!count) return fail("header: " + count.error().message);
  if (*count < kHeaderFields) {
    return fail("header: expected at least " + std::to_string(kHeaderFields) + " fields, got " +
                std::to_string(*count));
  }
  if (*count - kHeaderFields > kMaxSealItems) {
    return fail("header: " + std::to_string(*count - kHeaderFields) + " seal items exceed the limit of " +
                std::to_string(kMaxSealItems));
  }
  Header h;
  auto r = *reader;
  auto parent = read_field<Hash256>(r, kWhat, "parentHash", rlp::read_fixed<32>);
  if (!parent) return Unexpected{parent.error()};
  h.parent_hash = *parent;
  auto number = read_field<std::uint64_t>(r, kWhat, "number", rlp::read_uint64);
  if (!number) return Unexpected{number.error()};
  h.number = *number;
  auto timestamp = read_field<std::uint64_t>(r, kWhat, "timestamp", rlp::read_uint64);
  if (!timestamp) return Unexpected{timestamp.error()};
  h.timestamp = *timestamp;
  auto beneficiary = read_field<Address>(r, kWhat, "beneficiary", rlp::read_fixed<20>);
  if (!beneficiary) return Unexpected{beneficiary.error()};
  h.beneficiary = *beneficiary;
  auto state_root = read_field<Hash256>(r, kWhat, "stateRoot", rlp::read_fixed<32>);
  if (!state_root) return Unexpected{state_root.error()};
  h.state_root = *state_root;
  auto tx_root = read_field<Hash256>(r, kWhat, "transactionsRoot", rlp::read_fixed<32>);
  if (!tx_root) return Unexpected{tx_root.error()};
  h.transactions_root = *tx_root;
  auto receipts = read_field<Hash256>(r, kWhat, "receiptsRoot", rlp::read_fixed<32>);
  if (!receipts) return Unexpected{receipts.error()};
  h.receipts_root = *receipts;
  auto gas_limit = read_field<std::uint64_t>(r, kWhat, "gasLimit", rlp::read_uint64);
  if (!gas_limit) return Unexpected{gas_limit.error()};
  h.gas_limit = *gas_limit;
  auto gas_used = read_field<std::uint64_t>(r, kWhat, "gasUsed", rlp::read_uint64);
  if (!gas_used) return Unexpected{gas_used.error()};
  h.gas_used = *gas_used;
  auto base_fee = read_field<U256>(r, kWhat, "baseFeePerGas", rlp::read_u256);
  if (!base_fee) return Unexpected{base_fee.error()};
  h.base_fee = *base_fee;
  auto extra = read_field<BytesView>(r, kWhat, "extraData", rlp::read_bytes);
  if (!extra) return Unexpected{extra.error()};
  if (extra->size() > kMaxExtraDataBytes) {
    return fail("header field 'extraData': " + std::to_string(extra->size()) + " bytes exceed the limit of " +
                std::to_string(kMaxExtraDataBytes));
  }
  h.extra_data = to_bytes(*extra);
  while (!r.at_end()) {
    auto seal = r.next();
    if (!seal) return fail("header seal item " + std::to_string(h.seal.size()) + ": " + seal.error().message);
    if (auto valid = rlp::validate(seal->encoded); !valid) {
      return fail("header seal item " + std::to_string(h.seal.size()) + ": " + valid.error().message);
    }
    h.seal.push_back(to_bytes(seal->encoded));
  }
  return h;
}

Result<Header> decode_header(BytesView encoded, const BlockLimits& limits) noexcept {
  if (auto size = check_size("header", encoded.size(), limits.max_header_bytes); !size) {
    return Unexpected{size.error()};
  }
  auto item = rlp::decode(encoded);
  if (!item) return fail("header: " + item.error().message);
  return decode_header_item(*item);
}

// ---------------------------------------------------------------- blocks and bodies

Bytes encode_block(const Block& block) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t marker = enc.begin_list();
  append_header(enc, block.header);
  append_transactions(enc, block.transactions);
  enc.end_list(marker);
  return out;
}

namespace {

// The two items of an encoded block, [header, transactions], unread.
struct BlockItems {
  rlp::Item header;
  rlp::Item transactions;
};

Result<BlockItems> open_block(BytesView encoded, const BlockLimits& limits) noexcept {
  if (auto size = check_size("block", encoded.size(), limits.max_block_bytes); !size) {
    return Unexpected{size.error()};
  }
  auto top = rlp::decode(encoded);
  if (!top) return fail("block: " + top.error().message);
  auto reader = rlp::read_list(*top);
  if (!reader) return fail("block: " + reader.error().message);
  auto count = reader->count();
  if (!count) return fail("block: " + count.error().message);
  if (*count != 2) return fail("block: expected 2 items [header, transactions], got " + std::to_string(*count));
  auto header_item = reader->next();
  if (!header_item) return fail("block: " + header_item.error().message);
  auto txs_item = reader->next();
  if (!txs_item) return fail("block: " + txs_item.error().message);
  return BlockItems{*header_item, *txs_item};
}

}  // namespace

Result<Block> decode_block(BytesView encoded, const BlockLimits& limits) noexcept {
  auto items = open_block(encoded, limits);
  if (!items) return Unexpected{items.error()};
  Block block;
  auto header = decode_header_item(items->header);
  if (!header) return Unexpected{header.error()};
  block.header = std::move(*header);
  auto txs = decode_transactions(items->transactions, limits);
  if (!txs) return Unexpected{txs.error()};
  block.transactions = std::move(*txs);
  return block;
}

Result<Header> decode_block_header(BytesView encoded, const BlockLimits& limits) noexcept {
  auto items = open_block(encoded, limits);
  if (!items) return Unexpected{items.error()};
  return decode_header_item(items->header);
}

Bytes encode_body(const BlockBody& body) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t marker = enc.begin_list();
  append_transactions(enc, body.transactions);
  enc.end_list(marker);
  return out;
}

Result<BlockBody> decode_body(BytesView encoded, const BlockLimits& limits) noexcept {
  if (auto size = check_size("block body", encoded.size(), limits.max_block_bytes); !size) {
    return Unexpected{size.error()};
  }
  auto top = rlp::decode(encoded);
  if (!top) return fail("block body: " + top.error().message);
  auto reader = rlp::read_list(*top);
  if (!reader) return fail("block body: " + reader.error().message);
  auto count = reader->count();
  if (!count) return fail("block body: " + count.error().message);
  if (*count != 1) return fail("block body: expected 1 item [transactions], got " + std::to_string(*count));
  auto txs_item = reader->next();
  if (!txs_item) return fail("block body: " + txs_item.error().message);
  auto txs = decode_transactions(*txs_item, limits);
  if (!txs) return Unexpected{txs.error()};
  return BlockBody{std::move(*txs)};
}

// ---------------------------------------------------------------- receipts

Bytes encode_receipt(const Receipt& receipt) {
  Bytes out;
  rlp::Encoder enc(out);
  if (is_typed_receipt(receipt.type)) out.push_back(static_cast<std::uint8_t>(receipt.type));
  append_receipt_list(enc, receipt);
  return out;
}

Result<Receipt> decode_receipt(BytesView encoded) noexcept {
  if (encoded.empty()) return fail("receipt: empty input");
  const std::uint8_t first = encoded[0];
  if (first >= 0xc0) return decode_receipt_fields(TxType::legacy, encoded);
  if (first >= 0x80) return fail("receipt: expected an RLP list or a type byte, got an RLP string");
  auto type = receipt_type(first);
  if (!type) return Unexpected{type.error()};
  return decode_receipt_fields(*type, encoded.subspan(1));
}

Bytes encode_receipts(std::span<const Receipt> receipts) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t marker = enc.begin_list();
  for (const auto& receipt : receipts) {
    if (is_typed_receipt(receipt.type)) {
      enc.string_header(1 + receipt_list_size(receipt));
      out.push_back(static_cast<std::uint8_t>(receipt.type));
    }
    append_receipt_list(enc, receipt);
  }
  enc.end_list(marker);
  return out;
}

namespace {

// Walks a receipt list of either form: its size and receipt count against
// `limits`, canonical RLP throughout (decoded whole first), then each item
// read by `decode_one`. `what` names the form in errors.
template <class DecodeOne>
Result<std::vector<Receipt>> decode_receipt_list(const char* what, BytesView encoded, const BlockLimits& limits,
                                                 DecodeOne decode_one) noexcept {
  if (auto size = check_size(what, encoded.size(), limits.max_receipt_list_bytes); !size) {
    return Unexpected{size.error()};
  }
  auto top = rlp::decode(encoded);
  if (!top) return fail(std::string(what) + ": " + top.error().message);
  auto reader = rlp::read_list(*top);
  if (!reader) return fail(std::string(what) + ": " + reader.error().message);
  std::vector<Receipt> out;
  while (!reader->at_end()) {
    if (out.size() >= limits.max_transactions) {
      return fail(std::string(what) + " has more than " + std::to_string(limits.max_transactions) + " receipts");
    }
    const std::string where = "receipt " + std::to_string(out.size()) + ": ";
    auto item = reader->next();
    if (!item) return fail(where + item.error().message);
    auto receipt = decode_one(*item);
    if (!receipt) return fail(where + receipt.error().message);
    out.push_back(*receipt);
  }
  return out;
}

// A legacy receipt's list, or a typed receipt wrapped in a string.
Result<Receipt> decode_receipt_in_list(const rlp::Item& item) noexcept {
  if (item.is_list()) return decode_receipt_fields(TxType::legacy, item.encoded);
  if (item.payload.empty() || item.payload[0] >= 0x80) {
    return fail("a string in a receipt list must hold a typed receipt");
  }
  return decode_receipt(item.payload);
}

// Payload of a stored receipt's list: [type, status, cumulativeGasUsed].
std::size_t stored_receipt_payload_size(const Receipt& receipt) noexcept {
  return rlp::length_of_uint(static_cast<std::uint8_t>(receipt.type)) + rlp::length_of_uint(receipt.status) +
         rlp::length_of_uint(receipt.cumulative_gas_used);
}

// The stored form writes every type as a number, legacy (0) included.
Result<TxType> stored_receipt_type(std::uint64_t type) noexcept {
  if (type > static_cast<std::uint8_t>(TxType::dynamic_fee)) {
    return fail("receipt field 'type': must be 0, 1 or 2, got " + std::to_string(type));
  }
  return static_cast<TxType>(type);
}

Result<Receipt> decode_stored_receipt(const rlp::Item& item) noexcept {
  auto reader = open_receipt(item, 3);
  if (!reader) return Unexpected{reader.error()};
  auto type_number = read_field<std::uint64_t>(*reader, "receipt", "type", rlp::read_uint64);
  if (!type_number) return Unexpected{type_number.error()};
  auto type = stored_receipt_type(*type_number);
  if (!type) return Unexpected{type.error()};
  Receipt receipt;
  receipt.type = *type;
  if (auto fields = read_status_and_gas(*reader, receipt); !fields) return Unexpected{fields.error()};
  return receipt;
}

// Each transaction adds the gas it used, so the running total never falls;
// one that does is bytes that no block import wrote.
Result<void> check_cumulative_gas(std::span<const Receipt> receipts) noexcept {
  for (std::size_t i = 1; i < receipts.size(); ++i) {
    const std::uint64_t gas = receipts[i].cumulative_gas_used;
    const std::uint64_t before = receipts[i - 1].cumulative_gas_used;
    if (gas < before) {
      return fail("receipt " + std::to_string(i) + ": receipt field 'cumulativeGasUsed': " + std::to_string(gas) +
                  " is below the previous receipt's " + std::to_string(before));
    }
  }
  return {};
}

}  // namespace

Result<std::vector<Receipt>> decode_receipts(BytesView encoded, const BlockLimits& limits) noexcept {
  auto receipts = decode_receipt_list("receipt list", encoded, limits, decode_receipt_in_list);
  if (!receipts) return receipts;
  if (auto order = check_cumulative_gas(*receipts); !order) return Unexpected{order.error()};
  return receipts;
}

Bytes encode_stored_receipts(std::span<const Receipt> receipts) {
  std::size_t payload = 0;
  for (const auto& receipt : receipts) {
    const std::size_t item = stored_receipt_payload_size(receipt);
    payload += rlp::length_of_header(item) + item;
  }
  Bytes out;
  out.reserve(rlp::length_of_header(payload) + payload);
  rlp::Encoder enc(out);
  enc.list_header(payload);
  for (const auto& receipt : receipts) {
    enc.list_header(stored_receipt_payload_size(receipt));
    enc.uint(static_cast<std::uint8_t>(receipt.type));
    enc.uint(receipt.status);
    enc.uint(receipt.cumulative_gas_used);
  }
  return out;
}

Result<std::vector<Receipt>> decode_stored_receipts(BytesView encoded, const BlockLimits& limits) noexcept {
  auto receipts = decode_receipt_list("stored receipt list", encoded, limits, decode_stored_receipt);
  if (!receipts) return receipts;
  if (auto order = check_cumulative_gas(*receipts); !order) return Unexpected{order.error()};
  return receipts;
}

// ---------------------------------------------------------------- roots

Hash256 transactions_root(std::span<const Transaction> transactions) {
  std::vector<Bytes> items;
  items.reserve(transactions.size());
  for (const auto& tx : transactions) items.push_back(encode(tx));
  return ordered_trie_root(items);
}

Hash256 receipts_root(std::span<const Receipt> receipts) {
  std::vector<Bytes> items;
  items.reserve(receipts.size());
  for (const auto& receipt : receipts) items.push_back(encode_receipt(receipt));
  return ordered_trie_root(items);
}

}  // namespace tally::chain
