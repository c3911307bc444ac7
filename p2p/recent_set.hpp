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
#include <span>
#include <vector>

#include "crypto/bytes.hpp"

namespace tally::p2p {

class RecentHashSet {
 public:
  using Key = std::array<std::uint8_t, 32>;

  explicit RecentHashSet(std::size_t capacity) : half_(capacity < 2 ? 1 : capacity / 2) {}

  // True if `key` was not present. Either way it joins the current generation.
  bool insert(const Key& key) {
    const std::uint64_t print = fingerprint(key);
    Table& current = tables_[current_];
    if (current.contains(print)) return false;
    const bool fresh = !tables_[1 - current_].contains(print);
    current.insert(print);
    if (current.count >= half_) {
      current_ = 1 - current_;
      tables_[current_].clear();
    }
    return fresh;
  }
  // insert() for each key in order, calling on_fresh(key) for each that
  // was not present. The same result as one insert() after another, but
  // the slots a few keys ahead are prefetched: a set of thousands of
  // hashes misses the cache on nearly every probe, and a batch then waits
  // for its misses together instead of one after another.
  template <class OnFresh>
  void insert_all(std::span<const Key> keys, OnFresh&& on_fresh) {
    constexpr std::size_t kAhead = 8;
    for (std::size_t i = 0; i < keys.size() && i < kAhead; ++i) prefetch(fingerprint(keys[i]));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i + kAhead < keys.size()) prefetch(fingerprint(keys[i + kAhead]));
      if (insert(keys[i])) on_fresh(keys[i]);
    }
  }
  bool contains(const Key& key) const {
    const std::uint64_t print = fingerprint(key);
    return tables_[0].contains(print) || tables_[1].contains(print);
  }
  // Hashes held (one touched since it entered the older generation counts twice).
  std::size_t size() const { return tables_[0].count + tables_[1].count; }
  std::size_t capacity() const { return 2 * half_; }

 private:
  // A hash is held as its 64-bit seeded FixedBytesHasher value, never 0 (the
  // empty slot): a quarter of the 33 bytes a slot took with the whole key, so
  // the sets of a node's peers stay in cache far more often. Two hashes
  // alike in all 64 bits are one; with at most `capacity` held that happens
  // about once in 2^64 / capacity lookups, and the seed is per process, so a
  // peer cannot aim for it. The cost of one: a transaction taken as seen or
  // known, so neither fetched nor announced here; it still comes in a block.
  std::uint64_t fingerprint(const Key& key) const {
    const auto print = static_cast<std::uint64_t>(hasher_(key));
    return print == 0 ? 1 : print;
  }

  void prefetch(std::uint64_t print) const {
    for (const Table& table : tables_) table.prefetch(print);
  }

  // Linear probing at a load of at most one half; grows by doubling.
  struct Table {
    std::vector<std::uint64_t> slots;  // 0: empty
    std::size_t count = 0;

    bool contains(std::uint64_t print) const {
      if (slots.empty()) return false;
      const std::size_t mask = slots.size() - 1;
      for (std::size_t i = print & mask; slots[i] != 0; i = (i + 1) & mask) {
        if (slots[i] == print) return true;
      }
      return false;
    }
    void prefetch(std::uint64_t print) const {
      if (!slots.empty()) __builtin_prefetch(&slots[print & (slots.size() - 1)]);
    }
    // `print` must be absent.
    void insert(std::uint64_t print) {
      if (2 * (count + 1) > slots.size()) grow();
      place(print);
      ++count;
    }
    void clear() {
      std::fill(slots.begin(), slots.end(), std::uint64_t{0});
      count = 0;
    }

   private:
    void place(std::uint64_t print) {
      const std::size_t mask = slots.size() - 1;
      std::size_t i = print & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = print;
    }
    void grow() {
      std::vector<std::uint64_t> old = std::move(slots);
      slots.assign(old.empty() ? 64 : 2 * old.size(), 0);
      for (const std::uint64_t print : old) {
        if (print != 0) place(print);
      }
    }
  };

  std::size_t half_;
  Table tables_[2];  // NOLINT(*-avoid-c-arrays)
  int current_ = 0;
  FixedBytesHasher hasher_;
};

}  // namespace tally::p2p
