#include "crypto/hex.hpp"

namespace tally {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(BytesView data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::string to_hex_prefixed(BytesView data) {
  return "0x" + to_hex(data);
}

Result<Bytes> from_hex(std::string_view text, HexPrefix prefix) {
  const bool has_prefix = text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (has_prefix) {
    text.remove_prefix(2);
  } else if (prefix == HexPrefix::required) {
    return fail("hex string must start with 0x");
  }
  if (text.size() % 2 != 0) return fail("hex string has an odd number of digits");
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      const std::size_t at = 2 * i + (hi < 0 ? 0 : 1) + (has_prefix ? 2 : 0);
      return fail("invalid hex character at position " + std::to_string(at));
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

}  // namespace tally
