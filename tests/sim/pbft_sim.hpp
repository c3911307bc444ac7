#pragma once
// A deterministic simulator of a PBFT network: n replicas in one process, a
// simulated clock and a simulated network that delays, drops, duplicates
// and reorders messages, partitions and heals, crashes and restarts
// replicas (from their persisted state) and runs up to f Byzantine
// replicas. Everything random comes from one seed, so a failing schedule
// replays exactly.
//
// Blocks are opaque bytes: "SIMBLK" || height (8 bytes) || anything, their
// hash keccak256 of the bytes; a block is valid at height h when it says h.
// Safety is checked on every commit and sync (no two final blocks at one
// height among honest replicas; every final block has a certificate that
// verifies); liveness at the end (after healing, every honest replica
// finalizes further heights within a simulated-time budget).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "consensus/pbft/replica.hpp"

namespace tally::sim {

struct SimConfig {
  std::size_t validators = 4;
  std::size_t byzantine = 0;  // at most f; the last ones in the set
  std::uint64_t seed = 1;
  double drop = 0.05;       // chance a message is lost (chaos phase)
  double duplicate = 0.05;  // chance a message is delivered twice
  std::uint64_t max_delay_ms = 150;
  bool partitions = true;              // split the network now and then (chaos phase)
  bool crashes = true;                 // crash and restart honest replicas (at most f down with the byzantine)
  std::uint64_t chaos_ms = 5'000;      // simulated time with faults
  std::uint64_t liveness_heights = 2;  // new final heights required after healing
  std::uint64_t liveness_budget_ms = 300'000;
  double wire_fraction = 0.1;  // honest messages that go through encode/decode
  std::uint64_t max_events = 400'000;
};

struct SimResult {
  bool ok = true;
  std::string failure;             // what went wrong, with the seed
  std::uint64_t final_height = 0;  // lowest chain height among honest replicas at the end
  std::uint64_t events = 0;
  std::uint64_t commits = 0;
};

// Runs one schedule.
SimResult run_simulation(const SimConfig& config);

}  // namespace tally::sim
