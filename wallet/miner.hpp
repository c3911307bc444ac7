#pragma once
// The wallet's proof-of-work client: fetches work with eth_getWork (paying
// the beneficiary given as its parameter), grinds nonces on T threads,
// submits with eth_submitWork, and refreshes the work when the head moves.
//
// Tally's seal: valid when sha256d(seal hash || nonce as 8 big-endian bytes),
// read as a big-endian number, is <= the target (eth_getWork's 3rd item).
// consensus/pow has a SealChecker for exactly this, but the wallet may not
// link the consensus layer (docs/architecture.md), so the grinding loop is
// repeated here on the same low-level OpenSSL SHA-256 calls (the EVP
// interface costs ~8x more per 40-byte hash, see DESIGN.md).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "crypto/bytes.hpp"
#include "wallet/node_client.hpp"

namespace tally::wallet {

struct Work {
  Hash256 seal_hash{};
  Hash256 target{};
  std::optional<std::uint64_t> block_number;  // the block being mined (4th item), when given
};

// sha256d(seal_hash || nonce_be8) <= target, per nonce, allocation-free.
class NonceGrinder {
 public:
  NonceGrinder(const Hash256& seal_hash, const Hash256& target) noexcept;
  bool try_nonce(std::uint64_t nonce) noexcept;

 private:
  std::array<std::uint8_t, 40> input_{};
  Hash256 target_{};
};

// Parses eth_getWork's answer: [seal hash, seed hash, target, (block number)].
Work parse_work(const Json& answer);

struct MineOptions {
  std::uint64_t blocks = 1;  // stop after this many accepted blocks
  unsigned threads = 1;
  Address beneficiary{};
  std::chrono::milliseconds poll_interval{500};    // head checks and progress reports
  const std::atomic<bool>* interrupted = nullptr;  // set by the Ctrl-C handler
};

struct MineProgress {
  std::uint64_t found = 0;     // blocks the node accepted
  std::uint64_t rejected = 0;  // solutions the node refused (stale work)
  std::uint64_t hashes = 0;
  double seconds = 0;
  double hash_rate() const { return seconds > 0 ? static_cast<double>(hashes) / seconds : 0.0; }
  std::vector<std::uint64_t> block_numbers;  // of accepted blocks, when the work said
  bool interrupted = false;
};

// Runs until `blocks` are accepted or *interrupted is set. Throws WalletError
// with an explanation when the node does not serve proof-of-work (a PBFT
// chain: validators produce the blocks), and the node's errors otherwise.
// `report` is called every poll interval and after each block.
MineProgress mine(NodeClient& node, const MineOptions& options,
                  const std::function<void(const MineProgress&)>& report = {});

}  // namespace tally::wallet
