#pragma once
// Web3 Secret Storage (version 3 JSON keystore), the encrypted key file
// geth, ethers, MetaMask and Tally share:
//
//   derived key = scrypt(password, salt, n, r, p, 32) or PBKDF2-HMAC-SHA256(password, salt, c, 32)
//   ciphertext  = AES-128-CTR(key = derived[0..16], iv, private key)
//   mac         = keccak256(derived[16..32] || ciphertext)
//
// The MAC is checked before anything is decrypted, so a wrong password and
// a damaged file both give the same clear error and no garbage key.
//
// Reading is strict (version 3, the fields of the right types and sizes,
// unknown cipher/kdf/prf refused) and bounded: KDF parameters that would
// take minutes or gigabytes are refused before any work (KeystoreLimits).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/scrypt.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::crypto {

// geth's "standard" scrypt parameters (~256 MiB, about a second): the default for new keys.
inline constexpr ScryptParams kScryptStandard{262144, 8, 1};
// geth's "light" parameters (4 MiB, a few milliseconds): for tests and
// throwaway dev keys only.
inline constexpr ScryptParams kScryptLight{4096, 8, 6};

// Bounds on the KDF parameters a keystore file may ask for. Everything geth,
// ethers and MetaMask write is well inside them.
struct KeystoreLimits {
  static constexpr std::uint64_t kMaxScryptMemoryBytes = std::uint64_t{1} << 30;  // 1 GiB = 4x standard
  static constexpr std::uint64_t kMaxScryptWork = std::uint64_t{1} << 24;         // n * r * p; standard is 2^21
  static constexpr std::uint32_t kMaxScryptR = 64;
  static constexpr std::uint32_t kMaxScryptP = 64;
  static constexpr std::uint64_t kMaxPbkdf2Iterations = std::uint64_t{1} << 23;  // standard files use 2^18
  static constexpr std::size_t kMaxSaltBytes = 256;
  static constexpr std::size_t kMaxFileBytes = 64 * 1024;
};

enum class KdfKind : std::uint8_t { scrypt, pbkdf2 };

// A parsed (still encrypted) keystore file.
struct Keystore {
  KdfKind kdf = KdfKind::scrypt;
  ScryptParams scrypt{};                // when kdf == scrypt
  std::uint64_t pbkdf2_iterations = 0;  // when kdf == pbkdf2 (prf is hmac-sha256)
  Bytes salt;
  std::array<std::uint8_t, 16> iv{};
  Bytes ciphertext;  // 1..32 bytes: some tools dropped a private key's leading zero bytes
  Hash256 mac{};
  std::string id;                  // as written ("" when absent)
  std::optional<Address> address;  // the "address" field, when present

  bool operator==(const Keystore&) const = default;
};

// Strict, bounded parse. Errors name the field: "keystore: crypto.kdfparams.n must be a power of two".
Result<Keystore> parse_keystore(std::string_view json_text);
// The JSON geth writes: lowercase hex without 0x, "address" included when known.
std::string serialize_keystore(const Keystore& keystore);

// Checks the MAC, then decrypts. A wrong password gives "wrong password or
// corrupt keystore". An "address" field that does not match the key is an error.
Result<PrivateKey> decrypt_keystore(const Keystore& keystore, std::string_view password);
Result<PrivateKey> decrypt_keystore(std::string_view json_text, std::string_view password);

// A new keystore with fresh random salt, iv and a version-4 UUID, scrypt
// with `params`; throws std::runtime_error if OpenSSL fails.
Keystore encrypt_key(const PrivateKey& key, std::string_view password, const ScryptParams& params = kScryptStandard);
// Same, PBKDF2-HMAC-SHA256 with `iterations` (only for tests and interop).
Keystore encrypt_key_pbkdf2(const PrivateKey& key, std::string_view password, std::uint64_t iterations);

// A random RFC 4122 version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string random_uuid_v4();

}  // namespace tally::crypto
