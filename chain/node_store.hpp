#pragma once
// Where trie nodes live. Nodes are content-addressed (key = keccak256 of the
// node's RLP), so every version of the state stays readable by its root and
// a reorg needs no state undo: it just points at an older root.

#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/bytes.hpp"

namespace tally::chain {

class AccountSnapshots;
class WarmTries;

class NodeStore {
 public:
  virtual ~NodeStore() = default;
  // The node's RLP, or nothing if it is not stored.
  virtual std::optional<Bytes> get_node(const Hash256& hash) const = 0;
  // True if every node get_node returns is known to hash to its key (checked
  // when read from disk, or computed by this process), so the trie need not
  // hash it again; otherwise the trie checks each node it loads.
  virtual bool nodes_are_checked() const noexcept { return false; }
  // Where StateDB commits leave the accounts they touched, by state root, for
  // the next StateDB at that root; null if this store keeps none.
  virtual AccountSnapshots* account_snapshots() const noexcept { return nullptr; }
  // Where block executions leave their state trie for the next block on the
  // same root (warm_tries.hpp); null if this store keeps none.
  virtual WarmTries* warm_tries() const noexcept { return nullptr; }
};

// Nodes a commit produced, to be written in the block's atomic batch.
using NodeBatch = std::vector<std::pair<Hash256, Bytes>>;

// A NodeStore in memory, for tests, benchmarks and dry runs.
class MemoryNodeStore final : public NodeStore {
 public:
  std::optional<Bytes> get_node(const Hash256& hash) const override {
    auto it = nodes_.find(hash);
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  void put(const NodeBatch& batch) {
    for (const auto& [hash, node] : batch) nodes_.insert_or_assign(hash, node);
  }
  std::size_t size() const { return nodes_.size(); }

 private:
  std::unordered_map<Hash256, Bytes, FixedBytesHasher, FixedBytesEqual> nodes_;
};

}  // namespace tally::chain
