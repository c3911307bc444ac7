#pragma once
// Ethereum typed transactions (EIP-2718): legacy with EIP-155 replay
// protection, EIP-2930 access-list transactions (type 1) and EIP-1559
// dynamic-fee transactions (type 2).
//
// Three separate steps, so callers can say why a transaction was refused:
//   1. decode()          — structure only: canonical RLP, the right fields of
//                          the right sizes. An Error message names the field.
//   2. validate_static() — rules that need no state: chain id, replay
//                          protection, EIP-2681 nonce, fee caps, intrinsic
//                          gas, signature values (EIP-2 low s). Returns a
//                          typed reason (TxCheck) plus a message.
//   3. recover_sender()  — the ECDSA recovery (the expensive part, ~56 µs),
//                          which callers may run in parallel.
//
// Wire forms. encode()/decode() use the "raw" network form: a legacy
// transaction is an RLP list; a typed one is type byte || RLP list. A typed
// transaction wrapped in an RLP string is refused by decode(). Inside a list
// (a block body), Ethereum embeds typed transactions as RLP strings holding
// the raw form; append_in_list()/decode_in_list() read and write that form,
// so block code never handles the wrapping itself.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/rlp.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"
#include "crypto/uint256.hpp"

namespace tally::chain {

enum class TxType : std::uint8_t { legacy = 0, access_list = 1, dynamic_fee = 2 };

struct AccessListEntry {
  Address address{};
  std::vector<Hash256> storage_keys;
  bool operator==(const AccessListEntry&) const = default;
};
using AccessList = std::vector<AccessListEntry>;

struct Transaction {
  TxType type = TxType::dynamic_fee;
  // Typed transactions always carry one. Legacy: the EIP-155 chain id taken
  // from v, or nullopt for an unprotected (pre-EIP-155, v = 27/28) one.
  std::optional<std::uint64_t> chain_id;
  std::uint64_t nonce = 0;
  U256 gas_price = 0;                 // legacy and type 1 only
  U256 max_priority_fee_per_gas = 0;  // type 2 only
  U256 max_fee_per_gas = 0;           // type 2 only
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;  // nullopt: contract creation (decodes, refused by validate_static)
  U256 value = 0;
  Bytes data;
  AccessList access_list;  // types 1 and 2 only
  // Signature. Legacy v is derived: chain_id * 2 + 35 + y_parity, or 27 + y_parity.
  std::uint8_t y_parity = 0;
  Hash256 r{};
  Hash256 s{};

