#pragma once
// A bounded, thread-safe cache of trie nodes by hash, in front of the
// database. Nodes are content-addressed, so an entry can never go stale: no
// invalidation, only eviction (least recently used first). Executing a block
// reads the same upper trie nodes for every transaction and the nodes the
// previous block wrote; without the cache each read is a LevelDB lookup.

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "crypto/bytes.hpp"

namespace tally::chain {

class NodeCache {
 public:
  explicit NodeCache(std::size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  std::optional<Bytes> get(const Hash256& hash);
  void put(const Hash256& hash, const Bytes& node);

  std::size_t size_bytes() const;
  std::size_t entries() const;

 private:
  using Entry = std::pair<Hash256, Bytes>;
  void evict_locked();

  const std::size_t capacity_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Hash256, std::list<Entry>::iterator, FixedBytesHasher, FixedBytesEqual> index_;
  std::size_t bytes_ = 0;
};

}  // namespace tally::chain
