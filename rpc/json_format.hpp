#pragma once
// Chain types to Ethereum JSON-RPC JSON and back, in the encodings of the
// Ethereum execution API spec:
//   quantity  "0x" + minimal lowercase hex, "0x0" for zero
//   data      "0x" + lowercase hex of the bytes (even length)
//   address   20 bytes of data, lowercase (as geth answers)
//   hash      32 bytes of data
//
// Formatters never fail. Parsers are strict and throw RpcError
// (code::kInvalidParams) whose message names the argument and says what is
// wrong, in geth's words where it has some ("invalid argument 0: hex number
// with leading zero digits").
//
// The PoW seal: a Header has no nonce or difficulty field; its seal items are
// [rlp(difficulty), rlp(8-byte nonce)] on a PoW chain (consensus/pow/seal.hpp).
// The rpc layer may not include consensus/, so pow_seal_of() reads the two
// RLP items itself with chain/rlp.hpp. A header whose seal does not have that
// shape (a PBFT chain, a test engine) shows nonce 0 and difficulty 0.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chain/block.hpp"
#include "chain/config.hpp"
#include "chain/mempool.hpp"
#include "crypto/bytes.hpp"
#include "crypto/uint256.hpp"
#include "rpc/method.hpp"

namespace tally::rpc {

// ---------------------------------------------------------------- scalars out

std::string quantity(std::uint64_t value);
std::string quantity(const U256& value);
std::string data_hex(BytesView bytes);
std::string address_hex(const Address& address);
std::string hash_hex(const Hash256& hash);

// ---------------------------------------------------------------- chain objects out

struct PowSealFields {
  U256 difficulty = 0;
  std::uint64_t nonce = 0;
};
// The difficulty and nonce of a PoW seal, or nullopt when the seal does not
// start with [canonical integer, 8-byte string].
std::optional<PowSealFields> pow_seal_of(const chain::Header& header);

// keccak256(rlp([])): sha3Uncles of a block without uncles.
const Hash256& empty_uncles_hash();

// The header fields of a block object (geth's RPCMarshalHeader): what a
// newHeads notification carries.
Json header_json(const chain::Header& header, const Hash256& hash);

// Where a transaction sits, for the block fields of a transaction object.
struct TxPosition {
  Hash256 block_hash{};
  std::uint64_t block_number = 0;
  std::uint64_t index = 0;
  U256 base_fee = 0;  // of that block: gives a type-2 transaction's effective gasPrice
};

// A transaction object. `position` nullopt: pending (block fields null,
// gasPrice of a type-2 transaction = its maxFeePerGas, as geth).
Json transaction_json(const chain::Transaction& tx, const Hash256& hash, const Address& from,
                      const std::optional<TxPosition>& position);

// A block object. `transactions`: hashes, or full objects (each needs its
// sender: `senders` must then have one per transaction). `total_difficulty`
// nullopt: the field is null.
Json block_json(const chain::Block& block, const Hash256& hash, bool full_transactions,
                const std::vector<Address>& senders, const std::optional<U256>& total_difficulty);

// A receipt object for transaction `index` of `block`. `previous_cumulative`
// is the cumulative gas of the receipt before it (0 for the first).
Json receipt_json(const chain::Block& block, const Hash256& block_hash, std::size_t index, const Address& from,
                  const chain::Receipt& receipt, std::uint64_t previous_cumulative);

// ---------------------------------------------------------------- parameters in

// A request's params array, with geth's checks on its shape. Absent or null
// params count as [].
class Params {
 public:
  // Throws kInvalidParams when params is neither an array nor null, has more
  // than `max` items ("too many arguments, want at most 2") or fewer than
  // `min` non-null leading items ("missing value for required argument 1").
  Params(const Json& params, std::size_t min, std::size_t max);
  // Argument `index`; a null or absent optional argument is nullptr.
  const Json* get(std::size_t index) const;
  const Json& required(std::size_t index) const;
  std::size_t size() const noexcept { return size_; }

 private:
  const Json* array_ = nullptr;
  std::size_t size_ = 0;
};

// Throws RpcError(kInvalidParams, "invalid argument <index>: <what>").
[[noreturn]] void invalid_argument(std::size_t index, const std::string& what);

// Each parser throws RpcError(kInvalidParams) on bad input. `index` is the
// argument's position, named in the message; `field` (optional) the key of
// an object member.
struct ArgName {
  std::size_t index = 0;
  std::string_view field;  // empty: the argument itself
};

U256 parse_quantity(const Json& value, ArgName name);               // at most 256 bits
std::uint64_t parse_quantity_u64(const Json& value, ArgName name);  // at most 64 bits
Bytes parse_data(const Json& value, ArgName name, std::size_t max_bytes = 1U << 20U);
Address parse_address(const Json& value, ArgName name);
Hash256 parse_hash(const Json& value, ArgName name);
bool parse_bool(const Json& value, ArgName name);
// A count some clients send as a JSON number: a non-negative JSON integer,
// or a quantity (at most 64 bits).
std::uint64_t parse_count(const Json& value, ArgName name);

// A block parameter: a number, a tag, or (EIP-1898) an object naming a block
// by hash (with requireCanonical) or by number.
enum class BlockTag : std::uint8_t { latest, earliest, pending, safe, finalized };
struct BlockByHash {
  Hash256 hash{};
  bool require_canonical = false;
};
using BlockParam = std::variant<BlockTag, std::uint64_t, BlockByHash>;

// `allow_hash`: whether the EIP-1898 object form is accepted (state reads,
// eth_call, eth_getBlockReceipts); plain block getters take numbers and tags.
BlockParam parse_block_param(const Json& value, ArgName name, bool allow_hash);

}  // namespace tally::rpc
