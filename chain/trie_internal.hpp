#pragma once
// Internal to the trie (trie.cpp, trie_memory.cpp): the in-memory node and
// its conversions from and to the node encoding of chain/trie_node.hpp.

#include <array>
#include <cstdint>
#include <memory>

#include "chain/trie_node.hpp"
#include "crypto/bytes.hpp"
#include "crypto/keccak.hpp"
#include "crypto/result.hpp"

namespace tally::chain {

// The in-memory form of a node. A stub stands for a node that is still only
// in the store (known by hash); resolve() replaces it by the loaded node.
struct TrieNode {
  enum class Kind : std::uint8_t { stub, leaf, extension, branch };

  Kind kind = Kind::leaf;
  // Created or changed since the last commit (so not in the store yet).
  bool dirty = false;
  // The node's reference as its parent embeds it: its RLP when under 32
  // bytes, else 0xa0 || keccak256(RLP) (the RLP string of the hash).
  // ref_len == 0: not computed since the last change.
  std::uint8_t ref_len = 0;
  std::array<std::uint8_t, 33> ref{};
  trie::Nibbles path;                                  // leaf, extension
  Bytes value;                                         // leaf, branch (empty: none)
  std::array<std::unique_ptr<TrieNode>, 16> children;  // branch; extension: [0]
  // A dirty hashed node's RLP, kept from hashing it until commit stores it,
  // so a node is encoded once per change, not twice.
  Bytes rlp;

  bool hashed() const noexcept { return ref_len == ref.size(); }
  BytesView ref_view() const noexcept { return {ref.data(), ref_len}; }
  Hash256 hash() const noexcept {
    Hash256 h{};
    std::copy(ref.begin() + 1, ref.end(), h.begin());
    return h;
  }
  void set_hash(const Hash256& h) noexcept {
    ref[0] = 0xa0;
    std::copy(h.begin(), h.end(), ref.begin() + 1);
    ref_len = static_cast<std::uint8_t>(ref.size());
  }
  // Sets the reference from the node's encoding.
  void set_ref(BytesView encoded) { ref_len = trie::write_node_ref(encoded, ref); }
  void touch() noexcept {
    dirty = true;
    ref_len = 0;
    Bytes().swap(rlp);
  }
};

namespace detail {

using NodePtr = std::unique_ptr<TrieNode>;

// A stand-in for a node known only by its hash, loaded on first use.
NodePtr make_stub(const Hash256& hash);

[[noreturn]] void unreachable_stub();

// The in-memory form of a parsed node (strict, see trie::parse_node):
// embedded children are built too, children referenced by hash become stubs.
// The node is clean and its own ref is left for the caller to set.
Result<NodePtr> build(BytesView encoded);

// RLP of a node whose children all have their ref computed.
Bytes encode_node(const TrieNode& node);

// Computes the refs of `node` and of every node below it changed since it
// was last hashed (a clean subtree is not walked).
void hash_node(TrieNode& node);

}  // namespace detail
}  // namespace tally::chain
