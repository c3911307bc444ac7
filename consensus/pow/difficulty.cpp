#include "consensus/pow/difficulty.hpp"

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "consensus/pow/seal.hpp"
#include "crypto/hex.hpp"

namespace tally::consensus::pow {
namespace {

using boost::multiprecision::cpp_int;

// Beyond 512 halflives either way the result is clamped whatever the anchor
// (a factor of 2^512 leaves the 256-bit range), so lateness is clamped to
// this many halflives first: the arithmetic after it stays small and exact.
constexpr std::int64_t kMaxHalflives = 512;

}  // namespace

AsertParams asert_params(const chain::PowParams& params, const chain::Header& genesis) {
  if (params.target_block_time_seconds == 0) throw std::invalid_argument("pow: target block time must be > 0");
  if (params.minimum_difficulty == 0) throw std::invalid_argument("pow: minimum difficulty must be >= 1");
  if (params.target_block_time_seconds > UINT64_MAX / kHalflifeBlocks) {
    throw std::invalid_argument("pow: target block time too large");
  }
  auto difficulty = read_difficulty(genesis);
  if (!difficulty) throw std::invalid_argument("pow: genesis header: " + difficulty.error().message);
  AsertParams p;
  p.anchor_difficulty = *difficulty;
  p.anchor_timestamp = genesis.timestamp;
  p.anchor_number = genesis.number;
  p.target_block_time_seconds = params.target_block_time_seconds;
  p.halflife_seconds = kHalflifeBlocks * params.target_block_time_seconds;
  p.minimum_difficulty = params.minimum_difficulty;
  return p;
}

AsertFactor asert_factor(std::int64_t exponent_fixed16) noexcept {
  // aserti3-2d: 2^x for x in [0, 1) as 1 + 0.695502049*x + 0.2262698*x^2 +
  // 0.0782318*x^3 in 16.48 fixed point; exact at x = 0 and x = 1, error
  // below 0.013%. frac^3 < 2^48 and the sum stays below 2^64.
  const std::int64_t shifts = exponent_fixed16 >> 16;  // floor (arithmetic shift, C++20)
  const std::uint64_t frac = static_cast<std::uint64_t>(exponent_fixed16) & 0xffffU;
  const std::uint64_t poly =
      195'766'423'245'049ULL * frac + 971'821'376ULL * frac * frac + 5'127ULL * frac * frac * frac + (1ULL << 47U);
  return AsertFactor{shifts, 65'536ULL + (poly >> 48U)};
}

U256 asert_difficulty(const AsertParams& params, std::uint64_t parent_number, std::uint64_t parent_timestamp) {
  const cpp_int halflife(params.halflife_seconds);
  cpp_int lateness =
      cpp_int(parent_timestamp) - cpp_int(params.anchor_timestamp) -
      cpp_int(params.target_block_time_seconds) * (cpp_int(parent_number) - cpp_int(params.anchor_number));
  const cpp_int bound = halflife * kMaxHalflives;
  lateness = std::clamp(lateness, cpp_int(-bound), bound);
  // Late blocks lower the difficulty: the exponent of 2 is -lateness/halflife,
  // in 1/65536 units, truncated toward zero as aserti3-2d does.
  const cpp_int scaled = (-lateness * 65'536) / halflife;
  const AsertFactor f = asert_factor(scaled.convert_to<std::int64_t>());

  cpp_int value = cpp_int(params.anchor_difficulty) * f.factor;
  if (f.shifts < 0) {
    value >>= static_cast<unsigned>(-f.shifts);
  } else {
    value <<= static_cast<unsigned>(f.shifts);
  }
  value >>= 16U;
  const cpp_int max_value(u256_max());
  if (value > max_value) return u256_max();
  const U256 result(value);
  return std::max(result, params.minimum_difficulty);
}

Result<std::uint64_t> median_time_past(const chain::Header& parent, const chain::HeaderReader& chain) {
  std::vector<std::uint64_t> times;
  times.reserve(kMedianTimeSpan);
  times.push_back(parent.timestamp);
  Hash256 next = parent.parent_hash;
  std::uint64_t number = parent.number;
  while (times.size() < kMedianTimeSpan && number > 0) {
    auto ancestor = chain.header_by_hash(next);
    if (!ancestor)
      return fail("pow: ancestor " + to_hex_prefixed(next) + " of block " + std::to_string(number) + " unknown");
    times.push_back(ancestor->timestamp);
    next = ancestor->parent_hash;
    number = ancestor->number;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace tally::consensus::pow
