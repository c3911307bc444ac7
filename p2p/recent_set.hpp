#pragma once
// A bounded set of 32-byte hashes that remembers the most recent ones: the
// "known" and "seen" sets of gossip, touched for every hash a peer announces
// or is sent. Not thread-safe (each lives on the host's I/O thread).
//
// Two generations of flat, open-addressed tables: inserts go to the current
// one, and when it holds capacity/2 hashes it becomes the previous
// generation and the one before is forgotten at once. So the set holds at
// least the last capacity/2 distinct hashes inserted (or touched) and at most
// capacity. An insert costs a probe or two and no allocation; the list-plus-map
// LRU it replaced allocated twice and spliced a list per insert.
//
// Peers choose the hashes they announce: slots come from the per-process
// seeded FixedBytesHasher, so nobody can aim many hashes at one probe chain.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "crypto/bytes.hpp"

namespace tally::p2p {

class RecentHashSet {
 public:
  using Key = std::array<std::uint8_t, 32>;

  explicit RecentHashSet(std::size_t capacity) : half_(capacity < 2 ? 1 : capacity / 2) {}

  // True if `key` was not present. Either way it joins the current generation.
  bool insert(const Key& key) {
    const std::size_t hash = hasher_(key);
    Table& current = tables_[current_];
    if (current.contains(key, hash)) return false;
    const bool fresh = !tables_[1 - current_].contains(key, hash);
    current.insert(key, hash);
    if (current.count >= half_) {
      current_ = 1 - current_;
      tables_[current_].clear();
    }
    return fresh;
  }
  bool contains(const Key& key) const {
    const std::size_t hash = hasher_(key);
    return tables_[0].contains(key, hash) || tables_[1].contains(key, hash);
  }
  // Hashes held (one touched since it entered the older generation counts twice).
  std::size_t size() const { return tables_[0].count + tables_[1].count; }
  std::size_t capacity() const { return 2 * half_; }

 private:
  // Linear probing at a load of at most one half; grows by doubling.
  struct Table {
    std::vector<Key> slots;
    std::vector<std::uint8_t> used;
    std::size_t count = 0;

    bool contains(const Key& key, std::size_t hash) const {
      if (slots.empty()) return false;
      const std::size_t mask = slots.size() - 1;
      for (std::size_t i = hash & mask; used[i] != 0; i = (i + 1) & mask) {
        if (FixedBytesEqual{}(slots[i], key)) return true;
      }
      return false;
    }
    // `key` must be absent.
    void insert(const Key& key, std::size_t hash) {
      if (2 * (count + 1) > slots.size()) grow();
      place(key, hash);
      ++count;
    }
    void clear() {
      std::fill(used.begin(), used.end(), std::uint8_t{0});
      count = 0;
    }

   private:
    void place(const Key& key, std::size_t hash) {
      const std::size_t mask = slots.size() - 1;
      std::size_t i = hash & mask;
      while (used[i] != 0) i = (i + 1) & mask;
      slots[i] = key;
      used[i] = 1;
    }
    void grow() {
      std::vector<Key> old_slots = std::move(slots);
      std::vector<std::uint8_t> old_used = std::move(used);
      const std::size_t size = old_slots.empty() ? 64 : 2 * old_slots.size();
      slots.assign(size, Key{});
      used.assign(size, 0);
      const FixedBytesHasher hasher;
      for (std::size_t i = 0; i < old_slots.size(); ++i) {
        if (old_used[i] != 0) place(old_slots[i], hasher(old_slots[i]));
      }
    }
  };

  std::size_t half_;
  Table tables_[2];  // NOLINT(*-avoid-c-arrays)
  int current_ = 0;
  FixedBytesHasher hasher_;
};

}  // namespace tally::p2p
