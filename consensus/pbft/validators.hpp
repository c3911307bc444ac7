#pragma once
// The fixed validator set of a PBFT chain and the chain's signing domain.
//
// With n validators the set tolerates f = (n - 1) / 3 faulty ones. A quorum
// is floor((n + f) / 2) + 1 validators: 2f + 1 when n = 3f + 1, and in
// general the smallest number whose any two sets share an honest member
// (2q - n > f). The primary of view v at height h is
// validators[(h + v) mod n].

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "crypto/bytes.hpp"

namespace tally::consensus::pbft {

// What every PBFT signature commits to besides the message, so a vote made
// for one chain can never be replayed on another.
struct Domain {
  std::uint64_t chain_id = 0;
  Hash256 genesis_hash{};
  bool operator==(const Domain&) const = default;
};

class ValidatorSet {
 public:
  // Throws std::invalid_argument on an empty list or a duplicate (genesis
  // parsing refuses both, so this is a caller bug).
  explicit ValidatorSet(std::vector<Address> validators) : validators_(std::move(validators)) {
    if (validators_.empty()) throw std::invalid_argument("pbft: the validator set is empty");
    std::vector<Address> sorted = validators_;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw std::invalid_argument("pbft: duplicate validator");
    }
  }

  std::size_t size() const noexcept { return validators_.size(); }
  std::size_t max_faulty() const noexcept { return (size() - 1) / 3; }
  std::size_t quorum() const noexcept { return (size() + max_faulty()) / 2 + 1; }
  // f + 1: at least one of them is honest.
  std::size_t weak_quorum() const noexcept { return max_faulty() + 1; }

  bool contains(const Address& a) const noexcept { return index_of(a).has_value(); }
  std::optional<std::size_t> index_of(const Address& a) const noexcept {
    auto it = std::find(validators_.begin(), validators_.end(), a);
    if (it == validators_.end()) return std::nullopt;
    return static_cast<std::size_t>(it - validators_.begin());
  }
  const Address& primary(std::uint64_t height, std::uint64_t view) const noexcept {
    const std::uint64_t n = validators_.size();
    return validators_[static_cast<std::size_t>((height % n + view % n) % n)];
  }
  const std::vector<Address>& list() const noexcept { return validators_; }

 private:
  std::vector<Address> validators_;
};

}  // namespace tally::consensus::pbft
