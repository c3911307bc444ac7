#include "crypto/secp256k1.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"
#include "crypto/uint256.hpp"

namespace tally::crypto {
namespace {

using ::testing::HasSubstr;

const U256 kN = *u256_from_quantity("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

Hash256 h256(const U256& v) {
  return u256_to_be32(v);
}

PrivateKey hardhat_key0() {
  return *private_key_from_bytes(
      *from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", HexPrefix::required));
}

Hash256 digest_of(std::string_view text) {
  return keccak256(as_bytes(text));
}

TEST(Secp256k1, KnownKeyGivesKnownAddress) {
  EXPECT_EQ(to_checksum_address(address_of(public_key_of(hardhat_key0()))),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
}

TEST(Secp256k1, SignRecoverRoundTrip) {
  const PrivateKey key = generate_private_key();
  const PublicKey pub = public_key_of(key);
  const Hash256 digest = digest_of("round trip");
  const Signature sig = sign(digest, key);
  EXPECT_LE(sig.recovery_id, 1);
  const auto recovered = recover(digest, sig);
  ASSERT_TRUE(recovered.ok()) << recovered.error().message;
  EXPECT_EQ(*recovered, pub);
  EXPECT_TRUE(verify(digest, sig, pub));
}

TEST(Secp256k1, SigningIsDeterministicAndLowS) {
  const PrivateKey key = hardhat_key0();
  EXPECT_EQ(sign(digest_of("same"), key), sign(digest_of("same"), key));
  for (int i = 0; i < 64; ++i) {
    const Signature sig = sign(digest_of("message " + std::to_string(i)), key);
    EXPECT_TRUE(is_low_s(sig.s));
    EXPECT_TRUE(is_valid_scalar(sig.r));
    EXPECT_LE(sig.recovery_id, 1);
  }
}

TEST(Secp256k1, VerifyRejectsWrongDigestKeyAndRecoveryId) {
  const PrivateKey key = hardhat_key0();
  const Hash256 digest = digest_of("pay 1 eth");
  const Signature sig = sign(digest, key);
  EXPECT_FALSE(verify(digest_of("pay 2 eth"), sig, public_key_of(key)));
  EXPECT_FALSE(verify(digest, sig, public_key_of(generate_private_key())));
  Signature bad = sig;
  bad.recovery_id = 4;
  EXPECT_FALSE(verify(digest, bad, public_key_of(key)));
  PublicKey off_curve = public_key_of(key);
  off_curve.xy[63] ^= 1;
  EXPECT_FALSE(verify(digest, sig, off_curve));
}

TEST(Secp256k1, VerifyAndRecoverRefuseTheHighSTwin) {
  // (r, n - s) is the other valid ECDSA signature; EIP-2 refuses it.
  const PrivateKey key = hardhat_key0();
  const Hash256 digest = digest_of("malleable");
  Signature twin = sign(digest, key);
  twin.s = h256(kN - *u256_from_be(twin.s));
  twin.recovery_id ^= 1;
  EXPECT_FALSE(is_low_s(twin.s));
  EXPECT_FALSE(verify(digest, twin, public_key_of(key)));
  const auto r = recover(digest, twin);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("low s"));
}

TEST(Secp256k1, RecoverRefusesOutOfRangeValues) {
  const Hash256 digest = digest_of("refusals");
  const Signature good = sign(digest, hardhat_key0());
  auto expect_refused = [&](Signature sig, const std::string& words) {
    const auto r = recover(digest, sig);
    ASSERT_FALSE(r.ok()) << words;
    EXPECT_THAT(r.error().message, HasSubstr(words));
  };
  Signature s = good;
  s.r = Hash256{};
  expect_refused(s, "r is zero");
  s = good;
  s.s = Hash256{};
  expect_refused(s, "s is zero");
  s = good;
  s.s = h256(kN);
  expect_refused(s, "s is not below");
  s = good;
  s.s.fill(0xff);
  expect_refused(s, "s is not below");
  s = good;
  s.r = h256(kN);
  expect_refused(s, "r is not below");
  s = good;
  s.recovery_id = 4;
  expect_refused(s, "recovery id 4");
  s = good;
  s.s = h256(kN / 2 + 1);
  expect_refused(s, "upper half");
}

TEST(Secp256k1, RecoverWithWrongRecoveryIdGivesAnotherKeyOrRefuses) {
  const PrivateKey key = hardhat_key0();
  const Hash256 digest = digest_of("recid");
  Signature sig = sign(digest, key);
  sig.recovery_id ^= 1;
  const auto other = recover(digest, sig);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, public_key_of(key));
  // Ids 2 and 3 mean x = r + n, which exceeds the field for almost every r.
  sig.recovery_id = 2;
  const auto none = recover(digest, sig);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error().message, HasSubstr("does not recover"));
}

TEST(Secp256k1, PrivateKeyFromBytesRefusesInvalid) {
  EXPECT_FALSE(private_key_from_bytes(Hash256{}).ok());
  EXPECT_THAT(private_key_from_bytes(Hash256{}).error().message, HasSubstr("zero"));
  EXPECT_FALSE(private_key_from_bytes(h256(kN)).ok());
  EXPECT_THAT(private_key_from_bytes(h256(kN)).error().message, HasSubstr("curve order"));
  Hash256 all_ff;
  all_ff.fill(0xff);
  EXPECT_FALSE(private_key_from_bytes(all_ff).ok());
  EXPECT_FALSE(private_key_from_bytes(Bytes(31, 1)).ok());
  EXPECT_THAT(private_key_from_bytes(Bytes(33, 1)).error().message, HasSubstr("32 bytes"));
  EXPECT_TRUE(private_key_from_bytes(h256(1)).ok());
  EXPECT_TRUE(private_key_from_bytes(h256(kN - 1)).ok());
}

TEST(Secp256k1, ScalarRangeBoundaries) {
  EXPECT_FALSE(is_valid_scalar(h256(0)));
  EXPECT_TRUE(is_valid_scalar(h256(1)));
  EXPECT_TRUE(is_valid_scalar(h256(kN - 1)));
  EXPECT_FALSE(is_valid_scalar(h256(kN)));
  EXPECT_TRUE(is_low_s(h256(kN / 2)));
  EXPECT_FALSE(is_low_s(h256(kN / 2 + 1)));
  EXPECT_TRUE(is_low_s(h256(1)));
}

TEST(Secp256k1, InvalidKeysThrowWhereNoResultIsReturned) {
  const PrivateKey zero{};
  EXPECT_THROW((void)public_key_of(zero), std::invalid_argument);
  EXPECT_THROW((void)sign(digest_of("x"), zero), std::invalid_argument);
  EXPECT_THROW((void)compressed_public_key_of(zero), std::invalid_argument);
}

TEST(Secp256k1, GeneratedKeysAreValidAndDistinct) {
  const PrivateKey a = generate_private_key();
  const PrivateKey b = generate_private_key();
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_valid_scalar(a.bytes));
  EXPECT_TRUE(is_valid_scalar(b.bytes));
}

TEST(Secp256k1, CompressedPublicKeyMatchesUncompressed) {
  const PrivateKey key = hardhat_key0();
  const PublicKey pub = public_key_of(key);
  const auto compressed = compressed_public_key_of(key);
  EXPECT_EQ(compressed[0], (pub.xy[63] & 1) != 0 ? 0x03 : 0x02);
  EXPECT_TRUE(std::equal(compressed.begin() + 1, compressed.end(), pub.xy.begin()));
}

TEST(Secp256k1, TweakAdd) {
  const PrivateKey one = *private_key_from_bytes(h256(1));
  const auto three = private_key_tweak_add(one, h256(2));
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->bytes, h256(3));
  const auto wrapped = private_key_tweak_add(*private_key_from_bytes(h256(kN - 1)), h256(2));
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->bytes, h256(1));
  EXPECT_FALSE(private_key_tweak_add(one, h256(kN)).ok());
  EXPECT_FALSE(private_key_tweak_add(one, h256(kN - 1)).ok());  // sum is zero mod n
}

}  // namespace
}  // namespace tally::crypto
