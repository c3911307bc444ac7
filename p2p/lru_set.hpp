#pragma once
// A set with a fixed capacity that forgets its least recently inserted or
// touched element when full: the bounded "known items" and "seen" sets of
// gossip. Not thread-safe (each lives on the host's I/O thread).

#include <cstddef>
#include <list>
#include <unordered_map>

namespace tally::p2p {

template <class Key, class Hasher = std::hash<Key>>
class LruSet {
 public:
  explicit LruSet(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // True if `key` was not present. Either way it becomes the most recent.
  bool insert(const Key& key) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      order_.splice(order_.end(), order_, it->second);
      return false;
    }
    if (index_.size() == capacity_) {
      index_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    index_.emplace(key, std::prev(order_.end()));
    return true;
  }
  bool contains(const Key& key) const { return index_.count(key) != 0; }
  void erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }
  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  std::list<Key> order_;
  std::unordered_map<Key, typename std::list<Key>::iterator, Hasher> index_;
};

}  // namespace tally::p2p
