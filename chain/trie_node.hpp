#pragma once
// Merkle-Patricia trie nodes as Ethereum encodes them (yellow paper,
// appendix D). A key is walked as nibbles (half-bytes, high first). A node is
// the RLP of one of:
//   leaf       [hex_prefix(path, leaf=true),  value]
//   extension  [hex_prefix(path, leaf=false), child]        (child: a branch)
//   branch     [child_0, ..., child_15, value]                (value "" = none)
// A child reference is the empty string (no child), the 32-byte keccak256 of
// the child's RLP, or, when that RLP is shorter than 32 bytes, the child
// node itself, embedded in place.
//
// Node bytes come from disk or from a peer's proof, so parse_node is strict:
// it accepts exactly the canonical encoding of a well-formed node (canonical
// RLP, valid hex-prefix flags, no empty leaf value, no empty extension path,
// a branch with at least two entries, hash references of exactly 32 bytes,
// embedded children shorter than 32 bytes) and refuses anything else with an
// Error, never reading out of bounds. So encode(parse(b)) == b for every
// accepted b.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::chain::trie {

// A path of nibbles, each 0..15.
using Nibbles = std::vector<std::uint8_t>;
using NibblesView = std::span<const std::uint8_t>;

// The nibbles of a key, high nibble of each byte first.
Nibbles to_nibbles(BytesView key);

// Hex-prefix ("compact") encoding of a path with its leaf flag.
Bytes hex_prefix_encode(NibblesView path, bool leaf);

struct HexPrefixPath {
  Nibbles path;
  bool leaf = false;
};
// Strict: refuses an empty string, a flag nibble above 3, and a non-zero
// padding nibble when the path has an even length.
Result<HexPrefixPath> hex_prefix_decode(BytesView encoded);

// Length of the longest common prefix of two paths.
std::size_t common_prefix(NibblesView a, NibblesView b) noexcept;
bool starts_with(NibblesView path, NibblesView prefix) noexcept;

// A node whose RLP is shorter than this is embedded in its parent.
inline constexpr std::size_t kHashedNodeMin = 32;

// A node's reference as its parent embeds it: its RLP when shorter than
// kHashedNodeMin, else 0xa0 || keccak256(RLP) (the RLP string of its hash).
// Writes it to the front of `ref` and returns its length.
std::uint8_t write_node_ref(BytesView encoded, std::array<std::uint8_t, 33>& ref);

enum class RefKind : std::uint8_t { none, hash, embedded };

// A child reference inside a parsed node (a view into the node's bytes).
struct ChildRef {
  RefKind kind = RefKind::none;
  BytesView bytes;  // hash: the 32 bytes; embedded: the child node's RLP

  Hash256 hash() const;  // only for kind == hash
};

enum class NodeKind : std::uint8_t { leaf, extension, branch };

// A node parsed from its RLP; views point into the parsed bytes.
struct NodeView {
  NodeKind kind = NodeKind::leaf;
  Nibbles path;                       // leaf, extension
  BytesView value;                    // leaf (never empty); branch (empty: none)
  std::array<ChildRef, 16> children;  // branch; an extension's child is children[0]
};

// Parses one node (see the rules above). Embedded children are checked for
// shape (a list under 32 bytes) but parsed only when the caller walks into
// them, with parse_node again.
Result<NodeView> parse_node(BytesView encoded);

}  // namespace tally::chain::trie
