// The datadir's form of a block's receipts: exact layout, round trips, its
// size next to the consensus form, and every decoder refusal.

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "chain/block.hpp"
#include "crypto/hex.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using test::hex;
using test::mentions;

// [legacy, 1, 21000]: c5 (list of 5 bytes) 80 (type 0) 01 (status) 825208.
constexpr std::string_view kLegacyItem = "c58001825208";

void expect_refused(const std::string& encoded_hex, std::string_view why, const BlockLimits& limits = {}) {
  auto decoded = decode_stored_receipts(hex(encoded_hex), limits);
  ASSERT_FALSE(decoded.ok()) << "accepted " << encoded_hex;
  EXPECT_TRUE(mentions(decoded.error().message, why));
}

TEST(StoredReceipts, LayoutIsTypeStatusAndCumulativeGas) {
  const std::vector<Receipt> receipts = {{TxType::legacy, 1, 21'000}, {TxType::dynamic_fee, 0, 42'000}};
  EXPECT_EQ(to_hex(encode_stored_receipts(receipts)), "cc" + std::string(kLegacyItem) + "c5028082a410");
  EXPECT_EQ(to_hex(encode_stored_receipts({})), "c0");
}

TEST(StoredReceipts, RoundTripEachTypeAndStatus) {
  std::vector<Receipt> receipts;
  std::uint64_t gas = 0;
  for (const TxType type : {TxType::legacy, TxType::access_list, TxType::dynamic_fee}) {
    for (const std::uint8_t status : {std::uint8_t{0}, std::uint8_t{1}}) {
      gas += 21'000;
      receipts.push_back(Receipt{type, status, gas});
    }
  }
  receipts.push_back(Receipt{TxType::dynamic_fee, 1, std::numeric_limits<std::uint64_t>::max()});
  const Bytes encoded = encode_stored_receipts(receipts);
  auto decoded = decode_stored_receipts(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, receipts);
  EXPECT_EQ(encode_stored_receipts(*decoded), encoded);
  auto empty = decode_stored_receipts(hex("c0"));
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());
}

// 1,000 dynamic-fee transfers of 21,000 gas: cumulative gas takes 2 bytes
// in receipts 1-3, 3 bytes up to 16,777,215 (receipts 4-798) and 4 bytes
// after (202 receipts). Consensus form: a 3-byte string header, the type, a
// 3-byte list header, status, gas (1 + its bytes), the bloom (3 + 256) and
// logs (1): 271, 272 or 273 bytes, 272,199 in all, plus a 4-byte list
// header. Stored form: a 1-byte list header, type, status and the same gas:
// 6, 7 or 8 bytes, 7,199 in all, plus a 3-byte list header.
TEST(StoredReceipts, AreAFractionOfTheConsensusForm) {
  std::vector<Receipt> receipts;
  for (std::uint64_t i = 1; i <= 1'000; ++i) receipts.push_back(Receipt{TxType::dynamic_fee, 1, 21'000 * i});
  EXPECT_EQ(encode_receipts(receipts).size(), 272'203U);
  EXPECT_EQ(encode_stored_receipts(receipts).size(), 7'202U);
}

TEST(StoredReceiptsRefusal, FieldValues) {
  expect_refused("c6c50301825208", "receipt 0: receipt field 'type': must be 0, 1 or 2, got 3");
  expect_refused("c6c58002825208", "receipt field 'status': must be 0 or 1, got 2");
  expect_refused("c7c6808183825208", "receipt field 'status': must be 0 or 1, got 131");
  expect_refused("c4c3c00180", "receipt field 'type'");  // a list where a number belongs
}

TEST(StoredReceiptsRefusal, NonCanonicalRlp) {
  expect_refused("c6c50001825208", "receipt field 'type': RLP: integer has leading zero");
  expect_refused("c6c58000825208", "receipt field 'status': RLP: integer has leading zero");
  expect_refused("c7c6800183005208", "receipt field 'cumulativeGasUsed': RLP: integer has leading zero");
  expect_refused("c5c480018152", "must be encoded as itself");  // gas 0x52 as 0x8152
  expect_refused("c7f8058001825208", "long form");
  expect_refused(
      "f8"
      "06" +
          std::string(kLegacyItem),
      "long form");
  expect_refused("cdcc800189" + std::string(18, '1'), "receipt field 'cumulativeGasUsed': RLP: integer of 9 bytes");
}

TEST(StoredReceiptsRefusal, FieldCounts) {
  expect_refused("c3c28001", "receipt 0: receipt: expected 3 fields, got 2");
  expect_refused("c7c6800182520801", "receipt: expected 3 fields, got 4");
  expect_refused("c1c0", "expected 3 fields, got 0");
  expect_refused("c180", "receipt 0: receipt: RLP: expected a list");
}

TEST(StoredReceiptsRefusal, Framing) {
  expect_refused("", "stored receipt list");
  expect_refused("80", "stored receipt list: RLP: expected a list");
  expect_refused("c6" + std::string(kLegacyItem) + "00", "trailing bytes");
  expect_refused("c7" + std::string(kLegacyItem), "declared length");
}

TEST(StoredReceiptsRefusal, CumulativeGasThatDecreases) {
  // [legacy, 1, 42000] then [legacy, 1, 21000]
  expect_refused(
      "cc"
      "c5800182a410" +
          std::string(kLegacyItem),
      "receipt 1: receipt field 'cumulativeGasUsed': 21000 is below the previous receipt's 42000");
  auto equal = decode_stored_receipts(hex("cc" + std::string(kLegacyItem) + std::string(kLegacyItem)));
  EXPECT_TRUE(equal.ok()) << equal.error().message;
}

TEST(StoredReceiptsRefusal, Limits) {
  BlockLimits few;
  few.max_transactions = 1;
  expect_refused("cc" + std::string(kLegacyItem) + std::string(kLegacyItem),
                 "stored receipt list has more than 1 receipts", few);
  EXPECT_TRUE(decode_stored_receipts(hex("c6" + std::string(kLegacyItem)), few).ok());
  BlockLimits small;
  small.max_receipt_list_bytes = 6;
  expect_refused("c6" + std::string(kLegacyItem), "stored receipt list of 7 bytes exceeds the limit of 6 bytes", small);
}

// The stored form is for the datadir only: the consensus encodings are
// unchanged, byte for byte (the receipts root depends on them).
TEST(StoredReceipts, ConsensusFormIsUnchanged) {
  const std::vector<Receipt> receipts = {{TxType::legacy, 1, 21'000}, {TxType::access_list, 1, 42'000}};
  const std::string bloom = "b90100" + std::string(512, '0');
  EXPECT_EQ(to_hex(encode_receipts(receipts)),
            "f9021a"
            "f9010801825208" +
                bloom + "c0" +
                "b9010c01f9010801"
                "82a410" +
                bloom + "c0");
}

}  // namespace
}  // namespace tally::chain
