#include "crypto/scrypt.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace tally::crypto {
namespace {

using Word = std::uint32_t;

constexpr std::uint64_t kMaxRTimesP = std::uint64_t{1} << 30;  // RFC 7914: r * p < 2^30

void check_params(const ScryptParams& params) {
  if (params.n < 2 || (params.n & (params.n - 1)) != 0) {
    throw std::invalid_argument("scrypt: n must be a power of two >= 2");
  }
  if (params.r == 0 || params.p == 0) throw std::invalid_argument("scrypt: r and p must be >= 1");
  if (std::uint64_t{params.r} * params.p >= kMaxRTimesP) throw std::invalid_argument("scrypt: r * p must be < 2^30");
}

Bytes pbkdf2_sha256(std::string_view password, BytesView salt, std::size_t length) {
  Bytes out(length);
  if (password.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      salt.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      length > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument("scrypt: input too large for PBKDF2");
  }
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                        1, EVP_sha256(), static_cast<int>(length), out.data()) != 1) {
    throw std::runtime_error("OpenSSL: PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

constexpr Word rotl(Word v, int bits) {
  return (v << bits) | (v >> (32 - bits));
}

// Salsa20/8 core, in place on 16 words.
void salsa20_8(Word b[16]) {
  Word x[16];
  for (int i = 0; i < 16; ++i) x[i] = b[i];
  for (int round = 0; round < 8; round += 2) {
    x[4] ^= rotl(x[0] + x[12], 7), x[8] ^= rotl(x[4] + x[0], 9);
    x[12] ^= rotl(x[8] + x[4], 13), x[0] ^= rotl(x[12] + x[8], 18);
    x[9] ^= rotl(x[5] + x[1], 7), x[13] ^= rotl(x[9] + x[5], 9);
    x[1] ^= rotl(x[13] + x[9], 13), x[5] ^= rotl(x[1] + x[13], 18);
    x[14] ^= rotl(x[10] + x[6], 7), x[2] ^= rotl(x[14] + x[10], 9);
    x[6] ^= rotl(x[2] + x[14], 13), x[10] ^= rotl(x[6] + x[2], 18);
    x[3] ^= rotl(x[15] + x[11], 7), x[7] ^= rotl(x[3] + x[15], 9);
    x[11] ^= rotl(x[7] + x[3], 13), x[15] ^= rotl(x[11] + x[7], 18);
    x[1] ^= rotl(x[0] + x[3], 7), x[2] ^= rotl(x[1] + x[0], 9);
    x[3] ^= rotl(x[2] + x[1], 13), x[0] ^= rotl(x[3] + x[2], 18);
    x[6] ^= rotl(x[5] + x[4], 7), x[7] ^= rotl(x[6] + x[5], 9);
    x[4] ^= rotl(x[7] + x[6], 13), x[5] ^= rotl(x[4] + x[7], 18);
    x[11] ^= rotl(x[10] + x[9], 7), x[8] ^= rotl(x[11] + x[10], 9);
    x[9] ^= rotl(x[8] + x[11], 13), x[10] ^= rotl(x[9] + x[8], 18);
    x[12] ^= rotl(x[15] + x[14], 7), x[13] ^= rotl(x[12] + x[15], 9);
    x[14] ^= rotl(x[13] + x[12], 13), x[15] ^= rotl(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; ++i) b[i] += x[i];
}

// BlockMix over 2r 16-word blocks: `in` -> `out` (distinct buffers).
void block_mix(const Word* in, Word* out, std::size_t r) {
  Word x[16];
  const Word* last = in + (2 * r - 1) * 16;
  for (std::size_t k = 0; k < 16; ++k) x[k] = last[k];
  for (std::size_t i = 0; i < 2 * r; ++i) {
    for (std::size_t k = 0; k < 16; ++k) x[k] ^= in[i * 16 + k];
    salsa20_8(x);
    // Even blocks go to the first half, odd ones to the second.
    Word* dest = out + ((i / 2) + (i % 2) * r) * 16;
    for (std::size_t k = 0; k < 16; ++k) dest[k] = x[k];
  }
}

void ro_mix(std::uint8_t* block, std::size_t r, std::uint64_t n, std::vector<Word>& v) {
  const std::size_t words = 32 * r;
  std::vector<Word> x(words);
  std::vector<Word> y(words);
  for (std::size_t k = 0; k < words; ++k) {
    const std::uint8_t* p = block + 4 * k;
    x[k] = Word{p[0]} | (Word{p[1]} << 8) | (Word{p[2]} << 16) | (Word{p[3]} << 24);
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    std::copy(x.begin(), x.end(), v.begin() + static_cast<std::ptrdiff_t>(i * words));
    block_mix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t j = x[(2 * r - 1) * 16] & (n - 1);  // Integerify; n <= 2^32 here
    const Word* vj = v.data() + j * words;
    for (std::size_t k = 0; k < words; ++k) x[k] ^= vj[k];
    block_mix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (std::size_t k = 0; k < words; ++k) {
    std::uint8_t* p = block + 4 * k;
    p[0] = static_cast<std::uint8_t>(x[k]);
    p[1] = static_cast<std::uint8_t>(x[k] >> 8);
    p[2] = static_cast<std::uint8_t>(x[k] >> 16);
    p[3] = static_cast<std::uint8_t>(x[k] >> 24);
  }
}

// RFC 7914's condition, which OpenSSL enforces: n < 2^(128 r / 8).
bool openssl_accepts(const ScryptParams& params) {
  const std::uint64_t bits = 16 * std::uint64_t{params.r};
  return bits >= 64 || params.n < (std::uint64_t{1} << bits);
}

}  // namespace

std::uint64_t scrypt_memory_bytes(const ScryptParams& params) noexcept {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t per_block = 128 * std::uint64_t{params.r};
  const std::uint64_t blocks = params.n + params.p;
  if (blocks < params.n || (per_block != 0 && blocks > kMax / per_block)) return kMax;
  return per_block * blocks;
}

Bytes scrypt_portable(std::string_view password, BytesView salt, const ScryptParams& params, std::size_t length) {
  check_params(params);
  if (params.n > (std::uint64_t{1} << 32)) throw std::invalid_argument("scrypt: n above 2^32 is not supported");
  const std::size_t r = params.r;
  const std::size_t block_bytes = 128 * r;
  Bytes b = pbkdf2_sha256(password, salt, block_bytes * params.p);
  std::vector<Word> v(static_cast<std::size_t>(params.n) * 32 * r);
  for (std::size_t i = 0; i < params.p; ++i) ro_mix(b.data() + i * block_bytes, r, params.n, v);
  return pbkdf2_sha256(password, b, length);
}

Bytes scrypt(std::string_view password, BytesView salt, const ScryptParams& params, std::size_t length) {
  check_params(params);
  if (!openssl_accepts(params)) return scrypt_portable(password, salt, params, length);
  Bytes out(length);
  // OpenSSL refuses to allocate above maxmem; the caller has bounded the
  // parameters already, so allow what they need plus slack.
  const std::uint64_t maxmem = scrypt_memory_bytes(params) + (std::uint64_t{1} << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), params.n, params.r, params.p, maxmem,
                     out.data(), out.size()) != 1) {
    throw std::runtime_error("OpenSSL: EVP_PBE_scrypt failed (n=" + std::to_string(params.n) +
                             ", r=" + std::to_string(params.r) + ", p=" + std::to_string(params.p) + ")");
  }
  return out;
}

}  // namespace tally::crypto
