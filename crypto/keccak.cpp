#include "crypto/keccak.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

// Keccak-f[1600] with the Keccak-256 parameters Ethereum uses: rate 136 bytes
// (17 lanes), capacity 512 bits, the original padding 0x01 ... 0x80. Lanes are
// 64-bit little-endian words, state index x + 5*y. Each round is written out
// lane by lane (theta, rho and pi fused, then chi and iota) so the compiler
// keeps it in registers; the reference loop form is in the Keccak team's
// "Keccak implementation overview", section 1.

namespace tally::crypto {
namespace {

constexpr std::size_t kRate = 136;
constexpr std::size_t kRateLanes = kRate / 8;

constexpr std::uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL, 0x000000000000808BULL,
    0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008AULL, 0x0000000000000088ULL,
    0x0000000080008009ULL, 0x000000008000000AULL, 0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

inline std::uint64_t rotl(std::uint64_t v, int n) {
  return std::rotl(v, n);
}

// Compilers turn this byte assembly into one load on little-endian machines.
inline std::uint64_t load_le64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(p[0]) | static_cast<std::uint64_t>(p[1]) << 8 |
         static_cast<std::uint64_t>(p[2]) << 16 | static_cast<std::uint64_t>(p[3]) << 24 |
         static_cast<std::uint64_t>(p[4]) << 32 | static_cast<std::uint64_t>(p[5]) << 40 |
         static_cast<std::uint64_t>(p[6]) << 48 | static_cast<std::uint64_t>(p[7]) << 56;
}

inline void store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// The 24 rounds over a local copy of the state: through the caller's
// pointer the compiler stores every lane back after each round, on a local
// array it keeps what it can in registers.
[[gnu::always_inline]] inline void permute(std::uint64_t* state) {
  std::uint64_t a[25];
  std::memcpy(a, state, sizeof a);
  for (const std::uint64_t rc : kRoundConstants) {
    // theta
    const std::uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
    const std::uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
    const std::uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
    const std::uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
    const std::uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
    const std::uint64_t d0 = c4 ^ rotl(c1, 1);
    const std::uint64_t d1 = c0 ^ rotl(c2, 1);
    const std::uint64_t d2 = c1 ^ rotl(c3, 1);
    const std::uint64_t d3 = c2 ^ rotl(c4, 1);
    const std::uint64_t d4 = c3 ^ rotl(c0, 1);

    // rho and pi: b[y + 5*((2x + 3y) % 5)] = rotl(a[x + 5y] ^ d[x], r[x][y])
    const std::uint64_t b00 = a[0] ^ d0;
    const std::uint64_t b01 = rotl(a[6] ^ d1, 44);
    const std::uint64_t b02 = rotl(a[12] ^ d2, 43);
    const std::uint64_t b03 = rotl(a[18] ^ d3, 21);
    const std::uint64_t b04 = rotl(a[24] ^ d4, 14);
    const std::uint64_t b05 = rotl(a[3] ^ d3, 28);
    const std::uint64_t b06 = rotl(a[9] ^ d4, 20);
    const std::uint64_t b07 = rotl(a[10] ^ d0, 3);
    const std::uint64_t b08 = rotl(a[16] ^ d1, 45);
    const std::uint64_t b09 = rotl(a[22] ^ d2, 61);
    const std::uint64_t b10 = rotl(a[1] ^ d1, 1);
    const std::uint64_t b11 = rotl(a[7] ^ d2, 6);
    const std::uint64_t b12 = rotl(a[13] ^ d3, 25);
    const std::uint64_t b13 = rotl(a[19] ^ d4, 8);
    const std::uint64_t b14 = rotl(a[20] ^ d0, 18);
    const std::uint64_t b15 = rotl(a[4] ^ d4, 27);
    const std::uint64_t b16 = rotl(a[5] ^ d0, 36);
    const std::uint64_t b17 = rotl(a[11] ^ d1, 10);
    const std::uint64_t b18 = rotl(a[17] ^ d2, 15);
    const std::uint64_t b19 = rotl(a[23] ^ d3, 56);
    const std::uint64_t b20 = rotl(a[2] ^ d2, 62);
    const std::uint64_t b21 = rotl(a[8] ^ d3, 55);
    const std::uint64_t b22 = rotl(a[14] ^ d4, 39);
    const std::uint64_t b23 = rotl(a[15] ^ d0, 41);
    const std::uint64_t b24 = rotl(a[21] ^ d1, 2);

    // chi, then iota on lane 0
    a[0] = b00 ^ (~b01 & b02) ^ rc;
    a[1] = b01 ^ (~b02 & b03);
    a[2] = b02 ^ (~b03 & b04);
    a[3] = b03 ^ (~b04 & b00);
    a[4] = b04 ^ (~b00 & b01);
    a[5] = b05 ^ (~b06 & b07);
    a[6] = b06 ^ (~b07 & b08);
    a[7] = b07 ^ (~b08 & b09);
    a[8] = b08 ^ (~b09 & b05);
    a[9] = b09 ^ (~b05 & b06);
    a[10] = b10 ^ (~b11 & b12);
    a[11] = b11 ^ (~b12 & b13);
    a[12] = b12 ^ (~b13 & b14);
    a[13] = b13 ^ (~b14 & b10);
    a[14] = b14 ^ (~b10 & b11);
    a[15] = b15 ^ (~b16 & b17);
    a[16] = b16 ^ (~b17 & b18);
    a[17] = b17 ^ (~b18 & b19);
    a[18] = b18 ^ (~b19 & b15);
    a[19] = b19 ^ (~b15 & b16);
    a[20] = b20 ^ (~b21 & b22);
    a[21] = b21 ^ (~b22 & b23);
    a[22] = b22 ^ (~b23 & b24);
    a[23] = b23 ^ (~b24 & b20);
    a[24] = b24 ^ (~b20 & b21);
  }
  std::memcpy(state, a, sizeof a);
}

}  // namespace

