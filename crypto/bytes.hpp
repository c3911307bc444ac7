#pragma once
// The byte vocabulary every layer shares: owned bytes, views, and the two
// fixed-size values of the protocol (32-byte hashes, 20-byte addresses).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
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

// Hashes and addresses are already uniformly distributed: their first bytes
// are a good hash-table key.
struct FixedBytesHasher {
  template <std::size_t N>
  std::size_t operator()(const std::array<std::uint8_t, N>& a) const noexcept {
    static_assert(N >= sizeof(std::size_t));
    std::size_t h = 0;
    std::memcpy(&h, a.data(), sizeof h);
    return h;
  }
};

}  // namespace tally
