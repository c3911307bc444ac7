#pragma once
// Hex encoding and strict decoding. Decoding refuses odd lengths and
// non-hex characters; the "0x" prefix is optional unless required.

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally {

// Lowercase hex, no prefix.
std::string to_hex(BytesView data);
// Lowercase hex with a "0x" prefix.
std::string to_hex_prefixed(BytesView data);

enum class HexPrefix { optional, required };

// Decodes hex; an error names the offending position.
Result<Bytes> from_hex(std::string_view text, HexPrefix prefix = HexPrefix::optional);

// Decodes exactly N bytes of hex (e.g. a 32-byte hash, a 20-byte address).
template <std::size_t N>
Result<std::array<std::uint8_t, N>> from_hex_fixed(std::string_view text, HexPrefix prefix = HexPrefix::optional) {
  auto bytes = from_hex(text, prefix);
  if (!bytes) return Unexpected{bytes.error()};
  if (bytes->size() != N) {
    return fail("expected " + std::to_string(N) + " bytes of hex, got " + std::to_string(bytes->size()));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace tally
