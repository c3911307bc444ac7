// ASERT under hash-rate steps (a seeded, deterministic simulation) and under
// timestamp games (time-warp): the difficulty follows the hash rate, and no
// legal choice of timestamps buys more than the 15 s future allowance.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "consensus/pow/difficulty.hpp"
#include "consensus/pow/engine.hpp"

namespace tally::consensus::pow {
namespace {

AsertParams params(std::uint64_t block_time) {
  AsertParams p;
  p.anchor_difficulty = U256(1) << 30U;
  p.anchor_timestamp = 0;
  p.target_block_time_seconds = block_time;
  p.halflife_seconds = kHalflifeBlocks * block_time;
  p.minimum_difficulty = 1;
  return p;
}

struct SimBlock {
  double difficulty;
  double block_time;  // real seconds
};

// Mines `n` blocks at `hashrate` (hashes/s): each block's real time is
// exponential with mean difficulty / hashrate; its timestamp is the real
// time in whole seconds, at least parent + 1 (the chain rule).
class Sim {
 public:
  explicit Sim(const AsertParams& p, std::uint64_t seed) : p_(p), rng_(seed) {}

  std::vector<SimBlock> run(double hashrate, int n) {
    std::vector<SimBlock> out;
    for (int i = 0; i < n; ++i) {
      const double d = asert_difficulty(p_, number_, timestamp_).convert_to<double>();
      std::exponential_distribution<double> exp(hashrate / d);
      const double dt = exp(rng_);
      real_ += dt;
      timestamp_ = std::max(timestamp_ + 1, static_cast<std::uint64_t>(real_));
      ++number_;
      out.push_back({d, dt});
    }
    return out;
  }

