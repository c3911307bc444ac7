#include "crypto/uint256.hpp"

#include "crypto/hex.hpp"

namespace tally {

const U256& u256_max() {
  static const U256 kMax = ~U256(0);
  return kMax;
}

Result<U256> u256_from_be(BytesView bytes) {
  if (bytes.size() > 32) return fail("integer longer than 32 bytes");
  U256 v = 0;
  for (std::uint8_t b : bytes) v = (v << 8) | b;
  return v;
}

Hash256 u256_to_be32(const U256& v) {
  Hash256 out{};
  U256 x = v;
  for (std::size_t i = 0; i < 32; ++i) {
    out[31 - i] = static_cast<std::uint8_t>(x & 0xff);
    x >>= 8;
  }
  return out;
}

Bytes u256_to_be_minimal(const U256& v) {
  const Hash256 full = u256_to_be32(v);
  std::size_t skip = 0;
  while (skip < full.size() && full[skip] == 0) ++skip;
  return {full.begin() + static_cast<std::ptrdiff_t>(skip), full.end()};
}

std::optional<U256> checked_add(const U256& a, const U256& b) {
  if (a > u256_max() - b) return std::nullopt;
  return a + b;
}

std::optional<U256> checked_mul(const U256& a, const U256& b) {
  if (a != 0 && b > u256_max() / a) return std::nullopt;
  return a * b;
}

std::optional<U256> checked_sub(const U256& a, const U256& b) {
  if (b > a) return std::nullopt;
  return a - b;
}

Result<U256> u256_from_decimal(std::string_view text) {
  if (text.empty()) return fail("empty decimal number");
  // Every character is checked before the size, so a typo is named as such.
  if (const auto bad = text.find_first_not_of("0123456789"); bad != std::string_view::npos) {
    return fail("invalid decimal digit '" + std::string(1, text[bad]) + "' at position " + std::to_string(bad));
  }
  U256 v = 0;
  const U256 max_div10 = u256_max() / 10;
  for (char c : text) {
    const auto digit = static_cast<unsigned>(c - '0');
    if (v > max_div10) return fail("decimal number too large for 256 bits");
    v *= 10;
    if (v > u256_max() - digit) return fail("decimal number too large for 256 bits");
    v += digit;
  }
  return v;
}

// Formatted in base-10^19 chunks rather than with v.str(): GCC 12 at -O3
// reports a false -Wrestrict inside Boost's cpp_int string conversion.
std::string u256_to_decimal(const U256& v) {
  constexpr std::uint64_t kChunk = 10'000'000'000'000'000'000ULL;  // 10^19 < 2^64
  std::array<std::uint64_t, 5> chunks{};                           // 2^256 < 10^95
  std::size_t count = 0;
  U256 rest = v;
  do {
    chunks[count++] = static_cast<std::uint64_t>(rest % kChunk);
    rest /= kChunk;
  } while (rest != 0);
  std::string out = std::to_string(chunks[count - 1]);
  for (std::size_t i = count - 1; i-- > 0;) {
    const std::string digits = std::to_string(chunks[i]);
    out.append(19 - digits.size(), '0');
    out.append(digits);
  }
  return out;
}

std::string u256_to_quantity(const U256& v) {
  if (v == 0) return "0x0";
  const std::string hex = to_hex(u256_to_be_minimal(v));
  std::string out = "0x";
  out.append(hex, hex[0] == '0' ? 1 : 0);  // the first byte may have one leading zero digit
  return out;
}

Result<U256> u256_from_quantity(std::string_view text) {
  if (text.size() < 3 || text[0] != '0' || text[1] != 'x') {
    return fail("quantity must be 0x-prefixed hex with at least one digit");
  }
  const std::string_view digits = text.substr(2);
  if (digits.size() > 1 && digits[0] == '0') return fail("quantity has leading zeros");
  if (digits.size() > 64) return fail("quantity larger than 256 bits");
  U256 v = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const char c = digits[i];
    unsigned nibble = 0;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      nibble = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return fail("invalid hex character '" + std::string(1, c) + "' at position " + std::to_string(i + 2) +
                  " of quantity");
    }
    v = (v << 4) | nibble;  // at most 64 digits: never overflows
  }
  return v;
}

}  // namespace tally
