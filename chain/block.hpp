#pragma once
// Headers, blocks, bodies and receipts, and their RLP encodings.
//
// Header = rlp([parent_hash, number, timestamp, beneficiary, state_root,
//               transactions_root, receipts_root, gas_limit, gas_used,
//               base_fee, extra_data, seal...]).
// The seal is opaque here: each element of Header::seal is one complete RLP
// item that the consensus engine defines (PoW: [difficulty, nonce]; PBFT:
// its own). Block hash = keccak256(rlp(header)).
//
// Block = rlp([header, [tx...]]) where a legacy transaction is its RLP list
// and a typed one an RLP string holding type || payload, as in Ethereum's
// block bodies. Body (storage form) = rlp([[tx...]]).
//
// Receipt: Ethereum's consensus encoding. Legacy = rlp([status, cumulative
// gas, bloom, logs]); typed = type || rlp([...]). Tally moves value only, so
// the bloom is 256 zero bytes and logs are always []. A receipt list wraps
// typed receipts in RLP strings, like transactions. Stored receipts (the
// datadir's form, never hashed or sent) leave out what is always the same:
// rlp([[type, status, cumulative gas]...]).
//
// Decoders are strict (canonical RLP, exact field counts, sizes bounded by
// BlockLimits) and never throw: decode(encode(x)) == x and
// encode(decode(b)) == b for every accepted b.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "chain/rlp.hpp"
#include "chain/transaction.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/uint256.hpp"

namespace tally::chain {

// Consensus rules on the header's shape (not tunable).
inline constexpr std::size_t kMaxExtraDataBytes = 32;  // as Ethereum's MaximumExtraDataSize
inline constexpr std::size_t kHeaderFields = 11;       // before the seal
inline constexpr std::size_t kMaxSealItems = 8;
inline constexpr std::size_t kBloomBytes = 256;

// Decoding bounds, named so callers can see and tune them. Each is checked
// before the bytes are parsed further.
struct BlockLimits {
  std::size_t max_block_bytes = 8U << 20U;          // an encoded block or body
  std::size_t max_header_bytes = 64U << 10U;        // a header alone (seal included)
  std::size_t max_transactions = 65'536;            // per block
  std::size_t max_receipt_list_bytes = 32U << 20U;  // 65,536 receipts of ~290 bytes fit
};

struct Header {
  Hash256 parent_hash{};
  std::uint64_t number = 0;
  std::uint64_t timestamp = 0;  // seconds since the Unix epoch
  Address beneficiary{};        // receives tips and the block reward
  Hash256 state_root{};
  Hash256 transactions_root{};
  Hash256 receipts_root{};
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_used = 0;
  U256 base_fee = 0;  // EIP-1559 base fee per gas, wei
  Bytes extra_data;   // at most kMaxExtraDataBytes
  // Consensus seal: each element one complete, canonical RLP item.
  std::vector<Bytes> seal;

  bool operator==(const Header&) const = default;
};

struct BlockBody {
  std::vector<Transaction> transactions;
  bool operator==(const BlockBody&) const = default;
};

struct Block {
  Header header;
  std::vector<Transaction> transactions;
  bool operator==(const Block&) const = default;
};

struct Receipt {
  TxType type = TxType::dynamic_fee;  // the transaction's type
  std::uint8_t status = 1;            // 1 success, 0 failure (never produced by value transfers)
  std::uint64_t cumulative_gas_used = 0;
  bool operator==(const Receipt&) const = default;
};

// ---------------------------------------------------------------- headers

// rlp(header). Seal items are copied as they are (the caller's engine made them).
Bytes encode_header(const Header& header);
// rlp(header) with the last `omit_seal_items` seal items left out (at most
// seal.size()): PoW's seal hash is keccak256 of the header without its nonce.
Bytes encode_header_omitting_seal(const Header& header, std::size_t omit_seal_items);
void append_header(rlp::Encoder& out, const Header& header);
// keccak256(rlp(header)): the block hash.
Hash256 header_hash(const Header& header);

// Strict: exactly kHeaderFields fields then 0..kMaxSealItems seal items;
// numbers fit 64 bits; hashes 32 bytes, beneficiary 20; extra data at most
// kMaxExtraDataBytes. An Error names the field.
Result<Header> decode_header(BytesView encoded, const BlockLimits& limits = {}) noexcept;
// The same, for a header inside a larger structure (already size-checked).
Result<Header> decode_header_item(const rlp::Item& item) noexcept;

// ---------------------------------------------------------------- blocks and bodies

Bytes encode_block(const Block& block);
Result<Block> decode_block(BytesView encoded, const BlockLimits& limits = {}) noexcept;
// The header of an encoded block, its transactions left unread (the block's
// hash without decoding a whole block; decode_block checks the rest).
Result<Header> decode_block_header(BytesView encoded, const BlockLimits& limits = {}) noexcept;
inline Hash256 block_hash(const Block& block) {
  return header_hash(block.header);
}

Bytes encode_body(const BlockBody& body);
Result<BlockBody> decode_body(BytesView encoded, const BlockLimits& limits = {}) noexcept;

// ---------------------------------------------------------------- receipts

// Consensus form: legacy rlp([...]); typed type || rlp([...]). The value the
// receipts trie holds.
Bytes encode_receipt(const Receipt& receipt);
Result<Receipt> decode_receipt(BytesView encoded) noexcept;

// A list of receipts, typed ones wrapped in RLP strings. The decoder refuses
// cumulative gas that decreases from one receipt to the next.
Bytes encode_receipts(std::span<const Receipt> receipts);
Result<std::vector<Receipt>> decode_receipts(BytesView encoded, const BlockLimits& limits = {}) noexcept;

// The datadir's form of a block's receipts: rlp([[type, status,
// cumulativeGasUsed]...]), 6-8 bytes a receipt where the consensus form
// takes 267-273 (mostly the zero bloom). Never hashed or sent:
// receipts_root uses the consensus form. The decoder is as strict as
// decode_receipts (same limits, canonical RLP, 3 fields, type 0-2, status
// 0-1, cumulative gas that never decreases).
Bytes encode_stored_receipts(std::span<const Receipt> receipts);
Result<std::vector<Receipt>> decode_stored_receipts(BytesView encoded, const BlockLimits& limits = {}) noexcept;

// ---------------------------------------------------------------- roots

// Ordered tries (key rlp(index)): of the raw transaction encodings, and of
// the consensus receipt encodings. Both are the empty trie root when empty.
Hash256 transactions_root(std::span<const Transaction> transactions);
Hash256 receipts_root(std::span<const Receipt> receipts);

}  // namespace tally::chain