 private:
  AsertParams p_;
  std::mt19937_64 rng_;
  double real_ = 0;
  std::uint64_t timestamp_ = 0;
  std::uint64_t number_ = 0;
};

double mean_block_time(const std::vector<SimBlock>& blocks, std::size_t from, std::size_t to) {
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += blocks[i].block_time;
  return sum / static_cast<double>(to - from);
}

// First block whose difficulty is within 20% of the one that gives the
// target block time at `hashrate`.
std::size_t converged_at(const std::vector<SimBlock>& blocks, double ideal_difficulty) {
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (std::abs(blocks[i].difficulty / ideal_difficulty - 1.0) < 0.2) return i;
  }
  return blocks.size();
}

TEST(AsertSimulation, ConvergesAfterTenfoldHashRateSteps) {
  constexpr std::uint64_t kT = 60;
  const AsertParams p = params(kT);
  const double h0 = p.anchor_difficulty.convert_to<double>() / static_cast<double>(kT);
  constexpr std::size_t kBound = 1'000;  // blocks to converge, about 7 halflives
  constexpr int kAfter = 2'000;
  for (std::uint64_t seed : {1ULL, 2ULL, 3ULL}) {
    Sim sim(p, seed);
    const auto steady = sim.run(h0, 500);
    EXPECT_NEAR(mean_block_time(steady, 0, steady.size()), kT, 0.2 * kT) << "seed " << seed;

    const auto up = sim.run(10 * h0, kAfter);
    const std::size_t up_at = converged_at(up, 10 * h0 * kT);
    EXPECT_LE(up_at, kBound) << "x10 up, seed " << seed;
    EXPECT_NEAR(mean_block_time(up, kBound, up.size()), kT, 0.2 * kT) << "x10 up, seed " << seed;

    const auto down = sim.run(h0, kAfter);
    const std::size_t down_at = converged_at(down, h0 * kT);
    EXPECT_LE(down_at, kBound) << "x10 down, seed " << seed;
    EXPECT_NEAR(mean_block_time(down, kBound, down.size()), kT, 0.2 * kT) << "x10 down, seed " << seed;
  }
}

TEST(AsertSimulation, DevChainTwoSecondBlocksConverge) {
  // The dev chain's 2 s blocks: whole-second timestamps are coarse, but the
  // absolute schedule absorbs the rounding.
  constexpr std::uint64_t kT = 2;
  const AsertParams p = params(kT);
  const double h0 = p.anchor_difficulty.convert_to<double>() / static_cast<double>(kT);
  Sim sim(p, 42);
  const auto up = sim.run(10 * h0, 2'000);
  EXPECT_LE(converged_at(up, 10 * h0 * kT), 1'000U);
  EXPECT_NEAR(mean_block_time(up, 1'000, up.size()), kT, 0.2 * kT);
}

// ---------------------------------------------------------------- time-warp

// Difficulties of a chain whose block i (1-based) carries timestamps[i-1].
std::vector<U256> difficulties(const AsertParams& p, const std::vector<std::uint64_t>& timestamps) {
  std::vector<U256> out;
  std::uint64_t parent_ts = p.anchor_timestamp;
  for (std::size_t i = 0; i < timestamps.size(); ++i) {
    out.push_back(asert_difficulty(p, i, parent_ts));
    parent_ts = timestamps[i];
  }
  return out;
}

TEST(AsertTimeWarp, NoTimestampGameBeatsTheFutureAllowance) {
  // An attacker mines block i at real time i * T (the honest rate) and may
  // stamp it with anything the rules allow: above its parent's timestamp
  // (hence above the MTP) and at most real time + 15 s.
  constexpr std::uint64_t kT = 2;
  const AsertParams p = params(kT);
  std::mt19937_64 rng(7);
  for (std::size_t n : {100U, 5'000U}) {
    std::vector<std::uint64_t> honest, lowest, highest, random;
    std::uint64_t low = 0, rnd = 0;
    for (std::size_t i = 1; i <= n; ++i) {
      const std::uint64_t real = i * kT;
      honest.push_back(real);
      highest.push_back(real + kMaxFutureSeconds);
      low += 1;                                                   // as low as allowed...
      lowest.push_back(i == n ? real + kMaxFutureSeconds : low);  // ...then jump to the limit
      std::uniform_int_distribution<std::uint64_t> pick(rnd + 1, real + kMaxFutureSeconds);
      rnd = pick(rng);
      random.push_back(rnd);
    }
    const auto d_honest = difficulties(p, honest);
    U256 work_honest = 0;
    for (const auto& d : d_honest) work_honest += d;
    for (const auto* strategy : {&lowest, &highest, &random}) {
      const auto d = difficulties(p, *strategy);
      U256 work = 0;
      for (std::size_t i = 0; i < n; ++i) {
        // Block i+1's parent was mined at real time i*T, so its timestamp is
        // at most i*T + 15: the difficulty is never below that bound.
        const U256 bound = asert_difficulty(p, i, i == 0 ? 0 : i * kT + kMaxFutureSeconds);
        EXPECT_GE(d[i], bound) << "block " << i + 1;
        work += d[i];
      }
      // The whole advantage is the 15 s allowance: 2^(-15/288) = 0.9645 of
      // the honest work, however long the chain (nothing accumulates).
      const double ratio = work.convert_to<double>() / work_honest.convert_to<double>();
      EXPECT_GE(ratio, std::pow(2.0, -15.0 / 288.0) - 1e-3) << "n " << n;
    }
    // Stamping low first and jumping later gives the same difficulty at the
    // jump as stamping honestly: only the newest timestamp counts.
    const auto d_lowest = difficulties(p, lowest);
    const auto d_highest = difficulties(p, highest);
    EXPECT_GT(d_lowest[n - 1], d_honest[n - 1]);  // low stamps made it harder
    EXPECT_EQ(asert_difficulty(p, n, lowest.back()), asert_difficulty(p, n, highest.back()));
    (void)d_highest;
  }
}

}  // namespace
}  // namespace tally::consensus::pow
