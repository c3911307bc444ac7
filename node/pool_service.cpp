#include "node/pool_service.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <stdexcept>

#include "chain/transaction.hpp"
#include "node/clock.hpp"

namespace tally::node {

Result<Hash256> PoolService::submit_raw(BytesView raw) {
  if (raw.size() > pool_.options().max_tx_bytes) {
    return fail("oversized data: transaction of " + std::to_string(raw.size()) + " bytes exceeds the limit of " +
                std::to_string(pool_.options().max_tx_bytes));
  }
  auto tx = chain::decode(raw);
  if (!tx) return fail("invalid transaction: " + tx.error().message);
  auto added = submit(*tx);
  if (added && track_locals_) {
    {
      std::lock_guard lock(locals_mutex_);
      locals_.insert(*added);
    }
    if (journal_ != nullptr) {
      if (auto journaled = journal_->append(raw); !journaled) spdlog::warn("{}", journaled.error().message);
    }
  }
  return added;
}

std::vector<Bytes> PoolService::pooled_locals() {
  std::vector<Bytes> out;
  std::lock_guard lock(locals_mutex_);
  for (auto it = locals_.begin(); it != locals_.end();) {
    if (auto pooled = pool_.get(*it)) {
      out.push_back(chain::encode(pooled->tx));
      ++it;
    } else {
      it = locals_.erase(it);
    }
  }
  return out;
}

void PoolService::compact_journal() {
  // Compaction threshold: 1 MiB, or twice what the last rewrite kept.
  constexpr std::size_t kMinCompactBytes = 1U << 20U;
  if (journal_ == nullptr || journal_->bytes() < std::max(kMinCompactBytes, 2 * journal_compacted_bytes_)) return;
  const auto locals = pooled_locals();
  if (auto rewritten = journal_->rewrite(locals); !rewritten) {
    spdlog::warn("{}", rewritten.error().message);
    return;
  }
  journal_compacted_bytes_ = journal_->bytes();
}

Result<Hash256> PoolService::submit(const chain::Transaction& tx) {
  return admit(tx).result;
}

std::vector<PoolService::Verdict> PoolService::submit_from_peer(std::span<const chain::Transaction> txs,
                                                                std::span<const Hash256> hashes) {
  if (!hashes.empty() && hashes.size() != txs.size()) {
    throw std::invalid_argument("submit_from_peer: one hash per transaction, or none");
  }
  // Every sender is recovered before any enters the pool: one pass keeps the
  // curve's tables in cache, where interleaving recovery with the pool's
  // bookkeeping (and the listeners' work) left it slower.
  std::vector<Verdict> verdicts(txs.size(), Verdict::accepted);
  std::vector<Address> senders(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    auto sender = check(txs[i]);
    if (!sender) {
      verdicts[i] = Verdict::invalid;
      continue;
    }
    senders[i] = *sender;
  }
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (verdicts[i] != Verdict::accepted) continue;
    verdicts[i] = add(txs[i], senders[i], hashes.empty() ? std::nullopt : std::optional(hashes[i])).verdict;
  }
  return verdicts;
}

Result<Address> PoolService::check(const chain::Transaction& tx) const {
  chain::TxRules rules;
  rules.chain_id = config_.chain_id;
  rules.max_encoded_size = pool_.options().max_tx_bytes;
  if (auto checked = chain::validate_static(tx, rules); !checked) return fail(checked.message);
  auto sender = chain::recover_sender(tx);
  if (!sender) return fail("invalid sender: " + sender.error().message);
  return *sender;
}

PoolService::Outcome PoolService::admit(const chain::Transaction& tx) {
  auto sender = check(tx);
  if (!sender) return {fail(sender.error().message), Verdict::invalid};
  return add(tx, *sender);
}

PoolService::Outcome PoolService::add(const chain::Transaction& tx, const Address& sender,
                                      std::optional<Hash256> hash) {
  auto added = pool_.add(tx, sender, unix_ms(), hash);
  if (!added) {
    const bool known =
        added.status == chain::AddStatus::already_known || added.status == chain::AddStatus::nonce_too_low;
    return {fail(added.message), known ? Verdict::known : Verdict::refused};
  }
  if (auto pooled = pool_.get(added.hash)) {
    for (const auto& listener : listeners_) {
      try {
        listener(pooled);
      } catch (const std::exception& e) {
        spdlog::error("transaction listener failed: {}", e.what());
      }
    }
  }
  return {added.hash, Verdict::accepted};
}

}  // namespace tally::node