  bool operator==(const Transaction&) const = default;
};

// Bounds, named so callers can see and tune them.
struct TxLimits {
  // Largest encoded transaction decode() accepts: geth's txMaxSize (4 slots
  // of 32 KiB). Checked before any parsing, so oversize input costs nothing.
  static constexpr std::size_t kMaxEncodedSize = 128 * 1024;
};

struct DecodeOptions {
  std::size_t max_encoded_size = TxLimits::kMaxEncodedSize;
};

// ---------------------------------------------------------------- encoding

// Raw network form (see top of file). Never fails.
Bytes encode(const Transaction& tx);
std::size_t encoded_size(const Transaction& tx);
// Block-body form: legacy as its list; typed wrapped in an RLP string.
void append_in_list(rlp::Encoder& out, const Transaction& tx);

// ---------------------------------------------------------------- decoding

// Strict decode of the raw network form. Errors say which field is wrong
// ("transaction field 'nonce': RLP: integer has leading zero bytes").
Result<Transaction> decode(BytesView raw, const DecodeOptions& options = {}) noexcept;
// Decodes one item of a block body (legacy list, or string holding typed raw bytes).
Result<Transaction> decode_in_list(const rlp::Item& item, const DecodeOptions& options = {}) noexcept;

// ---------------------------------------------------------------- hashes and signatures

// keccak256 of the raw encoding: the id users and JSON-RPC see.
Hash256 tx_hash(const Transaction& tx);
// The digest the sender signs. Legacy EIP-155: keccak(rlp([nonce, gasPrice,
// gas, to, value, data, chainId, 0, 0])); unprotected legacy: the first six
// fields only; typed: keccak(type || rlp(fields without the signature)).
Hash256 signing_hash(const Transaction& tx);

// Signs with `key`, setting y_parity, r and s (RFC 6979, low s). Legacy
// transactions are signed for tx.chain_id (unprotected if it is nullopt).
void sign(Transaction& tx, const crypto::PrivateKey& key);

// The signer's address. Refuses r or s outside [1, n-1], s above n/2 (EIP-2),
// y parity other than 0/1, and signatures from which no key is recoverable.
// Does not check the chain id: validate_static does.
Result<Address> recover_sender(const Transaction& tx);

// ---------------------------------------------------------------- static validity

// Why a transaction is invalid regardless of chain state. Each value cites
// its rule; message() gives the words users see.
enum class TxCheck : std::uint8_t {
  ok = 0,
  unsupported_type,       // EIP-2718: only types 0, 1, 2
  oversized,              // encoded size above TxRules::max_encoded_size
  wrong_chain_id,         // EIP-155 / typed chain id is not this chain's
  unprotected_legacy,     // pre-EIP-155 signature (v = 27/28)
  contract_creation,      // Tally moves value only: `to` is required
  nonce_max,              // EIP-2681: nonce must be below 2^64 - 1
  tip_above_fee_cap,      // EIP-1559: max priority fee > max fee
  fee_cap_overflow,       // gas limit * max fee does not fit 256 bits
  intrinsic_gas_too_low,  // gas limit below intrinsic gas (EIP-2028, EIP-2930)
  invalid_signature,      // r, s out of range, high s (EIP-2), bad y parity
};

// Short stable identifier, e.g. "intrinsic_gas_too_low".
std::string_view to_string(TxCheck check) noexcept;

struct [[nodiscard]] TxCheckResult {
  TxCheck check = TxCheck::ok;
  std::string message;  // geth's wording where it has one, with the numbers

  bool ok() const noexcept { return check == TxCheck::ok; }
  explicit operator bool() const noexcept { return ok(); }
};

struct TxRules {
  std::uint64_t chain_id = 0;             // this chain's id (required)
  bool allow_unprotected_legacy = false;  // accept pre-EIP-155 signatures
  bool allow_contract_creation = false;   // only the ethereum/tests vectors set this
  std::size_t max_encoded_size = TxLimits::kMaxEncodedSize;
};

// All state-free checks, in this order (the order geth and the
// ethereum/tests vectors report them): type, size, chain id and replay
// protection, signature values, creation, nonce, fee caps, intrinsic gas.
// Does not recover the sender.
TxCheckResult validate_static(const Transaction& tx, const TxRules& rules);

// ---------------------------------------------------------------- gas and fees

inline constexpr std::uint64_t kTxGas = 21'000;
inline constexpr std::uint64_t kTxGasContractCreation = 53'000;  // 21000 + 32000
inline constexpr std::uint64_t kTxDataZeroGas = 4;
inline constexpr std::uint64_t kTxDataNonZeroGas = 16;  // EIP-2028
inline constexpr std::uint64_t kAccessListAddressGas = 2'400;
inline constexpr std::uint64_t kAccessListStorageKeyGas = 1'900;
inline constexpr std::uint64_t kInitCodeWordGas = 2;  // EIP-3860

// Gas charged before execution: 21000, data bytes, access list entries; for
// a creation (which validation refuses) also 32000 and the init-code words,
// so the figures match the vectors. nullopt if it does not fit 64 bits.
std::optional<std::uint64_t> intrinsic_gas(const Transaction& tx) noexcept;

// Per-gas price caps. Legacy and type 1: both are gas_price.
const U256& fee_cap(const Transaction& tx) noexcept;
const U256& tip_cap(const Transaction& tx) noexcept;

// EIP-1559: what the sender pays per gas in a block with this base fee,
// min(fee cap, base fee + tip cap); nullopt if the fee cap is below the base fee.
std::optional<U256> effective_gas_price(const Transaction& tx, const U256& base_fee);
// What the block producer receives per gas: min(tip cap, fee cap - base fee);
// nullopt if the fee cap is below the base fee.
std::optional<U256> effective_tip(const Transaction& tx, const U256& base_fee);

}  // namespace tally::chain
