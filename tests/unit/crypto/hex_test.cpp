#include "crypto/hex.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tally {
namespace {

using ::testing::HasSubstr;

TEST(Hex, EncodesLowercase) {
  const Bytes data{0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(data), "0001abff");
  EXPECT_EQ(to_hex_prefixed(data), "0x0001abff");
  EXPECT_EQ(to_hex({}), "");
  EXPECT_EQ(to_hex_prefixed({}), "0x");
}

TEST(Hex, DecodesWithAndWithoutPrefixAndAnyCase) {
  EXPECT_EQ(*from_hex("0001abff"), (Bytes{0x00, 0x01, 0xab, 0xff}));
  EXPECT_EQ(*from_hex("0x0001ABFF"), (Bytes{0x00, 0x01, 0xab, 0xff}));
  EXPECT_EQ(*from_hex("0X0a"), Bytes{0x0a});
  EXPECT_TRUE(from_hex("")->empty());
  EXPECT_TRUE(from_hex("0x", HexPrefix::required)->empty());
}

TEST(Hex, RoundTrips) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(*from_hex(to_hex(all)), all);
  EXPECT_EQ(*from_hex(to_hex_prefixed(all), HexPrefix::required), all);
}

TEST(Hex, RefusesOddLength) {
  const auto r = from_hex("0x123");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("odd"));
  EXPECT_FALSE(from_hex("1").ok());
}

TEST(Hex, RefusesBadCharacterAndNamesItsPosition) {
  const auto hi = from_hex("0x00g0");
  ASSERT_FALSE(hi.ok());
  EXPECT_THAT(hi.error().message, HasSubstr("position 4"));
  const auto lo = from_hex("000g");
  ASSERT_FALSE(lo.ok());
  EXPECT_THAT(lo.error().message, HasSubstr("position 3"));
  EXPECT_FALSE(from_hex("0x 1").ok());
  EXPECT_FALSE(from_hex("zz").ok());
  EXPECT_FALSE(from_hex("0x0x").ok());
}

TEST(Hex, RequiredPrefix) {
  const auto r = from_hex("abcd", HexPrefix::required);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("0x"));
  EXPECT_TRUE(from_hex("0xabcd", HexPrefix::required).ok());
}

TEST(Hex, FixedSize) {
  const auto ok = from_hex_fixed<2>("0xabcd");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0], 0xab);
  EXPECT_EQ((*ok)[1], 0xcd);
  const auto short_one = from_hex_fixed<3>("0xabcd");
  ASSERT_FALSE(short_one.ok());
  EXPECT_THAT(short_one.error().message, HasSubstr("expected 3 bytes"));
  EXPECT_FALSE(from_hex_fixed<1>("0xabcd").ok());
  EXPECT_FALSE(from_hex_fixed<2>("0xabcg").ok());
}

}  // namespace
}  // namespace tally
