#pragma once
// Recursive Length Prefix (RLP), the serialisation of Ethereum's yellow paper
// (appendix B): a value is a byte string or a list of values.
//
// Encoding appends to a caller-owned Bytes buffer (Encoder), so a structure
// is written in one pass without temporaries; Encoder::begin_list/end_list
// wrap a list whose length is not known in advance.
//
// Decoding is strict and zero-copy: an Item is a view into the input. Only
// the canonical encoding of a value is accepted, so decode(encode(x)) == x and
// encode(decode(b)) == b for every accepted b. Refused, each with an Error that
// names the cause: leading zeros in integers, a single byte below 0x80 written
// as 0x81xx, the long form for payloads under 56 bytes, a length-of-length with
// a leading zero, a declared length beyond the input, trailing bytes after the
// top item, integers wider than their type, nesting deeper than kMaxDepth.
// Decoders never read out of bounds, never allocate, and never throw (an
// Error message is the only allocation, on failure).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/uint256.hpp"

namespace tally::rlp {

// Deepest list nesting decode()/validate() accept: keeps recursion bounded
// whatever the input (a top-level scalar is depth 0, its list depth 1, ...).
inline constexpr std::size_t kMaxDepth = 64;

// ---------------------------------------------------------------- encoding

// Sizes of encodings, for exact reserve() and for computing list headers
// before writing the payload.
std::size_t length_of_header(std::size_t payload_length) noexcept;  // string or list header
std::size_t length_of_string(BytesView bytes) noexcept;
std::size_t length_of_uint(std::uint64_t value) noexcept;
std::size_t length_of_u256(const U256& value) noexcept;
// A big-endian unsigned integer given as bytes (leading zeros are dropped).
std::size_t length_of_uint_be(BytesView big_endian) noexcept;

class Encoder {
 public:
  explicit Encoder(Bytes& out) noexcept : out_(out) {}

  // A byte string (a single byte below 0x80 is written as itself).
  void string(BytesView bytes);
  template <std::size_t N>
  void string(const std::array<std::uint8_t, N>& bytes) {
    string(BytesView(bytes));
  }
  // Integers: minimal big-endian, zero is the empty string (0x80).
  void uint(std::uint64_t value);
  void u256(const U256& value);
  // A big-endian integer given as bytes, e.g. a signature's r or s; leading
  // zeros are dropped so the encoding is canonical.
  void uint_be(BytesView big_endian);
  // A header for a string or list whose payload the caller writes next.
  void string_header(std::size_t payload_length);
  void list_header(std::size_t payload_length);
  // Already encoded RLP, copied as is.
  void raw(BytesView encoded);

  // Wraps what is written between the two calls in a list. Lists may nest.
  // The header is patched in at end_list (moving the payload when it needs a
  // long header); when the payload length is known, list_header is cheaper.
  [[nodiscard]] std::size_t begin_list();
  void end_list(std::size_t marker);

  Bytes& buffer() noexcept { return out_; }

 private:
  void header(std::uint8_t short_base, std::size_t payload_length);
  Bytes& out_;
};

// One-shot helpers.
Bytes encode_string(BytesView bytes);
Bytes encode_uint(std::uint64_t value);
Bytes encode_u256(const U256& value);

// ---------------------------------------------------------------- decoding

enum class Kind : std::uint8_t { string, list };

// A decoded value: a view into the input, valid as long as the input is.
struct Item {
  Kind kind = Kind::string;
  BytesView payload;  // string: its bytes; list: the concatenated encodings of its items
  BytesView encoded;  // header and payload

  bool is_list() const noexcept { return kind == Kind::list; }
  bool is_string() const noexcept { return kind == Kind::string; }
};

// Reads the item at the front of `input` (bytes after it are left alone).
// Checks its header is canonical and its payload lies within `input`; the
// items inside a list are checked when they are read.
Result<Item> read_item(BytesView input) noexcept;

// The whole input must be exactly one item; every item in it, to any depth
// up to max_depth, is checked for canonical form.
Result<Item> decode(BytesView input, std::size_t max_depth = kMaxDepth) noexcept;
Result<void> validate(BytesView input, std::size_t max_depth = kMaxDepth) noexcept;

// Walks the items of a list payload one by one.
class ListReader {
 public:
  explicit ListReader(BytesView payload) noexcept : rest_(payload) {}

  bool at_end() const noexcept { return rest_.empty(); }
  // The next item; an error if the list has ended or the item is malformed.
  Result<Item> next() noexcept;
  // Number of items left (walks their headers; does not advance).
  Result<std::size_t> count() const noexcept;

 private:
  BytesView rest_;
};

// Typed readers: each refuses the wrong kind and non-canonical values.
Result<ListReader> read_list(const Item& item) noexcept;
Result<BytesView> read_bytes(const Item& item) noexcept;
Result<std::uint64_t> read_uint64(const Item& item) noexcept;
Result<U256> read_u256(const Item& item) noexcept;
// A canonical integer of at most 32 bytes, left-padded to 32 (r and s).
Result<Hash256> read_u256_be(const Item& item) noexcept;

// A string of exactly N bytes: a hash, an address, a storage key.
template <std::size_t N>
Result<std::array<std::uint8_t, N>> read_fixed(const Item& item) noexcept {
  auto bytes = read_bytes(item);
  if (!bytes) return Unexpected{bytes.error()};
  if (bytes->size() != N) {
    return fail("RLP: expected a string of " + std::to_string(N) + " bytes, got " + std::to_string(bytes->size()));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace tally::rlp
