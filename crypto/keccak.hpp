#pragma once
// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not the
// NIST SHA3-256 padding 0x06). OpenSSL 3.0 offers only SHA3, so this is
// implemented here over Keccak-f[1600].

#include "crypto/bytes.hpp"

namespace tally::crypto {

Hash256 keccak256(BytesView data);

// Incremental form for hashing data that arrives in pieces.
class Keccak256 {
 public:
  Keccak256();
  void update(BytesView data);
  Hash256 finish();  // the object must not be used again afterwards

 private:
  std::uint64_t state_[25];
  std::size_t offset_ = 0;  // bytes absorbed into the current block
};

}  // namespace tally::crypto
