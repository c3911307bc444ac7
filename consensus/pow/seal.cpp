// OpenSSL 3 deprecates the low-level SHA256_Init/Update/Final calls in favour
// of EVP. For the proof-of-work hash (two SHA-256 of 40 and 32 bytes) the EVP
// path costs 2.6x more per hash even with a reused context (bench/README.md:
// 347 ns vs 135 ns for sha256d of 40 bytes), and the miner's inner loop is
// nothing but this hash. So this one file uses the low-level calls, with the
// deprecation warning suppressed here only; everything else hashes through
// crypto/sha256.hpp.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "consensus/pow/seal.hpp"

#include <openssl/sha.h>

#include <bit>
#include <boost/multiprecision/cpp_int.hpp>
#include <cstring>
#include <stdexcept>
#include <string>

#include "chain/rlp.hpp"
#include "crypto/keccak.hpp"

namespace tally::consensus::pow {
namespace {

void put_be64(std::uint8_t* out, std::uint64_t v) noexcept {
  // One byte swap and a store, not eight shifts: this runs once per nonce.
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(out, &v, sizeof v);
}

std::uint64_t get_be64(BytesView in) noexcept {
  std::uint64_t v = 0;
  for (std::uint8_t b : in) v = (v << 8U) | b;
  return v;
}

Result<U256> decode_difficulty(const Bytes& item) {
  auto decoded = rlp::decode(item);
  if (!decoded) return fail("pow seal: difficulty: " + decoded.error().message);
  auto value = rlp::read_u256(*decoded);
  if (!value) return fail("pow seal: difficulty: " + value.error().message);
  if (*value == 0) return fail("pow seal: difficulty must be at least 1");
  return *value;
}

}  // namespace

Result<U256> read_difficulty(const chain::Header& header) {
  if (header.seal.empty()) return fail("pow seal: missing (expected 2 items: difficulty and nonce)");
  return decode_difficulty(header.seal[0]);
}

Result<PowSeal> read_seal(const chain::Header& header) {
  if (header.seal.size() != kSealItems) {
    return fail("pow seal: seal must have 2 items: difficulty and nonce (got " + std::to_string(header.seal.size()) +
                ")");
  }
  auto difficulty = decode_difficulty(header.seal[0]);
  if (!difficulty) return Unexpected{difficulty.error()};
  auto item = rlp::decode(header.seal[1]);
  if (!item) return fail("pow seal: nonce: " + item.error().message);
  auto nonce = rlp::read_fixed<kNonceBytes>(*item);
  if (!nonce) return fail("pow seal: nonce must be 8 bytes: " + nonce.error().message);
  return PowSeal{*difficulty, get_be64(*nonce)};
}

void write_seal(chain::Header& header, const PowSeal& seal) {
  header.seal.clear();
  header.seal.push_back(rlp::encode_u256(seal.difficulty));
  header.seal.emplace_back();
  set_nonce(header, seal.nonce);
}

void set_nonce(chain::Header& header, std::uint64_t nonce) {
  if (header.seal.size() != kSealItems) throw std::invalid_argument("pow set_nonce: header has no 2-item PoW seal");
  std::array<std::uint8_t, kNonceBytes> be{};
  put_be64(be.data(), nonce);
  header.seal[1] = rlp::encode_string(be);
}

Hash256 seal_hash(const chain::Header& header) {
  return crypto::keccak256(chain::encode_header_omitting_seal(header, 1));
}

Hash256 target_from_difficulty(const U256& difficulty) {
  if (difficulty == 0) throw std::invalid_argument("pow: difficulty 0 has no target");
  if (difficulty == 1) return u256_to_be32(u256_max());
  // 2^256 / d for d >= 2 fits in 256 bits; computed in an unbounded integer.
  const boost::multiprecision::cpp_int two_256 = boost::multiprecision::cpp_int(1) << 256U;
  const boost::multiprecision::cpp_int quotient = two_256 / boost::multiprecision::cpp_int(difficulty);
  return u256_to_be32(U256(quotient));
}

Hash256 pow_hash(const Hash256& seal_hash_value, std::uint64_t nonce) {
  Hash256 out;
  SealChecker checker(seal_hash_value, Hash256{});
  checker.try_nonce(nonce, out);
  return out;
}

Result<void> check_seal(const chain::Header& header) {
  auto seal = read_seal(header);
  if (!seal) return Unexpected{seal.error()};
  SealChecker checker(seal_hash(header), target_from_difficulty(seal->difficulty));
  if (!checker.try_nonce(seal->nonce)) return fail("pow seal: seal hash above target");
  return {};
}

SealChecker::SealChecker(const Hash256& seal_hash_value, const Hash256& target_be) noexcept : target_(target_be) {
  std::memcpy(input_.data(), seal_hash_value.data(), seal_hash_value.size());
}

bool SealChecker::try_nonce(std::uint64_t nonce, Hash256& out) noexcept {
  put_be64(input_.data() + 32, nonce);
  std::uint8_t first[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, input_.data(), input_.size());
  SHA256_Final(first, &ctx);
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, first, sizeof first);
  SHA256_Final(out.data(), &ctx);
  // Both are 32 big-endian bytes, so byte order is numeric order.
  return std::memcmp(out.data(), target_.data(), out.size()) <= 0;
}

}  // namespace tally::consensus::pow
