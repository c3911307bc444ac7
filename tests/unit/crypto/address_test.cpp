#include "crypto/address.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_set>

#include "crypto/hex.hpp"

namespace tally::crypto {
namespace {

using ::testing::HasSubstr;

// The examples of the EIP-55 text: all caps, all lower, and normal mixed case.
// Each is its own correct checksummed form.
const char* const kEip55Examples[] = {
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string upper_digits(const std::string& s) {
  std::string out = s;
  std::transform(out.begin() + 2, out.end(), out.begin() + 2,
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

TEST(Address, ChecksumMatchesEip55Examples) {
  for (const std::string example : kEip55Examples) {
    const auto bytes = from_hex_fixed<20>(example);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(to_checksum_address(*bytes), example);
  }
}

TEST(Address, ParsesCheckedLowerAndUpperForms) {
  for (const std::string example : kEip55Examples) {
    const Address expected = *from_hex_fixed<20>(example);
    for (const std::string& form : {example, lower(example), upper_digits(example)}) {
      const auto parsed = parse_address(form);
      ASSERT_TRUE(parsed.ok()) << form << ": " << parsed.error().message;
      EXPECT_EQ(*parsed, expected) << form;
    }
  }
}

TEST(Address, RefusesWrongChecksum) {
  // Last letter's case flipped: still mixed case, no longer the checksum.
  const auto r = parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("invalid EIP-55 checksum: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
  EXPECT_FALSE(parse_address("0xFB6916095ca1df60bB79Ce92cE3Ea74c37c5d359").ok());
}

TEST(Address, RefusesWrongLengthPrefixAndCharacters) {
  const auto short_one = parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae");
  ASSERT_FALSE(short_one.ok());
  EXPECT_THAT(short_one.error().message, HasSubstr("40 hex digits"));
  EXPECT_FALSE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00").ok());
  EXPECT_FALSE(parse_address("").ok());
  EXPECT_FALSE(parse_address("0x").ok());

  const auto no_prefix = parse_address("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  ASSERT_FALSE(no_prefix.ok());
  EXPECT_THAT(no_prefix.error().message, HasSubstr("0x"));
  EXPECT_FALSE(parse_address("0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());

  const auto bad_char = parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beagd");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_THAT(bad_char.error().message, HasSubstr("'g' at position 40"));
  EXPECT_FALSE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea d").ok());
}

TEST(Address, AddressIsLastTwentyBytesOfKeccakOfPublicKey) {
  // Public key of private key 1 is the generator G.
  PrivateKey one;
  one.bytes[31] = 1;
  EXPECT_EQ(to_checksum_address(address_of(public_key_of(one))), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

// Hash tables keyed by address or hash use every byte: addresses that share
// their first bytes (any sender may pay such recipients) spread over the
// buckets instead of forming one chain.
TEST(FixedBytesHasher, AddressesWithACommonPrefixSpreadOverBuckets) {
  constexpr std::size_t kCount = 20000;
  std::unordered_set<Address, FixedBytesHasher, FixedBytesEqual> set;
  set.reserve(kCount);
  std::unordered_set<std::size_t> hashes;
  for (std::size_t i = 0; i < kCount; ++i) {
    Address a{};
    a[0] = 0xbe;
    a[18] = static_cast<std::uint8_t>(i >> 8U);
    a[19] = static_cast<std::uint8_t>(i);
    a[17] = static_cast<std::uint8_t>(i >> 16U);
    set.insert(a);
    hashes.insert(FixedBytesHasher{}(a));
  }
  EXPECT_EQ(hashes.size(), kCount);  // 64-bit hashes of distinct keys: no collision expected
  std::size_t longest = 0;
  for (std::size_t b = 0; b < set.bucket_count(); ++b) longest = std::max(longest, set.bucket_size(b));
  EXPECT_LE(longest, 12U) << "a bucket holds " << longest << " of " << kCount;
}

TEST(FixedBytesHasher, EveryByteChangesTheHash) {
  Hash256 base{};
  Address address{};
  for (std::size_t i = 0; i < base.size(); ++i) {
    Hash256 changed = base;
    changed[i] ^= 1U;
    EXPECT_NE(FixedBytesHasher{}(changed), FixedBytesHasher{}(base)) << "byte " << i;
  }
  for (std::size_t i = 0; i < address.size(); ++i) {
    Address changed = address;
    changed[i] ^= 0x80U;
    EXPECT_NE(FixedBytesHasher{}(changed), FixedBytesHasher{}(address)) << "byte " << i;
  }
}

// Equality reads every byte, the overlapping last word of a 20-byte
// address included, and sees any single bit flipped.
template <std::size_t N>
void expect_equality_sees_every_bit() {
  std::array<std::uint8_t, N> base{};
  for (std::size_t i = 0; i < N; ++i) base[i] = static_cast<std::uint8_t>(0x5a + 7 * i);
  const std::array<std::uint8_t, N> copy = base;
  EXPECT_TRUE(FixedBytesEqual{}(base, copy));
  for (std::size_t i = 0; i < N; ++i) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      std::array<std::uint8_t, N> changed = base;
      changed[i] ^= static_cast<std::uint8_t>(1U << bit);
      EXPECT_FALSE(FixedBytesEqual{}(base, changed)) << "N " << N << " byte " << i << " bit " << bit;
      EXPECT_FALSE(FixedBytesEqual{}(changed, base)) << "N " << N << " byte " << i << " bit " << bit;
    }
  }
}

TEST(FixedBytesEqual, SeesEveryBitOfHashesAndAddresses) {
  expect_equality_sees_every_bit<32>();
  expect_equality_sees_every_bit<20>();
  expect_equality_sees_every_bit<8>();
}

}  // namespace
}  // namespace tally::crypto
