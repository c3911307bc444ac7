#pragma once
// Amounts as people type them. A plain number is ether with up to 18
// decimals ("1.5", "0.000000000000000001"); a "wei" or "gwei" suffix (with
// or without a space) gives the unit: "21000 wei", "1.5gwei" (gwei allows up
// to 9 decimals, wei none). "ether"/"eth" may be written as a suffix too.
// Refused, each with a message: signs, exponents, empty text, too many
// decimals for the unit, a value above 2^256 - 1.

#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "crypto/uint256.hpp"

namespace tally::wallet {

// The value in wei.
Result<U256> parse_amount(std::string_view text);
// Wei as decimal ether without trailing zeros: "1.5", "0.000000000000000001", "0".
std::string format_ether(const U256& wei);
// Wei as decimal gwei without trailing zeros: "1.000000007".
std::string format_gwei(const U256& wei);

}  // namespace tally::wallet
