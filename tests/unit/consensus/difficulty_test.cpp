#include "consensus/pow/difficulty.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "../chain/ledger_test_util.hpp"
#include "chain/rlp.hpp"

namespace tally::consensus::pow {
namespace {

constexpr std::uint64_t kT = 2;                            // target block time, s
constexpr std::uint64_t kHalflife = kT * kHalflifeBlocks;  // 288 s

AsertParams dev_params(const U256& anchor = U256(1) << 20U, const U256& minimum = 1024) {
  AsertParams p;
  p.anchor_difficulty = anchor;
  p.anchor_timestamp = 1'000;
  p.anchor_number = 0;
  p.target_block_time_seconds = kT;
  p.halflife_seconds = kHalflife;
  p.minimum_difficulty = minimum;
  return p;
}

// Parent at height h, `late` seconds after its scheduled time.
U256 at(const AsertParams& p, std::uint64_t h, std::int64_t late) {
  const std::uint64_t scheduled = p.anchor_timestamp + h * p.target_block_time_seconds;
  return asert_difficulty(p, h, static_cast<std::uint64_t>(static_cast<std::int64_t>(scheduled) + late));
}

TEST(Asert, FactorIsExactAtPowersOfTwo) {
  EXPECT_EQ(asert_factor(0).shifts, 0);
  EXPECT_EQ(asert_factor(0).factor, 65'536U);
  EXPECT_EQ(asert_factor(65'536).shifts, 1);
  EXPECT_EQ(asert_factor(65'536).factor, 65'536U);
  EXPECT_EQ(asert_factor(-65'536).shifts, -1);
  EXPECT_EQ(asert_factor(-65'536).factor, 65'536U);
  // Half a step: sqrt(2) * 65536 = 92681.9; the cubic is within 0.013%.
  const auto half = asert_factor(32'768);
  EXPECT_EQ(half.shifts, 0);
  EXPECT_NEAR(static_cast<double>(half.factor), 92'681.9, 92'681.9 * 0.00013);
  // Negative exponents floor: -0.5 = -1 + 0.5.
  const auto neg_half = asert_factor(-32'768);
  EXPECT_EQ(neg_half.shifts, -1);
  EXPECT_EQ(neg_half.factor, half.factor);
}

TEST(Asert, OnScheduleKeepsTheAnchorDifficulty) {
  const AsertParams p = dev_params();
  for (std::uint64_t h : {0ULL, 1ULL, 2ULL, 10ULL, 143ULL, 1'000ULL, 1'000'000ULL}) {
    EXPECT_EQ(at(p, h, 0), p.anchor_difficulty) << "height " << h;
  }
}

TEST(Asert, OneHalflifeLateHalvesAndEarlyDoubles) {
  const AsertParams p = dev_params();
  const U256 anchor = p.anchor_difficulty;
  EXPECT_EQ(at(p, 10, static_cast<std::int64_t>(kHalflife)), anchor / 2);
  EXPECT_EQ(at(p, 10, 2 * static_cast<std::int64_t>(kHalflife)), anchor / 4);
  EXPECT_EQ(at(p, 500, -static_cast<std::int64_t>(kHalflife)), anchor * 2);
  EXPECT_EQ(at(p, 500, -3 * static_cast<std::int64_t>(kHalflife)), anchor * 8);
  // Half a halflife late: anchor / sqrt(2) within the approximation's error.
  const double half = at(p, 10, static_cast<std::int64_t>(kHalflife / 2)).convert_to<double>();
  EXPECT_NEAR(half, (1 << 20) / std::sqrt(2.0), (1 << 20) * 0.0002);
  // One second late or early moves it by about 2^(1/288) (0.24%).
  EXPECT_LT(at(p, 10, 1), anchor);
  EXPECT_GT(at(p, 10, -1), anchor);
}

TEST(Asert, ClampsAtMinimumAndMaximum) {
  const AsertParams p = dev_params();
  // 2^20 -> 1024 takes 10 halflives; 20 halflives late is well below.
  EXPECT_EQ(at(p, 10, 20 * static_cast<std::int64_t>(kHalflife)), 1024);
  EXPECT_EQ(asert_difficulty(p, 0, UINT64_MAX), 1024);
  AsertParams big = dev_params(U256(1) << 250U);
  EXPECT_EQ(asert_difficulty(big, 1'000'000, big.anchor_timestamp), u256_max());
  EXPECT_EQ(asert_difficulty(big, UINT64_MAX, 0), u256_max());
  // A tiny anchor never reaches 0.
  AsertParams tiny = dev_params(1, 1);
  EXPECT_EQ(asert_difficulty(tiny, 5, UINT64_MAX), 1);
  EXPECT_EQ(at(tiny, 500, -static_cast<std::int64_t>(kHalflife)), 2);
}

TEST(Asert, LaterParentNeverRaisesDifficulty) {
  const AsertParams p = dev_params();
  U256 previous = u256_max();
  for (std::int64_t late = -4'000; late <= 4'000; late += 7) {
    const U256 d = at(p, 3'000, late);
    EXPECT_LE(d, previous) << "late " << late;
    previous = d;
  }
}

TEST(Asert, ParamsFromGenesis) {
  chain::Header genesis;
  genesis.timestamp = 77;
  genesis.seal = {rlp::encode_u256(4096), rlp::encode_string(Bytes(8, 0)), rlp::encode_string(Bytes(32, 1))};
  chain::PowParams params{2, 4096, 16, 0};
  const AsertParams p = asert_params(params, genesis);
  EXPECT_EQ(p.anchor_difficulty, 4096);
  EXPECT_EQ(p.anchor_timestamp, 77U);
  EXPECT_EQ(p.halflife_seconds, 288U);
  EXPECT_EQ(p.minimum_difficulty, 16);
  genesis.seal.clear();
  EXPECT_THROW((void)asert_params(params, genesis), std::invalid_argument);
}

// ---------------------------------------------------------------- median time past

chain::Header linked(const chain::Header& parent, std::uint64_t timestamp) {
  chain::Header h;
  h.parent_hash = chain::header_hash(parent);
  h.number = parent.number + 1;
  h.timestamp = timestamp;
  return h;
}

TEST(MedianTimePast, MedianOfParentAndTenAncestors) {
  test::MapHeaderReader reader;
  chain::Header genesis;
  genesis.timestamp = 0;
  reader.headers[chain::header_hash(genesis)] = genesis;
  // Timestamps out of order (the engine alone does not require them sorted).
  const std::vector<std::uint64_t> times = {100, 5, 300, 7, 50, 60, 2, 900, 40, 41, 42, 43, 8};
  chain::Header tip = genesis;
  for (std::uint64_t t : times) {
    tip = linked(tip, t);
    reader.headers[chain::header_hash(tip)] = tip;
  }
  // The last 11: 300 7 50 60 2 900 40 41 42 43 8 -> sorted 2 7 8 40 41 42 43 50 60 300 900 -> 42.
  EXPECT_EQ(median_time_past(tip, reader).value(), 42U);
  // Near genesis fewer blocks count: block 2 -> {0, 100, 5} -> 5.
  chain::Header b1 = linked(genesis, 100);
  chain::Header b2 = linked(b1, 5);
  EXPECT_EQ(median_time_past(b2, reader).value(), 5U);
  EXPECT_EQ(median_time_past(genesis, reader).value(), 0U);
}

TEST(MedianTimePast, MissingAncestorIsAnError) {
  test::MapHeaderReader reader;  // empty
  chain::Header orphan;
  orphan.number = 5;
  orphan.timestamp = 10;
  auto r = median_time_past(orphan, reader);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown"), std::string::npos);
}

}  // namespace
}  // namespace tally::consensus::pow
