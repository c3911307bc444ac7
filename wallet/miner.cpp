// OpenSSL 3 deprecates the low-level SHA256_Init/Update/Final calls; they are
// used on purpose in the grinding loop (see miner.hpp).
#define OPENSSL_SUPPRESS_DEPRECATED

#include "wallet/miner.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "crypto/hex.hpp"
#include "rpc/method.hpp"
#include "wallet/errors.hpp"

namespace tally::wallet {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kBatch = 4096;  // nonces between checks of the stop flag

const char* const kPbftExplanation =
    "this chain does not use proof-of-work: on a PBFT chain the validators produce the blocks, "
    "so there is nothing to mine";

// One round: all threads grind the same work until one finds a nonce or the
// coordinator stops them.
struct Round {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> hashes{0};
  std::mutex mutex;
  std::condition_variable found_cv;
  std::optional<std::uint64_t> solution;  // guarded by mutex
};

void grind(const Work& work, std::uint64_t first, std::uint64_t stride, Round& round) {
  NonceGrinder grinder(work.seal_hash, work.target);
  std::uint64_t nonce = first;
  while (!round.stop.load(std::memory_order_relaxed)) {
    for (std::uint64_t i = 0; i < kBatch; ++i, nonce += stride) {
      if (grinder.try_nonce(nonce)) {
        round.hashes.fetch_add(i + 1, std::memory_order_relaxed);
        std::lock_guard lock(round.mutex);
        if (!round.solution) round.solution = nonce;
        round.stop = true;
        round.found_cv.notify_all();
        return;
      }
    }
    round.hashes.fetch_add(kBatch, std::memory_order_relaxed);
  }
}

void check_engine(NodeClient& node) {
  try {
    const Json status = node.call("tally_consensusStatus", Json::array());
    if (status.is_object() && status.value("engine", "") == "pbft") throw WalletError(kPbftExplanation);
  } catch (const NodeRefused&) {
    // Nodes without the Tally namespace (or with it disabled): eth_getWork decides.
  }
}

Work fetch_work(NodeClient& node, const Address& beneficiary) {
  try {
    return parse_work(node.call("eth_getWork", Json::array({to_hex_prefixed(beneficiary)})));
  } catch (const NodeRefused& e) {
    if (e.rpc_code() == rpc::code::kMethodNotFound) {
      throw WalletError(
          "the node does not serve eth_getWork: " + std::string(kPbftExplanation) + " (or mining is disabled on it)",
          ExitCode::refused);
    }
    throw WalletError("the node refused eth_getWork: " + e.node_message(), ExitCode::refused);
  }
}

std::uint64_t head_number(NodeClient& node) {
  return quantity_u64(node.call("eth_blockNumber", Json::array()), "eth_blockNumber");
}

bool interrupted(const MineOptions& options) {
  return options.interrupted != nullptr && options.interrupted->load();
}

// One poll interval, cut short by Ctrl-C.
void pause(const MineOptions& options) {
  const auto until = Clock::now() + options.poll_interval;
  while (!interrupted(options) && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
  }
}

enum class RoundEnd { found, head_changed, interrupted };

// Grinds `work` until a solution, a new head, or Ctrl-C. Joins its threads.
RoundEnd run_round(NodeClient& node, const Work& work, std::uint64_t head, const MineOptions& options,
                   MineProgress& progress, Clock::time_point started, std::uint64_t& solution,
                   const std::function<void(const MineProgress&)>& report) {
  Round round;
  const unsigned threads = std::max(1U, options.threads);
  std::random_device seed_source;
  const std::uint64_t base = (std::uint64_t{seed_source()} << 32) | seed_source();
  std::vector<std::jthread> workers;
  workers.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&work, &round, base, t, threads] { grind(work, base + t, threads, round); });
  }
  const std::uint64_t hashes_before = progress.hashes;
  RoundEnd end = RoundEnd::head_changed;
  try {
    for (;;) {
      {
        std::unique_lock lock(round.mutex);
        round.found_cv.wait_for(lock, options.poll_interval, [&] { return round.solution.has_value(); });
        if (round.solution) {
          solution = *round.solution;
          end = RoundEnd::found;
          break;
        }
      }
      progress.hashes = hashes_before + round.hashes.load();
      progress.seconds = std::chrono::duration<double>(Clock::now() - started).count();
      if (report) report(progress);
      if (interrupted(options)) {
        end = RoundEnd::interrupted;
        break;
      }
      if (head_number(node) != head) break;
    }
  } catch (...) {
    round.stop = true;
    throw;  // the jthreads join on the way out
  }
  round.stop = true;
  for (auto& worker : workers) worker.join();
  progress.hashes = hashes_before + round.hashes.load();
  return end;
}

}  // namespace

