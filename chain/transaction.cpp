#include "chain/transaction.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>

#include "crypto/address.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {

namespace {

// Which fields to write: the signed transaction, or the payload its signer
// signs (no signature; legacy EIP-155 appends chainId, 0, 0 instead).
enum class Form : std::uint8_t { signed_tx, signing_payload };

constexpr std::size_t kAddressItem = 1 + 20;  // 0x94 + 20 bytes
constexpr std::size_t kStorageKeyItem = 1 + 32;

bool is_typed(const Transaction& tx) noexcept {
  return tx.type != TxType::legacy;
}

// Legacy v: chainId * 2 + 35 + parity (EIP-155) or 27 + parity.
U256 legacy_v(const Transaction& tx) {
  if (!tx.chain_id) return U256(27U + tx.y_parity);
  return U256(*tx.chain_id) * 2 + 35 + tx.y_parity;
}

std::size_t entry_payload_length(const AccessListEntry& entry) noexcept {
  const std::size_t keys = entry.storage_keys.size() * kStorageKeyItem;
  return kAddressItem + rlp::length_of_header(keys) + keys;
}

std::size_t access_list_payload_length(const AccessList& list) noexcept {
  std::size_t total = 0;
  for (const auto& entry : list) {
    const std::size_t payload = entry_payload_length(entry);
    total += rlp::length_of_header(payload) + payload;
  }
  return total;
}

std::size_t fields_payload_length(const Transaction& tx, Form form) {
  std::size_t n = rlp::length_of_uint(tx.nonce) + rlp::length_of_uint(tx.gas_limit) + (tx.to ? kAddressItem : 1) +
                  rlp::length_of_u256(tx.value) + rlp::length_of_string(tx.data);
  if (tx.type == TxType::dynamic_fee) {
    n += rlp::length_of_u256(tx.max_priority_fee_per_gas) + rlp::length_of_u256(tx.max_fee_per_gas);
  } else {
    n += rlp::length_of_u256(tx.gas_price);
  }
  if (is_typed(tx)) {
    const std::size_t access = access_list_payload_length(tx.access_list);
    n += rlp::length_of_uint(tx.chain_id.value_or(0)) + rlp::length_of_header(access) + access;
  }
  if (form == Form::signed_tx) {
    n += rlp::length_of_uint_be(tx.r) + rlp::length_of_uint_be(tx.s);
    n += is_typed(tx) ? rlp::length_of_uint(tx.y_parity) : rlp::length_of_u256(legacy_v(tx));
  } else if (!is_typed(tx) && tx.chain_id) {
    n += rlp::length_of_uint(*tx.chain_id) + 2;  // chainId, 0, 0
  }
  return n;
}

void write_access_list(rlp::Encoder& out, const AccessList& list) {
  out.list_header(access_list_payload_length(list));
  for (const auto& entry : list) {
    out.list_header(entry_payload_length(entry));
    out.string(entry.address);
    out.list_header(entry.storage_keys.size() * kStorageKeyItem);
    for (const auto& key : entry.storage_keys) out.string(key);
  }
}

void write_fields(rlp::Encoder& out, const Transaction& tx, Form form) {
  out.list_header(fields_payload_length(tx, form));
  if (is_typed(tx)) out.uint(tx.chain_id.value_or(0));
  out.uint(tx.nonce);
  if (tx.type == TxType::dynamic_fee) {
    out.u256(tx.max_priority_fee_per_gas);
    out.u256(tx.max_fee_per_gas);
  } else {
    out.u256(tx.gas_price);
  }
  out.uint(tx.gas_limit);
  if (tx.to) {
    out.string(*tx.to);
  } else {
    out.string(BytesView{});
  }
  out.u256(tx.value);
  out.string(tx.data);
  if (is_typed(tx)) write_access_list(out, tx.access_list);
  if (form == Form::signed_tx) {
    if (is_typed(tx)) {
      out.uint(tx.y_parity);
    } else {
      out.u256(legacy_v(tx));
    }
    out.uint_be(tx.r);
    out.uint_be(tx.s);
  } else if (!is_typed(tx) && tx.chain_id) {
    out.uint(*tx.chain_id);
    out.uint(0);
    out.uint(0);
  }
}

std::size_t raw_size(const Transaction& tx, Form form) {
  const std::size_t payload = fields_payload_length(tx, form);
  return (is_typed(tx) ? 1 : 0) + rlp::length_of_header(payload) + payload;
}

Bytes encode_form(const Transaction& tx, Form form) {
  Bytes out;
  out.reserve(raw_size(tx, form));
  rlp::Encoder encoder(out);
  if (is_typed(tx)) out.push_back(static_cast<std::uint8_t>(tx.type));
  write_fields(encoder, tx, form);
  return out;
}

// Adds count * unit to acc; false on 64-bit overflow.
bool add_gas(std::uint64_t& acc, std::uint64_t count, std::uint64_t unit) noexcept {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (count != 0 && unit > kMax / count) return false;
  const std::uint64_t add = count * unit;
  if (acc > kMax - add) return false;
  acc += add;
  return true;
}

TxCheckResult reject(TxCheck check, std::string message) {
  return TxCheckResult{check, std::move(message)};
}

}  // namespace

