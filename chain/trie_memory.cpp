// The in-memory trie node: built from a stored node's bytes, encoded and
// hashed back.

#include <stdexcept>

#include "chain/rlp.hpp"
#include "chain/trie_internal.hpp"

namespace tally::chain::detail {

using Kind = TrieNode::Kind;

namespace {

Result<void> build_child(const trie::ChildRef& ref, NodePtr& slot) {
  switch (ref.kind) {
    case trie::RefKind::none:
      return {};
    case trie::RefKind::hash:
      slot = make_stub(ref.hash());
      return {};
    case trie::RefKind::embedded: {
      auto child = build(ref.bytes);
      if (!child) return Unexpected{child.error()};
      (*child)->set_ref(ref.bytes);
      slot = std::move(*child);
      return {};
    }
  }
  return fail("trie node: unknown child reference");
}

}  // namespace

NodePtr make_stub(const Hash256& hash) {
  auto node = std::make_unique<TrieNode>();
  node->kind = Kind::stub;
  node->set_hash(hash);
  return node;
}

[[noreturn]] void unreachable_stub() {
  throw std::logic_error("trie: an unresolved node reached the walk");
}

Result<NodePtr> build(BytesView encoded) {
  auto view = trie::parse_node(encoded);
  if (!view) return Unexpected{view.error()};
  auto node = std::make_unique<TrieNode>();
  node->path = std::move(view->path);
  node->value.assign(view->value.begin(), view->value.end());
  switch (view->kind) {
    case trie::NodeKind::leaf:
      node->kind = Kind::leaf;
      break;
    case trie::NodeKind::extension: {
      node->kind = Kind::extension;
      auto child = build_child(view->children[0], node->children[0]);
      if (!child) return Unexpected{child.error()};
      if (node->children[0]->kind != Kind::stub && node->children[0]->kind != Kind::branch) {
        return fail("trie node: an extension whose child is not a branch");
      }
      break;
    }
    case trie::NodeKind::branch:
      node->kind = Kind::branch;
      for (std::size_t i = 0; i < 16; ++i) {
        auto child = build_child(view->children[i], node->children[i]);
        if (!child) return Unexpected{child.error()};
      }
      break;
  }
  return node;
}

Bytes encode_node(const TrieNode& node) {
  Bytes path;
  std::size_t payload = 0;
  switch (node.kind) {
    case Kind::leaf:
      path = trie::hex_prefix_encode(node.path, true);
      payload = rlp::length_of_string(path) + rlp::length_of_string(node.value);
      break;
    case Kind::extension:
      path = trie::hex_prefix_encode(node.path, false);
      payload = rlp::length_of_string(path) + node.children[0]->ref_len;
      break;
    case Kind::branch:
      for (const auto& child : node.children) payload += child ? std::size_t{child->ref_len} : std::size_t{1};
      payload += rlp::length_of_string(node.value);
      break;
    case Kind::stub:
      unreachable_stub();
  }
  Bytes out;
  out.reserve(rlp::length_of_header(payload) + payload);
  rlp::Encoder enc(out);
  enc.list_header(payload);
  if (node.kind == Kind::branch) {
    for (const auto& child : node.children) {
      if (child) {
        enc.raw(child->ref_view());
      } else {
        enc.string({});
      }
    }
    enc.string(node.value);
  } else {
    enc.string(path);
    if (node.kind == Kind::leaf) {
      enc.string(node.value);
    } else {
      enc.raw(node.children[0]->ref_view());
    }
  }
  return out;
}

void hash_node(TrieNode& node) {
  if (node.ref_len != 0) return;
  for (auto& child : node.children) {
    if (child) hash_node(*child);
  }
  Bytes encoded = encode_node(node);
  node.set_ref(encoded);
  if (node.dirty && node.hashed()) node.rlp = std::move(encoded);
}

}  // namespace tally::chain::detail
