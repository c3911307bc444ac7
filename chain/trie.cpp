#include "chain/trie.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "chain/rlp.hpp"
#include "chain/trie_internal.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {

using trie::Nibbles;
using trie::NibblesView;

const Hash256& empty_trie_root() {
  static const Hash256 root = crypto::keccak256(Bytes{0x80});
  return root;
}

namespace {

using detail::NodePtr;
using Kind = TrieNode::Kind;
using detail::build;
using detail::encode_node;
using detail::hash_node;
using detail::make_stub;
using detail::unreachable_stub;

std::ptrdiff_t signed_size(std::size_t n) {
  return static_cast<std::ptrdiff_t>(n);
}

bool same(NibblesView a, NibblesView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

NodePtr make_leaf(NibblesView path, BytesView value) {
  auto node = std::make_unique<TrieNode>();
  node->kind = Kind::leaf;
  node->dirty = true;
  node->path.assign(path.begin(), path.end());
  node->value.assign(value.begin(), value.end());
  return node;
}

NodePtr make_branch() {
  auto node = std::make_unique<TrieNode>();
  node->kind = Kind::branch;
  node->dirty = true;
  return node;
}

NodePtr make_extension(NibblesView path, NodePtr child) {
  auto node = std::make_unique<TrieNode>();
  node->kind = Kind::extension;
  node->dirty = true;
  node->path.assign(path.begin(), path.end());
  node->children[0] = std::move(child);
  return node;
}

std::string node_name(const Hash256& hash) {
  return "state trie node 0x" + to_hex(hash);
}

}  // namespace

// ------------------------------------------------------------------ Trie

Trie::Trie() : committed_root_(empty_trie_root()) {}

Trie::Trie(const NodeStore& store, const Hash256& root) : store_(&store), committed_root_(root) {
  if (root != empty_trie_root()) root_ = make_stub(root);
}

Trie::~Trie() = default;
Trie::Trie(Trie&&) noexcept = default;
Trie& Trie::operator=(Trie&&) noexcept = default;

TrieNode& Trie::resolve(NodePtr& slot, Expect expect) const {
  if (slot->kind != Kind::stub) return *slot;
  const Hash256 hash = slot->hash();
  if (store_ == nullptr) throw StateCorruption(node_name(hash) + " is needed but the trie has no node store");
  ++nodes_loaded_;
  const std::optional<Bytes> bytes = store_->get_node(hash);
  if (!bytes) throw StateCorruption(node_name(hash) + " is missing from the node store");
  if (!store_->nodes_are_checked() && crypto::keccak256(*bytes) != hash) {
    throw StateCorruption(node_name(hash) + " is corrupt: its stored bytes do not hash to it");
  }
  if (expect != Expect::root && bytes->size() < trie::kHashedNodeMin) {
    throw StateCorruption(node_name(hash) + " is malformed: a node under 32 bytes referenced by hash");
  }
  auto node = build(*bytes);
  if (!node) throw StateCorruption(node_name(hash) + " is malformed: " + node.error().message);
  if (expect == Expect::branch && (*node)->kind != Kind::branch) {
    throw StateCorruption(node_name(hash) + " is malformed: an extension points to it but it is not a branch");
  }
  if (bytes->size() < trie::kHashedNodeMin) {
    (*node)->set_ref(*bytes);
  } else {
    (*node)->set_hash(hash);
  }
  slot = std::move(*node);
  nodes_made_ += 1 + static_cast<std::uint64_t>(std::count_if(slot->children.begin(), slot->children.end(),
                                                              [](const auto& c) { return c != nullptr; }));
  return *slot;
}

std::optional<Bytes> Trie::get(BytesView key) const {
  const Nibbles nibbles = trie::to_nibbles(key);
  NibblesView rest(nibbles);
  NodePtr* slot = &root_;
  Expect expect = Expect::root;
  while (*slot) {
    TrieNode& node = resolve(*slot, expect);
    expect = Expect::any;
    switch (node.kind) {
      case Kind::leaf:
        if (same(node.path, rest)) return node.value;
        return std::nullopt;
      case Kind::extension:
        if (!trie::starts_with(rest, node.path)) return std::nullopt;
        rest = rest.subspan(node.path.size());
        slot = &node.children[0];
        expect = Expect::branch;
        break;
      case Kind::branch:
        if (rest.empty()) {
          if (node.value.empty()) return std::nullopt;
          return node.value;
        }
        slot = &node.children[rest[0]];
        rest = rest.subspan(1);
        break;
      case Kind::stub:
        unreachable_stub();
    }
  }
  return std::nullopt;
}

void Trie::put(BytesView key, BytesView value) {
  if (value.empty()) {
    erase(key);
    return;
  }
  const Nibbles nibbles = trie::to_nibbles(key);
  if (root_) resolve(root_, Expect::root);
  insert(root_, nibbles, value);
}

bool Trie::erase(BytesView key) {
  if (!root_) return false;
  const Nibbles nibbles = trie::to_nibbles(key);
  resolve(root_, Expect::root);
  return remove(root_, nibbles);
}

bool Trie::insert(NodePtr& slot, NibblesView key, BytesView value) {
  if (!slot) {
    slot = make_leaf(key, value);
    ++nodes_made_;
    return true;
  }
  TrieNode& node = resolve(slot, Expect::any);
  if (node.kind == Kind::branch) {
    if (key.empty()) {
      if (same(node.value, value)) return false;
      node.value.assign(value.begin(), value.end());
    } else if (!insert(node.children[key[0]], key.subspan(1), value)) {
      return false;
    }
    node.touch();
    return true;
  }
  const std::size_t cp = trie::common_prefix(node.path, key);
  if (node.kind == Kind::leaf && cp == node.path.size() && cp == key.size()) {
    if (same(node.value, value)) return false;
    node.value.assign(value.begin(), value.end());
    node.touch();
    return true;
  }
  if (node.kind == Kind::extension && cp == node.path.size()) {
    resolve(node.children[0], Expect::branch);
    if (!insert(node.children[0], key.subspan(cp), value)) return false;
    node.touch();
    return true;
  }
  // The paths part at nibble cp (or one of them ends there): a branch there.
  NodePtr branch = make_branch();
  NodePtr old = std::move(slot);  // `node` lives on in `old`
  if (cp == node.path.size()) {
    branch->value = std::move(node.value);  // a leaf whose key ends at the branch
  } else {
    const std::uint8_t nibble = node.path[cp];
    if (node.kind == Kind::extension && cp + 1 == node.path.size()) {
      branch->children[nibble] = std::move(node.children[0]);
    } else {
      node.path.erase(node.path.begin(), node.path.begin() + signed_size(cp + 1));
      node.touch();
      branch->children[nibble] = std::move(old);
    }
  }
  if (cp == key.size()) {
    branch->value.assign(value.begin(), value.end());
  } else {
    branch->children[key[cp]] = make_leaf(key.subspan(cp + 1), value);
  }
  slot = cp == 0 ? std::move(branch) : make_extension(key.first(cp), std::move(branch));
  nodes_made_ += 3;  // at most a branch, a leaf and an extension
  return true;
}

bool Trie::remove(NodePtr& slot, NibblesView key) {
  if (!slot) return false;
  TrieNode& node = resolve(slot, Expect::any);
  switch (node.kind) {
    case Kind::leaf:
      if (!same(node.path, key)) return false;
      slot.reset();
      return true;
    case Kind::extension: {
      if (!trie::starts_with(key, node.path)) return false;
      resolve(node.children[0], Expect::branch);
      if (!remove(node.children[0], key.subspan(node.path.size()))) return false;
      if (!node.children[0]) {  // cannot happen in a well-formed trie
        slot.reset();
        return true;
      }
      TrieNode& child = *node.children[0];
      if (child.kind == Kind::branch) {
        node.touch();
        return true;
      }
      // The branch below collapsed into a leaf or an extension: merge paths.
      child.path.insert(child.path.begin(), node.path.begin(), node.path.end());
      child.touch();
      NodePtr merged = std::move(node.children[0]);
      slot = std::move(merged);
      return true;
    }
    case Kind::branch:
      if (key.empty()) {
        if (node.value.empty()) return false;
        node.value.clear();
      } else if (!remove(node.children[key[0]], key.subspan(1))) {
        return false;
      }
      node.touch();
      collapse(slot);
      return true;
    case Kind::stub:
      unreachable_stub();
  }
  return false;
}

// A branch left with fewer than two entries becomes a leaf or an extension.
void Trie::collapse(NodePtr& slot) {
  TrieNode& node = *slot;
  std::size_t count = 0;
  std::size_t last = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (node.children[i]) {
      ++count;
      last = i;
    }
  }
  const std::size_t entries = count + (node.value.empty() ? 0 : 1);
  if (entries >= 2) return;
  if (entries == 0) {
    slot.reset();
    return;
  }
  if (count == 0) {
    const Bytes value = std::move(node.value);
    slot = make_leaf({}, value);
    return;
  }
  TrieNode& child = resolve(node.children[last], Expect::any);
  const auto nibble = static_cast<std::uint8_t>(last);
  if (child.kind == Kind::branch) {
    NodePtr only = std::move(node.children[last]);
    slot = make_extension(NibblesView(&nibble, 1), std::move(only));
    return;
  }
  child.path.insert(child.path.begin(), nibble);
  child.touch();
  NodePtr only = std::move(node.children[last]);
  slot = std::move(only);
}