// ---------------------------------------------------------------- encoding

Bytes encode(const Transaction& tx) {
  return encode_form(tx, Form::signed_tx);
}

std::size_t encoded_size(const Transaction& tx) {
  return raw_size(tx, Form::signed_tx);
}

void append_in_list(rlp::Encoder& out, const Transaction& tx) {
  if (is_typed(tx)) {
    out.string_header(raw_size(tx, Form::signed_tx));
    out.buffer().push_back(static_cast<std::uint8_t>(tx.type));
  }
  write_fields(out, tx, Form::signed_tx);
}

// ---------------------------------------------------------------- hashes and signatures

Hash256 tx_hash(const Transaction& tx) {
  return crypto::keccak256(encode(tx));
}

Hash256 signing_hash(const Transaction& tx) {
  return crypto::keccak256(encode_form(tx, Form::signing_payload));
}

void sign(Transaction& tx, const crypto::PrivateKey& key) {
  const crypto::Signature sig = crypto::sign(signing_hash(tx), key);
  assert(sig.recovery_id < 2 && "x-coordinate overflow in a signature (probability ~2^-128)");
  tx.y_parity = static_cast<std::uint8_t>(sig.recovery_id & 1U);
  tx.r = sig.r;
  tx.s = sig.s;
}

Result<Address> recover_sender(const Transaction& tx) {
  if (tx.y_parity > 1) return fail("invalid signature: y parity must be 0 or 1");
  if (!crypto::is_valid_scalar(tx.r)) return fail("invalid signature: r must be in [1, n-1]");
  if (!crypto::is_valid_scalar(tx.s)) return fail("invalid signature: s must be in [1, n-1]");
  if (!crypto::is_low_s(tx.s)) return fail("invalid signature: s is above n/2 (EIP-2 requires low s)");
  auto key = crypto::recover(signing_hash(tx), crypto::Signature{tx.r, tx.s, tx.y_parity});
  if (!key) return fail("invalid signature: no public key recoverable (" + key.error().message + ")");
  return crypto::address_of(*key);
}

// ---------------------------------------------------------------- static validity

std::string_view to_string(TxCheck check) noexcept {
  switch (check) {
    case TxCheck::ok:
      return "ok";
    case TxCheck::unsupported_type:
      return "unsupported_type";
    case TxCheck::oversized:
      return "oversized";
    case TxCheck::wrong_chain_id:
      return "wrong_chain_id";
    case TxCheck::unprotected_legacy:
      return "unprotected_legacy";
    case TxCheck::contract_creation:
      return "contract_creation";
    case TxCheck::nonce_max:
      return "nonce_max";
    case TxCheck::tip_above_fee_cap:
      return "tip_above_fee_cap";
    case TxCheck::fee_cap_overflow:
      return "fee_cap_overflow";
    case TxCheck::intrinsic_gas_too_low:
      return "intrinsic_gas_too_low";
    case TxCheck::invalid_signature:
      return "invalid_signature";
  }
  return "unknown";
}

