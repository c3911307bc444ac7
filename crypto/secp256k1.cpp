#include "crypto/secp256k1.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tally::crypto {
namespace {

// The group order n and n / 2 (rounded down), big-endian.
constexpr Hash256 kOrder = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                            0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                            0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
constexpr Hash256 kHalfOrder = {0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4,
                                0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

// One context for the process, randomized once (side-channel blinding for
// signing and key generation), then only read: libsecp256k1 documents
// concurrent use of a const context as safe.
class Context {
 public:
  Context() : ctx_(secp256k1_context_create(SECP256K1_CONTEXT_NONE)) {
    if (ctx_ == nullptr) throw std::runtime_error("libsecp256k1: secp256k1_context_create failed");
    unsigned char seed[32];
    if (RAND_bytes(seed, sizeof seed) != 1) {
      secp256k1_context_destroy(ctx_);
      throw std::runtime_error("OpenSSL: RAND_bytes failed while seeding the secp256k1 context");
    }
    const int randomized = secp256k1_context_randomize(ctx_, seed);
    OPENSSL_cleanse(seed, sizeof seed);
    if (randomized != 1) {
      secp256k1_context_destroy(ctx_);
      throw std::runtime_error("libsecp256k1: secp256k1_context_randomize failed");
    }
  }
  ~Context() { secp256k1_context_destroy(ctx_); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const secp256k1_context* get() const noexcept { return ctx_; }

 private:
  secp256k1_context* ctx_;
};

const secp256k1_context* ctx() {
  static const Context context;
  return context.get();
}

bool is_zero(const Hash256& v) {
  for (const std::uint8_t b : v) {
    if (b != 0) return false;
  }
  return true;
}

secp256k1_pubkey create_pubkey(const PrivateKey& key, const char* caller) {
  secp256k1_pubkey pk;
  if (!is_valid_scalar(key.bytes) || secp256k1_ec_pubkey_create(ctx(), &pk, key.bytes.data()) != 1) {
    throw std::invalid_argument(std::string(caller) + ": invalid private key (zero or not below the curve order)");
  }
  return pk;
}

PublicKey serialize_uncompressed(const secp256k1_pubkey& pk) {
  unsigned char out[65];
  std::size_t len = sizeof out;
  if (secp256k1_ec_pubkey_serialize(ctx(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED) != 1 || len != 65 ||
      out[0] != 0x04) {
    throw std::runtime_error("libsecp256k1: uncompressed public key serialization failed");
  }
  PublicKey key;
  std::copy(out + 1, out + 65, key.xy.begin());
  return key;
}

}  // namespace

bool is_low_s(const Hash256& s) {
  return s <= kHalfOrder;
}

bool is_valid_scalar(const Hash256& v) {
  return !is_zero(v) && v < kOrder;
}

PrivateKey generate_private_key() {
  PrivateKey key;
  for (;;) {
    if (RAND_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) != 1) {
      throw std::runtime_error("OpenSSL: RAND_bytes failed while generating a private key");
    }
    // Zero or >= n happens with probability below 2^-127; draw again.
    if (is_valid_scalar(key.bytes)) return key;
  }
}

Result<PrivateKey> private_key_from_bytes(BytesView bytes) {
  if (bytes.size() != 32) return fail("private key must be 32 bytes, got " + std::to_string(bytes.size()));
  PrivateKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes.begin());
  if (is_zero(key.bytes)) return fail("private key is zero");
  if (!(key.bytes < kOrder)) return fail("private key is not below the secp256k1 curve order");
  return key;
}

PublicKey public_key_of(const PrivateKey& key) {
  return serialize_uncompressed(create_pubkey(key, "public_key_of"));
}

std::array<std::uint8_t, 33> compressed_public_key_of(const PrivateKey& key) {
  const secp256k1_pubkey pk = create_pubkey(key, "compressed_public_key_of");
  std::array<std::uint8_t, 33> out{};
  std::size_t len = out.size();
  if (secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED) != 1 || len != 33) {
    throw std::runtime_error("libsecp256k1: compressed public key serialization failed");
  }
  return out;
}

