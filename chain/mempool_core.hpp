#pragma once
// The pool's single-threaded core: per-sender nonce lists, the eviction
// order, admission, revalidation and block selection. Not thread-safe and
// never calls out: Mempool (mempool.hpp) wraps it with the lock and reads
// account state for it. Internal to chain/; use Mempool.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "chain/mempool.hpp"

namespace tally::chain {

class MempoolCore {
 public:
  MempoolCore(const MempoolOptions& options, const U256& base_fee, std::uint64_t gas_limit);

  bool contains(const Hash256& hash) const { return by_hash_.contains(hash); }
  PooledTxPtr get(const Hash256& hash) const {
    auto it = by_hash_.find(hash);
    return it == by_hash_.end() ? nullptr : it->second;
  }

  // Admission of `ptx`, whose sender's state at the head is `account`.
  AddResult add(const PooledTxPtr& ptx, const AccountInfo& account, std::uint64_t now_ms);

  // A new head's base fee and gas limit: re-sorts when the base fee changed,
  // drops transactions above a lowered gas limit, enforces the caps.
  void set_head(const U256& base_fee, std::uint64_t gas_limit, HeadUpdate& update);
  // Applies `account` to one sender: drops stale, too-big and unaffordable
  // transactions, promotes and demotes. No-op for a sender not in the pool.
  void revalidate(const Address& sender, const AccountInfo& account, HeadUpdate& update);
  // Drops what is over a cap (after demotions or a re-sort).
  std::size_t enforce_caps(std::vector<Hash256>* evicted);

  std::vector<Address> senders() const;
  std::size_t expire(std::uint64_t now_ms);
  bool remove(const Hash256& hash);

  std::vector<PooledTxPtr> best(const U256& base_fee, std::uint64_t gas_limit, std::size_t max_count) const;

  MempoolStatus status() const;
  std::size_t pending_count() const { return pending_count_; }
  std::size_t queued_count() const { return queued_count_; }
  std::size_t bytes() const { return bytes_; }
  // account nonce + contiguous pending, or nullopt for a sender not pooled.
  std::optional<std::uint64_t> pending_nonce(const Address& sender) const;
  SenderContent content_of(const Address& sender) const;
  std::vector<SenderContent> content() const;
  std::optional<std::string> audit() const;

 private:
  // Eviction order: lowest first. Tier 0 = underpaid (fee cap below the base
  // fee), ranked by fee cap; tier 1 = paying, ranked by effective tip. Ties:
  // the later arrival goes first, so same-priced spam cannot churn older
  // transactions out.
  struct EvictKey {
    std::uint8_t tier = 0;
    U256 price = 0;
    std::uint64_t seq = 0;
    Address sender{};
    std::uint64_t nonce = 0;
  };
  struct EvictOrder {
    bool operator()(const EvictKey& a, const EvictKey& b) const;
  };
  using EvictIndex = std::set<EvictKey, EvictOrder>;

  struct Entry {
    PooledTxPtr ptx;
    std::uint64_t seq = 0;
    bool pending = false;
    EvictIndex::iterator where;
  };
  using TxMap = std::map<std::uint64_t, Entry>;  // by nonce

  struct Sender {
    AccountInfo account;
    TxMap txs;
    std::size_t pending = 0;  // txs contiguous from account.nonce
    U256 total_cost = 0;      // sum of the costs of txs; <= account.balance
    std::uint64_t active_ms = 0;
  };
  using SenderMap = std::unordered_map<Address, Sender, FixedBytesHasher, FixedBytesEqual>;

  EvictKey key_of(const PooledTx& ptx, std::uint64_t seq) const;
  static bool cheaper(const EvictKey& a, const EvictKey& b);
  EvictIndex& index_for(bool pending) { return pending ? pending_index_ : queued_index_; }
  const EvictIndex& index_for(bool pending) const { return pending ? pending_index_ : queued_index_; }
  void index_insert(Entry& entry);
  void index_erase(const Entry& entry);
  void set_pending(Entry& entry, bool pending);
  // Recomputes the pending flags of a sender; counts into *promoted and
  // *demoted when given.
  void refresh_pending(Sender& sender, std::size_t* promoted, std::size_t* demoted);
  // After a transaction (queued for now) was put at `nonce`: promotes it and
  // the run of nonces after it if it closes the gap. O(run), where a full
  // refresh is O(sender's transactions) on every add.
  void promote_from(Sender& sender, std::uint64_t nonce);
  // Removes one transaction (indexes, hash map, bytes, cost); no pending refresh.
  TxMap::iterator erase_tx(Sender& sender, TxMap::iterator it);
  // Evicts the transaction named by `key`, demoting its sender's later nonces.
  void evict(const EvictKey& key, std::vector<Hash256>* evicted);
  // The cheapest key over both indexes; nullptr when the pool is empty.
  const EvictKey* cheapest() const;
  const Entry& entry_of(const EvictKey& key) const;

  // Picks the transactions to evict so `incoming` fits; nullopt if it cannot.
  struct Needs {
    std::int64_t txs = 0, bytes = 0, queued = 0, underpaid = 0;
    bool met() const { return txs <= 0 && bytes <= 0 && queued <= 0 && underpaid <= 0; }
  };
  std::optional<std::vector<EvictKey>> plan_eviction(const EvictKey& incoming, bool incoming_pending,
                                                     Needs needs) const;

  MempoolOptions options_;
  U256 base_fee_;
  std::uint64_t gas_limit_;
  SenderMap senders_;
  std::unordered_map<Hash256, PooledTxPtr, FixedBytesHasher, FixedBytesEqual> by_hash_;
  EvictIndex pending_index_;
  EvictIndex queued_index_;
  std::size_t pending_count_ = 0;
  std::size_t queued_count_ = 0;
  std::size_t underpaid_count_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace tally::chain
