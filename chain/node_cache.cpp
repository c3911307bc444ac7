#include "chain/node_cache.hpp"

namespace tally::chain {
namespace {

// What one entry costs beyond its bytes: the list node, the map node, the hash twice.
constexpr std::size_t kEntryOverhead = 128;

}  // namespace

std::optional<Bytes> NodeCache::get(const Hash256& hash) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(hash);
  if (it == index_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void NodeCache::put(const Hash256& hash, const Bytes& node) {
  const std::size_t cost = node.size() + kEntryOverhead;
  if (cost > capacity_bytes_) return;
  std::lock_guard lock(mutex_);
  auto it = index_.find(hash);
  if (it != index_.end()) {
    order_.splice(order_.begin(), order_, it->second);
    return;  // same hash, same bytes
  }
  order_.emplace_front(hash, node);
  index_.emplace(hash, order_.begin());
  bytes_ += cost;
  evict_locked();
}

void NodeCache::evict_locked() {
  while (bytes_ > capacity_bytes_ && !order_.empty()) {
    const auto& [hash, node] = order_.back();
    bytes_ -= node.size() + kEntryOverhead;
    index_.erase(hash);
    order_.pop_back();
  }
}

std::size_t NodeCache::size_bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t NodeCache::entries() const {
  std::lock_guard lock(mutex_);
  return index_.size();
}

}  // namespace tally::chain
