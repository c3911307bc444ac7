#include "chain/pool_sync.hpp"

#include <unordered_set>

#include "chain/execution.hpp"

namespace tally::chain {

AccountInfo StateAccountReader::account(const Address& address) const {
  const std::lock_guard lock(mutex_);
  return state_.get(address);
}

HeadState pool_head_state(const ChainManager& chain) {
  const Header head = chain.head_header();
  HeadState state;
  state.base_fee = next_base_fee(head);
  state.gas_limit = chain.config().gas_limit;
  state.accounts = std::make_shared<StateAccountReader>(chain.store(), head.state_root);
  return state;
}

void sync_pool(Mempool& pool, const ChainManager& chain, const HeadChange& change, std::uint64_t now_ms) {
  // A full recheck (no `touched` list) costs well under a millisecond for a
  // full pool, less than recovering the new blocks' senders to list them.
  pool.on_new_head(pool_head_state(chain));
  if (!change.is_reorg()) return;
  std::unordered_set<Hash256, FixedBytesHasher, FixedBytesEqual> still_mined;
  for (const auto& block : change.added) {
    for (const auto& tx : block.transactions) still_mined.insert(tx_hash(tx));
  }
  std::vector<RecoveredTx> returned;
  for (const auto& block : change.removed) {
    for (const auto& tx : block.transactions) {
      if (still_mined.contains(tx_hash(tx))) continue;
      auto sender = recover_sender(tx);
      if (!sender) continue;  // cannot happen for a block that was valid
      returned.push_back(RecoveredTx{tx, *sender});
    }
  }
  pool.reinject(std::move(returned), now_ms);
}

}  // namespace tally::chain