Hash256 Trie::root_hash() const {
  if (!root_) return empty_trie_root();
  hash_node(*root_);
  if (root_->hashed()) return root_->hash();
  return crypto::keccak256(root_->ref_view());
}

Hash256 Trie::commit(NodeBatch& out) {
  const Hash256 root = root_hash();
  if (root_) {
    const bool was_dirty = root_->dirty;
    collect(*root_, out, true);
    // A clean root under 32 bytes (e.g. a node that was embedded until the
    // rest of the trie was erased) has never been stored by its own hash.
    if (!was_dirty && root != committed_root_ && !root_->hashed()) out.emplace_back(root, encode_node(*root_));
  }
  committed_root_ = root;
  return root;
}

void Trie::collect(TrieNode& node, NodeBatch& out, bool is_root) {
  if (!node.dirty) return;
  for (auto& child : node.children) {
    if (child) collect(*child, out, false);
  }
  if (node.hashed()) {
    out.emplace_back(node.hash(), node.rlp.empty() ? encode_node(node) : std::move(node.rlp));
    Bytes().swap(node.rlp);
  } else if (is_root) {
    Bytes encoded = encode_node(node);
    out.emplace_back(crypto::keccak256(encoded), std::move(encoded));
  }
  node.dirty = false;
}

std::vector<Bytes> Trie::prove(BytesView key) const {
  root_hash();  // every ref up to date, so nodes encode as they would be stored
  std::vector<Bytes> proof;
  const Nibbles nibbles = trie::to_nibbles(key);
  NibblesView rest(nibbles);
  NodePtr* slot = &root_;
  Expect expect = Expect::root;
  while (*slot) {
    TrieNode& node = resolve(*slot, expect);
    if (expect == Expect::root || node.hashed()) proof.push_back(encode_node(node));
    expect = Expect::any;
    switch (node.kind) {
      case Kind::leaf:
        return proof;
      case Kind::extension:
        if (!trie::starts_with(rest, node.path)) return proof;
        rest = rest.subspan(node.path.size());
        slot = &node.children[0];
        expect = Expect::branch;
        break;
      case Kind::branch:
        if (rest.empty()) return proof;
        slot = &node.children[rest[0]];
        rest = rest.subspan(1);
        break;
      case Kind::stub:
        unreachable_stub();
    }
  }
  return proof;
}

