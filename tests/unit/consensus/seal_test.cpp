#include "consensus/pow/seal.hpp"

#include <gtest/gtest.h>

#include "chain/rlp.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"
#include "crypto/sha256.hpp"
#include "pow_test_util.hpp"

namespace tally::consensus::pow {
namespace {

chain::Header sample_header(const U256& difficulty) {
  chain::Header h;
  h.number = 7;
  h.timestamp = 1'700'000'000;
  h.gas_limit = 30'000'000;
  h.base_fee = 1'000'000'000;
  h.extra_data = {0x42};
  write_seal(h, {difficulty, 0});
  return h;
}

Hash256 be32(const std::string& hex) {
  auto bytes = from_hex(hex);
  EXPECT_TRUE(bytes.ok());
  Hash256 out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

TEST(PowSeal, WritesDifficultyAndBigEndianNonce) {
  chain::Header h = sample_header(4096);
  set_nonce(h, 0x0102030405060708ULL);
  ASSERT_EQ(h.seal.size(), 2U);
  EXPECT_EQ(h.seal[0], rlp::encode_u256(4096));
  EXPECT_EQ(to_hex(h.seal[1]), "880102030405060708");
  auto seal = read_seal(h);
  ASSERT_TRUE(seal.ok()) << seal.error().message;
  EXPECT_EQ(seal->difficulty, 4096);
  EXPECT_EQ(seal->nonce, 0x0102030405060708ULL);
}

TEST(PowSeal, SealHashLeavesOutOnlyTheNonce) {
  chain::Header h = sample_header(4096);
  const Hash256 before = seal_hash(h);
  set_nonce(h, 99);
  EXPECT_EQ(seal_hash(h), before);  // the nonce is not committed
  write_seal(h, {4097, 99});
  EXPECT_NE(seal_hash(h), before);  // the difficulty is
  EXPECT_EQ(seal_hash(h), crypto::keccak256(chain::encode_header_omitting_seal(h, 1)));
}

TEST(PowSeal, PowHashIsSha256dOfSealHashAndNonce) {
  const Hash256 sh = seal_hash(sample_header(1));
  Bytes input(sh.begin(), sh.end());
  for (int b : {0x00, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef}) input.push_back(static_cast<std::uint8_t>(b));
  EXPECT_EQ(pow_hash(sh, 0xdeadbeefULL), crypto::sha256d(input));
}

TEST(PowSeal, TargetIsTwoTo256OverDifficulty) {
  EXPECT_EQ(target_from_difficulty(1), u256_to_be32(u256_max()));
  EXPECT_EQ(target_from_difficulty(2), be32("80" + std::string(62, '0')));
  EXPECT_EQ(target_from_difficulty(3), be32(std::string(64, '5')));
  EXPECT_EQ(target_from_difficulty(U256(1) << 255U), u256_to_be32(2));
  EXPECT_EQ(target_from_difficulty(u256_max()), u256_to_be32(1));
  EXPECT_THROW((void)target_from_difficulty(0), std::invalid_argument);
}

TEST(PowSeal, MinedHeaderPasses) {
  chain::Header h = sample_header(1 << 16);
  test::mine_in_place(h);
  EXPECT_TRUE(check_seal(h).ok());
  auto seal = read_seal(h);
  ASSERT_TRUE(seal.ok());
  const Hash256 hash = pow_hash(seal_hash(h), seal->nonce);
  EXPECT_LE(u256_from_be(hash).value(), u256_from_be(target_from_difficulty(1 << 16)).value());
}

TEST(PowSeal, WrongNonceRefused) {
  chain::Header h = sample_header(1 << 16);
  test::mine_in_place(h);
  const auto seal = read_seal(h).value();
  // The next nonce whose hash misses the target (almost always nonce + 1).
  std::uint64_t wrong = seal.nonce + 1;
  SealChecker checker(seal_hash(h), target_from_difficulty(seal.difficulty));
  while (checker.try_nonce(wrong)) ++wrong;
  set_nonce(h, wrong);
  auto r = check_seal(h);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "pow seal: seal hash above target");
}

TEST(PowSeal, TamperedFieldRefused) {
  chain::Header h = sample_header(1 << 16);
  test::mine_in_place(h);
  chain::Header tampered = h;
  tampered.timestamp += 1;
  SealChecker checker(seal_hash(tampered), target_from_difficulty(1 << 16));
  ASSERT_FALSE(checker.try_nonce(read_seal(h)->nonce)) << "pick another sample: the tampered header still passes";
  auto r = check_seal(tampered);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "pow seal: seal hash above target");
  tampered = h;
  tampered.beneficiary[0] ^= 1;
  EXPECT_FALSE(check_seal(tampered).ok());
}

TEST(PowSeal, TooHighHashRefused) {
  // difficulty 2^256 - 1: the target is 1, no hash meets it in practice.
  chain::Header h = sample_header(u256_max());
  auto r = check_seal(h);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "pow seal: seal hash above target");
}

TEST(PowSeal, MalformedSealsRefused) {
  chain::Header h = sample_header(16);
  chain::Header one = h;
  one.seal.pop_back();
  EXPECT_EQ(check_seal(one).error().message, "pow seal: seal must have 2 items: difficulty and nonce (got 1)");
  chain::Header three = h;
  three.seal.push_back(rlp::encode_uint(1));
  EXPECT_EQ(check_seal(three).error().message, "pow seal: seal must have 2 items: difficulty and nonce (got 3)");
  chain::Header none = h;
  none.seal.clear();
  EXPECT_FALSE(read_difficulty(none).ok());

  chain::Header zero = h;
  zero.seal[0] = rlp::encode_u256(0);
  EXPECT_EQ(check_seal(zero).error().message, "pow seal: difficulty must be at least 1");

  chain::Header short_nonce = h;
  short_nonce.seal[1] = rlp::encode_string(Bytes(7, 0));
  auto r = check_seal(short_nonce);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nonce must be 8 bytes"), std::string::npos) << r.error().message;

  chain::Header list_difficulty = h;
  list_difficulty.seal[0] = {0xc0};
  EXPECT_FALSE(check_seal(list_difficulty).ok());
}

}  // namespace
}  // namespace tally::consensus::pow
