#pragma once
// The proof-of-work consensus engine (chain::Engine).
//
// verify_header checks, in order (the chain rules of chain/execution.hpp,
// such as timestamp > parent's, are checked by the caller):
//   1. the seal has 2 items, difficulty and an 8-byte nonce;
//   2. difficulty == the ASERT value for the parent (difficulty.hpp);
//   3. timestamp > median time past of the parent and 10 ancestors;
//   4. timestamp <= now + kMaxFutureSeconds;
//   5. sha256d(seal hash || nonce) <= 2^256 / difficulty (seal.hpp).
// Fork choice is the default heaviest chain: weight = difficulty, ties keep
// the chain seen first. No finality. Pure: no clock, no I/O.

#include <cstdint>
#include <string_view>

#include "chain/config.hpp"
#include "chain/engine.hpp"
#include "consensus/pow/difficulty.hpp"

namespace tally::consensus::pow {

// How far a header's timestamp may run ahead of the verifier's clock.
inline constexpr std::uint64_t kMaxFutureSeconds = 15;

class PowEngine final : public chain::Engine {
 public:
  // Anchored at `genesis` (its difficulty and timestamp). Throws
  // std::invalid_argument when the genesis has no PoW seal (a caller bug:
  // parse_genesis always writes one).
  PowEngine(const chain::PowParams& params, const chain::Header& genesis);

  std::string_view name() const override { return "pow"; }
  Result<void> verify_header(const chain::Header& header, const chain::Header& parent, const chain::HeaderReader& chain,
                             std::uint64_t now_seconds) const override;
  // The header's difficulty (0 if its seal is unreadable: such a header is
  // never accepted by verify_header).
  U256 weight(const chain::Header& header) const override;
  U256 block_reward(std::uint64_t /*number*/) const override { return params_.block_reward; }
  bool has_finality() const override { return false; }
  Result<void> verify_finality(const chain::Header& header, BytesView certificate) const override;

  // The difficulty a child of `parent` must carry (for block templates).
  U256 next_difficulty(const chain::Header& parent) const { return pow::next_difficulty(asert_, parent); }
  const AsertParams& asert() const noexcept { return asert_; }
  const chain::PowParams& params() const noexcept { return params_; }

 private:
  chain::PowParams params_;
  AsertParams asert_;
};

}  // namespace tally::consensus::pow
