#include "rpc/json_format.hpp"

#include <array>
#include <string>

#include "chain/rlp.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::rpc {

namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

Json quantity_or_null(const std::optional<U256>& value) {
  return value ? Json(quantity(*value)) : Json(nullptr);
}

// "0x" + minimal hex of a 32-byte big-endian integer (signature r and s).
std::string quantity_be(const Hash256& big_endian) {
  auto value = u256_from_be(big_endian);
  return quantity(value ? *value : U256{0});
}

std::uint64_t legacy_v(const chain::Transaction& tx) {
  if (tx.chain_id) return *tx.chain_id * 2 + 35 + tx.y_parity;
  return 27U + tx.y_parity;
}

Json access_list_json(const chain::AccessList& list) {
  Json out = Json::array();
  for (const auto& entry : list) {
    Json keys = Json::array();
    for (const auto& key : entry.storage_keys) keys.push_back(hash_hex(key));
    out.push_back({{"address", address_hex(entry.address)}, {"storageKeys", std::move(keys)}});
  }
  return out;
}

std::string arg_prefix(ArgName name) {
  std::string prefix = "invalid argument " + std::to_string(name.index) + ": ";
  if (!name.field.empty()) prefix += "field \"" + std::string(name.field) + "\": ";
  return prefix;
}

