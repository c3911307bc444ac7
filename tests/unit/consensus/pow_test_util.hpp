#pragma once
// Helpers for the PoW tests: a PoW genesis with a chosen difficulty, child
// headers carrying the expected difficulty, and a single-call miner.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "chain/genesis.hpp"
#include "consensus/pow/engine.hpp"
#include "consensus/pow/miner.hpp"
#include "consensus/pow/seal.hpp"

namespace tally::test {

// The dev genesis with another initial and minimum difficulty.
inline chain::Genesis pow_genesis(const std::string& initial_difficulty, const std::string& minimum_difficulty,
                                  std::uint64_t block_time_seconds = 2) {
  auto doc = nlohmann::json::parse(chain::dev_genesis_json());
  doc["consensus"]["initialDifficulty"] = initial_difficulty;
  doc["consensus"]["minimumDifficulty"] = minimum_difficulty;
  doc["consensus"]["targetBlockTimeSeconds"] = block_time_seconds;
  auto genesis = chain::parse_genesis(doc.dump());
  EXPECT_TRUE(genesis.ok()) << (genesis.ok() ? "" : genesis.error().message);
  return std::move(genesis).value();
}

inline const chain::PowParams& pow_params(const chain::Genesis& genesis) {
  return std::get<chain::PowParams>(genesis.config.consensus);
}

// An empty child of `parent` at `timestamp`, sealed with the expected
// difficulty and nonce 0 (not mined).
inline chain::Header child_template(const consensus::pow::PowEngine& engine, const chain::Header& parent,
                                    std::uint64_t timestamp, std::uint8_t salt = 0) {
  chain::Header h;
  h.parent_hash = chain::header_hash(parent);
  h.number = parent.number + 1;
  h.timestamp = timestamp;
  h.gas_limit = parent.gas_limit;
  h.base_fee = parent.base_fee;
  h.state_root = parent.state_root;
  h.extra_data = {salt};
  consensus::pow::write_seal(h, {engine.next_difficulty(parent), 0});
  return h;
}

// MinerOptions without designated initializers (-Wmissing-field-initializers).
inline consensus::pow::MinerOptions miner_options(unsigned threads, std::uint64_t start_nonce = 0,
                                                  std::uint64_t max_attempts = UINT64_MAX) {
  consensus::pow::MinerOptions o;
  o.threads = threads;
  o.start_nonce = start_nonce;
  o.max_attempts = max_attempts;
  return o;
}

// Mines `header` in place (must be findable: low difficulty).
inline void mine_in_place(chain::Header& header, unsigned threads = 1) {
  auto result = consensus::pow::mine(header, miner_options(threads));
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->outcome, consensus::pow::MineOutcome::found);
  header = result->header;
}

}  // namespace tally::test
