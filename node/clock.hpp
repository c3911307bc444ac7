#pragma once
// Wall-clock time for the node's edges (the core layers take time as
// arguments and never read a clock).

#include <chrono>
#include <cstdint>

namespace tally::node {

inline std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

inline std::uint64_t unix_seconds() {
  return unix_ms() / 1000;
}

}  // namespace tally::node
