#pragma once
// The simulator's world: its random source, fake blocks, nodes and events
// (pbft_sim.cpp runs them).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/pbft/replica.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::sim {

using consensus::pbft::Message;
using consensus::pbft::Replica;
using consensus::pbft::TimerId;
using consensus::pbft::TimerKind;

// splitmix64: small, fast and the same everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }
  double unit() { return static_cast<double>(next() >> 11U) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }

 private:
  std::uint64_t state_;
};

inline constexpr std::string_view kMagic = "SIMBLK";

inline Bytes make_block(std::uint64_t height, std::uint64_t tag) {
  Bytes b(kMagic.begin(), kMagic.end());
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(height >> (8U * static_cast<unsigned>(i))));
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(tag >> (8U * static_cast<unsigned>(i))));
  return b;
}

inline std::optional<std::uint64_t> block_height(BytesView b) {
  if (b.size() < kMagic.size() + 8 || !std::equal(kMagic.begin(), kMagic.end(), b.begin())) return std::nullopt;
  std::uint64_t h = 0;
  for (std::size_t i = 0; i < 8; ++i) h = (h << 8U) | b[kMagic.size() + i];
  return h;
}

inline std::optional<Hash256> sim_hash(BytesView b) {
  if (!block_height(b)) return std::nullopt;
  return crypto::keccak256(b);
}

struct Node {
  std::size_t index = 0;
  crypto::PrivateKey key;
  Address address{};
  bool byzantine = false;
  bool crashed = false;
  std::uint64_t incarnation = 0;
  std::unique_ptr<Replica> replica;
  std::optional<Bytes> disk;   // encode_persisted of the last Persist
  std::vector<Hash256> chain;  // chain[h - 1]: the final block at height h
  std::vector<Bytes> certificates;
  std::vector<Bytes> blocks;
  std::map<TimerKind, std::pair<TimerId, std::uint64_t>> timers;
  std::uint64_t generation = 0;
  std::uint64_t block_tag = 0;
  std::vector<std::shared_ptr<const Message>> seen;  // replay material (byzantine)
};

enum class EventKind : std::uint8_t {
  message,
  bytes,
  timer,
  proposal,
  validation,
  committed,
  sync,
  announce,
  control,
  tx_tick
};

struct Event {
  std::uint64_t time = 0;
  std::uint64_t seq = 0;
  EventKind kind = EventKind::message;
  std::size_t node = 0;
  std::uint64_t incarnation = 0;
  std::shared_ptr<const Message> message;
  Bytes bytes;
  bool must_decode = false;
  TimerId timer;
  std::uint64_t generation = 0;
  std::uint64_t height = 0;
  std::uint64_t view = 0;
  Hash256 hash{};
  bool valid = false;
  std::uint64_t retries = 0;
  std::size_t from = 0;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const { return a.time != b.time ? a.time > b.time : a.seq > b.seq; }
};

inline std::string short_hex(const Hash256& h) {
  return to_hex(BytesView(h.data(), 4));
}

}  // namespace tally::sim
