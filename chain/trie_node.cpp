#include "chain/trie_node.hpp"

#include <algorithm>
#include <string>

#include "chain/rlp.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain::trie {

Nibbles to_nibbles(BytesView key) {
  Nibbles out;
  out.reserve(key.size() * 2);
  for (const std::uint8_t b : key) {
    out.push_back(static_cast<std::uint8_t>(b >> 4U));
    out.push_back(static_cast<std::uint8_t>(b & 0x0FU));
  }
  return out;
}

Bytes hex_prefix_encode(NibblesView path, bool leaf) {
  const bool odd = path.size() % 2 == 1;
  const unsigned flag = (leaf ? 2U : 0U) + (odd ? 1U : 0U);
  Bytes out;
  out.reserve(path.size() / 2 + 1);
  std::size_t i = 0;
  if (odd) {
    out.push_back(static_cast<std::uint8_t>((flag << 4U) | path[0]));
    i = 1;
  } else {
    out.push_back(static_cast<std::uint8_t>(flag << 4U));
  }
  for (; i + 1 < path.size(); i += 2) {  // what is left has an even length
    out.push_back(static_cast<std::uint8_t>((static_cast<unsigned>(path[i]) << 4U) | path[i + 1]));
  }
  return out;
}

Result<HexPrefixPath> hex_prefix_decode(BytesView encoded) {
  if (encoded.empty()) return fail("trie node: empty hex-prefix path");
  const unsigned flag = static_cast<unsigned>(encoded[0]) >> 4U;
  if (flag > 3) return fail("trie node: hex-prefix flag " + std::to_string(flag) + " (expected 0 to 3)");
  const bool odd = (flag & 1U) != 0;
  if (!odd && (encoded[0] & 0x0FU) != 0) return fail("trie node: non-zero padding nibble in an even hex-prefix path");
  HexPrefixPath out;
  out.leaf = (flag & 2U) != 0;
  out.path.reserve(encoded.size() * 2);
  if (odd) out.path.push_back(static_cast<std::uint8_t>(encoded[0] & 0x0FU));
  for (const std::uint8_t b : encoded.subspan(1)) {
    out.path.push_back(static_cast<std::uint8_t>(b >> 4U));
    out.path.push_back(static_cast<std::uint8_t>(b & 0x0FU));
  }
  return out;
}

std::size_t common_prefix(NibblesView a, NibblesView b) noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

bool starts_with(NibblesView path, NibblesView prefix) noexcept {
  return prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

Hash256 ChildRef::hash() const {
  Hash256 out{};
  if (bytes.size() == out.size()) std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

namespace {

Result<ChildRef> parse_child(const rlp::Item& item) {
  if (item.is_list()) {
    if (item.encoded.size() >= kHashedNodeMin) {
      return fail("trie node: an embedded child of " + std::to_string(item.encoded.size()) +
                  " bytes (embedded nodes must be under 32 bytes)");
    }
    return ChildRef{RefKind::embedded, item.encoded};
  }
  if (item.payload.empty()) return ChildRef{RefKind::none, {}};
  if (item.payload.size() != 32) {
    return fail("trie node: a child reference of " + std::to_string(item.payload.size()) +
                " bytes (expected a 32-byte hash)");
  }
  return ChildRef{RefKind::hash, item.payload};
}

Result<NodeView> parse_short(rlp::ListReader& reader) {
  auto path_item = reader.next();
  if (!path_item) return Unexpected{path_item.error()};
  auto path_bytes = rlp::read_bytes(*path_item);
  if (!path_bytes) return fail("trie node: the path is not a string");
  auto path = hex_prefix_decode(*path_bytes);
  if (!path) return Unexpected{path.error()};
  auto second = reader.next();
  if (!second) return Unexpected{second.error()};

  NodeView node;
  node.path = std::move(path->path);
  if (path->leaf) {
    node.kind = NodeKind::leaf;
    auto value = rlp::read_bytes(*second);
    if (!value) return fail("trie node: a leaf value that is not a string");
    if (value->empty()) return fail("trie node: a leaf with an empty value");
    node.value = *value;
    return node;
  }
  node.kind = NodeKind::extension;
  if (node.path.empty()) return fail("trie node: an extension with an empty path");
  auto child = parse_child(*second);
  if (!child) return Unexpected{child.error()};
  if (child->kind == RefKind::none) return fail("trie node: an extension without a child");
  node.children[0] = *child;
  return node;
}

Result<NodeView> parse_branch(rlp::ListReader& reader) {
  NodeView node;
  node.kind = NodeKind::branch;
  std::size_t entries = 0;
  for (auto& slot : node.children) {
    auto item = reader.next();
    if (!item) return Unexpected{item.error()};
    auto child = parse_child(*item);
    if (!child) return Unexpected{child.error()};
    slot = *child;
    if (slot.kind != RefKind::none) ++entries;
  }
  auto value_item = reader.next();
  if (!value_item) return Unexpected{value_item.error()};
  auto value = rlp::read_bytes(*value_item);
  if (!value) return fail("trie node: a branch value that is not a string");
  node.value = *value;
  if (!value->empty()) ++entries;
  if (entries < 2) {
    return fail("trie node: a branch with " + std::to_string(entries) + " entries (a branch holds at least two)");
  }
  return node;
}

}  // namespace

Result<NodeView> parse_node(BytesView encoded) {
  auto item = rlp::decode(encoded);
  if (!item) return fail("trie node: " + item.error().message);
  if (!item->is_list()) return fail("trie node: not an RLP list");
  rlp::ListReader reader(item->payload);
  auto count = reader.count();
  if (!count) return fail("trie node: " + count.error().message);
  if (*count == 2) return parse_short(reader);
  if (*count == 17) return parse_branch(reader);
  return fail("trie node: a list of " + std::to_string(*count) + " items (expected 2 or 17)");
}

std::uint8_t write_node_ref(BytesView encoded, std::array<std::uint8_t, 33>& ref) {
  if (encoded.size() < kHashedNodeMin) {
    std::copy(encoded.begin(), encoded.end(), ref.begin());
    return static_cast<std::uint8_t>(encoded.size());
  }
  const Hash256 hash = crypto::keccak256(encoded);
  ref[0] = 0xa0;
  std::copy(hash.begin(), hash.end(), ref.begin() + 1);
  return static_cast<std::uint8_t>(ref.size());
}

}  // namespace tally::chain::trie
