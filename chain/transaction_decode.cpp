// Strict decoding of transactions (see transaction.hpp): every field is read
// with a typed RLP reader, and every error names the field.

#include <algorithm>
#include <limits>
#include <string>

#include "chain/transaction.hpp"

namespace tally::chain {

namespace {

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0x0f];
}

// Reads the fields of one transaction list in order, naming each field in
// its error, and counting them for the too-few / too-many errors.
class FieldReader {
 public:
  FieldReader(rlp::ListReader list, const char* kind, std::size_t expected) noexcept
      : list_(list), kind_(kind), expected_(expected) {}

  Result<rlp::Item> next(const char* field) noexcept {
    if (list_.at_end()) {
      return fail(std::string(kind_) + " has too few fields: " + std::to_string(read_) + ", expected " +
                  std::to_string(expected_));
    }
    auto item = list_.next();
    if (!item) return field_error(field, item.error());
    ++read_;
    return item;
  }

  template <class T, class Reader>
  Result<T> read(const char* field, Reader reader) noexcept {
    auto item = next(field);
    if (!item) return Unexpected{item.error()};
    auto value = reader(*item);
    if (!value) return field_error(field, value.error());
    return std::move(*value);
  }

  Result<void> finish() noexcept {
    if (list_.at_end()) return {};
    auto extra = list_.count();
    if (!extra) return fail(std::string(kind_) + " has too many fields: more than " + std::to_string(expected_));
    return fail(std::string(kind_) + " has too many fields: " + std::to_string(read_ + *extra) + ", expected " +
                std::to_string(expected_));
  }

  static Unexpected field_error(const char* field, const Error& error) {
    return fail(std::string("transaction field '") + field + "': " + error.message);
  }

 private:
  rlp::ListReader list_;
  const char* kind_;
  std::size_t expected_;
  std::size_t read_ = 0;
};

Result<std::optional<Address>> read_to(const rlp::Item& item) noexcept {
  auto bytes = rlp::read_bytes(item);
  if (!bytes) return Unexpected{bytes.error()};
  if (bytes->empty()) return std::optional<Address>{};
  if (bytes->size() != 20) {
    return fail("address must be 20 bytes (or empty for contract creation), got " + std::to_string(bytes->size()));
  }
  Address to{};
  std::copy(bytes->begin(), bytes->end(), to.begin());
  return std::optional<Address>{to};
}

Result<Bytes> read_data(const rlp::Item& item) noexcept {
  auto bytes = rlp::read_bytes(item);
  if (!bytes) return Unexpected{bytes.error()};
  return to_bytes(*bytes);  // bounded by the (size-checked) input
}

Result<AccessList> read_access_list(const rlp::Item& item) noexcept {
  auto entries = rlp::read_list(item);
  if (!entries) return Unexpected{entries.error()};
  AccessList list;
  for (std::size_t index = 0; !entries->at_end(); ++index) {
    const auto error = [index](const std::string& what) {
      return fail("entry " + std::to_string(index) + ": " + what);
    };
    auto entry_item = entries->next();
    if (!entry_item) return error(entry_item.error().message);
    auto fields = rlp::read_list(*entry_item);
    if (!fields) return error(fields.error().message);
    auto count = fields->count();
    if (!count) return error(count.error().message);
    if (*count != 2) return error("must be [address, storage keys], got " + std::to_string(*count) + " items");
    auto address_item = fields->next();
    if (!address_item) return error(address_item.error().message);
    auto address = rlp::read_bytes(*address_item);
    if (!address) return error("address: " + address.error().message);
    if (address->size() != 20) return error("address must be 20 bytes, got " + std::to_string(address->size()));
    AccessListEntry entry;
    std::copy(address->begin(), address->end(), entry.address.begin());
    auto keys_item = fields->next();
    if (!keys_item) return error(keys_item.error().message);
    auto keys = rlp::read_list(*keys_item);
    if (!keys) return error("storage keys: " + keys.error().message);
    while (!keys->at_end()) {
      auto key_item = keys->next();
      if (!key_item) return error("storage key: " + key_item.error().message);
      auto key = rlp::read_bytes(*key_item);
      if (!key) return error("storage key: " + key.error().message);
      if (key->size() != 32) return error("storage key must be 32 bytes, got " + std::to_string(key->size()));
      Hash256& slot = entry.storage_keys.emplace_back();
      std::copy(key->begin(), key->end(), slot.begin());
    }
    list.push_back(std::move(entry));
  }
  return list;
}

#define TALLY_READ(target, reader_expr)             \
  do {                                              \
    auto value_ = (reader_expr);                    \
    if (!value_) return Unexpected{value_.error()}; \
    (target) = std::move(*value_);                  \
  } while (false)

