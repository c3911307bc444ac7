#pragma once
// Ethereum addresses: the last 20 bytes of keccak256 of the 64-byte public
// key, written with the EIP-55 mixed-case checksum.

#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::crypto {

Address address_of(const PublicKey& key);
// "0x" + EIP-55 checksummed hex.
std::string to_checksum_address(const Address& address);
// Accepts "0x" + 40 hex digits in all lowercase, all uppercase, or with a
// correct EIP-55 checksum; a mixed-case address with a wrong checksum is
// refused (it is most likely a typo).
Result<Address> parse_address(std::string_view text);

}  // namespace tally::crypto
