#pragma once
// The state trie a block's execution ends with, kept in memory under the root
// it committed, so the next block executed on that root (the next height, in
// the usual case) starts with every node the last one loaded or wrote: the
// paths of the accounts a chain touches block after block (its busy senders,
// the top levels every key passes through) are not read from the node store,
// parsed and freed again for every block. A root fixes every node below it,
// so a kept trie is right for as long as it is kept.
//
// A kept trie is handed to one StateDB at a time: take() moves it out, and
// the StateDB gives it back under its new root after a commit (see
// StateUse::block in chain/state.hpp). One trie is kept, the newest: the
// next block builds on the last one executed (a validator's next proposal,
// a miner's block once it is mined). Bounded: a trie that has made more
// than kMaxNodes in-memory nodes is dropped instead of kept, so a long run
// of blocks does not pull the whole state into memory. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "crypto/bytes.hpp"

namespace tally::chain {

class SecureTrie;

class WarmTries {
 public:
  // Nodes (Trie::nodes_made) past which a trie is not kept: a node takes
  // about 256 bytes with its allocation, a leaf's path and value about 150
  // more, so a kept trie holds about 32-40 MiB at most, as much as the node
  // cache in front of the database. At 1,400 new accounts a block that is
  // a few tens of blocks.
  static constexpr std::uint64_t kMaxNodes = 1U << 17U;

  WarmTries();
  ~WarmTries();
  WarmTries(const WarmTries&) = delete;
  WarmTries& operator=(const WarmTries&) = delete;

  // The trie kept at `root`, moved out; null if none is.
  std::unique_ptr<SecureTrie> take(const Hash256& root);
  // Keeps `trie`, which must have no changes since its last commit, under
  // its committed root in place of the one kept before; drops it instead if
  // it has made more than kMaxNodes nodes.
  void keep(std::unique_ptr<SecureTrie> trie);
  // Whether a trie is kept, and at which root.
  std::optional<Hash256> kept_root() const;

 private:
  mutable std::mutex mutex_;
  Hash256 root_{};
  std::unique_ptr<SecureTrie> trie_;
};

}  // namespace tally::chain
