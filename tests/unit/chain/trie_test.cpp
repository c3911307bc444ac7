// Merkle-Patricia trie: Ethereum's TrieTests vectors, a differential test
// against the naive reference in trie_reference.hpp, persistence, lazy
// loading, corruption, proofs and the ordered (transactions/receipts) root.

#include "chain/trie.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "chain/rlp.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"
#include "trie_reference.hpp"

namespace tally::chain {
namespace {

Bytes ascii(std::string_view text) {
  return to_bytes(as_bytes(text));
}

// trietest.json convention: 0x-prefixed strings are hex, others ASCII.
Bytes vector_bytes(const std::string& text) {
  return text.starts_with("0x") ? test::hex(text) : ascii(text);
}

// A store the tests can damage.
class MapStore final : public NodeStore {
 public:
  std::optional<Bytes> get_node(const Hash256& hash) const override {
    ++reads;
    auto it = nodes.find(hash);
    if (it == nodes.end()) return std::nullopt;
    return it->second;
  }
  void put(const NodeBatch& batch) {
    for (const auto& [hash, node] : batch) nodes.insert_or_assign(hash, node);
  }
  std::map<Hash256, Bytes> nodes;
  mutable std::size_t reads = 0;
};

Bytes random_bytes(std::mt19937_64& rng, std::size_t min_len, std::size_t max_len) {
  Bytes out(min_len + static_cast<std::size_t>(rng() % (max_len - min_len + 1)));
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Keys from a tiny alphabet, so keys share prefixes, end inside one another
// and produce every node shape (embedded and hashed, branch values).
Bytes clustered_key(std::mt19937_64& rng) {
  Bytes out(static_cast<std::size_t>(rng() % 5));
  for (auto& b : out) b = static_cast<std::uint8_t>(0x10 * (rng() % 3) + rng() % 3);
  return out;
}

// ------------------------------------------------------------ node format

TEST(TrieNode, HexPrefixMatchesTheYellowPaper) {
  using trie::hex_prefix_encode;
  EXPECT_EQ(hex_prefix_encode(trie::Nibbles{1, 2, 3, 4, 5}, false), test::hex("112345"));
  EXPECT_EQ(hex_prefix_encode(trie::Nibbles{0, 1, 2, 3, 4, 5}, false), test::hex("00012345"));
  EXPECT_EQ(hex_prefix_encode(trie::Nibbles{0, 15, 1, 12, 11, 8}, true), test::hex("200f1cb8"));
  EXPECT_EQ(hex_prefix_encode(trie::Nibbles{15, 1, 12, 11, 8}, true), test::hex("3f1cb8"));
  EXPECT_EQ(hex_prefix_encode(trie::Nibbles{}, true), test::hex("20"));
  EXPECT_EQ(hex_prefix_encode(trie::Nibbles{}, false), test::hex("00"));

  auto decoded = trie::hex_prefix_decode(test::hex("3f1cb8"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->leaf);
  EXPECT_EQ(decoded->path, (trie::Nibbles{15, 1, 12, 11, 8}));
  decoded = trie::hex_prefix_decode(test::hex("00012345"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->leaf);
  EXPECT_EQ(decoded->path, (trie::Nibbles{0, 1, 2, 3, 4, 5}));

  EXPECT_FALSE(trie::hex_prefix_decode({}).ok());
  EXPECT_FALSE(trie::hex_prefix_decode(test::hex("4012")).ok());  // flag 4
  EXPECT_FALSE(trie::hex_prefix_decode(test::hex("0512")).ok());  // even path, padding nibble 5
  EXPECT_FALSE(trie::hex_prefix_decode(test::hex("2f")).ok());    // even leaf, padding nibble f
}

TEST(TrieNode, ParseRefusesMalformedNodes) {
  const Bytes hash_ref = rlp::encode_string(Hash256{});
  const auto branch_with = [&](std::size_t children, Bytes value) {
    Bytes items;
    for (std::size_t i = 0; i < 16; ++i) append(items, i < children ? hash_ref : rlp::encode_string({}));
    append(items, rlp::encode_string(value));
    Bytes out;
    rlp::Encoder(out).list_header(items.size());
    append(out, items);
    return out;
  };
  EXPECT_TRUE(trie::parse_node(branch_with(2, {})).ok());
  EXPECT_TRUE(trie::parse_node(branch_with(1, ascii("v"))).ok());
  EXPECT_FALSE(trie::parse_node(branch_with(1, {})).ok());  // one entry: not canonical
  EXPECT_FALSE(trie::parse_node(branch_with(0, ascii("v"))).ok());

  EXPECT_TRUE(trie::parse_node(test::hex("c52083616263")).ok());     // leaf [0x20, "abc"]
  EXPECT_FALSE(trie::parse_node(test::hex("c22080")).ok());          // leaf with empty value
  EXPECT_FALSE(trie::parse_node(test::hex("c3208161")).ok());        // non-canonical RLP (0x81 0x61)
  EXPECT_FALSE(trie::parse_node(test::hex("c2008180")).ok());        // extension, empty path
  EXPECT_FALSE(trie::parse_node(test::hex("c3118180")).ok());        // extension, 1-byte child ref
  EXPECT_FALSE(trie::parse_node(test::hex("c21180")).ok());          // extension without child
  EXPECT_FALSE(trie::parse_node(test::hex("c3112080")).ok());        // 3 items
  EXPECT_FALSE(trie::parse_node(test::hex("83616263")).ok());        // not a list
  EXPECT_FALSE(trie::parse_node(test::hex("c52083616263ff")).ok());  // trailing byte
  EXPECT_FALSE(trie::parse_node({}).ok());
  // An embedded child must be under 32 bytes.
  Bytes big_leaf;
  {
    rlp::Encoder enc(big_leaf);
    const auto m = enc.begin_list();
    enc.string(test::hex("20"));
    enc.string(Bytes(40, 7));
    enc.end_list(m);
  }
  Bytes ext;
  {
    rlp::Encoder enc(ext);
    const auto m = enc.begin_list();
    enc.string(test::hex("11"));
    enc.raw(big_leaf);
    enc.end_list(m);
  }
  EXPECT_FALSE(trie::parse_node(ext).ok());
}

// ------------------------------------------------------------ vectors

TEST(Trie, EmptyRoot) {
  EXPECT_EQ(empty_trie_root(), test::hex_fixed<32>("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"));
  EXPECT_EQ(empty_trie_root(), crypto::keccak256(test::hex("80")));
  Trie trie;
  EXPECT_TRUE(trie.empty());
  EXPECT_EQ(trie.root_hash(), empty_trie_root());
  EXPECT_EQ(trie.get(ascii("x")), std::nullopt);
  EXPECT_FALSE(trie.erase(ascii("x")));
  NodeBatch batch;
  EXPECT_EQ(trie.commit(batch), empty_trie_root());
  EXPECT_TRUE(batch.empty());
}

TEST(Trie, EthereumTrieTests) {
  const auto path = std::filesystem::path(TALLY_VECTORS_DIR) / "ethereum-tests/TrieTests/trietest.json";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  const auto tests = nlohmann::json::parse(in);
  ASSERT_EQ(tests.size(), 4U);
  for (const auto& [name, test] : tests.items()) {
    SCOPED_TRACE(name);
    Trie trie;
    test::reference::KeyValues model;
    for (const auto& pair : test.at("in")) {
      const Bytes key = vector_bytes(pair.at(0).get<std::string>());
      if (pair.at(1).is_null()) {
        trie.erase(key);
        model.erase(key);
      } else {
        const Bytes value = vector_bytes(pair.at(1).get<std::string>());
        trie.put(key, value);
        model[key] = value;
      }
    }
    const Hash256 expected = test::hex_fixed<32>(test.at("root").get<std::string>());
    EXPECT_EQ(trie.root_hash(), expected);
    EXPECT_EQ(test::reference::root(model), expected);
    for (const auto& [key, value] : model) EXPECT_EQ(trie.get(key), value);
  }
}

// ------------------------------------------------------------ differential

void run_differential(std::uint64_t seed, bool clustered) {
  std::mt19937_64 rng(seed);
  const std::size_t target = static_cast<std::size_t>(rng() % 301);
  Trie trie;
  test::reference::KeyValues model;
  std::vector<Bytes> keys;
  const std::size_t ops = target * 2 + 10;
  const std::size_t check_every = ops / 40 + 1;  // about 40 full reference rebuilds per phase
  for (std::size_t op = 0; op < ops; ++op) {
    const auto dice = rng() % 10;
    if (dice < 6 || keys.empty()) {  // insert (maybe over an existing key)
      Bytes key = clustered ? clustered_key(rng) : random_bytes(rng, 1, 32);
      const Bytes value = random_bytes(rng, 1, rng() % 2 == 0 ? 4 : 60);
      trie.put(key, value);
      if (!model.contains(key)) keys.push_back(key);
      model[key] = value;
    } else if (dice < 8) {  // overwrite
      const Bytes& key = keys[static_cast<std::size_t>(rng() % keys.size())];
      const Bytes value = random_bytes(rng, 1, 40);
      trie.put(key, value);
      model[key] = value;
    } else {  // delete, present or not
      const Bytes key = rng() % 4 == 0 ? random_bytes(rng, 0, 3) : keys[static_cast<std::size_t>(rng() % keys.size())];
      EXPECT_EQ(trie.erase(key), model.erase(key) == 1);
    }
    if (op % check_every == 0 || op + 1 == ops) {
      ASSERT_EQ(trie.root_hash(), test::reference::root(model)) << "seed " << seed << " op " << op;
    }
  }
  for (const auto& [key, value] : model) ASSERT_EQ(trie.get(key), value);
  // Then delete everything in random order, checking on the way.
  std::vector<Bytes> remaining;
  for (const auto& entry : model) remaining.push_back(entry.first);
  std::shuffle(remaining.begin(), remaining.end(), rng);
  for (std::size_t i = 0; i < remaining.size(); ++i) {
    ASSERT_TRUE(trie.erase(remaining[i]));
    model.erase(remaining[i]);
    if (i % check_every == 0) {
      ASSERT_EQ(trie.root_hash(), test::reference::root(model)) << "seed " << seed;
    }
  }
  EXPECT_TRUE(trie.empty());
  EXPECT_EQ(trie.root_hash(), empty_trie_root());
}

TEST(Trie, DifferentialAgainstReferenceRandomKeys) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) run_differential(seed, false);
}

TEST(Trie, DifferentialAgainstReferenceClusteredKeys) {
  for (std::uint64_t seed = 100; seed <= 160; ++seed) run_differential(seed, true);
}

TEST(Trie, InsertionOrderDoesNotChangeTheRoot) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<Bytes, Bytes>> entries;
  for (int i = 0; i < 500; ++i) entries.emplace_back(random_bytes(rng, 1, 8), random_bytes(rng, 1, 50));
  test::reference::KeyValues model;
  for (const auto& [k, v] : entries) model.insert_or_assign(k, v);
  // Keep the last value of duplicated keys so every order agrees.
  entries.assign(model.begin(), model.end());
  const Hash256 expected = test::reference::root(model);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(entries.begin(), entries.end(), rng);
    Trie trie;
    for (const auto& [k, v] : entries) trie.put(k, v);
    EXPECT_EQ(trie.root_hash(), expected);
  }
}

TEST(Trie, EmptyValueErasesAndEmptyKeyWorks) {
  Trie trie;
  trie.put(ascii("dog"), ascii("puppy"));
  const Hash256 one = trie.root_hash();
  trie.put({}, ascii("root value"));  // the empty key
  EXPECT_EQ(trie.get({}), ascii("root value"));
  trie.put(ascii("doge"), ascii("coin"));
  trie.put(ascii("doge"), {});  // empty value: delete
  EXPECT_EQ(trie.get(ascii("doge")), std::nullopt);
  EXPECT_TRUE(trie.erase({}));
  EXPECT_EQ(trie.root_hash(), one);
}

// ------------------------------------------------------------ persistence

TEST(Trie, CommitReopenModifyMatchesInMemory) {
  std::mt19937_64 rng(11);
  Trie memory;
  test::reference::KeyValues model;
  for (int i = 0; i < 2000; ++i) {
    const Bytes key = random_bytes(rng, 1, 20);
    const Bytes value = random_bytes(rng, 1, 40);
    memory.put(key, value);
    model[key] = value;
  }
  MapStore store;
  NodeBatch batch;
  const Hash256 root = memory.commit(batch);
  EXPECT_EQ(root, test::reference::root(model));
  store.put(batch);
  // Only reachable nodes were written, each exactly once.
  std::map<Hash256, int> seen;
  for (const auto& [hash, node] : batch) {
    EXPECT_EQ(crypto::keccak256(node), hash);
    EXPECT_EQ(++seen[hash], 1);
  }

  Trie reopened(store, root);
  EXPECT_EQ(reopened.root_hash(), root);
  EXPECT_EQ(reopened.nodes_loaded(), 0U);  // the root hash is known without a read
  for (const auto& [key, value] : model) ASSERT_EQ(reopened.get(key), value);
  test::reference::KeyValues visited;
  reopened.visit([&](BytesView k, BytesView v) { visited.emplace(to_bytes(k), to_bytes(v)); });
  EXPECT_EQ(visited, model);

  // Modify both the same way.
  std::vector<Bytes> keys;
  for (const auto& entry : model) keys.push_back(entry.first);
  for (int i = 0; i < 300; ++i) {
    const Bytes& key = keys[static_cast<std::size_t>(rng() % keys.size())];
    if (i % 3 == 0) {
      memory.erase(key);
      reopened.erase(key);
      model.erase(key);
    } else {
      const Bytes value = random_bytes(rng, 1, 40);
      memory.put(key, value);
      reopened.put(key, value);
      model[key] = value;
    }
  }
  EXPECT_EQ(reopened.root_hash(), memory.root_hash());
  EXPECT_EQ(reopened.root_hash(), test::reference::root(model));

  NodeBatch second;
  const Hash256 root2 = reopened.commit(second);
  for (const auto& [hash, node] : second) EXPECT_EQ(crypto::keccak256(node), hash);
  store.put(second);
  Trie again(store, root2);
  visited.clear();
  again.visit([&](BytesView k, BytesView v) { visited.emplace(to_bytes(k), to_bytes(v)); });
  EXPECT_EQ(visited, model);
  // The old root is still readable: nodes are content-addressed.
  Trie old(store, root);
  EXPECT_EQ(old.root_hash(), root);
  EXPECT_TRUE(old.get(keys.front()).has_value());
}

TEST(Trie, CommitEmitsOnlyChangedNodes) {
  std::mt19937_64 rng(12);
  Trie trie;
  std::vector<Bytes> keys;
  for (int i = 0; i < 10000; ++i) {
    keys.push_back(to_bytes(crypto::keccak256(random_bytes(rng, 8, 8))));
    trie.put(keys.back(), random_bytes(rng, 30, 60));
  }
  NodeBatch batch;
  trie.commit(batch);
  NodeBatch none;
  trie.commit(none);
  EXPECT_TRUE(none.empty());

  const std::size_t max_depth = trie.prove(keys[0]).size() + 3;
  for (int i = 0; i < 10; ++i) trie.put(keys[static_cast<std::size_t>(i) * 997], ascii("changed"));
  NodeBatch changed;
  trie.commit(changed);
  EXPECT_GT(changed.size(), 10U);
  EXPECT_LE(changed.size(), 10 * max_depth);
}

// Hashing keeps each changed node's encoding for the commit; a change after
// the hash must replace it, or the store would get bytes of an old version.
TEST(Trie, CommitStoresNodesAsTheyAreAfterChangesSinceTheLastHash) {
  std::mt19937_64 rng(13);
  Trie trie;
  test::reference::KeyValues model;
  std::vector<Bytes> keys;
  for (int i = 0; i < 3000; ++i) {
    keys.push_back(random_bytes(rng, 1, 20));
    const Bytes value = random_bytes(rng, 1, 40);
    trie.put(keys.back(), value);
    model[keys.back()] = value;
  }
  for (int round = 0; round < 4; ++round) {
    (void)trie.root_hash();
    for (int i = 0; i < 200; ++i) {
      const Bytes& key = keys[static_cast<std::size_t>(rng() % keys.size())];
      const Bytes value = random_bytes(rng, 1, 40);
      trie.put(key, value);
      model[key] = value;
    }
    NodeBatch batch;
    const Hash256 root = trie.commit(batch);
    ASSERT_EQ(root, test::reference::root(model));
    for (const auto& [hash, node] : batch) ASSERT_EQ(crypto::keccak256(node), hash);
  }
}

TEST(Trie, SmallRootIsStoredByHash) {
  Trie trie;
  trie.put(ascii("a"), ascii("b"));  // root RLP is 4 bytes
  MapStore store;
  NodeBatch batch;
  const Hash256 root = trie.commit(batch);
  ASSERT_EQ(batch.size(), 1U);
  EXPECT_LT(batch[0].second.size(), 32U);
  store.put(batch);
  Trie reopened(store, root);
  EXPECT_EQ(reopened.get(ascii("a")), ascii("b"));

  // A node that was embedded becomes the root once its siblings go.
  Trie big;
  big.put(ascii("a"), ascii("b"));
  big.put(ascii("z"), Bytes(50, 1));
  NodeBatch first;
  MapStore store2;
  const Hash256 big_root = big.commit(first);
  store2.put(first);
  Trie loaded(store2, big_root);
  loaded.erase(ascii("z"));
  NodeBatch second;
  const Hash256 small_root = loaded.commit(second);
  EXPECT_EQ(small_root, root);
  store2.put(second);
  Trie small(store2, small_root);
  EXPECT_EQ(small.get(ascii("a")), ascii("b"));
}

// ------------------------------------------------------------ laziness

TEST(Trie, LazyGetReadsOnlyThePath) {
  std::mt19937_64 rng(13);
  Trie trie;
  std::vector<Bytes> keys;
  for (int i = 0; i < 10000; ++i) {
    keys.push_back(to_bytes(crypto::keccak256(random_bytes(rng, 20, 20))));
    trie.put(keys.back(), random_bytes(rng, 60, 80));
  }
  MapStore store;
  NodeBatch batch;
  const Hash256 root = trie.commit(batch);
  store.put(batch);
  ASSERT_GT(store.nodes.size(), 10000U);

  // depth of a 16-ary trie of N random keys is about log16(N).
  const auto bound = static_cast<std::size_t>(2 * std::ceil(std::log(10000.0) / std::log(16.0)) + 2);
  for (int i = 0; i < 200; ++i) {
    const Bytes& key = keys[static_cast<std::size_t>(rng() % keys.size())];
    const std::size_t depth = trie.prove(key).size();
    store.reads = 0;
    Trie lazy(store, root);
    EXPECT_TRUE(lazy.get(key).has_value());
    EXPECT_EQ(store.reads, depth);  // one read per hashed node on the path
    EXPECT_LE(store.reads, bound);

    store.reads = 0;
    Trie absent(store, root);
    EXPECT_FALSE(absent.get(random_bytes(rng, 32, 32)).has_value());
    EXPECT_LE(store.reads, bound);
  }

  // An update and its root hash read the path (plus, for an erase, at most
  // the sibling a collapsing branch merges with).
  store.reads = 0;
  Trie writer(store, root);
  writer.put(keys[1], ascii("new value"));
  writer.erase(keys[2]);
  (void)writer.root_hash();
  EXPECT_LE(store.reads, 2 * bound + 1);
  trie.put(keys[1], ascii("new value"));
  trie.erase(keys[2]);
  EXPECT_EQ(writer.root_hash(), trie.root_hash());
}

// ------------------------------------------------------------ corruption

TEST(Trie, MissingOrBadNodesThrowStateCorruption) {
  std::mt19937_64 rng(14);
  Trie trie;
  std::vector<Bytes> keys;
  for (int i = 0; i < 500; ++i) {
    keys.push_back(random_bytes(rng, 32, 32));
    trie.put(keys.back(), random_bytes(rng, 40, 60));
  }
  MapStore store;
  NodeBatch batch;
  const Hash256 root = trie.commit(batch);
  store.put(batch);

  const auto expect_corruption = [&](const Hash256& hash, const std::string& what) {
    Trie lazy(store, root);
    try {
      for (const auto& key : keys) (void)lazy.get(key);
      ADD_FAILURE() << "no StateCorruption for " << what;
    } catch (const StateCorruption& e) {
      EXPECT_NE(std::string(e.what()).find(to_hex(hash)), std::string::npos) << e.what();
    }
  };

  // Pick a node below the root.
  const Bytes& leaf_key = keys[0];
  const auto path = trie.prove(leaf_key);
  ASSERT_GE(path.size(), 2U);
  const Hash256 victim = crypto::keccak256(path.back());
  const Bytes saved = store.nodes.at(victim);

  store.nodes.erase(victim);
  expect_corruption(victim, "a missing node");
  store.nodes[victim] = test::hex("c52083616263");  // well-formed, wrong hash
  expect_corruption(victim, "a node that does not match its hash");
  store.nodes[victim] = saved;

  // Missing root.
  const Hash256 nowhere = crypto::keccak256(ascii("nowhere"));
  Trie lost(store, nowhere);
  EXPECT_THROW((void)lost.get(keys[0]), StateCorruption);
  EXPECT_THROW(lost.put(keys[0], ascii("x")), StateCorruption);
  EXPECT_THROW((void)lost.prove(keys[0]), StateCorruption);

  // A malformed node stored under its true hash.
  const Bytes garbage = test::hex("c3112080");
  MapStore bad;
  bad.nodes[crypto::keccak256(garbage)] = garbage;
  Trie broken(bad, crypto::keccak256(garbage));
  try {
    (void)broken.get(ascii("k"));
    ADD_FAILURE() << "malformed root accepted";
  } catch (const StateCorruption& e) {
    EXPECT_NE(std::string(e.what()).find("malformed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(to_hex(crypto::keccak256(garbage))), std::string::npos) << e.what();
  }
  // A trie with no store cannot resolve anything, but an empty one is fine.
  Trie no_store;
  EXPECT_EQ(no_store.get(ascii("k")), std::nullopt);
}

// ------------------------------------------------------------ proofs

TEST(Trie, ProofsVerifyPresentAndAbsentKeys) {
  std::mt19937_64 rng(15);
  Trie trie;
  test::reference::KeyValues model;
  for (int i = 0; i < 1000; ++i) {
    const Bytes key = rng() % 3 == 0 ? clustered_key(rng) : random_bytes(rng, 1, 32);
    const Bytes value = random_bytes(rng, 1, 50);
    trie.put(key, value);
    model[key] = value;
  }
  const Hash256 root = trie.root_hash();
  for (const auto& [key, value] : model) {
    const auto proof = trie.prove(key);
    auto verified = verify_proof(root, key, proof);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    ASSERT_EQ(*verified, value);
  }
  for (int i = 0; i < 300; ++i) {
    const Bytes key = random_bytes(rng, 0, 33);
    const auto proof = trie.prove(key);
    auto verified = verify_proof(root, key, proof);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(*verified, model.contains(key) ? std::optional<Bytes>(model.at(key)) : std::nullopt);
  }

  // Tampering with any byte of any node, or dropping a node, is refused.
  Bytes key;  // the key with the longest proof
  for (const auto& entry : model) {
    if (trie.prove(entry.first).size() > trie.prove(key).size()) key = entry.first;
  }
  const auto proof = trie.prove(key);
  ASSERT_GE(proof.size(), 2U);
  for (std::size_t n = 0; n < proof.size(); ++n) {
    auto tampered = proof;
    tampered[n][tampered[n].size() / 2] ^= 0x01;
    EXPECT_FALSE(verify_proof(root, key, tampered).ok()) << "node " << n;
    auto shorter = proof;
    shorter.erase(shorter.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(verify_proof(root, key, shorter).ok()) << "node " << n;
  }
  EXPECT_FALSE(verify_proof(crypto::keccak256(ascii("other root")), key, proof).ok());
  EXPECT_FALSE(verify_proof(root, key, {}).ok());

  // A proof from a lazily loaded trie is the same as from the in-memory one.
  MapStore store;
  NodeBatch batch;
  trie.commit(batch);
  store.put(batch);
  Trie lazy(store, root);
  EXPECT_EQ(lazy.prove(key), proof);

  // Empty trie and a one-node trie under 32 bytes.
  EXPECT_EQ(*verify_proof(empty_trie_root(), key, {}), std::nullopt);
  Trie tiny;
  tiny.put(ascii("a"), ascii("b"));
  const auto tiny_proof = tiny.prove(ascii("a"));
  ASSERT_EQ(tiny_proof.size(), 1U);
  EXPECT_EQ(*verify_proof(tiny.root_hash(), ascii("a"), tiny_proof), ascii("b"));
  EXPECT_EQ(*verify_proof(tiny.root_hash(), ascii("c"), tiny_proof), std::nullopt);
}

TEST(Trie, SecureTrieHashesKeys) {
  SecureTrie secure;
  Trie plain;
  test::reference::KeyValues model;
  std::mt19937_64 rng(16);
  for (int i = 0; i < 300; ++i) {
    const Bytes key = random_bytes(rng, 20, 20);
    const Bytes value = random_bytes(rng, 1, 70);
    secure.put(key, value);
    plain.put(crypto::keccak256(key), value);
    model[key] = value;
  }
  EXPECT_EQ(secure.root_hash(), plain.root_hash());
  EXPECT_EQ(secure.root_hash(), test::reference::secure_root(model));
  for (const auto& [key, value] : model) {
    EXPECT_EQ(secure.get(key), value);
    EXPECT_EQ(*verify_proof(secure.root_hash(), crypto::keccak256(key), secure.prove(key)), value);
  }
  EXPECT_TRUE(secure.erase(model.begin()->first));
  EXPECT_FALSE(secure.get(model.begin()->first).has_value());
}

// ------------------------------------------------------------ ordered root

test::reference::KeyValues indexed(const std::vector<Bytes>& items) {
  test::reference::KeyValues kv;
  for (std::size_t i = 0; i < items.size(); ++i) kv[rlp::encode_uint(i)] = items[i];
  return kv;
}

TEST(OrderedTrieRoot, MatchesReference) {
  EXPECT_EQ(ordered_trie_root({}), empty_trie_root());
  std::mt19937_64 rng(17);
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{16}, std::size_t{127}, std::size_t{128},
                              std::size_t{129}, std::size_t{200}}) {
    std::vector<Bytes> items;
    for (std::size_t i = 0; i < n; ++i) items.push_back(random_bytes(rng, 1, 120));
    EXPECT_EQ(ordered_trie_root(items), test::reference::root(indexed(items))) << n;
  }
}

// Every size up to 300 and the ones where rlp(i) grows a byte (128, 256,
// 65,536), with items from 1 byte (leaves embedded in their parent) to
// past one keccak block; the builder walks the keys in an order it derives
// rather than sorts, so each boundary of that order is crossed.
TEST(OrderedTrieRoot, MatchesReferenceAcrossKeyLengths) {
  std::mt19937_64 rng(29);
  std::vector<std::size_t> sizes;
  for (std::size_t n = 1; n <= 300; ++n) sizes.push_back(n);
  for (const std::size_t n : {std::size_t{1'316}, std::size_t{4'097}, std::size_t{65'539}}) sizes.push_back(n);
  for (const std::size_t n : sizes) {
    std::vector<Bytes> items;
    items.reserve(n);
    for (std::size_t i = 0; i < n; ++i) items.push_back(random_bytes(rng, 1, n > 300 ? 40 : 300));
    ASSERT_EQ(ordered_trie_root(items), test::reference::root(indexed(items))) << n << " items";
  }
}

// ethereum/tests BlockchainTests/ValidBlocks/bcValidBlockTest/SimpleTx.json
// (SimpleTx_Berlin): block 1 holds one legacy transfer; its header gives the
// transactions and receipts roots.
TEST(OrderedTrieRoot, MatchesEthereumBlockRoots) {
  const Bytes tx = test::hex(
      "f861808203e882c35094095e7baea6a6c7c4c2dfeb977efac326af552d870a801ca0446eb869f0f7f365d5fa3e649c42eba5f9b3f66092"
      "c0841e74bd6092ea08342da0626c0c7cb722f7b8aed94db18bed4f14fe2300bf7f68ce8f40e285914db6d273");
  EXPECT_EQ(ordered_trie_root({tx}),
            test::hex_fixed<32>("2b2fa1d2e13bdd645394906fd2737efa1f8f5e007a73e601e6db2ce4e1817d06"));
  // Receipt rlp([status 1, cumulative gas 21000, 256-byte empty bloom, no logs]).
  Bytes receipt = test::hex("f9010801825208b90100");
  receipt.resize(receipt.size() + 256, 0);
  receipt.push_back(0xc0);
  EXPECT_EQ(ordered_trie_root({receipt}),
            test::hex_fixed<32>("056b23fbba480696b65fe5a59b8f2148a1299103c4f57df839233af2cf4ca2d2"));
}

}  // namespace
}  // namespace tally::chain