NonceGrinder::NonceGrinder(const Hash256& seal_hash, const Hash256& target) noexcept : target_(target) {
  std::copy(seal_hash.begin(), seal_hash.end(), input_.begin());
}

bool NonceGrinder::try_nonce(std::uint64_t nonce) noexcept {
  for (std::size_t i = 0; i < 8; ++i) input_[32 + i] = static_cast<std::uint8_t>(nonce >> (56 - 8 * i));
  std::uint8_t first[SHA256_DIGEST_LENGTH];
  std::uint8_t second[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  // These cannot fail on in-memory input, but a failure must never pass as
  // a solution: any call not returning 1 makes the nonce count as a miss.
  const bool hashed = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, input_.data(), input_.size()) == 1 &&
                      SHA256_Final(first, &ctx) == 1 && SHA256_Init(&ctx) == 1 &&
                      SHA256_Update(&ctx, first, sizeof first) == 1 && SHA256_Final(second, &ctx) == 1;
  if (!hashed) return false;
  return std::memcmp(second, target_.data(), sizeof second) <= 0;
}

Work parse_work(const Json& answer) {
  constexpr std::string_view kMethod = "eth_getWork";
  if (!answer.is_array() || answer.size() < 3) {
    throw WalletError("the node's answer to eth_getWork is not [sealHash, seedHash, target, ...]",
                      ExitCode::unreachable);
  }
  Work work;
  work.seal_hash = hash_value(answer[0], kMethod);
  work.target = hash_value(answer[2], kMethod);
  if (answer.size() > 3) work.block_number = quantity_u64(answer[3], kMethod);
  return work;
}

MineProgress mine(NodeClient& node, const MineOptions& options,
                  const std::function<void(const MineProgress&)>& report) {
  check_engine(node);
  MineProgress progress;
  const auto started = Clock::now();
  while (progress.found < options.blocks && !interrupted(options)) {
    const std::uint64_t head = head_number(node);
    const Work work = fetch_work(node, options.beneficiary);
    std::uint64_t nonce = 0;
    const RoundEnd end = run_round(node, work, head, options, progress, started, nonce, report);
    if (end == RoundEnd::interrupted) break;
    if (end != RoundEnd::found) continue;
    Hash256 nonce_be{};
    for (std::size_t i = 0; i < 8; ++i) nonce_be[24 + i] = static_cast<std::uint8_t>(nonce >> (56 - 8 * i));
    const std::string nonce_hex = to_hex_prefixed(BytesView(nonce_be).subspan(24));
    const Json accepted = node.call(
        "eth_submitWork", Json::array({nonce_hex, to_hex_prefixed(work.seal_hash), to_hex_prefixed(Hash256{})}));
    if (accepted.is_boolean() && accepted.get<bool>()) {
      ++progress.found;
      if (work.block_number) progress.block_numbers.push_back(*work.block_number);
    } else {
      // Stale (someone else extended the chain first) or refused by the
      // node's own checks; either way, do not hammer it with fresh work at
      // once: wait one poll interval, as a head change would need anyway.
      ++progress.rejected;
      pause(options);
    }
    progress.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (report) report(progress);
  }
  progress.interrupted = interrupted(options) && progress.found < options.blocks;
  progress.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return progress;
}

}  // namespace tally::wallet