void Trie::visit(const std::function<void(BytesView, BytesView)>& fn) const {
  if (!root_) return;
  Nibbles prefix;
  visit_node(root_, prefix, fn, Expect::root);
}

void Trie::visit_node(NodePtr& slot, Nibbles& prefix, const std::function<void(BytesView, BytesView)>& fn,
                      Expect expect) const {
  TrieNode& node = resolve(slot, expect);
  const std::size_t mark = prefix.size();
  const auto emit = [&](const Bytes& value) {
    if (prefix.size() % 2 != 0) {
      throw StateCorruption("state trie is malformed: a value at an odd nibble depth (key is not whole bytes)");
    }
    Bytes key(prefix.size() / 2);
    for (std::size_t i = 0; i < key.size(); ++i) {
      key[i] = static_cast<std::uint8_t>((static_cast<unsigned>(prefix[2 * i]) << 4U) | prefix[2 * i + 1]);
    }
    fn(key, value);
  };
  switch (node.kind) {
    case Kind::leaf:
      prefix.insert(prefix.end(), node.path.begin(), node.path.end());
      emit(node.value);
      break;
    case Kind::extension:
      prefix.insert(prefix.end(), node.path.begin(), node.path.end());
      visit_node(node.children[0], prefix, fn, Expect::branch);
      break;
    case Kind::branch:
      if (!node.value.empty()) emit(node.value);
      for (std::size_t i = 0; i < 16; ++i) {
        if (!node.children[i]) continue;
        prefix.push_back(static_cast<std::uint8_t>(i));
        visit_node(node.children[i], prefix, fn, Expect::any);
        prefix.pop_back();
      }
      break;
    case Kind::stub:
      unreachable_stub();
  }
  prefix.resize(mark);
}

// ------------------------------------------------------------ SecureTrie

std::optional<Bytes> SecureTrie::get(BytesView key) const {
  return trie_.get(crypto::keccak256(key));
}
void SecureTrie::put(BytesView key, BytesView value) {
  trie_.put(crypto::keccak256(key), value);
}
bool SecureTrie::erase(BytesView key) {
  return trie_.erase(crypto::keccak256(key));
}
std::vector<Bytes> SecureTrie::prove(BytesView key) const {
  return trie_.prove(crypto::keccak256(key));
}

}  // namespace tally::chain
