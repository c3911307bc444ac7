#pragma once
// 256-bit unsigned integers for balances, values and fees. The backend is
// checked: an overflow throws std::overflow_error and a subtraction below
// zero throws std::range_error, so a bug can never wrap a balance silently.
// Code that handles outside input compares before it computes and reports
// a typed error instead of letting these throw.

#include <boost/multiprecision/cpp_int.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally {

using U256 = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<
    256, 256, boost::multiprecision::unsigned_magnitude, boost::multiprecision::checked, void>>;

// Largest value.
const U256& u256_max();

// Big-endian bytes, at most 32; leading zeros allowed here (the RLP layer
// enforces canonical form separately).
Result<U256> u256_from_be(BytesView bytes);
// Exactly 32 big-endian bytes.
Hash256 u256_to_be32(const U256& v);
// Minimal big-endian bytes: no leading zeros, zero is empty.
Bytes u256_to_be_minimal(const U256& v);

// Arithmetic that reports overflow instead of throwing.
std::optional<U256> checked_add(const U256& a, const U256& b);
std::optional<U256> checked_mul(const U256& a, const U256& b);
std::optional<U256> checked_sub(const U256& a, const U256& b);

// Decimal text, strict (digits only, no sign, no leading '+').
Result<U256> u256_from_decimal(std::string_view text);
std::string u256_to_decimal(const U256& v);
// Ethereum JSON-RPC quantity: "0x" + minimal lowercase hex ("0x0" for zero).
std::string u256_to_quantity(const U256& v);
// Parses a quantity: "0x" prefix required, no leading zeros, at most 64 digits.
Result<U256> u256_from_quantity(std::string_view text);

}  // namespace tally
