#pragma once
// scrypt (RFC 7914) for keystore key derivation.
//
// OpenSSL's EVP_PBE_scrypt does the work whenever it accepts the parameters.
// It enforces RFC 7914's N < 2^(16 r), which the published Web3 Secret
// Storage scrypt vector (n = 2^18, r = 1) breaks, while geth and ethers
// accept it. Such parameters go to a small local implementation of the same
// algorithm (Salsa20/8, BlockMix, ROMix around OpenSSL's PBKDF2-HMAC-SHA256),
// so keystores those tools wrote still open.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/bytes.hpp"

namespace tally::crypto {

struct ScryptParams {
  std::uint64_t n = 0;  // CPU/memory cost, a power of two >= 2
  std::uint32_t r = 0;  // block size
  std::uint32_t p = 0;  // parallelism
  bool operator==(const ScryptParams&) const = default;
};

// Memory the derivation needs, in bytes: 128 * r * (n + p). Saturates.
std::uint64_t scrypt_memory_bytes(const ScryptParams& params) noexcept;

// Derives `length` bytes. The caller bounds the parameters (see keystore.hpp);
// this throws std::invalid_argument for n not a power of two >= 2, r or p of
// 0, or r * p >= 2^30, and std::runtime_error if an OpenSSL call fails.
Bytes scrypt(std::string_view password, BytesView salt, const ScryptParams& params, std::size_t length);

// The local implementation alone (no OpenSSL fallback choice), for tests.
Bytes scrypt_portable(std::string_view password, BytesView salt, const ScryptParams& params, std::size_t length);

}  // namespace tally::crypto