void keccak_f1600_portable(std::uint64_t* state) {
  permute(state);
}

#if TALLY_KECCAK_HAS_X86_64_V3
// The same rounds built for x86-64-v3, whose BMI1 andn does chi's
// ~x & y in one instruction and BMI2 rorx rotates without a move. With the
// local copy, 1.3x the old permutation (BM_Keccak256, bench/README.md).
//
// Clang 14 (Debian 12's) checks neither the "x86-64-v3" level nor MOVBE,
// LZCNT or F16C at run time, so under clang the build targets only the
// features it can check (the ones the rounds use among them).
#if defined(__clang__)
#define TALLY_KECCAK_V3_TARGET "avx,avx2,bmi,bmi2,fma"
#else
#define TALLY_KECCAK_V3_TARGET "arch=x86-64-v3"
#endif
[[gnu::target(TALLY_KECCAK_V3_TARGET)]] void keccak_f1600_x86_64_v3(std::uint64_t* state) {
  permute(state);
}

bool cpu_has_x86_64_v3() {
  __builtin_cpu_init();  // may run before the runtime's own constructor
#if defined(__clang__)
  return __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("fma");
#else
  return __builtin_cpu_supports("x86-64-v3");
#endif
}
#endif

namespace {

using Permutation = void (*)(std::uint64_t*);

// Chosen once; a function-local static so hashing during other files'
// static initialization already sees the choice.
Permutation chosen_permutation() {
#if TALLY_KECCAK_HAS_X86_64_V3
  static const Permutation chosen = cpu_has_x86_64_v3() ? keccak_f1600_x86_64_v3 : keccak_f1600_portable;
#else
  static const Permutation chosen = keccak_f1600_portable;
#endif
  return chosen;
}

inline void keccak_f1600(std::uint64_t* state) {
  chosen_permutation()(state);
}

// XORs one full 136-byte block into the rate lanes and permutes.
inline void absorb_block(std::uint64_t* state, const std::uint8_t* block) {
  for (std::size_t i = 0; i < kRateLanes; ++i) state[i] ^= load_le64(block + 8 * i);
  keccak_f1600(state);
}

// XORs one byte at byte position `pos` (< kRate) of the rate.
inline void xor_byte(std::uint64_t* state, std::size_t pos, std::uint8_t b) {
  state[pos / 8] ^= static_cast<std::uint64_t>(b) << (8 * (pos % 8));
}

}  // namespace

Keccak256::Keccak256() : state_{} {}

void Keccak256::update(BytesView data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();

  // Top up a partly filled block first.
  if (offset_ != 0) {
    const std::size_t take = std::min(n, kRate - offset_);
    for (std::size_t i = 0; i < take; ++i) xor_byte(state_, offset_ + i, p[i]);
    offset_ += take;
    p += take;
    n -= take;
    if (offset_ < kRate) return;
    keccak_f1600(state_);
    offset_ = 0;
  }
  // Whole blocks, a lane at a time.
  for (; n >= kRate; p += kRate, n -= kRate) absorb_block(state_, p);
  // The tail waits for more input or for finish(): whole lanes, then bytes.
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) state_[i / 8] ^= load_le64(p + i);
  for (; i < n; ++i) xor_byte(state_, i, p[i]);
  offset_ = n;
}

Hash256 Keccak256::finish() {
  xor_byte(state_, offset_, 0x01);
  xor_byte(state_, kRate - 1, 0x80);
  keccak_f1600(state_);
  Hash256 out;
  for (std::size_t i = 0; i < 4; ++i) store_le64(out.data() + 8 * i, state_[i]);
  offset_ = 0;
  return out;
}

Hash256 keccak256(BytesView data) {
  Keccak256 h;
  h.update(data);
  return h.finish();
}

}  // namespace tally::crypto
