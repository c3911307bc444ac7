#include "crypto/address.hpp"

#include <algorithm>

#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::crypto {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

Address address_of(const PublicKey& key) {
  const Hash256 h = keccak256(key.xy);
  Address out;
  std::copy(h.end() - 20, h.end(), out.begin());
  return out;
}

// EIP-55: hash the lowercase hex digits (as ASCII, without "0x"); a letter is
// upper case when the matching nibble of the hash is 8 or more.
std::string to_checksum_address(const Address& address) {
  std::string hex = to_hex(address);
  const Hash256 h = keccak256(as_bytes(hex));
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const unsigned nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0fU);
    if (hex[i] >= 'a' && hex[i] <= 'f' && nibble >= 8) hex[i] = static_cast<char>(hex[i] - 'a' + 'A');
  }
  return "0x" + hex;
}

Result<Address> parse_address(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || text[1] != 'x') return fail("address must start with 0x");
  const std::string_view digits = text.substr(2);
  if (digits.size() != 40) {
    return fail("address must have 40 hex digits after 0x, got " + std::to_string(digits.size()));
  }
  bool has_lower = false;
  bool has_upper = false;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const char c = digits[i];
    if (!is_hex_digit(c)) {
      return fail("invalid hex character '" + std::string(1, c) + "' at position " + std::to_string(i + 2) +
                  " of address");
    }
    has_lower = has_lower || (c >= 'a' && c <= 'f');
    has_upper = has_upper || (c >= 'A' && c <= 'F');
  }
  auto bytes = from_hex_fixed<20>(digits, HexPrefix::optional);
  if (!bytes) return Unexpected{bytes.error()};
  // All lower or all upper case carries no checksum; mixed case must match it
  // exactly (a mismatch is most likely a typo, so the address is refused).
  if (has_lower && has_upper && to_checksum_address(*bytes) != text) {
    return fail("invalid EIP-55 checksum: " + std::string(text) +
                " (mixed-case addresses must match their checksum; check the address for a typo)");
  }
  return *bytes;
}

}  // namespace tally::crypto
