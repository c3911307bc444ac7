#include "consensus/pow/miner.hpp"

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "consensus/pow/seal.hpp"

namespace tally::consensus::pow {
namespace {

struct Shared {
  std::atomic<bool> found{false};
  std::uint64_t nonce = 0;  // written once, by the thread that set `found`
  std::atomic<std::uint64_t> hashes{0};
};

// Thread `index` of `stride`: tries `budget` nonces start + index + k*stride.
void grind(const Hash256& seal_hash_value, const Hash256& target, std::uint64_t first, std::uint64_t stride,
           std::uint64_t budget, const MinerOptions& options, const std::stop_token& stop, Shared& shared) {
  SealChecker checker(seal_hash_value, target);
  std::uint64_t nonce = first;
  std::uint64_t done = 0;
  while (done < budget) {
    if (shared.found.load(std::memory_order_relaxed) || stop.stop_requested()) break;
    const std::uint64_t batch = std::min(kMinerBatch, budget - done);
    std::uint64_t i = 0;
    bool hit = false;
    for (; i < batch; ++i) {
      if (checker.try_nonce(nonce)) {
        hit = true;
        ++i;
        break;
      }
      nonce += stride;  // wraps mod 2^64 by design
    }
    done += i;
    shared.hashes.fetch_add(i, std::memory_order_relaxed);
    if (options.on_progress) options.on_progress(i);
    if (hit) {
      bool expected = false;
      // Only the first finder publishes its nonce; release pairs with the
      // acquire load after the threads are joined (join also synchronises).
      if (shared.found.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) shared.nonce = nonce;
      break;
    }
  }
}

}  // namespace

Result<MineResult> mine(const chain::Header& header_template, const MinerOptions& options, std::stop_token stop) {
  if (options.threads == 0) return fail("miner: threads must be at least 1");
  auto seal = read_seal(header_template);
  if (!seal) return fail("miner: template: " + seal.error().message);
  const Hash256 hash = seal_hash(header_template);
  const Hash256 target = target_from_difficulty(seal->difficulty);

  Shared shared;
  const std::uint64_t n = options.threads;
  if (n == 1) {
    grind(hash, target, options.start_nonce, 1, options.max_attempts, options, stop, shared);
  } else {
    std::vector<std::jthread> workers;
    workers.reserve(options.threads);
    for (std::uint64_t t = 0; t < n; ++t) {
      // Split max_attempts as evenly as possible: the first (max % n) threads do one more.
      const std::uint64_t budget = options.max_attempts / n + (t < options.max_attempts % n ? 1 : 0);
      workers.emplace_back(
          [&, t, budget] { grind(hash, target, options.start_nonce + t, n, budget, options, stop, shared); });
    }
    workers.clear();  // joins every worker
  }

  MineResult result;
  result.header = header_template;
  result.hashes = shared.hashes.load();
  if (shared.found.load(std::memory_order_acquire)) {
    result.outcome = MineOutcome::found;
    result.nonce = shared.nonce;
    set_nonce(result.header, shared.nonce);
  } else if (stop.stop_requested()) {
    result.outcome = MineOutcome::cancelled;
  } else {
    result.outcome = MineOutcome::exhausted;
  }
  return result;
}

}  // namespace tally::consensus::pow
