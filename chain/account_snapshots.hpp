#pragma once
// The accounts a state commit touched, kept by the state root it produced,
// so the next StateDB opened at that root (the next block's execution, the
// pool's view of the new head) reads them without walking the trie. A root
// fixes every account's content, so a snapshot is right for as long as it is
// kept. Thread-safe: snapshots are immutable and shared.

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "chain/account.hpp"
#include "crypto/bytes.hpp"

namespace tally::chain {

using AccountSnapshot = std::unordered_map<Address, Account, FixedBytesHasher, FixedBytesEqual>;

class AccountSnapshots {
 public:
  // The snapshot kept for `root`, or null.
  std::shared_ptr<const AccountSnapshot> at(const Hash256& root) const;
  // Keeps `accounts` as read at `root`, dropping the oldest past a few roots
  // (the head's and those of the blocks being built or checked on it).
  void keep(const Hash256& root, std::shared_ptr<const AccountSnapshot> accounts);

 private:
  static constexpr std::size_t kKeptRoots = 4;
  mutable std::mutex mutex_;
  std::deque<std::pair<Hash256, std::shared_ptr<const AccountSnapshot>>> kept_;
};

}  // namespace tally::chain
