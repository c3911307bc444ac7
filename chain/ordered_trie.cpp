// The root of the trie mapping rlp(i) to items[i], built bottom-up from the
// keys in sorted order without a Trie: every node is encoded and hashed
// once, straight from the slice of keys below it. A block's receipts root
// and transactions root are built this way for every block a validator
// checks or builds; the Trie it replaces split and allocated a node per
// insert and freed them all again, a quarter of the cost beside the hashing.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "chain/rlp.hpp"
#include "chain/trie.hpp"
#include "chain/trie_node.hpp"
#include "crypto/keccak.hpp"

namespace tally::chain {
namespace {

// rlp(i) as nibbles: at most 9 bytes (a 0x88 prefix and 8 bytes of i).
struct Key {
  std::array<std::uint8_t, 18> nibbles{};
  std::uint8_t size = 0;

  explicit Key(std::uint64_t index) {
    const Bytes encoded = rlp::encode_uint(index);
    for (const std::uint8_t byte : encoded) {
      nibbles[size++] = static_cast<std::uint8_t>(byte >> 4U);
      nibbles[size++] = static_cast<std::uint8_t>(byte & 0x0fU);
    }
  }
  trie::NibblesView view() const { return {nibbles.data(), size}; }
};

struct Entry {
  Key key;
  BytesView value;
};

// The indices in the byte order of their keys: rlp(1..127) are the single
// bytes 0x01..0x7f, rlp(0) is 0x80, and from 128 on rlp(i) is 0x80 + its
// length followed by i big-endian, so shorter ones first and each length in
// numeric order.
std::vector<Entry> sorted_entries(const std::vector<Bytes>& items) {
  std::vector<Entry> entries;
  entries.reserve(items.size());
  for (std::uint64_t i = 1; i < items.size() && i < 128; ++i) entries.push_back({Key(i), items[i]});
  entries.push_back({Key(0), items[0]});
  for (std::uint64_t i = 128; i < items.size(); ++i) entries.push_back({Key(i), items[i]});
  return entries;
}

// A node's reference in its parent (trie::write_node_ref).
struct Ref {
  std::array<std::uint8_t, 33> bytes{};
  std::size_t size = 0;

  explicit Ref(BytesView encoded) : size(trie::write_node_ref(encoded, bytes)) {}
  BytesView view() const { return {bytes.data(), size}; }
};

Bytes encode_leaf(trie::NibblesView path, BytesView value) {
  const Bytes prefix = trie::hex_prefix_encode(path, true);
  const std::size_t payload = rlp::length_of_string(prefix) + rlp::length_of_string(value);
  Bytes out;
  out.reserve(rlp::length_of_header(payload) + payload);
  rlp::Encoder enc(out);
  enc.list_header(payload);
  enc.string(prefix);
  enc.string(value);
  return out;
}

Bytes encode_extension(trie::NibblesView path, const Ref& child) {
  const Bytes prefix = trie::hex_prefix_encode(path, false);
  const std::size_t payload = rlp::length_of_string(prefix) + child.size;
  Bytes out;
  out.reserve(rlp::length_of_header(payload) + payload);
  rlp::Encoder enc(out);
  enc.list_header(payload);
  enc.string(prefix);
  enc.raw(child.view());
  return out;
}

Bytes encode_subtrie(std::span<const Entry> entries, std::size_t depth);

// A branch at `depth` over entries that differ in the nibble there. Keys
// are prefix-free (an RLP item encodes its own length), so no key ends at a
// branch and its value slot is always empty.
Bytes encode_branch(std::span<const Entry> entries, std::size_t depth) {
  std::array<std::optional<Ref>, 16> children;
  std::size_t payload = 1;  // the empty value
  for (std::size_t begin = 0; begin < entries.size();) {
    const std::uint8_t nibble = entries[begin].key.nibbles[depth];
    std::size_t end = begin + 1;
    while (end < entries.size() && entries[end].key.nibbles[depth] == nibble) ++end;
    children[nibble].emplace(encode_subtrie(entries.subspan(begin, end - begin), depth + 1));
    begin = end;
  }
  for (const auto& child : children) payload += child ? child->size : 1;
  Bytes out;
  out.reserve(rlp::length_of_header(payload) + payload);
  rlp::Encoder enc(out);
  enc.list_header(payload);
  for (const auto& child : children) {
    if (child) {
      enc.raw(child->view());
    } else {
      enc.string({});
    }
  }
  enc.string({});
  return out;
}

// The encoding of the node holding `entries` (sorted, at least one), whose
// keys all share their first `depth` nibbles.
Bytes encode_subtrie(std::span<const Entry> entries, std::size_t depth) {
  const trie::NibblesView first = entries.front().key.view();
  if (entries.size() == 1) return encode_leaf(first.subspan(depth), entries.front().value);
  // Sorted keys: what the first and last share, all share.
  const std::size_t shared = trie::common_prefix(first, entries.back().key.view());
  if (shared > depth) {
    return encode_extension(first.subspan(depth, shared - depth), Ref(encode_branch(entries, shared)));
  }
  return encode_branch(entries, depth);
}

}  // namespace

Hash256 ordered_trie_root(const std::vector<Bytes>& items) {
  if (items.empty()) return crypto::keccak256(rlp::encode_string({}));  // the empty trie: rlp("")
  const std::vector<Entry> entries = sorted_entries(items);
  // The root is hashed whatever its size.
  return crypto::keccak256(encode_subtrie(entries, 0));
}

}  // namespace tally::chain
