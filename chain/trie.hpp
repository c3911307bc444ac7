#pragma once
// Ethereum's Merkle-Patricia trie (yellow paper, appendix D; node format in
// chain/trie_node.hpp), so roots, proofs and node bytes match geth's.
//
// A Trie opened at a root reads nodes from its NodeStore lazily: only the
// nodes on the paths it touches are loaded (each checked against its hash and
// parsed strictly), then cached in memory. Writes change the in-memory tree;
// each node caches its reference (hash or embedded RLP), and a change
// invalidates only the nodes on its path, so root_hash() after k updates
// hashes O(k log N) nodes. commit() hands back the nodes created or changed
// since the last commit (the root always by hash, even when its RLP is under
// 32 bytes, so the trie can be reopened at its root).
//
// A node missing from the store, not matching its hash, or malformed throws
// StateCorruption naming the node's hash. After that exception the Trie
// object may be half-updated and must be discarded; the store is untouched.
//
// Reads (get, root_hash, prove) are const but fill caches: a Trie is not safe
// for concurrent use, even for reads. Open one Trie per thread at a root
// instead; the NodeStore must outlive the Trie and be safe to read.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "chain/node_store.hpp"
#include "chain/state.hpp"
#include "chain/trie_node.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::chain {

struct TrieNode;  // the in-memory node (trie.cpp)

class Trie {
 public:
  // An empty trie with no store: everything stays in memory.
  Trie();
  // The trie whose root is `root` in `store` (empty_trie_root() opens an
  // empty trie). Nothing is read until a key is.
  Trie(const NodeStore& store, const Hash256& root);
  ~Trie();
  Trie(Trie&&) noexcept;
  Trie& operator=(Trie&&) noexcept;
  Trie(const Trie&) = delete;
  Trie& operator=(const Trie&) = delete;

  // The value at `key`, or nothing.
  std::optional<Bytes> get(BytesView key) const;
  // Sets `key` to `value`; an empty value erases the key (as Ethereum does).
  void put(BytesView key, BytesView value);
  // Removes `key`; returns whether it was present.
  bool erase(BytesView key);

  bool empty() const noexcept { return root_ == nullptr; }
  // Root including pending changes; empty_trie_root() for an empty trie.
  Hash256 root_hash() const;
  // Appends the nodes created or changed since the last commit (or since the
  // trie was opened) to `out` as (keccak256(rlp), rlp); returns the root.
  Hash256 commit(NodeBatch& out);

  // A Merkle proof for `key`: the RLP of every node on the key's path that
  // is referenced by hash, root first (geth's eth_getProof format). It
  // proves the value, or the absence of the key.
  std::vector<Bytes> prove(BytesView key) const;

  // Calls `fn(key, value)` for every entry in key order, loading every node.
  void visit(const std::function<void(BytesView key, BytesView value)>& fn) const;

  // Nodes read from the store so far (for tests and metrics).
  std::uint64_t nodes_loaded() const noexcept { return nodes_loaded_; }
  // In-memory nodes made so far: loaded ones with the stubs standing for
  // their children, and new ones. Nodes freed are not subtracted, so it
  // bounds how many the trie holds.
  std::uint64_t nodes_made() const noexcept { return nodes_made_; }
  // The root of the last commit (the opening root before the first).
  const Hash256& committed_root() const noexcept { return committed_root_; }

 private:
  using NodePtr = std::unique_ptr<TrieNode>;
  enum class Expect : std::uint8_t { any, root, branch };

  TrieNode& resolve(NodePtr& slot, Expect expect) const;
  bool insert(NodePtr& slot, trie::NibblesView key, BytesView value);
  bool remove(NodePtr& slot, trie::NibblesView key);
  void collapse(NodePtr& slot);
  void collect(TrieNode& node, NodeBatch& out, bool is_root);
  void visit_node(NodePtr& slot, trie::Nibbles& prefix, const std::function<void(BytesView, BytesView)>& fn,
                  Expect expect) const;

  const NodeStore* store_ = nullptr;
  mutable NodePtr root_;
  Hash256 committed_root_{};
  mutable std::uint64_t nodes_loaded_ = 0;
  mutable std::uint64_t nodes_made_ = 0;
};

// The trie of account state: every key is replaced by keccak256(key), which
// bounds paths at 64 nibbles and keeps the trie balanced whatever the keys.
class SecureTrie {
 public:
  SecureTrie() = default;
  SecureTrie(const NodeStore& store, const Hash256& root) : trie_(store, root) {}

  std::optional<Bytes> get(BytesView key) const;
  void put(BytesView key, BytesView value);
  bool erase(BytesView key);
  bool empty() const noexcept { return trie_.empty(); }
  Hash256 root_hash() const { return trie_.root_hash(); }
  Hash256 commit(NodeBatch& out) { return trie_.commit(out); }
  // The proof is for keccak256(key): check it with
  // verify_proof(root, keccak256(key), proof).
  std::vector<Bytes> prove(BytesView key) const;
  // Visits (keccak256(key), value) pairs: the preimages are not stored.
  void visit(const std::function<void(BytesView hashed_key, BytesView value)>& fn) const { trie_.visit(fn); }

  const Trie& plain() const noexcept { return trie_; }

 private:
  Trie trie_;
};

// Checks a proof from Trie::prove against `root`. Returns the value proven
// for `key`, or nothing if the proof shows the key is absent; an Error if the
// proof is incomplete, tampered with or malformed.
Result<std::optional<Bytes>> verify_proof(const Hash256& root, BytesView key, const std::vector<Bytes>& proof);

// The root of the trie mapping rlp(i) to items[i]: Ethereum's
// transactionsRoot and receiptsRoot (items are the encoded transactions or
// receipts, so never empty). Built without a Trie (ordered_trie.cpp).
Hash256 ordered_trie_root(const std::vector<Bytes>& items);

}  // namespace tally::chain