TxCheckResult validate_static(const Transaction& tx, const TxRules& rules) {
  if (tx.type != TxType::legacy && tx.type != TxType::access_list && tx.type != TxType::dynamic_fee) {
    return reject(TxCheck::unsupported_type,
                  "transaction type not supported: " + std::to_string(static_cast<unsigned>(tx.type)));
  }
  if (const std::size_t size = encoded_size(tx); size > rules.max_encoded_size) {
    return reject(TxCheck::oversized, "oversized data: transaction of " + std::to_string(size) + " bytes, limit " +
                                          std::to_string(rules.max_encoded_size));
  }
  if (!tx.chain_id) {
    if (is_typed(tx)) return reject(TxCheck::wrong_chain_id, "invalid chain id: typed transaction without one");
    if (!rules.allow_unprotected_legacy) {
      return reject(TxCheck::unprotected_legacy,
                    "only replay-protected (EIP-155) transactions are accepted: v = 27/28 is valid on every chain");
    }
  } else if (*tx.chain_id != rules.chain_id) {
    return reject(TxCheck::wrong_chain_id, "invalid chain id for signer: have " + std::to_string(*tx.chain_id) +
                                               ", want " + std::to_string(rules.chain_id));
  }
  // The signature values next, as geth checks them when deriving the sender
  // (the vectors expect these reasons before the fee and gas ones).
  if (tx.y_parity > 1) return reject(TxCheck::invalid_signature, "invalid transaction v, r, s values: y parity > 1");
  if (!crypto::is_valid_scalar(tx.r) || !crypto::is_valid_scalar(tx.s)) {
    return reject(TxCheck::invalid_signature, "invalid transaction v, r, s values: r and s must be in [1, n-1]");
  }
  if (!crypto::is_low_s(tx.s)) {
    return reject(TxCheck::invalid_signature, "invalid transaction v, r, s values: s above n/2 (EIP-2)");
  }
  if (!tx.to && !rules.allow_contract_creation) {
    return reject(TxCheck::contract_creation, "contract creation is not supported: a transaction needs a 'to' address");
  }
  if (tx.nonce == std::numeric_limits<std::uint64_t>::max()) {
    return reject(TxCheck::nonce_max, "nonce has max value: 2^64-1 is reserved (EIP-2681)");
  }
  if (tip_cap(tx) > fee_cap(tx)) {
    return reject(TxCheck::tip_above_fee_cap, "max priority fee per gas higher than max fee per gas: " +
                                                  u256_to_decimal(tip_cap(tx)) + " > " + u256_to_decimal(fee_cap(tx)));
  }
  if (!checked_mul(U256(tx.gas_limit), fee_cap(tx))) {
    return reject(TxCheck::fee_cap_overflow, "gas limit * max fee per gas overflows 256 bits: " +
                                                 std::to_string(tx.gas_limit) + " * " + u256_to_decimal(fee_cap(tx)));
  }
  const auto intrinsic = intrinsic_gas(tx);
  if (!intrinsic) return reject(TxCheck::intrinsic_gas_too_low, "intrinsic gas too low: it overflows 64 bits");
  if (*intrinsic > tx.gas_limit) {
    return reject(TxCheck::intrinsic_gas_too_low, "intrinsic gas too low: have " + std::to_string(tx.gas_limit) +
                                                      ", want " + std::to_string(*intrinsic));
  }
  return {};
}

// ---------------------------------------------------------------- gas and fees

std::optional<std::uint64_t> intrinsic_gas(const Transaction& tx) noexcept {
  std::uint64_t gas = tx.to ? kTxGas : kTxGasContractCreation;
  const auto zeros = static_cast<std::uint64_t>(std::count(tx.data.begin(), tx.data.end(), std::uint8_t{0}));
  const auto nonzeros = static_cast<std::uint64_t>(tx.data.size()) - zeros;
  if (!add_gas(gas, zeros, kTxDataZeroGas) || !add_gas(gas, nonzeros, kTxDataNonZeroGas)) return std::nullopt;
  if (!tx.to) {
    const std::uint64_t words = tx.data.size() / 32 + (tx.data.size() % 32 != 0 ? 1 : 0);
    if (!add_gas(gas, words, kInitCodeWordGas)) return std::nullopt;
  }
  if (!add_gas(gas, tx.access_list.size(), kAccessListAddressGas)) return std::nullopt;
  for (const auto& entry : tx.access_list) {
    if (!add_gas(gas, entry.storage_keys.size(), kAccessListStorageKeyGas)) return std::nullopt;
  }
  return gas;
}

const U256& fee_cap(const Transaction& tx) noexcept {
  return tx.type == TxType::dynamic_fee ? tx.max_fee_per_gas : tx.gas_price;
}

const U256& tip_cap(const Transaction& tx) noexcept {
  return tx.type == TxType::dynamic_fee ? tx.max_priority_fee_per_gas : tx.gas_price;
}

std::optional<U256> effective_gas_price(const Transaction& tx, const U256& base_fee) {
  auto tip = effective_tip(tx, base_fee);
  if (!tip) return std::nullopt;
  return base_fee + *tip;  // <= fee cap, so no overflow
}

std::optional<U256> effective_tip(const Transaction& tx, const U256& base_fee) {
  if (fee_cap(tx) < base_fee) return std::nullopt;
  return std::min(tip_cap(tx), U256(fee_cap(tx) - base_fee));
}

}  // namespace tally::chain
