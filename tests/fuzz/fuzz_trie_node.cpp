// Fuzz target: arbitrary bytes as a stored trie node. The input is parsed
// directly, then stored as the root of a trie that is opened, walked, read,
// proven and changed. Anything malformed must end in StateCorruption (or an
// Error from the parser / proof checker); a crash, a sanitizer report, any
// other exception, or a broken invariant fails.

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "chain/node_store.hpp"
#include "chain/state.hpp"
#include "chain/trie.hpp"
#include "chain/trie_node.hpp"
#include "crypto/keccak.hpp"

namespace {

using namespace tally;
using namespace tally::chain;

void check(bool condition) {
  if (!condition) std::abort();
}

void exercise(BytesView input) {
  (void)trie::parse_node(input);

  MemoryNodeStore store;
  const Hash256 root = crypto::keccak256(input);
  store.put({{root, to_bytes(input)}});

  // Point reads along paths taken from the input itself.
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{32}}) {
    const BytesView key = input.first(std::min(len, input.size()));
    try {
      Trie trie(store, root);
      const auto value = trie.get(key);
      const auto proof = trie.prove(key);
      auto verified = verify_proof(root, key, proof);
      check(verified.ok() && *verified == value);
    } catch (const StateCorruption&) {
    }
    (void)verify_proof(root, key, {to_bytes(input)});
  }

  // A whole walk. Only tries embedded entirely in the input get through;
  // for those every invariant of a canonical trie must hold.
  try {
    Trie trie(store, root);
    std::vector<std::pair<Bytes, Bytes>> entries;
    trie.visit([&](BytesView k, BytesView v) { entries.emplace_back(to_bytes(k), to_bytes(v)); });
    check(trie.root_hash() == root);  // strict parsing: re-encoding gives the input back
    for (const auto& [key, value] : entries) {
      check(trie.get(key) == value);
      auto verified = verify_proof(root, key, trie.prove(key));
      check(verified.ok() && *verified == value);
    }
    if (!entries.empty()) {
      // Erasing then restoring an entry gives the same canonical trie.
      const auto& [key, value] = entries.front();
      check(trie.erase(key));
      check(!trie.get(key).has_value());
      trie.put(key, value);
      check(trie.root_hash() == root);
      NodeBatch batch;
      check(trie.commit(batch) == root);
    }
  } catch (const StateCorruption&) {
  }

  // The same bytes as a stored account value are decoded strictly.
  try {
    SecureTrie accounts;
    const Address address{};
    accounts.put(address, input);
    NodeBatch batch;
    const Hash256 state_root = accounts.commit(batch);
    MemoryNodeStore account_store;
    account_store.put(batch);
    const StateDB state(account_store, state_root);
    (void)state.get(address);
  } catch (const StateCorruption&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  exercise(BytesView(data, size));
  return 0;
}
