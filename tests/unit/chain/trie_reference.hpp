#pragma once
// An independent, deliberately naive Merkle-Patricia root for differential
// tests: it rebuilds the whole trie from the sorted key set on every call,
// straight from the yellow paper's recursive definition (appendix D), and
// shares no code with chain/trie*. Only RLP and keccak256 are reused.

#include <map>
#include <string>
#include <vector>

#include "chain/rlp.hpp"
#include "crypto/bytes.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::test::reference {

using Path = std::vector<std::uint8_t>;  // nibbles

// Lexicographic order, written out: GCC 12 at -O3 reports a false
// -Wstringop-overread in std::less<std::vector<std::uint8_t>>.
struct BytesLess {
  bool operator()(const Bytes& a, const Bytes& b) const noexcept {
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return a[i] < b[i];
    }
    return a.size() < b.size();
  }
};

using KeyValues = std::map<Bytes, Bytes, BytesLess>;
using Entries = std::map<Path, Bytes, BytesLess>;  // sorted: a prefix sorts before its extensions

inline Path nibbles_of(BytesView key) {
  Path out;
  for (const std::uint8_t b : key) {
    out.push_back(static_cast<std::uint8_t>(b / 16));
    out.push_back(static_cast<std::uint8_t>(b % 16));
  }
  return out;
}

// Yellow paper HP(x, t), written out from the definition.
inline Bytes hex_prefix(const Path& path, std::size_t from, std::size_t to, bool leaf) {
  const std::size_t len = to - from;
  const int t = leaf ? 2 : 0;
  Bytes out;
  std::size_t i = from;
  if (len % 2 == 0) {
    out.push_back(static_cast<std::uint8_t>(16 * t));
  } else {
    out.push_back(static_cast<std::uint8_t>(16 * (t + 1) + path[i]));
    ++i;
  }
  for (; i < to; i += 2) out.push_back(static_cast<std::uint8_t>(16 * path[i] + path[i + 1]));
  return out;
}

inline Bytes list_of(const std::vector<Bytes>& encoded_items) {
  std::size_t payload = 0;
  for (const auto& item : encoded_items) payload += item.size();
  Bytes out;
  rlp::Encoder enc(out);
  enc.list_header(payload);
  for (const auto& item : encoded_items) enc.raw(item);
  return out;
}

// c(J, i) of the yellow paper: how a node appears inside its parent.
inline Bytes reference_to(const Bytes& node) {
  if (node.size() < 32) return node;
  return rlp::encode_string(crypto::keccak256(node));
}

using Iter = Entries::const_iterator;

inline Bytes build(Iter begin, Iter end, std::size_t depth) {
  if (std::next(begin) == end) {  // a single entry: a leaf
    const Path& key = begin->first;
    return list_of({rlp::encode_string(hex_prefix(key, depth, key.size(), true)), rlp::encode_string(begin->second)});
  }
  // Longest prefix shared by all keys: the first and last key bound it.
  const Path& first = begin->first;
  const Path& last = std::prev(end)->first;
  std::size_t shared = 0;
  while (depth + shared < first.size() && depth + shared < last.size() &&
         first[depth + shared] == last[depth + shared]) {
    ++shared;
  }
  if (shared > 0) {
    return list_of({rlp::encode_string(hex_prefix(first, depth, depth + shared, false)),
                    reference_to(build(begin, end, depth + shared))});
  }
  std::vector<Bytes> items;
  Bytes value;
  if (begin->first.size() == depth) {  // a key that ends here: the branch value
    value = begin->second;
    ++begin;
  }
  for (std::uint8_t nibble = 0; nibble < 16; ++nibble) {
    Iter stop = begin;
    while (stop != end && stop->first[depth] == nibble) ++stop;
    items.push_back(stop == begin ? rlp::encode_string({}) : reference_to(build(begin, stop, depth + 1)));
    begin = stop;
  }
  items.push_back(rlp::encode_string(value));
  return list_of(items);
}

// Root of the plain trie holding `kv` (keys are used as they are).
inline Hash256 root(const KeyValues& kv) {
  Entries entries;
  for (const auto& [key, value] : kv) entries.emplace(nibbles_of(key), value);
  if (entries.empty()) return crypto::keccak256(rlp::encode_string({}));
  return crypto::keccak256(build(entries.begin(), entries.end(), 0));
}

// Root of the secure trie holding `kv` (keys hashed first).
inline Hash256 secure_root(const KeyValues& kv) {
  KeyValues hashed;
  for (const auto& [key, value] : kv) hashed.emplace(to_bytes(crypto::keccak256(key)), value);
  return root(hashed);
}

}  // namespace tally::test::reference
