#pragma once
// The consensus Engine interface: what the chain asks of a consensus rule
// set (PoW or PBFT, implemented in consensus/). Everything here is pure: no
// I/O, no clock, no randomness. Where time matters the caller passes `now`.
//
// Division of labour. chain/ checks the rules every engine shares
// (execution.hpp: parent link, number, timestamp order, gas limit, base fee,
// extra data, and the executed roots). The engine checks the rest of a
// header: its seal, and engine rules such as PoW difficulty and how far a
// timestamp may run ahead of `now`. It also says how much a block weighs for
// fork choice, what the block reward is, and whether blocks carry finality.

#include <cstdint>
#include <optional>
#include <string_view>

#include "chain/block.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/uint256.hpp"

namespace tally::chain {

// Read access to headers the chain already holds (the caller's store or an
// in-memory map), so an engine can look at ancestors, e.g. for difficulty
// retargeting over a window.
class HeaderReader {
 public:
  virtual ~HeaderReader() = default;
  virtual std::optional<Header> header_by_hash(const Hash256& hash) const = 0;
};

// The tip of a chain as fork choice sees it.
struct ChainTip {
  Hash256 hash{};
  std::uint64_t number = 0;
  U256 total_weight = 0;  // sum of Engine::weight over the chain's blocks, genesis included
  bool operator==(const ChainTip&) const = default;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // "pow", "pbft": for logs and errors.
  virtual std::string_view name() const = 0;

  // The engine's rules for `header`, whose parent is `parent` (already
  // known valid). `chain` reaches further ancestors; `now_seconds` is the
  // caller's wall clock (Unix seconds), for rules on future timestamps.
  // Chain rules (execution.hpp) are checked separately by the caller.
  virtual Result<void> verify_header(const Header& header, const Header& parent, const HeaderReader& chain,
                                     std::uint64_t now_seconds) const = 0;

  // What a block adds to its chain's total weight: PoW its difficulty, PBFT 1.
  virtual U256 weight(const Header& header) const = 0;

  // Whether `candidate` should replace `current` as the head. The default is
  // heaviest chain: strictly more total weight wins, so on a tie the chain
  // seen first stays. The chain manager never reorganises past a final
  // block, whatever this returns.
  virtual bool prefers(const ChainTip& candidate, const ChainTip& current) const {
    return candidate.total_weight > current.total_weight;
  }

  // Wei credited to the beneficiary of block `number` after its transactions.
  virtual U256 block_reward(std::uint64_t number) const = 0;

  // Whether blocks become final with a certificate (PBFT) or never (PoW).
  virtual bool has_finality() const = 0;
  // Checks a finality certificate for `header` (PBFT: 2f+1 signed commits).
  // Engines without finality refuse every certificate.
  virtual Result<void> verify_finality(const Header& header, BytesView certificate) const = 0;
};

}  // namespace tally::chain
