#pragma once
// The chain's fixed parameters, read from genesis (genesis.hpp) and fixed for
// the chain's life.

#include <cstdint>
#include <variant>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/uint256.hpp"

namespace tally::chain {

// Proof of work: the engine retargets difficulty toward the block time.
struct PowParams {
  std::uint64_t target_block_time_seconds = 0;  // > 0
  U256 initial_difficulty = 0;                  // > 0; the genesis block's difficulty
  U256 minimum_difficulty = 0;                  // > 0, <= initial_difficulty
  U256 block_reward = 0;                        // wei per block, to the beneficiary
  bool operator==(const PowParams&) const = default;
};

// PBFT: a fixed validator set, n = 3f + 1 tolerates f faults.
struct PbftParams {
  std::vector<Address> validators;  // non-empty, no duplicates, in genesis order
  std::uint64_t timeout_ms = 0;     // > 0; the base round timeout
  U256 block_reward = 0;            // wei per block; usually 0
  bool operator==(const PbftParams&) const = default;
};

using ConsensusParams = std::variant<PowParams, PbftParams>;

struct ChainConfig {
  std::uint64_t chain_id = 0;  // EIP-155; > 0
  ConsensusParams consensus;
  std::uint64_t gas_limit = 0;  // every block's gas limit (fixed)
  U256 initial_base_fee = 0;    // the genesis block's base fee; EIP-1559 from there
  bool operator==(const ChainConfig&) const = default;

  bool is_pow() const noexcept { return std::holds_alternative<PowParams>(consensus); }
  bool is_pbft() const noexcept { return std::holds_alternative<PbftParams>(consensus); }
  // The earliest timestamp a child of a block stamped `parent` may carry.
  // PoW: strictly later (Ethereum's rule; difficulty reads the gaps). PBFT:
  // the same second is allowed, so finality, not the one-second clock
  // resolution, paces blocks (the commit certificate orders them).
  std::uint64_t earliest_child_timestamp(std::uint64_t parent) const noexcept {
    return is_pbft() ? parent : parent + 1;
  }
  const U256& block_reward() const {
    return is_pow() ? std::get<PowParams>(consensus).block_reward : std::get<PbftParams>(consensus).block_reward;
  }
};

}  // namespace tally::chain
