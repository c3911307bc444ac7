#include "chain/node_cache.hpp"

#include <utility>

namespace tally::chain {
namespace {

// What one entry costs beyond its bytes: the map node, the hash, the vector.
constexpr std::size_t kEntryOverhead = 96;

std::size_t cost_of(const Bytes& node) {
  return node.size() + kEntryOverhead;
}

}  // namespace

std::optional<Bytes> NodeCache::get(const Hash256& hash) {
  Map dropped;  // freed after the lock is released
  std::lock_guard lock(mutex_);
  if (auto it = newer_.nodes.find(hash); it != newer_.nodes.end()) return it->second;
  auto it = older_.nodes.find(hash);
  if (it == older_.nodes.end()) return std::nullopt;
  return promote_locked(it, dropped);
}

void NodeCache::put(const Hash256& hash, Bytes&& node) {
  const std::size_t cost = cost_of(node);
  if (cost > half_bytes_) return;
  Map dropped;
  std::lock_guard lock(mutex_);
  if (newer_.nodes.contains(hash)) return;  // same hash, same bytes
  if (auto it = older_.nodes.find(hash); it != older_.nodes.end()) {
    promote_locked(it, dropped);
    return;
  }
  make_room_locked(cost, dropped);
  newer_.nodes.emplace(hash, std::move(node));
  newer_.bytes += cost;
}

const Bytes& NodeCache::promote_locked(Map::iterator older, Map& dropped) {
  auto entry = older_.nodes.extract(older);
  const std::size_t cost = cost_of(entry.mapped());
  older_.bytes -= cost;
  make_room_locked(cost, dropped);
  newer_.bytes += cost;
  // The extracted node is re-linked, not copied.
  return newer_.nodes.insert(std::move(entry)).position->second;
}

void NodeCache::make_room_locked(std::size_t cost, Map& dropped) {
  if (newer_.bytes + cost <= half_bytes_) return;
  dropped = std::move(older_.nodes);
  older_ = std::move(newer_);
  newer_ = Generation{};
}

std::size_t NodeCache::size_bytes() const {
  std::lock_guard lock(mutex_);
  return newer_.bytes + older_.bytes;
}

std::size_t NodeCache::entries() const {
  std::lock_guard lock(mutex_);
  return newer_.nodes.size() + older_.nodes.size();
}

}  // namespace tally::chain
