#pragma once
// secp256k1 keys and recoverable ECDSA signatures through libsecp256k1.
// One context is created on first use, randomized, and shared by all
// threads (libsecp256k1 contexts are safe for concurrent read-only use).

#include <array>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::crypto {

struct PrivateKey {
  std::array<std::uint8_t, 32> bytes{};
  bool operator==(const PrivateKey&) const = default;
};

// Uncompressed public key without the 0x04 prefix: X || Y, 64 bytes.
struct PublicKey {
  std::array<std::uint8_t, 64> xy{};
  bool operator==(const PublicKey&) const = default;
};

// r, s big-endian; recovery_id in 0..3 (Ethereum's y-parity is 0 or 1).
struct Signature {
  Hash256 r{};
  Hash256 s{};
  std::uint8_t recovery_id = 0;
  bool operator==(const Signature&) const = default;
};

// A fresh key from OpenSSL's CSPRNG.
PrivateKey generate_private_key();
// Refuses a length other than 32, zero, and values >= the curve order.
Result<PrivateKey> private_key_from_bytes(BytesView bytes);
// Throws std::invalid_argument for a key that private_key_from_bytes would
// refuse (only reachable by filling PrivateKey::bytes by hand).
PublicKey public_key_of(const PrivateKey& key);
// SEC1 compressed form, 0x02 or 0x03 (parity of y) then X: 33 bytes, as
// BIP-32 serializes public keys. Throws like public_key_of.
std::array<std::uint8_t, 33> compressed_public_key_of(const PrivateKey& key);
// (key + tweak) mod n, the step of BIP-32 child derivation. Refuses a tweak
// >= n and a zero result.
Result<PrivateKey> private_key_tweak_add(const PrivateKey& key, const Hash256& tweak);

// Deterministic (RFC 6979) low-s signature over a 32-byte digest. Throws
// std::invalid_argument for an invalid key, like public_key_of.
Signature sign(const Hash256& digest, const PrivateKey& key);
// True when (r, s) is a valid ECDSA signature of the digest by the key, with
// r and s in range and s low. The recovery id is not consulted beyond being
// at most 3 (use recover to bind it).
bool verify(const Hash256& digest, const Signature& sig, const PublicKey& key);
// Recovers the signer; refuses r or s of zero or >= the order, high s, and
// recovery ids above 3.
Result<PublicKey> recover(const Hash256& digest, const Signature& sig);

// s <= n/2, as EIP-2 requires of transaction signatures.
bool is_low_s(const Hash256& s);
// 0 < v < n.
bool is_valid_scalar(const Hash256& v);

}  // namespace tally::crypto
