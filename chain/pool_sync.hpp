#pragma once
// Keeps the mempool in step with the chain: the pool reads accounts at the
// head's state, and after every head change it drops what was mined and,
// on a reorg, takes back the transactions of the removed blocks that the
// new branch does not contain.

#include <mutex>

#include "chain/chain_manager.hpp"
#include "chain/mempool.hpp"

namespace tally::chain {

// Accounts at one state root. A StateDB caches what it reads, so concurrent
// callers take turns on one instance (the lock lives here, with the cache).
class StateAccountReader final : public AccountReader {
 public:
  StateAccountReader(const NodeStore& store, const Hash256& state_root) : state_(store, state_root) {}
  AccountInfo account(const Address& address) const override;

 private:
  mutable std::mutex mutex_;
  StateDB state_;
};

// What the pool needs of the current head: the next block's base fee, the
// gas limit, and the head's accounts.
HeadState pool_head_state(const ChainManager& chain);

// Call after every import whose result carries a head change.
void sync_pool(Mempool& pool, const ChainManager& chain, const HeadChange& change, std::uint64_t now_ms);

}  // namespace tally::chain
