#pragma once
// The PBFT block seal.
//
// A PBFT block header's seal is two RLP items: [view, signature], where view
// is the view in which the block was first proposed (a canonical RLP
// integer) and signature the proposer's 65-byte recoverable signature
// (r || s || v, v = 0 or 1) over
//   keccak256(rlp(["tally-pbft-seal-v1", chain_id, genesis_hash, view,
//                  keccak256(rlp(header without its seal))]))
// The proposer must be the primary of (number, view). A block re-proposed in
// a later view keeps its seal (and so its hash). The genesis header keeps
// the seal parse_genesis writes, [config commitment], and is never checked.

#include <cstdint>

#include "chain/block.hpp"
#include "consensus/pbft/validators.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::consensus::pbft {

inline constexpr std::size_t kSealItems = 2;  // [view, signature]

struct PbftSeal {
  std::uint64_t view = 0;
  crypto::Signature signature{};
  bool operator==(const PbftSeal&) const = default;
};

// The digest the proposer signs (the header's current seal is ignored).
Hash256 seal_digest(const Domain& domain, const chain::Header& header, std::uint64_t view);
// Replaces the header's seal with [view, signature by key].
void seal_header(chain::Header& header, std::uint64_t view, const Domain& domain, const crypto::PrivateKey& key);
// The two seal items; refuses any other shape.
Result<PbftSeal> read_seal(const chain::Header& header);
// The address that signed the seal.
Result<Address> seal_proposer(const chain::Header& header, const Domain& domain);

}  // namespace tally::consensus::pbft
