#pragma once
// The miner core: grinds nonces for a header template on N threads until one
// seals it, the caller cancels, or an attempt budget runs out.
//
// It is pure work: no clock, no I/O, no chain access. The caller (node/)
// builds the template (transactions, roots, difficulty from
// PowEngine::next_difficulty), measures hash rate from the reported hash
// counts and its own clock, and cancels through a std::stop_token when a new
// head or a better template arrives.
//
// Thread t of n tries nonces start + t, start + t + n, start + t + 2n, ...
// (mod 2^64), so threads never repeat each other's work. Each thread checks
// for a stop (found by another thread, cancelled) every kBatch nonces, so a
// cancel takes effect within one batch (~0.1 ms at 8 M hashes/s).

#include <cstdint>
#include <functional>
#include <stop_token>

#include "chain/block.hpp"
#include "crypto/result.hpp"

namespace tally::consensus::pow {

struct MinerOptions {
  unsigned threads = 1;                     // >= 1; 1 runs on the calling thread
  std::uint64_t start_nonce = 0;            // first nonce tried (thread 0)
  std::uint64_t max_attempts = UINT64_MAX;  // total nonces over all threads; UINT64_MAX = the whole space
  // Called by each worker after every batch with the hashes it just did
  // (from worker threads, concurrently: it must be thread-safe). For
  // hash-rate display; may be empty.
  std::function<void(std::uint64_t hashes)> on_progress;
};

enum class MineOutcome : std::uint8_t {
  found,      // `header` is sealed
  cancelled,  // the stop token was triggered first
  exhausted,  // max_attempts nonces tried, none sealed the header
};

struct MineResult {
  MineOutcome outcome = MineOutcome::exhausted;
  chain::Header header;      // the template, its nonce set when found
  std::uint64_t nonce = 0;   // when found
  std::uint64_t hashes = 0;  // nonces tried over all threads
};

// Nonces a worker tries between checks for a stop.
inline constexpr std::uint64_t kMinerBatch = 1024;

// Grinds the template's nonce. The template must carry a 2-item PoW seal
// [difficulty, any 8-byte nonce]; otherwise an Error. `stop` may be a default
// (never-stopping) token.
Result<MineResult> mine(const chain::Header& header_template, const MinerOptions& options, std::stop_token stop = {});

}  // namespace tally::consensus::pow