[[noreturn]] void bad_arg(ArgName name, const std::string& what) {
  throw RpcError(code::kInvalidParams, arg_prefix(name) + what);
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string_view expect_string(const Json& value, ArgName name, std::string_view kind) {
  if (!value.is_string()) bad_arg(name, std::string(kind) + " must be a 0x-prefixed hex string, got " + value.dump());
  return value.get_ref<const std::string&>();
}

// The digits of a strict quantity: "0x" prefix, at least one digit, no
// leading zero (except "0x0"), hex digits only, at most max_digits.
std::string_view quantity_digits(const Json& value, ArgName name, std::size_t max_digits, std::string_view too_big) {
  const std::string_view text = expect_string(value, name, "quantity");
  if (text.empty()) bad_arg(name, "empty hex string");
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    bad_arg(name, "hex string without 0x prefix");
  }
  const std::string_view digits = text.substr(2);
  if (digits.empty()) bad_arg(name, "hex string \"0x\"");
  for (char c : digits) {
    if (!is_hex_digit(c)) bad_arg(name, "invalid hex string");
  }
  if (digits.size() > 1 && digits[0] == '0') bad_arg(name, "hex number with leading zero digits");
  if (digits.size() > max_digits) bad_arg(name, std::string(too_big));
  return digits;
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

// ---------------------------------------------------------------- scalars out

std::string quantity(std::uint64_t value) {
  if (value == 0) return "0x0";
  std::array<char, 16> digits{};
  std::size_t n = 0;
  while (value != 0) {
    digits[n++] = kHexDigits[value & 0xFU];
    value >>= 4U;
  }
  std::string out = "0x";
  while (n > 0) out.push_back(digits[--n]);
  return out;
}

std::string quantity(const U256& value) {
  return u256_to_quantity(value);
}

std::string data_hex(BytesView bytes) {
  return to_hex_prefixed(bytes);
}

std::string address_hex(const Address& address) {
  return to_hex_prefixed(address);
}

std::string hash_hex(const Hash256& hash) {
  return to_hex_prefixed(hash);
}

// ---------------------------------------------------------------- chain objects out

std::optional<PowSealFields> pow_seal_of(const chain::Header& header) {
  if (header.seal.size() < 2) return std::nullopt;
  auto difficulty_item = rlp::decode(header.seal[0]);
  auto nonce_item = rlp::decode(header.seal[1]);
  if (!difficulty_item || !nonce_item) return std::nullopt;
  auto difficulty = rlp::read_u256(*difficulty_item);
  auto nonce = rlp::read_fixed<8>(*nonce_item);
  if (!difficulty || !nonce) return std::nullopt;
  PowSealFields out;
  out.difficulty = *difficulty;
  for (std::uint8_t byte : *nonce) out.nonce = (out.nonce << 8U) | byte;
  return out;
}

const Hash256& empty_uncles_hash() {
  static const Bytes kEmptyList{0xc0};  // rlp([])
  static const Hash256 kHash = crypto::keccak256(kEmptyList);
  return kHash;
}

Json header_json(const chain::Header& header, const Hash256& hash) {
  const auto seal = pow_seal_of(header);
  std::array<std::uint8_t, 8> nonce{};
  if (seal) {
    for (std::size_t i = 0; i < nonce.size(); ++i) {
      nonce[i] = static_cast<std::uint8_t>(seal->nonce >> (8U * (7U - i)));
    }
  }
  static const Bytes kZeroBloom(chain::kBloomBytes, 0);
  return Json{{"number", quantity(header.number)},
              {"hash", hash_hex(hash)},
              {"parentHash", hash_hex(header.parent_hash)},
              {"nonce", data_hex(nonce)},
              {"mixHash", hash_hex(Hash256{})},
              {"sha3Uncles", hash_hex(empty_uncles_hash())},
              {"logsBloom", data_hex(kZeroBloom)},
              {"transactionsRoot", hash_hex(header.transactions_root)},
              {"stateRoot", hash_hex(header.state_root)},
              {"receiptsRoot", hash_hex(header.receipts_root)},
              {"miner", address_hex(header.beneficiary)},
              {"difficulty", quantity(seal ? seal->difficulty : U256{0})},
              {"extraData", data_hex(header.extra_data)},
              {"gasLimit", quantity(header.gas_limit)},
              {"gasUsed", quantity(header.gas_used)},
              {"timestamp", quantity(header.timestamp)},
              {"baseFeePerGas", quantity(header.base_fee)}};
}

Json transaction_json(const chain::Transaction& tx, const Hash256& hash, const Address& from,
                      const std::optional<TxPosition>& position) {
  Json out{{"type", quantity(static_cast<std::uint64_t>(tx.type))},
           {"hash", hash_hex(hash)},
           {"from", address_hex(from)},
           {"to", tx.to ? Json(address_hex(*tx.to)) : Json(nullptr)},
           {"nonce", quantity(tx.nonce)},
           {"value", quantity(tx.value)},
           {"gas", quantity(tx.gas_limit)},
           {"input", data_hex(tx.data)},
           {"r", quantity_be(tx.r)},
           {"s", quantity_be(tx.s)},
           {"blockHash", position ? Json(hash_hex(position->block_hash)) : Json(nullptr)},
           {"blockNumber", position ? Json(quantity(position->block_number)) : Json(nullptr)},
           {"transactionIndex", position ? Json(quantity(position->index)) : Json(nullptr)}};
  if (tx.type == chain::TxType::legacy) {
    out["gasPrice"] = quantity(tx.gas_price);
    out["v"] = quantity(legacy_v(tx));
    if (tx.chain_id) out["chainId"] = quantity(*tx.chain_id);
    return out;
  }
  out["chainId"] = quantity(tx.chain_id.value_or(0));
  out["accessList"] = access_list_json(tx.access_list);
  out["v"] = quantity(std::uint64_t{tx.y_parity});
  out["yParity"] = quantity(std::uint64_t{tx.y_parity});
  if (tx.type == chain::TxType::access_list) {
    out["gasPrice"] = quantity(tx.gas_price);
    return out;
  }
  out["maxFeePerGas"] = quantity(tx.max_fee_per_gas);
  out["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas);
  // geth: the price paid when mined, the fee cap while pending.
  std::optional<U256> price;
  if (position) price = chain::effective_gas_price(tx, position->base_fee);
  out["gasPrice"] = quantity(price.value_or(tx.max_fee_per_gas));
  return out;
}

Json block_json(const chain::Block& block, const Hash256& hash, bool full_transactions,
                const std::vector<Address>& senders, const std::optional<U256>& total_difficulty) {
  Json out = header_json(block.header, hash);
  out["size"] = quantity(std::uint64_t{chain::encode_block(block).size()});
  out["totalDifficulty"] = quantity_or_null(total_difficulty);
  out["uncles"] = Json::array();
  Json txs = Json::array();
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const auto& tx = block.transactions[i];
    const Hash256 tx_hash = chain::tx_hash(tx);
    if (!full_transactions) {
      txs.push_back(hash_hex(tx_hash));
      continue;
    }
    const TxPosition position{hash, block.header.number, i, block.header.base_fee};
    txs.push_back(transaction_json(tx, tx_hash, i < senders.size() ? senders[i] : Address{}, position));
  }
  out["transactions"] = std::move(txs);
  return out;
}

Json receipt_json(const chain::Block& block, const Hash256& block_hash, std::size_t index, const Address& from,
                  const chain::Receipt& receipt, std::uint64_t previous_cumulative) {
  const auto& tx = block.transactions.at(index);
  static const Bytes kZeroBloom(chain::kBloomBytes, 0);
  const auto price = chain::effective_gas_price(tx, block.header.base_fee);
  const std::uint64_t gas_used =
      receipt.cumulative_gas_used >= previous_cumulative ? receipt.cumulative_gas_used - previous_cumulative : 0;
  return Json{{"transactionHash", hash_hex(chain::tx_hash(tx))},
              {"transactionIndex", quantity(std::uint64_t{index})},
              {"blockHash", hash_hex(block_hash)},
              {"blockNumber", quantity(block.header.number)},
              {"from", address_hex(from)},
              {"to", tx.to ? Json(address_hex(*tx.to)) : Json(nullptr)},
              {"cumulativeGasUsed", quantity(receipt.cumulative_gas_used)},
              {"gasUsed", quantity(gas_used)},
              {"effectiveGasPrice", quantity(price.value_or(chain::fee_cap(tx)))},
              {"contractAddress", nullptr},
              {"logs", Json::array()},
              {"logsBloom", data_hex(kZeroBloom)},
              {"type", quantity(static_cast<std::uint64_t>(receipt.type))},
              {"status", quantity(std::uint64_t{receipt.status})}};
}

// ---------------------------------------------------------------- parameters in

void invalid_argument(std::size_t index, const std::string& what) {
  bad_arg(ArgName{index, {}}, what);
}

Params::Params(const Json& params, std::size_t min, std::size_t max) {
  if (!params.is_null() && !params.is_array()) {
    throw RpcError(code::kInvalidParams, "non-array params: want a JSON array of arguments");
  }
  if (params.is_array()) {
    array_ = &params;
    size_ = params.size();
  }
  if (size_ > max) {
    throw RpcError(code::kInvalidParams, "too many arguments, want at most " + std::to_string(max));
  }
  for (std::size_t i = 0; i < min; ++i) {
    if (get(i) == nullptr)
      throw RpcError(code::kInvalidParams, "missing value for required argument " + std::to_string(i));
  }
}

const Json* Params::get(std::size_t index) const {
  if (array_ == nullptr || index >= size_) return nullptr;
  const Json& value = (*array_)[index];
  return value.is_null() ? nullptr : &value;
}

const Json& Params::required(std::size_t index) const {
  const Json* value = get(index);
  if (value == nullptr) {
    throw RpcError(code::kInvalidParams, "missing value for required argument " + std::to_string(index));
  }
  return *value;
}

U256 parse_quantity(const Json& value, ArgName name) {
  const std::string_view digits = quantity_digits(value, name, 64, "hex number > 256 bits");
  U256 out = 0;
  for (char c : digits) out = (out << 4U) | static_cast<unsigned>(digit_value(c));
  return out;
}

std::uint64_t parse_quantity_u64(const Json& value, ArgName name) {
  const std::string_view digits = quantity_digits(value, name, 16, "hex number > 64 bits");
  std::uint64_t out = 0;
  for (char c : digits) out = (out << 4U) | static_cast<std::uint64_t>(digit_value(c));
  return out;
}

Bytes parse_data(const Json& value, ArgName name, std::size_t max_bytes) {
  const std::string_view text = expect_string(value, name, "data");
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    bad_arg(name, "hex string without 0x prefix");
  }
  if (text.size() % 2 != 0) bad_arg(name, "hex string of odd length");
  if ((text.size() - 2) / 2 > max_bytes) {
    bad_arg(name, "data longer than " + std::to_string(max_bytes) + " bytes");
  }
  auto bytes = from_hex(text, HexPrefix::required);
  if (!bytes) bad_arg(name, "invalid hex string");
  return std::move(bytes).value();
}

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> parse_fixed(const Json& value, ArgName name, std::string_view type_name) {
  const std::string_view text = expect_string(value, name, type_name);
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    bad_arg(name, "hex string without 0x prefix");
  }
  if (text.size() - 2 != 2 * N) {
    bad_arg(name, "hex string has length " + std::to_string(text.size() - 2) + ", want " + std::to_string(2 * N) +
                      " for " + std::string(type_name));
  }
  auto bytes = from_hex_fixed<N>(text, HexPrefix::required);
  if (!bytes) bad_arg(name, "invalid hex string");
  return *bytes;
}

}  // namespace

