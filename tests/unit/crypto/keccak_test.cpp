#include "crypto/keccak.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/hex.hpp"

namespace tally::crypto {
namespace {

std::string hex_of(const Hash256& h) {
  return to_hex(h);
}

// i & 0xff for i in 0..n-1: inputs around the 136-byte rate.
Bytes counting_bytes(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i & 0xff);
  return b;
}

// Expected values below were computed with an independent Python Keccak that
// first reproduced hashlib.sha3_256 when given the SHA-3 padding.
TEST(Keccak256, EmptyInput) {
  EXPECT_EQ(hex_of(keccak256({})), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, Abc) {
  EXPECT_EQ(hex_of(keccak256(as_bytes("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak256, IsNotSha3) {
  // SHA3-256("") is a7ffc6f8...: the padding byte differs.
  EXPECT_NE(hex_of(keccak256({})).substr(0, 8), "a7ffc6f8");
}

TEST(Keccak256, RateBoundaries) {
  EXPECT_EQ(hex_of(keccak256(counting_bytes(135))), "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
  EXPECT_EQ(hex_of(keccak256(counting_bytes(136))), "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e");
  EXPECT_EQ(hex_of(keccak256(counting_bytes(137))), "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
}

TEST(Keccak256, OneMillionA) {
  const std::string input(1'000'000, 'a');
  EXPECT_EQ(hex_of(keccak256(as_bytes(input))), "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}

Bytes pattern_200() {
  Bytes b(200);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>((i * 7 + 3) & 0xff);
  return b;
}

TEST(Keccak256, TwoHundredBytesKnownAnswer) {
  EXPECT_EQ(hex_of(keccak256(pattern_200())), "66d2cdf3ab4c5bd3c75add9b60b14ac5b7789534fa2da3f348853b847359a3a0");
}

TEST(Keccak256, IncrementalInOddPiecesEqualsOneShot) {
  const Bytes data = pattern_200();
  const Hash256 expected = keccak256(data);
  for (std::size_t piece : {1U, 3U, 7U, 13U, 135U, 136U, 137U, 199U}) {
    Keccak256 h;
    for (std::size_t at = 0; at < data.size(); at += piece) {
      h.update(BytesView(data).subspan(at, std::min(piece, data.size() - at)));
    }
    EXPECT_EQ(h.finish(), expected) << "piece size " << piece;
  }
}

TEST(Keccak256, IncrementalAcrossManyBlocksAndEmptyUpdates) {
  const std::string input(1'000'000, 'a');
  Keccak256 h;
  std::size_t at = 0;
  for (std::size_t step = 1; at < input.size(); step = step * 3 % 1000 + 1) {
    const std::size_t n = std::min(step, input.size() - at);
    h.update(as_bytes(std::string_view(input).substr(at, n)));
    h.update({});
    at += n;
  }
  EXPECT_EQ(hex_of(h.finish()), "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}

TEST(Keccak256, EveryLengthUpToThreeBlocksMatchesIncremental) {
  const Bytes data = counting_bytes(3 * 136 + 1);
  for (std::size_t n = 0; n <= data.size(); ++n) {
    const BytesView view(data.data(), n);
    Keccak256 h;
    h.update(view.first(n / 2));
    h.update(view.subspan(n / 2));
    EXPECT_EQ(h.finish(), keccak256(view)) << "length " << n;
  }
}

// Keccak-f[1600] of the all-zero state, and of that result again: the
// Keccak team's published intermediate values (lanes 0, 1 and 24).
TEST(KeccakF1600, PortableMatchesPublishedPermutationOfZero) {
  std::uint64_t state[25] = {};
  keccak_f1600_portable(state);
  EXPECT_EQ(state[0], 0xF1258F7940E1DDE7ULL);
  EXPECT_EQ(state[1], 0x84D5CCF933C0478AULL);
  EXPECT_EQ(state[24], 0xEAF1FF7B5CECA249ULL);
  keccak_f1600_portable(state);
  EXPECT_EQ(state[0], 0x2D5C954DF96ECB3CULL);
}

#if TALLY_KECCAK_HAS_X86_64_V3
// keccak256() runs the x86-64-v3 build where the CPU has it: it must give
// the portable build's output lane for lane.
TEST(KeccakF1600, X86_64_V3BuildMatchesPortable) {
  if (!cpu_has_x86_64_v3()) GTEST_SKIP() << "this CPU lacks x86-64-v3 (BMI1/BMI2/AVX2)";
  std::uint64_t portable[25];
  std::uint64_t fast[25];
  std::uint64_t seed = 0x9E3779B97F4A7C15ULL;
  for (int trial = 0; trial < 64; ++trial) {
    for (int i = 0; i < 25; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;  // PCG step
      portable[i] = fast[i] = seed ^ (seed >> 29);
    }
    keccak_f1600_portable(portable);
    keccak_f1600_x86_64_v3(fast);
    for (int i = 0; i < 25; ++i) ASSERT_EQ(fast[i], portable[i]) << "trial " << trial << " lane " << i;
  }
}
#endif

}  // namespace
}  // namespace tally::crypto
