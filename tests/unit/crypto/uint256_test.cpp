#include "crypto/uint256.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "crypto/hex.hpp"

namespace tally {
namespace {

using ::testing::HasSubstr;

const std::string kMaxDecimal = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

TEST(U256, MaxIsAllOnes) {
  Hash256 ones;
  ones.fill(0xff);
  EXPECT_EQ(u256_to_be32(u256_max()), ones);
  EXPECT_EQ(u256_to_decimal(u256_max()), kMaxDecimal);
}

TEST(U256, BigEndianRoundTrips) {
  const Bytes bytes = *from_hex("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  const U256 v = *u256_from_be(bytes);
  EXPECT_EQ(to_hex(u256_to_be32(v)), to_hex(bytes));
  EXPECT_EQ(u256_to_be_minimal(v), bytes);
  EXPECT_EQ(*u256_from_be(Bytes{0x00, 0x00, 0x01, 0x00}), U256(256));
  EXPECT_EQ(u256_to_be_minimal(U256(256)), (Bytes{0x01, 0x00}));
  EXPECT_TRUE(u256_to_be_minimal(U256(0)).empty());
  EXPECT_EQ(*u256_from_be({}), U256(0));
  EXPECT_EQ(*u256_from_be(u256_to_be32(u256_max())), u256_max());
}

TEST(U256, FromBeRefusesMoreThan32Bytes) {
  const auto r = u256_from_be(Bytes(33, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("32 bytes"));
}

TEST(U256, CheckedArithmetic) {
  EXPECT_EQ(*checked_add(U256(2), U256(3)), U256(5));
  EXPECT_EQ(*checked_add(u256_max() - 1, U256(1)), u256_max());
  EXPECT_FALSE(checked_add(u256_max(), U256(1)).has_value());
  EXPECT_EQ(*checked_mul(U256(0), u256_max()), U256(0));
  EXPECT_EQ(*checked_mul(u256_max(), U256(1)), u256_max());
  const U256 two_128 = U256(1) << 128;
  EXPECT_FALSE(checked_mul(two_128, two_128).has_value());
  EXPECT_TRUE(checked_mul(two_128, two_128 - 1).has_value());
  EXPECT_EQ(*checked_sub(U256(5), U256(5)), U256(0));
  EXPECT_FALSE(checked_sub(U256(4), U256(5)).has_value());
}

TEST(U256, BackendThrowsInsteadOfWrapping) {
  EXPECT_THROW((void)(u256_max() + 1), std::overflow_error);
  EXPECT_THROW((void)(U256(0) - 1), std::range_error);
}

TEST(U256, Decimal) {
  EXPECT_EQ(*u256_from_decimal("0"), U256(0));
  EXPECT_EQ(*u256_from_decimal("1000000000000000000"), U256(1000000000000000000ULL));
  EXPECT_EQ(*u256_from_decimal(kMaxDecimal), u256_max());
  EXPECT_EQ(u256_to_decimal(U256(12345)), "12345");
}

TEST(U256, DecimalRefusals) {
  // 2^256 and beyond.
  const auto over = u256_from_decimal("115792089237316195423570985008687907853269984665640564039457584007913129639936");
  ASSERT_FALSE(over.ok());
  EXPECT_THAT(over.error().message, HasSubstr("too large"));
  EXPECT_FALSE(u256_from_decimal(kMaxDecimal + "0").ok());
  EXPECT_FALSE(u256_from_decimal(std::string(100, '9')).ok());
  EXPECT_FALSE(u256_from_decimal("").ok());
  EXPECT_FALSE(u256_from_decimal("-1").ok());
  EXPECT_FALSE(u256_from_decimal("+1").ok());
  EXPECT_FALSE(u256_from_decimal("1.5").ok());
  EXPECT_FALSE(u256_from_decimal(" 1").ok());
  EXPECT_FALSE(u256_from_decimal("0x10").ok());
  // A bad character is reported as such, even in a long string.
  EXPECT_THAT(u256_from_decimal(std::string(80, '1') + "x").error().message, HasSubstr("'x'"));
}

TEST(U256, Quantity) {
  EXPECT_EQ(u256_to_quantity(U256(0)), "0x0");
  EXPECT_EQ(u256_to_quantity(U256(1)), "0x1");
  EXPECT_EQ(u256_to_quantity(U256(0x400)), "0x400");
  EXPECT_EQ(u256_to_quantity(u256_max()), "0x" + std::string(64, 'f'));
  EXPECT_EQ(*u256_from_quantity("0x0"), U256(0));
  EXPECT_EQ(*u256_from_quantity("0x400"), U256(0x400));
  EXPECT_EQ(*u256_from_quantity("0xABC"), U256(0xabc));
  EXPECT_EQ(*u256_from_quantity("0x" + std::string(64, 'f')), u256_max());
  for (const U256& v : {U256(0), U256(15), U256(16), U256(1) << 200, u256_max()}) {
    EXPECT_EQ(*u256_from_quantity(u256_to_quantity(v)), v);
  }
}

TEST(U256, QuantityRefusals) {
  EXPECT_THAT(u256_from_quantity("0x").error().message, HasSubstr("at least one digit"));
  EXPECT_THAT(u256_from_quantity("0x00").error().message, HasSubstr("leading zeros"));
  EXPECT_FALSE(u256_from_quantity("0x01").ok());
  EXPECT_FALSE(u256_from_quantity("").ok());
  EXPECT_FALSE(u256_from_quantity("10").ok());
  EXPECT_FALSE(u256_from_quantity("0X10").ok());
  EXPECT_THAT(u256_from_quantity("0x1" + std::string(64, '0')).error().message, HasSubstr("256 bits"));
  EXPECT_FALSE(u256_from_quantity("0xg").ok());
  EXPECT_FALSE(u256_from_quantity("0x-1").ok());
  // Digits must be hex digits; a second prefix is not a digit.
  EXPECT_FALSE(u256_from_quantity("0xx12").ok());
  EXPECT_FALSE(u256_from_quantity("0x0x12").ok());
  // The error names the position in the text as given.
  EXPECT_THAT(u256_from_quantity("0xabg").error().message, HasSubstr("position 4"));
  EXPECT_THAT(u256_from_quantity("0xag").error().message, HasSubstr("position 3"));
}

}  // namespace
}  // namespace tally
