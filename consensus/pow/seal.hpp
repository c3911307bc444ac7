#pragma once
// The proof-of-work seal.
//
// A PoW block header's seal is two RLP items: [difficulty, nonce], where
// difficulty is a canonical RLP integer (>= 1) and nonce an RLP string of
// exactly 8 bytes: the 64-bit nonce, big-endian. (The genesis header adds a
// third item, the config commitment; it is never sealed or checked.)
//
//   seal hash = keccak256(rlp(header without the nonce item))
//   pow hash  = sha256d(seal hash || nonce as 8 bytes big-endian)   40 bytes in
//   valid     ⇔ pow hash, read as a big-endian 256-bit number, <= target
//   target    = 2^256 / difficulty   (capped at 2^256 - 1 for difficulty 1)
//
// The difficulty is committed to by the seal hash, so a miner cannot change
// it without redoing the work.

#include <array>
#include <cstdint>

#include "chain/block.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/uint256.hpp"

namespace tally::consensus::pow {

inline constexpr std::size_t kSealItems = 2;  // [difficulty, nonce]
inline constexpr std::size_t kNonceBytes = 8;

struct PowSeal {
  U256 difficulty = 0;
  std::uint64_t nonce = 0;
  bool operator==(const PowSeal&) const = default;
};

// The two seal items of a PoW block header. Refuses any other item count,
// a non-canonical or zero difficulty, or a nonce that is not 8 bytes.
Result<PowSeal> read_seal(const chain::Header& header);
// The first seal item alone (also works on the genesis header's 3-item seal).
Result<U256> read_difficulty(const chain::Header& header);
// Replaces the header's seal with [difficulty, nonce].
void write_seal(chain::Header& header, const PowSeal& seal);
// Replaces only the nonce item (the header must already have 2 seal items).
void set_nonce(chain::Header& header, std::uint64_t nonce);

// keccak256(rlp(header without its last seal item)). The header must have a
// seal (it is not checked further here).
Hash256 seal_hash(const chain::Header& header);

// 2^256 / difficulty as 32 big-endian bytes; difficulty 1 gives 2^256 - 1.
// difficulty must be >= 1 (0 throws std::invalid_argument: a caller bug).
Hash256 target_from_difficulty(const U256& difficulty);

// sha256d(seal_hash || nonce big-endian): the proof-of-work hash.
Hash256 pow_hash(const Hash256& seal_hash, std::uint64_t nonce);

// The seal's shape and its work: 2 items, difficulty >= 1, 8-byte nonce,
// pow hash <= target. Does not check that the difficulty is the expected one
// (the engine does, it needs the parent).
Result<void> check_seal(const chain::Header& header);

// The per-nonce check used by the miner (and by check_seal): the seal hash
// and target are fixed at construction; try() builds the 40-byte input in
// place and runs two low-level SHA-256 computations on a stack context. No
// allocation, no U256, no EVP set-up per nonce.
class SealChecker {
 public:
  SealChecker(const Hash256& seal_hash, const Hash256& target_be) noexcept;

  // Whether `nonce` seals the header; `out` receives the pow hash.
  bool try_nonce(std::uint64_t nonce, Hash256& out) noexcept;
  bool try_nonce(std::uint64_t nonce) noexcept {
    Hash256 ignored;
    return try_nonce(nonce, ignored);
  }

 private:
  std::array<std::uint8_t, 32 + kNonceBytes> input_{};
  Hash256 target_{};
};

}  // namespace tally::consensus::pow
