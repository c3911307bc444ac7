#pragma once
// The PBFT consensus engine (chain::Engine): what the chain asks of PBFT.
//
// verify_header checks (chain rules such as the parent link and timestamp
// order are the caller's, chain/execution.hpp):
//   1. the seal is [view, signature] (seal.hpp);
//   2. the signer is the primary of (number, view): validators[(number + view) mod n];
//   3. timestamp <= now + kMaxFutureSeconds.
// Every block weighs 1 and fork choice is the default (longest chain; a
// final block is never reorganised away). Blocks are final with a commit
// certificate (certificate.hpp), which verify_finality checks against the
// header's number and hash. Pure: no clock, no I/O.

#include <cstdint>
#include <string_view>

#include "chain/config.hpp"
#include "chain/engine.hpp"
#include "chain/genesis.hpp"
#include "consensus/pbft/validators.hpp"

namespace tally::consensus::pbft {

inline constexpr std::uint64_t kMaxFutureSeconds = 15;

class PbftEngine final : public chain::Engine {
 public:
  // Throws std::invalid_argument for an empty or duplicated validator list.
  PbftEngine(const chain::PbftParams& params, const Domain& domain);
  // For a parsed PBFT genesis; throws std::invalid_argument for a PoW one.
  explicit PbftEngine(const chain::Genesis& genesis);

  std::string_view name() const override { return "pbft"; }
  Result<void> verify_header(const chain::Header& header, const chain::Header& parent, const chain::HeaderReader& chain,
                             std::uint64_t now_seconds) const override;
  U256 weight(const chain::Header& /*header*/) const override { return 1; }
  U256 block_reward(std::uint64_t /*number*/) const override { return params_.block_reward; }
  bool has_finality() const override { return true; }
  Result<void> verify_finality(const chain::Header& header, BytesView certificate) const override;

  const ValidatorSet& validators() const noexcept { return validators_; }
  const Domain& domain() const noexcept { return domain_; }
  const chain::PbftParams& params() const noexcept { return params_; }

 private:
  chain::PbftParams params_;
  Domain domain_;
  ValidatorSet validators_;
};

}  // namespace tally::consensus::pbft