Result<PrivateKey> private_key_tweak_add(const PrivateKey& key, const Hash256& tweak) {
  if (!is_valid_scalar(key.bytes)) return fail("private key is zero or not below the curve order");
  if (!(tweak < kOrder)) return fail("tweak is not below the curve order");
  PrivateKey out = key;
  if (secp256k1_ec_seckey_tweak_add(ctx(), out.bytes.data(), tweak.data()) != 1) {
    return fail("key plus tweak is zero modulo the curve order");
  }
  return out;
}

Signature sign(const Hash256& digest, const PrivateKey& key) {
  if (!is_valid_scalar(key.bytes)) {
    throw std::invalid_argument("sign: invalid private key (zero or not below the curve order)");
  }
  secp256k1_ecdsa_recoverable_signature sig;
  // A null nonce function selects RFC 6979; libsecp256k1 always returns low s.
  if (secp256k1_ecdsa_sign_recoverable(ctx(), &sig, digest.data(), key.bytes.data(), nullptr, nullptr) != 1) {
    throw std::runtime_error("libsecp256k1: secp256k1_ecdsa_sign_recoverable failed");
  }
  unsigned char compact[64];
  int recid = -1;
  if (secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), compact, &recid, &sig) != 1 || recid < 0 ||
      recid > 3) {
    throw std::runtime_error("libsecp256k1: recoverable signature serialization failed");
  }
  Signature out;
  std::copy(compact, compact + 32, out.r.begin());
  std::copy(compact + 32, compact + 64, out.s.begin());
  out.recovery_id = static_cast<std::uint8_t>(recid);
  if (!is_low_s(out.s)) throw std::logic_error("libsecp256k1 returned a high-s signature");
  return out;
}

bool verify(const Hash256& digest, const Signature& sig, const PublicKey& key) {
  if (sig.recovery_id > 3 || !is_valid_scalar(sig.r) || !is_valid_scalar(sig.s) || !is_low_s(sig.s)) return false;
  unsigned char compact[64];
  std::copy(sig.r.begin(), sig.r.end(), compact);
  std::copy(sig.s.begin(), sig.s.end(), compact + 32);
  secp256k1_ecdsa_signature parsed;
  if (secp256k1_ecdsa_signature_parse_compact(ctx(), &parsed, compact) != 1) return false;
  unsigned char encoded[65];
  encoded[0] = 0x04;
  std::copy(key.xy.begin(), key.xy.end(), encoded + 1);
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_parse(ctx(), &pk, encoded, sizeof encoded) != 1) return false;  // not on the curve
  // secp256k1_ecdsa_verify itself refuses high s, as checked above.
  return secp256k1_ecdsa_verify(ctx(), &parsed, digest.data(), &pk) == 1;
}

Result<PublicKey> recover(const Hash256& digest, const Signature& sig) {
  if (sig.recovery_id > 3) {
    return fail("signature recovery id " + std::to_string(sig.recovery_id) + " is out of range (0..3)");
  }
  if (is_zero(sig.r)) return fail("signature r is zero");
  if (!(sig.r < kOrder)) return fail("signature r is not below the secp256k1 curve order");
  if (is_zero(sig.s)) return fail("signature s is zero");
  if (!(sig.s < kOrder)) return fail("signature s is not below the secp256k1 curve order");
  if (!is_low_s(sig.s)) return fail("signature s is in the upper half of the curve order (EIP-2 requires low s)");
  unsigned char compact[64];
  std::copy(sig.r.begin(), sig.r.end(), compact);
  std::copy(sig.s.begin(), sig.s.end(), compact + 32);
  secp256k1_ecdsa_recoverable_signature parsed;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &parsed, compact, sig.recovery_id) != 1) {
    return fail("signature could not be parsed");
  }
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(ctx(), &pk, &parsed, digest.data()) != 1) {
    return fail("signature does not recover to a public key (r is not a valid point for this recovery id)");
  }
  return serialize_uncompressed(pk);
}

}  // namespace tally::crypto
