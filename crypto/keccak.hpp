#pragma once
// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not the
// NIST SHA3-256 padding 0x06). OpenSSL 3.0 offers only SHA3, so this is
// implemented here over Keccak-f[1600].

#include <cstdint>

#include "crypto/bytes.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#define TALLY_KECCAK_HAS_X86_64_V3 1
#else
#define TALLY_KECCAK_HAS_X86_64_V3 0
#endif

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

// Keccak-f[1600] on 25 lanes (index x + 5y), in place. keccak256() picks the
// fastest build this CPU runs; both are here so tests can compare them.
void keccak_f1600_portable(std::uint64_t* state);
#if TALLY_KECCAK_HAS_X86_64_V3
void keccak_f1600_x86_64_v3(std::uint64_t* state);  // only where cpu_has_x86_64_v3()
bool cpu_has_x86_64_v3();
#endif

}  // namespace tally::crypto