Result<Transaction> decode_legacy(const rlp::Item& list) noexcept {
  FieldReader f(rlp::ListReader(list.payload), "legacy transaction", 9);
  Transaction tx;
  tx.type = TxType::legacy;
  TALLY_READ(tx.nonce, f.read<std::uint64_t>("nonce", rlp::read_uint64));
  TALLY_READ(tx.gas_price, f.read<U256>("gas_price", rlp::read_u256));
  TALLY_READ(tx.gas_limit, f.read<std::uint64_t>("gas_limit", rlp::read_uint64));
  TALLY_READ(tx.to, f.read<std::optional<Address>>("to", read_to));
  TALLY_READ(tx.value, f.read<U256>("value", rlp::read_u256));
  TALLY_READ(tx.data, f.read<Bytes>("data", read_data));
  U256 v = 0;
  TALLY_READ(v, f.read<U256>("v", rlp::read_u256));
  TALLY_READ(tx.r, f.read<Hash256>("r", rlp::read_u256_be));
  TALLY_READ(tx.s, f.read<Hash256>("s", rlp::read_u256_be));
  auto done = f.finish();
  if (!done) return Unexpected{done.error()};

  if (v == 27 || v == 28) {
    tx.y_parity = static_cast<std::uint8_t>(v - 27);
  } else if (v >= 35) {
    const U256 chain = (v - 35) / 2;
    if (chain > std::numeric_limits<std::uint64_t>::max()) {
      return fail("transaction field 'v': v = " + u256_to_decimal(v) + " gives a chain id wider than 64 bits");
    }
    tx.chain_id = static_cast<std::uint64_t>(chain);
    tx.y_parity = static_cast<std::uint8_t>((v - 35) % 2);
  } else {
    return fail("transaction field 'v': v = " + u256_to_decimal(v) +
                " is neither 27/28 (unprotected) nor chainId * 2 + 35/36 (EIP-155)");
  }
  return tx;
}

Result<Transaction> decode_typed(TxType type, const rlp::Item& list) noexcept {
  const bool dynamic = type == TxType::dynamic_fee;
  FieldReader f(rlp::ListReader(list.payload), dynamic ? "EIP-1559 transaction" : "EIP-2930 transaction",
                dynamic ? 12 : 11);
  Transaction tx;
  tx.type = type;
  std::uint64_t chain_id = 0;
  TALLY_READ(chain_id, f.read<std::uint64_t>("chain_id", rlp::read_uint64));
  tx.chain_id = chain_id;
  TALLY_READ(tx.nonce, f.read<std::uint64_t>("nonce", rlp::read_uint64));
  if (dynamic) {
    TALLY_READ(tx.max_priority_fee_per_gas, f.read<U256>("max_priority_fee_per_gas", rlp::read_u256));
    TALLY_READ(tx.max_fee_per_gas, f.read<U256>("max_fee_per_gas", rlp::read_u256));
  } else {
    TALLY_READ(tx.gas_price, f.read<U256>("gas_price", rlp::read_u256));
  }
  TALLY_READ(tx.gas_limit, f.read<std::uint64_t>("gas_limit", rlp::read_uint64));
  TALLY_READ(tx.to, f.read<std::optional<Address>>("to", read_to));
  TALLY_READ(tx.value, f.read<U256>("value", rlp::read_u256));
  TALLY_READ(tx.data, f.read<Bytes>("data", read_data));
  TALLY_READ(tx.access_list, f.read<AccessList>("access_list", read_access_list));
  std::uint64_t parity = 0;
  TALLY_READ(parity, f.read<std::uint64_t>("y_parity", rlp::read_uint64));
  if (parity > 1) return fail("transaction field 'y_parity': must be 0 or 1, got " + std::to_string(parity));
  tx.y_parity = static_cast<std::uint8_t>(parity);
  TALLY_READ(tx.r, f.read<Hash256>("r", rlp::read_u256_be));
  TALLY_READ(tx.s, f.read<Hash256>("s", rlp::read_u256_be));
  auto done = f.finish();
  if (!done) return Unexpected{done.error()};
  return tx;
}

#undef TALLY_READ

}  // namespace

// ---------------------------------------------------------------- decoding

Result<Transaction> decode(BytesView raw, const DecodeOptions& options) noexcept {
  if (raw.size() > options.max_encoded_size) {
    return fail("transaction of " + std::to_string(raw.size()) + " bytes exceeds the limit of " +
                std::to_string(options.max_encoded_size) + " bytes");
  }
  if (raw.empty()) return fail("transaction: empty input");
  const std::uint8_t first = raw[0];
  if (first >= 0xc0) {
    auto item = rlp::read_item(raw);
    if (!item) return fail("legacy transaction: " + item.error().message);
    if (item->encoded.size() != raw.size()) {
      return fail("legacy transaction: " + std::to_string(raw.size() - item->encoded.size()) +
                  " trailing bytes after the RLP list");
    }
    return decode_legacy(*item);
  }
  if (first >= 0x80) {
    return fail("transaction type not supported: input is an RLP string (prefix " + hex_byte(first) +
                "); give a typed transaction as type byte || RLP list, unwrapped");
  }
  if (first != static_cast<std::uint8_t>(TxType::access_list) &&
      first != static_cast<std::uint8_t>(TxType::dynamic_fee)) {
    return fail("transaction type not supported: " + hex_byte(first) + " (Tally accepts legacy, 0x01 and 0x02)");
  }
  const auto type = static_cast<TxType>(first);
  const BytesView body = raw.subspan(1);
  auto item = rlp::read_item(body);
  if (!item) return fail("typed transaction: " + item.error().message);
  if (!item->is_list()) return fail("typed transaction: payload after the type byte must be an RLP list");
  if (item->encoded.size() != body.size()) {
    return fail("typed transaction: " + std::to_string(body.size() - item->encoded.size()) +
                " trailing bytes after the RLP list");
  }
  return decode_typed(type, *item);
}

Result<Transaction> decode_in_list(const rlp::Item& item, const DecodeOptions& options) noexcept {
  if (item.is_list()) return decode(item.encoded, options);
  if (!item.payload.empty() && item.payload[0] >= 0x80) {
    return fail("transaction type not supported: a string in a transaction list must hold a typed transaction");
  }
  return decode(item.payload, options);
}

}  // namespace tally::chain
