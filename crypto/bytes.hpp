#pragma once
// The byte vocabulary every layer shares: owned bytes, views, and the two
// fixed-size values of the protocol (32-byte hashes, 20-byte addresses).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

namespace tally {

using Bytes = std::vector<std::uint8_t>;
using BytesView = std::span<const std::uint8_t>;
using Hash256 = std::array<std::uint8_t, 32>;
using Address = std::array<std::uint8_t, 20>;

inline BytesView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()),
          s.size()};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

inline Bytes to_bytes(BytesView v) {
  return {v.begin(), v.end()};
}

inline void append(Bytes& out, BytesView v) {
  out.insert(out.end(), v.begin(), v.end());
}

namespace detail {

// Drawn once per process, so nobody outside can choose keys that share a
// bucket.
inline std::uint64_t hash_table_seed() {
  static const std::uint64_t seed = [] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
  }();
  return seed;
}

// A round of multiply and xor-shift (as in the MurmurHash3 finalizer).
inline std::uint64_t mix64(std::uint64_t h) {
  h *= 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 31U);
}

}  // namespace detail

// Hash-table hasher for hashes and addresses. Every byte counts, under a
// per-process seed: recipients are any 20 bytes a sender likes, and keys
// that shared their first bytes (0xbe00...01, 0xbe00...02) would otherwise
// all fall into one bucket.
struct FixedBytesHasher {
  template <std::size_t N>
  std::size_t operator()(const std::array<std::uint8_t, N>& a) const noexcept {
    std::uint64_t h = detail::hash_table_seed() ^ N;
    for (std::size_t offset = 0; offset < N; offset += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, a.data() + offset, N - offset < 8 ? N - offset : 8);
      h = detail::mix64(h ^ word);
    }
    return static_cast<std::size_t>(detail::mix64(h ^ (h >> 29U)));
  }
};

// Key equality for the same tables. std::equal_to on a byte array calls
// memcmp through the PLT, which was 2.9% of a loaded validator's CPU;
// this compares 8 bytes at a time inline (the last word may overlap the
// one before it, so N need not be a multiple of 8).
struct FixedBytesEqual {
  template <std::size_t N>
  bool operator()(const std::array<std::uint8_t, N>& a, const std::array<std::uint8_t, N>& b) const noexcept {
    static_assert(N >= 8, "for hashes and addresses");
    std::uint64_t diff = 0;
    for (std::size_t offset = 0;; offset += 8) {
      if (offset > N - 8) offset = N - 8;
      std::uint64_t x = 0;
      std::uint64_t y = 0;
      std::memcpy(&x, a.data() + offset, 8);
      std::memcpy(&y, b.data() + offset, 8);
      diff |= x ^ y;
      if (offset == N - 8) break;
    }
    return diff == 0;
  }
};

}  // namespace tally