Address parse_address(const Json& value, ArgName name) {
  return parse_fixed<20>(value, name, "address");
}

Hash256 parse_hash(const Json& value, ArgName name) {
  return parse_fixed<32>(value, name, "hash");
}

bool parse_bool(const Json& value, ArgName name) {
  if (!value.is_boolean()) bad_arg(name, "want true or false, got " + value.dump());
  return value.get<bool>();
}

std::uint64_t parse_count(const Json& value, ArgName name) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) {
    const std::int64_t number = value.get<std::int64_t>();
    if (number < 0) bad_arg(name, "must not be negative, got " + value.dump());
    return static_cast<std::uint64_t>(number);
  }
  if (value.is_number()) bad_arg(name, "want a whole number, got " + value.dump());
  return parse_quantity_u64(value, name);
}

namespace {

BlockParam parse_block_object(const Json& value, ArgName name) {
  const Json* hash = value.contains("blockHash") ? &value["blockHash"] : nullptr;
  const Json* number = value.contains("blockNumber") ? &value["blockNumber"] : nullptr;
  if (hash != nullptr && number != nullptr) {
    bad_arg(name, "cannot specify both blockHash and blockNumber, choose one or the other");
  }
  if (hash != nullptr) {
    BlockByHash out;
    out.hash = parse_hash(*hash, ArgName{name.index, "blockHash"});
    if (value.contains("requireCanonical")) {
      out.require_canonical = parse_bool(value["requireCanonical"], ArgName{name.index, "requireCanonical"});
    }
    return out;
  }
  if (number != nullptr) return parse_block_param(*number, ArgName{name.index, "blockNumber"}, false);
  bad_arg(name, "block object needs blockHash or blockNumber");
}

}  // namespace

BlockParam parse_block_param(const Json& value, ArgName name, bool allow_hash) {
  if (value.is_object()) {
    if (!allow_hash) bad_arg(name, "want a block number or tag, got an object");
    return parse_block_object(value, name);
  }
  if (!value.is_string()) {
    bad_arg(name, "want a block number (hex quantity) or tag (latest, earliest, pending, safe, finalized), got " +
                      value.dump());
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text == "latest") return BlockTag::latest;
  if (text == "earliest") return BlockTag::earliest;
  if (text == "pending") return BlockTag::pending;
  if (text == "safe") return BlockTag::safe;
  if (text == "finalized") return BlockTag::finalized;
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    bad_arg(name, "unknown block tag \"" + text.substr(0, 32) +
                      "\": want a hex block number or latest, earliest, pending, safe, finalized");
  }
  if (allow_hash && text.size() == 66) return BlockByHash{parse_hash(value, name), false};
  return parse_quantity_u64(value, name);
}

}  // namespace tally::rpc
