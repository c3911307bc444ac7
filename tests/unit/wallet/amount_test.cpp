#include "wallet/amount.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tally::wallet {
namespace {

using ::testing::HasSubstr;

U256 wei(std::string_view decimal) {
  return *u256_from_decimal(decimal);
}

TEST(Amount, EtherDecimals) {
  EXPECT_EQ(*parse_amount("1.5"), wei("1500000000000000000"));
  EXPECT_EQ(*parse_amount("0.000000000000000001"), wei("1"));
  EXPECT_EQ(*parse_amount("1"), wei("1000000000000000000"));
  EXPECT_EQ(*parse_amount("0"), wei("0"));
  EXPECT_EQ(*parse_amount(".5"), wei("500000000000000000"));
  EXPECT_EQ(*parse_amount("2."), wei("2000000000000000000"));
  EXPECT_EQ(*parse_amount(" 3 ether"), wei("3000000000000000000"));
  EXPECT_EQ(*parse_amount("3eth"), wei("3000000000000000000"));
  EXPECT_EQ(*parse_amount("007"), wei("7000000000000000000"));
}

TEST(Amount, WeiAndGweiSuffixes) {
  EXPECT_EQ(*parse_amount("21000wei"), wei("21000"));
  EXPECT_EQ(*parse_amount("21000 wei"), wei("21000"));
  EXPECT_EQ(*parse_amount("1.5gwei"), wei("1500000000"));
  EXPECT_EQ(*parse_amount("30 GWEI"), wei("30000000000"));
  EXPECT_EQ(*parse_amount("0.000000001gwei"), wei("1"));
}

TEST(Amount, LargestValue) {
  const std::string max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  EXPECT_EQ(*parse_amount(max + "wei"), u256_max());
  auto over = parse_amount("115792089237316195423570985008687907853269984665640564039457584007913129639936wei");
  ASSERT_FALSE(over.ok());
  EXPECT_THAT(over.error().message, HasSubstr("too large"));
  // In ether the limit is 10^18 smaller.
  EXPECT_THAT(parse_amount(max).error().message, HasSubstr("too large"));
}

TEST(Amount, Refusals) {
  EXPECT_THAT(parse_amount("-1").error().message, HasSubstr("negative"));
  EXPECT_THAT(parse_amount("+1").error().message, HasSubstr("without a sign"));
  EXPECT_THAT(parse_amount("").error().message, HasSubstr("empty"));
  EXPECT_THAT(parse_amount("   ").error().message, HasSubstr("empty"));
  EXPECT_THAT(parse_amount(".").error().message, HasSubstr("no digits"));
  EXPECT_THAT(parse_amount("gwei").error().message, HasSubstr("not a number"));
  EXPECT_THAT(parse_amount("1e18").error().message, HasSubstr("not a number"));
  EXPECT_THAT(parse_amount("1.2.3").error().message, HasSubstr("not a number"));
  EXPECT_THAT(parse_amount("1,5").error().message, HasSubstr("not a number"));
  EXPECT_THAT(parse_amount("0x10").error().message, HasSubstr("not a number"));
  EXPECT_THAT(parse_amount("1.5wei").error().message, HasSubstr("wei allows at most 0"));
  EXPECT_THAT(parse_amount("0.0000000001gwei").error().message, HasSubstr("gwei allows at most 9"));
  EXPECT_THAT(parse_amount("0.0000000000000000001").error().message, HasSubstr("has 19 decimals"));
}

TEST(Amount, Formatting) {
  EXPECT_EQ(format_ether(wei("1500000000000000000")), "1.5");
  EXPECT_EQ(format_ether(wei("1")), "0.000000000000000001");
  EXPECT_EQ(format_ether(wei("0")), "0");
  EXPECT_EQ(format_ether(wei("1000000000000000000000")), "1000");
  EXPECT_EQ(format_gwei(wei("1000000007")), "1.000000007");
  EXPECT_EQ(format_gwei(wei("30000000000")), "30");
  for (const char* text : {"1.5", "0.000000000000000001", "123456.789"}) {
    EXPECT_EQ(format_ether(*parse_amount(text)), text);
  }
}

}  // namespace
}  // namespace tally::wallet
