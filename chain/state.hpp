#pragma once
// Account state: (nonce, balance) per address in Ethereum's secure
// Merkle-Patricia trie (key = keccak256(address)), so the root equals the
// Ethereum state root for the same accounts. An account is stored as
// rlp([nonce, balance, storageRoot = empty trie root, codeHash = keccak256("")]).
//
// StateDB reads through to a NodeStore lazily and keeps the accounts it read
// or wrote in a map, so a block that touches an account many times (a
// sender's run of nonces, the beneficiary's tip per transaction) walks and
// rewrites the trie for it once: root() and commit() write the changed
// accounts into the trie, hash only the paths that changed, and commit()
// hands back the new nodes for the caller's write batch. Cost is
// proportional to the accounts touched. commit() also leaves those accounts
// with the store (account_snapshots.hpp) under the new root, and a StateDB
// opened at a root the store has accounts for reads them from there first:
// consecutive blocks touch mostly the same accounts.
// A node missing from the store is corruption and throws StateCorruption.
// So is a stored account that is malformed or has contract storage or code.
// A StateDB is not safe for concurrent use, even for reads (get fills the
// node cache): a reader opens its own StateDB at the root it wants to see.
//
// A block's execution opens its StateDB with StateUse::block: it takes the
// trie the previous block's execution left at that root, if the store kept
// one (warm_tries.hpp), and on destruction leaves its own trie under the
// root it last committed, unless it was changed since (a failed or
// abandoned execution), which is dropped. Queries use StateUse::query and
// neither take nor leave one, so they never steal it from the next block.

#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "chain/account.hpp"
#include "chain/account_snapshots.hpp"
#include "chain/node_store.hpp"
#include "crypto/bytes.hpp"
#include "crypto/uint256.hpp"

namespace tally::chain {

class StateCorruption : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SecureTrie;
class WarmTries;

enum class StateUse : std::uint8_t { query, block };

class StateDB {
 public:
  // Opens the state at `root` (the empty trie root for a new chain).
  StateDB(const NodeStore& store, const Hash256& root, StateUse use = StateUse::query);
  ~StateDB();
  StateDB(StateDB&&) noexcept;
  StateDB& operator=(StateDB&&) noexcept;

  // A missing account reads as Account{} (nonce 0, balance 0).
  Account get(const Address& address) const;
  // Setting an empty account deletes it (EIP-161 style: no empty leaves).
  // The trie sees the change at the next root(), commit() or prove().
  void set(const Address& address, const Account& account);

  // Root of the state including pending changes.
  Hash256 root();
  // Moves the nodes created since the last commit into `out`; returns the root.
  Hash256 commit(NodeBatch& out);

  // Merkle proof of the account (eth_getProof's accountProof): the nodes on
  // the path of keccak256(address), root first. Check it with
  // verify_proof(root(), keccak256(address), proof) from chain/trie.hpp.
  std::vector<Bytes> prove(const Address& address) const;

 private:
  struct CachedAccount {
    Account account;
    bool dirty = false;  // set since the trie last saw it
  };
  // Past this many entries the changed accounts go into the trie and the map
  // starts over: a long-lived reader stays small. A full block touches a few
  // thousand accounts.
  static constexpr std::size_t kMaxCachedAccounts = 1U << 15U;

  // Writes the changed accounts into the trie. Logically const: what get()
  // and prove() report does not change.
  void flush() const;
  // Makes room for one more entry (flush and clear at kMaxCachedAccounts).
  void bound() const;
  const Account* known_account(const Address& address) const;  // in known_, or null

  std::unique_ptr<SecureTrie> trie_;
  WarmTries* warm_tries_ = nullptr;  // StateUse::block: where the trie goes back
  bool changed_since_commit_ = false;
  AccountSnapshots* snapshots_ = nullptr;  // the store's, where commit() leaves the accounts
  // Accounts at the root this StateDB opened at, from the commit that made
  // it; forgotten once the map starts over (they may have changed since).
  mutable std::shared_ptr<const AccountSnapshot> known_;
  mutable std::unordered_map<Address, CachedAccount, FixedBytesHasher, FixedBytesEqual> accounts_;
  mutable std::size_t dirty_count_ = 0;
};

// keccak256(rlp("")) = 0x56e81f...b421: the root of an empty trie.
const Hash256& empty_trie_root();

}  // namespace tally::chain
