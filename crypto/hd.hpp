#pragma once
// BIP-39 mnemonics and BIP-32/BIP-44 hierarchical key derivation, so the
// dev mnemonic and wallet imports give the same keys as other Ethereum tools.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::crypto {

// The public dev mnemonic of Hardhat and Anvil.
inline constexpr std::string_view kDevMnemonic = "test test test test test test test test test test test junk";

// Entropy of 16, 20, 24, 28 or 32 bytes -> English mnemonic.
Result<std::string> mnemonic_from_entropy(BytesView entropy);
// Checks the word count (12, 15, 18, 21 or 24), each word against the English
// list, and the checksum. Words may be separated by any run of whitespace.
Result<void> validate_mnemonic(std::string_view mnemonic);
// PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" + passphrase, 2048) -> 64 bytes.
// (ASCII input is assumed to be NFKD already; English words are ASCII.)
std::array<std::uint8_t, 64> mnemonic_to_seed(std::string_view mnemonic, std::string_view passphrase = "");

struct ExtendedKey {
  PrivateKey key;
  Hash256 chain_code{};
  std::uint8_t depth = 0;
  std::uint32_t parent_fingerprint = 0;
  std::uint32_t child_number = 0;
};

inline constexpr std::uint32_t kHardened = 0x80000000U;

// BIP-32 master key of a 16..64-byte seed; refuses other lengths and the
// (probability < 2^-127) seeds whose key would be invalid.
Result<ExtendedKey> master_key_from_seed(BytesView seed);
// Normal (index < kHardened) or hardened child. Refuses depth beyond 255 and
// the (probability < 2^-127) indices whose key would be invalid.
Result<ExtendedKey> derive_child(const ExtendedKey& parent, std::uint32_t index);
// Path like "m/44'/60'/0'/0/0" (' or h or H marks hardened); "m" alone is
// the master key. Each index must be below 2^31 before the hardened mark.
Result<std::vector<std::uint32_t>> parse_derivation_path(std::string_view path);
Result<ExtendedKey> derive_path(const ExtendedKey& master, std::string_view path);
// Base58Check serialization ("xprv..." / "xpub..."), for the BIP-32 vectors.
std::string to_xprv(const ExtendedKey& key);
std::string to_xpub(const ExtendedKey& key);

// m/44'/60'/0'/0/index of a mnemonic: the key Hardhat, Anvil and MetaMask
// give for account `index`. The mnemonic is validated first and its words
// joined by single spaces before hashing (as ethers does).
Result<PrivateKey> dev_account_key(std::string_view mnemonic, std::uint32_t index, std::string_view passphrase = "");

}  // namespace tally::crypto
