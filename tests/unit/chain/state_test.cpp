// Account state over the secure trie: Ethereum state roots, account
// encoding, persistence, strict decoding of stored accounts, proofs.

#include "chain/state.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

#include <map>
#include <random>
#include <string>

#include "chain/rlp.hpp"
#include "chain/trie.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"
#include "trie_reference.hpp"

namespace tally::chain {
namespace {

U256 quantity(std::string_view text) {
  auto value = u256_from_quantity(text);
  EXPECT_TRUE(value.ok()) << text;
  return value ? *value : U256{0};
}

constexpr std::string_view kEmptyRoot = "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";
constexpr std::string_view kEmptyCode = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

// The account encoding written out independently of state.cpp.
Bytes account_rlp(std::uint64_t nonce, const U256& balance) {
  Bytes out;
  rlp::Encoder enc(out);
  const auto mark = enc.begin_list();
  enc.uint(nonce);
  enc.u256(balance);
  enc.string(test::hex(kEmptyRoot));
  enc.string(test::hex(kEmptyCode));
  enc.end_list(mark);
  return out;
}

Address random_address(std::mt19937_64& rng) {
  Address a{};
  for (auto& b : a) b = static_cast<std::uint8_t>(rng());
  return a;
}

// ethereum/tests BlockchainTests/ValidBlocks/bcValidBlockTest/SimpleTx.json
// (SimpleTx_Berlin): state roots of accounts without code or storage.
TEST(StateDB, MatchesEthereumStateRoots) {
  MemoryNodeStore store;
  StateDB genesis(store, empty_trie_root());
  genesis.set(test::hex_fixed<20>("a94f5374fce5edbc8e2a8697c15331677e6ebf0b"), Account{0, quantity("0x2540be400")});
  EXPECT_EQ(genesis.root(), test::hex_fixed<32>("cafd881ab193703b83816c49ff6c2bf6ba6f464a1be560c42106128c8dbc35e7"));

  // Block 1's post-state (the sender, the recipient and the miner).
  genesis.set(test::hex_fixed<20>("a94f5374fce5edbc8e2a8697c15331677e6ebf0b"), Account{1, quantity("0x252cb74b6")});
  genesis.set(test::hex_fixed<20>("095e7baea6a6c7c4c2dfeb977efac326af552d87"), Account{0, quantity("0xa")});
  genesis.set(test::hex_fixed<20>("8888f1f195afa192cfee860698584c030f4c9db1"),
              Account{0, quantity("0x1bc16d6750086f40")});
  EXPECT_EQ(genesis.root(), test::hex_fixed<32>("68a95fbd2eab6f9c89a0ec17ead36cc1520415634fff17cf7ce935e767a9fa14"));
}

TEST(StateDB, AccountEncodingCrossCheck) {
  // 0xa94f...0b with nonce 0 and 1 ether, encoded by hand:
  // rlp([0, 0x0de0b6b3a7640000, empty trie root, keccak256("")]).
  const Address address = test::hex_fixed<20>("a94f5374fce5edbc8e2a8697c15331677e6ebf0b");
  const Bytes expected =
      test::hex(std::string("f84c80880de0b6b3a7640000a0") + std::string(kEmptyRoot) + "a0" + std::string(kEmptyCode));
  EXPECT_EQ(account_rlp(0, quantity("0xde0b6b3a7640000")), expected);

  MemoryNodeStore store;
  StateDB state(store, empty_trie_root());
  state.set(address, Account{0, quantity("0xde0b6b3a7640000")});
  const Hash256 root = state.root();
  EXPECT_EQ(root, test::reference::secure_root({{to_bytes(address), expected}}));

  NodeBatch batch;
  EXPECT_EQ(state.commit(batch), root);
  store.put(batch);
  SecureTrie raw(store, root);
  EXPECT_EQ(raw.get(address), expected);
  EXPECT_EQ(test::hex(kEmptyCode), to_bytes(crypto::keccak256(BytesView{})));
}

TEST(StateDB, GetSetErase) {
  MemoryNodeStore store;
  StateDB state(store, empty_trie_root());
  const Address a = test::hex_fixed<20>("00000000000000000000000000000000000000aa");
  const Address b = test::hex_fixed<20>("00000000000000000000000000000000000000bb");
  EXPECT_EQ(state.get(a), Account{});
  EXPECT_EQ(state.root(), empty_trie_root());

  state.set(a, Account{1, 100});
  state.set(b, Account{0, u256_max()});
  EXPECT_EQ(state.get(a), (Account{1, 100}));
  EXPECT_EQ(state.get(b), (Account{0, u256_max()}));
  const Hash256 two = state.root();
  EXPECT_NE(two, empty_trie_root());

  state.set(a, Account{~std::uint64_t{0}, 0});  // nonce only: not empty
  EXPECT_EQ(state.get(a).nonce, ~std::uint64_t{0});
  state.set(a, Account{1, 100});
  EXPECT_EQ(state.root(), two);

  state.set(a, Account{});  // empty: erased
  EXPECT_EQ(state.get(a), Account{});
  state.set(b, Account{0, 0});
  EXPECT_EQ(state.root(), empty_trie_root());
  state.set(b, Account{});  // erasing an absent account changes nothing
  EXPECT_EQ(state.root(), empty_trie_root());
}

TEST(StateDB, DifferentialAgainstReference) {
  std::mt19937_64 rng(21);
  MemoryNodeStore store;
  StateDB state(store, empty_trie_root());
  test::reference::KeyValues model;
  std::vector<Address> known;
  for (int op = 0; op < 1500; ++op) {
    const auto dice = rng() % 10;
    Address address = (dice < 5 || known.empty()) ? random_address(rng) : known[rng() % known.size()];
    Account account{rng() % 3, U256(rng() % 4) * U256(rng())};
    if (dice == 9) account = Account{};
    state.set(address, account);
    if (account.empty()) {
      model.erase(to_bytes(address));
    } else {
      model[to_bytes(address)] = account_rlp(account.nonce, account.balance);
      known.push_back(address);
    }
    if (op % 50 == 0) {
      ASSERT_EQ(state.root(), test::reference::secure_root(model)) << op;
    }
  }
  EXPECT_EQ(state.root(), test::reference::secure_root(model));
}

TEST(StateDB, CommitReopenModify) {
  std::mt19937_64 rng(22);
  MemoryNodeStore store;
  StateDB state(store, empty_trie_root());
  std::map<Address, Account> accounts;
  for (int i = 0; i < 1000; ++i) {
    const Address address = random_address(rng);
    const Account account{rng() % 10, U256(rng()) + 1};
    state.set(address, account);
    accounts[address] = account;
  }
  NodeBatch batch;
  const Hash256 root = state.commit(batch);
  EXPECT_EQ(root, state.root());
  store.put(batch);

  StateDB reopened(store, root);
  EXPECT_EQ(reopened.root(), root);
  for (const auto& [address, account] : accounts) ASSERT_EQ(reopened.get(address), account);

  std::size_t i = 0;
  for (auto& [address, account] : accounts) {
    if (++i % 4 != 0) continue;
    account.balance += 5;
    account.nonce += 1;
    reopened.set(address, account);
  }
  const Address gone = accounts.begin()->first;
  reopened.set(gone, Account{});
  accounts.erase(gone);

  // The same accounts built from scratch give the same root.
  MemoryNodeStore other;
  StateDB fresh(other, empty_trie_root());
  for (const auto& [address, account] : accounts) fresh.set(address, account);
  EXPECT_EQ(reopened.root(), fresh.root());

  NodeBatch second;
  const Hash256 root2 = reopened.commit(second);
  store.put(second);
  StateDB moved = StateDB(store, root2);  // moves work too
  for (const auto& [address, account] : accounts) ASSERT_EQ(moved.get(address), account);
  EXPECT_EQ(moved.get(gone), Account{});
  // The previous state is still there.
  StateDB before(store, root);
  EXPECT_NE(before.get(gone), Account{});
}

// The account map is bounded (2^15 entries): reading or writing more
// accounts than that keeps every change and gives the same root.
TEST(StateDB, MoreAccountsThanTheCacheHolds) {
  constexpr int kAccounts = 40000;
  std::mt19937_64 rng(24);
  MemoryNodeStore store;
  StateDB state(store, empty_trie_root());
  std::vector<Address> addresses;
  for (int i = 0; i < kAccounts; ++i) addresses.push_back(random_address(rng));
  const Address early = addresses.front();
  state.set(early, Account{7, 7});  // changed before the map fills with reads
  for (const auto& address : addresses) {
    if (address != early) {
      ASSERT_EQ(state.get(address), Account{});
    }
  }
  EXPECT_EQ(state.get(early), (Account{7, 7}));

  MemoryNodeStore one_store;
  StateDB one(one_store, empty_trie_root());
  one.set(early, Account{7, 7});
  EXPECT_EQ(state.root(), one.root());

  for (int i = 0; i < kAccounts; ++i) {
    state.set(addresses[static_cast<std::size_t>(i)], Account{static_cast<std::uint64_t>(i), 1});
  }
  NodeBatch batch;
  const Hash256 root = state.commit(batch);
  store.put(batch);
  StateDB reopened(store, root);
  for (int i = 0; i < kAccounts; i += 997) {
    ASSERT_EQ(reopened.get(addresses[static_cast<std::size_t>(i)]), (Account{static_cast<std::uint64_t>(i), 1}));
  }
  test::reference::KeyValues model;
  for (int i = 0; i < kAccounts; ++i) {
    model[to_bytes(addresses[static_cast<std::size_t>(i)])] = account_rlp(static_cast<std::uint64_t>(i), 1);
  }
  EXPECT_EQ(root, test::reference::secure_root(model));
}

// Many writes to one account between roots reach the trie as the last one.
TEST(StateDB, RepeatedWritesBetweenRoots) {
  MemoryNodeStore store;
  StateDB state(store, empty_trie_root());
  const Address a = test::hex_fixed<20>("00000000000000000000000000000000000000aa");
  for (std::uint64_t nonce = 1; nonce <= 50; ++nonce) state.set(a, Account{nonce, U256(nonce)});
  MemoryNodeStore other;
  StateDB fresh(other, empty_trie_root());
  fresh.set(a, Account{50, 50});
  EXPECT_EQ(state.root(), fresh.root());
  // A proof taken right after a write shows the write.
  state.set(a, Account{51, 51});
  const auto proof = state.prove(a);
  auto proven = verify_proof(state.root(), crypto::keccak256(a), proof);
  ASSERT_TRUE(proven.ok()) << proven.error().message;
  EXPECT_EQ(*proven, std::optional<Bytes>(account_rlp(51, 51)));
  state.set(a, Account{});  // and the last write may be a deletion
  EXPECT_EQ(state.root(), empty_trie_root());
}

// A store that keeps what commits leave (as ChainStore does).
class SnapshotNodeStore final : public NodeStore {
 public:
  std::optional<Bytes> get_node(const Hash256& hash) const override { return nodes.get_node(hash); }
  AccountSnapshots* account_snapshots() const noexcept override { return &snapshots; }
  MemoryNodeStore nodes;
  mutable AccountSnapshots snapshots;
};

// A StateDB opened at a committed root reads the accounts that commit
// touched from the snapshot, and everything else from the trie.
TEST(StateDB, ReadsTheAccountsItsRootsCommitLeft) {
  SnapshotNodeStore store;
  const Address a = test::hex_fixed<20>("00000000000000000000000000000000000000aa");
  const Address b = test::hex_fixed<20>("00000000000000000000000000000000000000bb");
  StateDB state(store, empty_trie_root());
  state.set(a, Account{1, 10});
  state.set(b, Account{2, 20});
  NodeBatch batch;
  const Hash256 root = state.commit(batch);  // the nodes are not stored:
  StateDB reopened(store, root);             // only the snapshot can answer
  EXPECT_EQ(reopened.get(a), (Account{1, 10}));
  EXPECT_EQ(reopened.get(b), (Account{2, 20}));
  EXPECT_THROW((void)reopened.get(test::hex_fixed<20>("00000000000000000000000000000000000000cc")), StateCorruption);
  store.nodes.put(batch);

  // Each root sees its own accounts.
  StateDB next(store, root);
  next.set(a, Account{3, 30});
  NodeBatch second;
  const Hash256 root2 = next.commit(second);
  store.nodes.put(second);
  EXPECT_EQ(StateDB(store, root2).get(a), (Account{3, 30}));
  EXPECT_EQ(StateDB(store, root).get(a), (Account{1, 10}));
  EXPECT_EQ(StateDB(store, root2).get(b), (Account{2, 20}));  // untouched by the second commit: from the trie
  EXPECT_EQ(StateDB(store, root2).root(), root2);
}

// When the account map starts over, a StateDB no longer trusts the
// snapshot of the root it opened at: its own writes since then win.
TEST(StateDB, WritesOutliveTheMapStartingOver) {
  SnapshotNodeStore store;
  const Address a = test::hex_fixed<20>("00000000000000000000000000000000000000aa");
  StateDB state(store, empty_trie_root());
  state.set(a, Account{1, 10});
  NodeBatch batch;
  const Hash256 root = state.commit(batch);
  store.nodes.put(batch);

  StateDB reopened(store, root);
  ASSERT_EQ(reopened.get(a), (Account{1, 10}));
  reopened.set(a, Account{2, 20});
  std::mt19937_64 rng(25);
  for (int i = 0; i < 40000; ++i) (void)reopened.get(random_address(rng));  // past the map's bound
  EXPECT_EQ(reopened.get(a), (Account{2, 20}));
  MemoryNodeStore other;
  StateDB fresh(other, empty_trie_root());
  fresh.set(a, Account{2, 20});
  EXPECT_EQ(reopened.root(), fresh.root());
}

TEST(StateDB, MalformedStoredAccountsThrow) {
  const Address address = test::hex_fixed<20>("1111111111111111111111111111111111111111");
  const auto stored_as = [&](const Bytes& value, MemoryNodeStore& store) {
    SecureTrie trie;
    trie.put(address, value);
    NodeBatch batch;
    const Hash256 root = trie.commit(batch);
    store.put(batch);
    return root;
  };
  const auto list = [](std::initializer_list<Bytes> items) {
    std::size_t payload = 0;
    for (const auto& item : items) payload += item.size();
    Bytes out;
    rlp::Encoder enc(out);
    enc.list_header(payload);
    for (const auto& item : items) enc.raw(item);
    return out;
  };
  const Bytes root_field = rlp::encode_string(test::hex(kEmptyRoot));
  const Bytes code_field = rlp::encode_string(test::hex(kEmptyCode));
  const Bytes one = rlp::encode_uint(1);
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"three fields", list({one, one, root_field})},
      {"five fields", list({one, one, root_field, code_field, one})},
      {"nonce with a leading zero", list({test::hex("820001"), one, root_field, code_field})},
      {"nonce over 64 bits", list({test::hex("89010000000000000000"), one, root_field, code_field})},
      {"balance is a list", list({one, test::hex("c0"), root_field, code_field})},
      {"storage root of 31 bytes", list({one, one, rlp::encode_string(Bytes(31, 1)), code_field})},
      {"contract storage", list({one, one, rlp::encode_string(Hash256{}), code_field})},
      {"contract code", list({one, one, root_field, rlp::encode_string(Hash256{})})},
      {"a string, not a list", rlp::encode_string(Bytes(40, 1))},
      {"trailing byte",
       [&] {
         Bytes b = list({one, one, root_field, code_field});
         b.push_back(0);
         return b;
       }()},
  };
  for (const auto& [name, value] : cases) {
    SCOPED_TRACE(name);
    MemoryNodeStore store;
    StateDB state(store, stored_as(value, store));
    try {
      (void)state.get(address);
      ADD_FAILURE() << "accepted";
    } catch (const StateCorruption& e) {
      EXPECT_NE(std::string(e.what()).find(to_hex(address)), std::string::npos) << e.what();
    }
  }
  // The well-formed value is accepted (the harness itself is sound).
  MemoryNodeStore store;
  StateDB state(store, stored_as(list({one, one, root_field, code_field}), store));
  EXPECT_EQ(state.get(address), (Account{1, 1}));
}

TEST(StateDB, MissingNodesThrow) {
  MemoryNodeStore empty_store;
  StateDB state(empty_store, crypto::keccak256(test::hex("01")));
  EXPECT_THROW((void)state.get(Address{}), StateCorruption);
  // A write reaches the trie at root(): the missing node is found there.
  state.set(Address{}, Account{1, 1});
  EXPECT_THROW((void)state.root(), StateCorruption);
}

TEST(StateDB, AccountProofs) {
  std::mt19937_64 rng(23);
  MemoryNodeStore store;
  StateDB state(store, empty_trie_root());
  std::vector<Address> addresses;
  for (int i = 0; i < 200; ++i) {
    addresses.push_back(random_address(rng));
    state.set(addresses.back(), Account{static_cast<std::uint64_t>(i), U256(i) + 1});
  }
  const Hash256 root = state.root();
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const auto proof = state.prove(addresses[i]);
    auto verified = verify_proof(root, crypto::keccak256(addresses[i]), proof);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(*verified, account_rlp(i, U256(i) + 1));
  }
  const Address absent = random_address(rng);
  auto verified = verify_proof(root, crypto::keccak256(absent), state.prove(absent));
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, std::nullopt);
}

}  // namespace
}  // namespace tally::chain
