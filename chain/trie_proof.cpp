// Merkle proof verification: walks the key's path from the root through the
// proof's nodes, each looked up by its keccak256, so a node that was altered
// or left out breaks the chain of hashes and the proof is refused.

#include <string>
#include <unordered_map>

#include "chain/trie.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {

Result<std::optional<Bytes>> verify_proof(const Hash256& root, BytesView key, const std::vector<Bytes>& proof) {
  using Found = std::optional<Bytes>;
  if (root == empty_trie_root()) return Found{};  // nothing is in an empty trie

  std::unordered_map<Hash256, BytesView, FixedBytesHasher, FixedBytesEqual> by_hash;
  by_hash.reserve(proof.size());
  for (const Bytes& node : proof) by_hash.emplace(crypto::keccak256(node), node);

  const trie::Nibbles nibbles = trie::to_nibbles(key);
  trie::NibblesView rest(nibbles);
  Hash256 wanted = root;
  bool want_branch = false;
  // Every node visited consumes at least one nibble, so the walk ends.
  for (;;) {
    const auto it = by_hash.find(wanted);
    if (it == by_hash.end()) return fail("proof: node 0x" + to_hex(wanted) + " is missing");
    BytesView encoded = it->second;
    if (wanted != root && encoded.size() < trie::kHashedNodeMin) {
      return fail("proof: node 0x" + to_hex(wanted) + " is under 32 bytes but referenced by hash");
    }
    for (;;) {  // this node and the nodes embedded in it
      auto node = trie::parse_node(encoded);
      if (!node) return fail("proof: " + node.error().message);
      if (want_branch && node->kind != trie::NodeKind::branch) {
        return fail("proof: an extension points to a node that is not a branch");
      }
      trie::ChildRef next;
      switch (node->kind) {
        case trie::NodeKind::leaf:
          if (std::equal(rest.begin(), rest.end(), node->path.begin(), node->path.end())) {
            return Found{to_bytes(node->value)};
          }
          return Found{};
        case trie::NodeKind::extension:
          if (!trie::starts_with(rest, node->path)) return Found{};
          rest = rest.subspan(node->path.size());
          next = node->children[0];
          want_branch = true;
          break;
        case trie::NodeKind::branch:
          if (rest.empty()) return node->value.empty() ? Found{} : Found{to_bytes(node->value)};
          next = node->children[rest[0]];
          rest = rest.subspan(1);
          want_branch = false;
          break;
      }
      if (next.kind == trie::RefKind::none) return Found{};
      if (next.kind == trie::RefKind::hash) {
        wanted = next.hash();
        break;
      }
      encoded = next.bytes;
    }
  }
}

}  // namespace tally::chain
