#pragma once
// Difficulty retargeting: ASERT (absolutely scheduled exponentially rising
// targets), as Bitcoin Cash's aserti3-2d, anchored at the genesis block and
// expressed in difficulty rather than target.
//
// A block at height h is on schedule at anchor_time + (h - anchor_height) * T
// (T = the genesis target block time). For the child of `parent`:
//
//   lateness   = parent.timestamp - anchor_time - T * (parent.number - anchor_height)
//   difficulty = anchor_difficulty * 2^(-lateness / halflife)
//
// so a parent on schedule keeps the anchor difficulty, one halflife late
// halves it, one halflife early doubles it. The power of two is computed with
// aserti3-2d's fixed-point integer arithmetic (16 fractional bits, cubic
// approximation of 2^x on [0, 1)), so every node gets the same value. The
// result is clamped to [minimum_difficulty, 2^256 - 1].
//
// Anchoring at the genesis block itself (rather than at the anchor's parent
// as aserti3-2d does) drops its "+1": block 1 gets exactly the genesis
// difficulty, and a chain on schedule keeps it.
//
// Because the rule is absolute (it depends only on the parent's height and
// timestamp), timestamp games on earlier blocks buy nothing: the difficulty
// a miner faces is a function of the newest timestamp, which the engine
// bounds by now + 15 s.

#include <cstdint>

#include "chain/block.hpp"
#include "chain/config.hpp"
#include "chain/engine.hpp"
#include "crypto/result.hpp"
#include "crypto/uint256.hpp"

namespace tally::consensus::pow {

// The halflife in target block times: 144 blocks (with 2 s blocks, 288 s;
// with 10-minute blocks, one day). See docs/consensus-pow.md.
inline constexpr std::uint64_t kHalflifeBlocks = 144;
// Median time past covers this many blocks (the parent and its ancestors).
inline constexpr std::size_t kMedianTimeSpan = 11;

struct AsertParams {
  U256 anchor_difficulty = 0;                   // >= 1; the genesis difficulty
  std::uint64_t anchor_timestamp = 0;           // the genesis timestamp
  std::uint64_t anchor_number = 0;              // the genesis number (0)
  std::uint64_t target_block_time_seconds = 0;  // > 0
  std::uint64_t halflife_seconds = 0;           // > 0
  U256 minimum_difficulty = 1;                  // >= 1
};

// The ASERT parameters of a chain: anchored at `genesis`, halflife =
// kHalflifeBlocks target block times. Throws std::invalid_argument when the
// genesis header has no readable difficulty or the params are out of range
// (genesis parsing guarantees both, so this is a caller bug).
AsertParams asert_params(const chain::PowParams& params, const chain::Header& genesis);

// The difficulty a child of a parent at (number, timestamp) must carry.
// Integer-only and total: any inputs give a value in [minimum, 2^256 - 1].
U256 asert_difficulty(const AsertParams& params, std::uint64_t parent_number, std::uint64_t parent_timestamp);
inline U256 next_difficulty(const AsertParams& params, const chain::Header& parent) {
  return asert_difficulty(params, parent.number, parent.timestamp);
}

// 2^(-exponent / 65536) * 65536, aserti3-2d's fixed-point factor split into
// a shift and a 17-bit multiplier (exposed for tests).
struct AsertFactor {
  std::int64_t shifts = 0;   // power of two to apply after multiplying
  std::uint64_t factor = 0;  // in [65536, 131072)
};
AsertFactor asert_factor(std::int64_t exponent_fixed16) noexcept;

// The median timestamp of `parent` and up to kMedianTimeSpan - 1 of its
// ancestors (fewer near genesis). Refuses if an ancestor is missing from
// `chain`.
Result<std::uint64_t> median_time_past(const chain::Header& parent, const chain::HeaderReader& chain);

}  // namespace tally::consensus::pow
