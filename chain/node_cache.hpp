#pragma once
// A bounded, thread-safe cache of trie nodes by hash, in front of the
// database. Nodes are content-addressed, so an entry can never go stale: no
// invalidation, only eviction. Executing a block reads the same upper trie
// nodes for every transaction and the nodes the previous block wrote;
// without the cache each read is a LevelDB lookup.
//
// Two generations instead of an exact LRU list: entries go into the newer
// one, a hit in the older one moves its entry over, and when the newer one
// holds half the budget it becomes the older and the older is dropped whole.
// So the nodes used within the last half budget stay, and a lookup or insert
// touches one hash table instead of also splicing a linked list (the list's
// nodes were cache misses of their own, and an allocation per entry).

#include <cstddef>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "crypto/bytes.hpp"

namespace tally::chain {

class NodeCache {
 public:
  explicit NodeCache(std::size_t capacity_bytes) : half_bytes_(capacity_bytes / 2) {}

  std::optional<Bytes> get(const Hash256& hash);
  void put(const Hash256& hash, const Bytes& node) { put(hash, Bytes(node)); }
  void put(const Hash256& hash, Bytes&& node);

  std::size_t size_bytes() const;
  std::size_t entries() const;

 private:
  using Map = std::unordered_map<Hash256, Bytes, FixedBytesHasher, FixedBytesEqual>;
  struct Generation {
    Map nodes;
    std::size_t bytes = 0;
  };

  // Moves an older entry into the newer generation; returns its bytes.
  const Bytes& promote_locked(Map::iterator older, Map& dropped);
  // Makes the newer generation the older one if `cost` more would pass half
  // the budget; what the older held moves to `dropped`, freed unlocked.
  void make_room_locked(std::size_t cost, Map& dropped);

  const std::size_t half_bytes_;
  mutable std::mutex mutex_;
  Generation newer_;
  Generation older_;
};

}  // namespace tally::chain
