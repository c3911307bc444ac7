#include "wallet/node_client.hpp"

#include <limits>

#include "crypto/hex.hpp"
#include "wallet/errors.hpp"

namespace tally::wallet {
namespace {

[[noreturn]] void malformed(std::string_view method, const std::string& what, const Json& value) {
  throw WalletError(
      "the node's answer to " + std::string(method) + " is malformed (" + what + "): " + value.dump().substr(0, 200),
      ExitCode::unreachable);
}

}  // namespace

U256 quantity_u256(const Json& value, std::string_view method) {
  if (!value.is_string()) malformed(method, "expected a hex quantity", value);
  auto parsed = u256_from_quantity(value.get<std::string>());
  if (!parsed) malformed(method, parsed.error().message, value);
  return *parsed;
}

std::uint64_t quantity_u64(const Json& value, std::string_view method) {
  const U256 parsed = quantity_u256(value, method);
  if (parsed > U256(std::numeric_limits<std::uint64_t>::max())) malformed(method, "above 2^64 - 1", value);
  return static_cast<std::uint64_t>(parsed);
}

Hash256 hash_value(const Json& value, std::string_view method) {
  if (!value.is_string()) malformed(method, "expected 32 bytes of hex", value);
  auto parsed = from_hex_fixed<32>(value.get<std::string>(), HexPrefix::required);
  if (!parsed) malformed(method, parsed.error().message, value);
  return *parsed;
}

}  // namespace tally::wallet
