// MempoolCore, write side: indexes, eviction, admission, head changes.
// The read side (best(), queries, audit) is in mempool_queries.cpp.

#include "chain/mempool_core.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace tally::chain {
namespace {

std::int64_t as_signed(std::size_t v) {
  return v > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(v);
}

AddResult refusal(const Hash256& hash, AddStatus status, const std::string& detail = {}) {
  AddResult result;
  result.status = status;
  result.hash = hash;
  result.message = std::string(to_string(status));
  if (!detail.empty()) result.message += ": " + detail;
  return result;
}

// old * (100 + percent) / 100, or nullopt if it overflows.
std::optional<U256> bumped(const U256& old, std::uint32_t percent) {
  auto scaled = checked_mul(old, U256(100U) + U256(percent));
  if (!scaled) return std::nullopt;
  return U256(*scaled / 100U);
}

}  // namespace

bool MempoolCore::EvictOrder::operator()(const EvictKey& a, const EvictKey& b) const {
  if (a.tier != b.tier) return a.tier < b.tier;
  if (a.price != b.price) return a.price < b.price;
  return a.seq > b.seq;  // later arrival first
}

MempoolCore::MempoolCore(const MempoolOptions& options, const U256& base_fee, std::uint64_t gas_limit)
    : options_(options), base_fee_(base_fee), gas_limit_(gas_limit) {}

// ---------------------------------------------------------------- indexes

MempoolCore::EvictKey MempoolCore::key_of(const PooledTx& ptx, std::uint64_t seq) const {
  EvictKey key;
  key.seq = seq;
  key.sender = ptx.sender;
  key.nonce = ptx.tx.nonce;
  const U256& cap = fee_cap(ptx.tx);
  if (cap < base_fee_) {
    key.tier = 0;
    key.price = cap;
  } else {
    key.tier = 1;
    key.price = std::min(tip_cap(ptx.tx), U256(cap - base_fee_));
  }
  return key;
}

bool MempoolCore::cheaper(const EvictKey& a, const EvictKey& b) {
  return std::tie(a.tier, a.price) < std::tie(b.tier, b.price);
}

void MempoolCore::index_insert(Entry& entry) {
  EvictKey key = key_of(*entry.ptx, entry.seq);
  if (key.tier == 0) ++underpaid_count_;
  ++(entry.pending ? pending_count_ : queued_count_);
  entry.where = index_for(entry.pending).insert(std::move(key)).first;
}

void MempoolCore::index_erase(const Entry& entry) {
  if (entry.where->tier == 0) --underpaid_count_;
  --(entry.pending ? pending_count_ : queued_count_);
  index_for(entry.pending).erase(entry.where);
}

void MempoolCore::set_pending(Entry& entry, bool pending) {
  if (entry.pending == pending) return;
  auto node = index_for(entry.pending).extract(entry.where);
  --(entry.pending ? pending_count_ : queued_count_);
  entry.pending = pending;
  ++(entry.pending ? pending_count_ : queued_count_);
  entry.where = index_for(entry.pending).insert(std::move(node)).position;
}

void MempoolCore::refresh_pending(Sender& sender, std::size_t* promoted, std::size_t* demoted) {
  std::uint64_t expected = sender.account.nonce;
  bool contiguous = true;
  std::size_t count = 0;
  for (auto& [nonce, entry] : sender.txs) {
    const bool pending = contiguous && nonce == expected;
    if (pending) {
      ++expected;
      ++count;
    } else {
      contiguous = false;
    }
    if (pending != entry.pending) {
      if (pending && promoted) ++*promoted;
      if (!pending && demoted) ++*demoted;
      set_pending(entry, pending);
    }
  }
  sender.pending = count;
}

void MempoolCore::promote_from(Sender& sender, std::uint64_t nonce) {
  // The flags below `nonce` do not depend on it. Past the first gap above
  // it, every transaction was queued before and stays queued.
  if (nonce != sender.account.nonce) {
    auto before = sender.txs.find(nonce - 1);
    if (before == sender.txs.end() || !before->second.pending) return;
  }
  std::uint64_t expected = nonce;
  for (auto it = sender.txs.find(nonce); it != sender.txs.end() && it->first == expected; ++it, ++expected) {
    if (!it->second.pending) set_pending(it->second, true);
  }
  sender.pending = static_cast<std::size_t>(expected - sender.account.nonce);
}

MempoolCore::TxMap::iterator MempoolCore::erase_tx(Sender& sender, TxMap::iterator it) {
  const PooledTx& ptx = *it->second.ptx;
  index_erase(it->second);
  bytes_ -= ptx.size;
  sender.total_cost -= ptx.cost;  // checked: never below zero while the sum is kept
  by_hash_.erase(ptx.hash);       // the entry still holds ptx until the line below
  return sender.txs.erase(it);
}

const MempoolCore::Entry& MempoolCore::entry_of(const EvictKey& key) const {
  return senders_.at(key.sender).txs.at(key.nonce);
}

void MempoolCore::evict(const EvictKey& key, std::vector<Hash256>* evicted) {
  auto sit = senders_.find(key.sender);
  if (sit == senders_.end()) throw std::logic_error("mempool: evicting from an unknown sender");
  auto it = sit->second.txs.find(key.nonce);
  if (it == sit->second.txs.end()) throw std::logic_error("mempool: evicting an unknown nonce");
  if (evicted) evicted->push_back(it->second.ptx->hash);
  erase_tx(sit->second, it);
  refresh_pending(sit->second, nullptr, nullptr);
  if (sit->second.txs.empty()) senders_.erase(sit);
}

const MempoolCore::EvictKey* MempoolCore::cheapest() const {
  const bool has_pending = !pending_index_.empty();
  const bool has_queued = !queued_index_.empty();
  if (!has_pending && !has_queued) return nullptr;
  if (!has_queued) return &*pending_index_.begin();
  if (!has_pending) return &*queued_index_.begin();
  const EvictKey& p = *pending_index_.begin();
  const EvictKey& q = *queued_index_.begin();
  return EvictOrder{}(p, q) ? &p : &q;
}

std::size_t MempoolCore::enforce_caps(std::vector<Hash256>* evicted) {
  std::size_t count = 0;
  for (;;) {
    const EvictKey* victim = nullptr;
    // The first and last branches pick the same victim for different
    // reasons; the queued cap sits between them on purpose.
    if (underpaid_count_ > options_.max_underpaid) {  // NOLINT(bugprone-branch-clone)
      victim = cheapest();                            // tier 0 sorts first, so this one is underpaid
    } else if (queued_count_ > options_.max_queued) {
      victim = queued_index_.empty() ? nullptr : &*queued_index_.begin();
    } else if (pending_count_ + queued_count_ > options_.max_txs || bytes_ > options_.max_bytes) {
      victim = cheapest();
    }
    if (victim == nullptr) return count;
    const EvictKey key = *victim;  // evict() erases the node `victim` points into
    evict(key, evicted);
    ++count;
  }
}

// ---------------------------------------------------------------- admission

std::optional<std::vector<MempoolCore::EvictKey>> MempoolCore::plan_eviction(const EvictKey& incoming,
                                                                             bool incoming_pending, Needs needs) const {
  std::vector<EvictKey> victims;
  // A future (queued) newcomer never churns executable transactions out
  // (geth: ErrFutureReplacePending), so it looks at queued ones only.
  auto p = pending_index_.begin();
  const auto p_end = incoming_pending ? pending_index_.end() : pending_index_.begin();
  auto q = queued_index_.begin();
  while (!needs.met()) {
    const bool has_p = p != p_end;
    const bool has_q = q != queued_index_.end();
    if (!has_p && !has_q) return std::nullopt;
    const bool take_p = has_p && (!has_q || EvictOrder{}(*p, *q));
    const EvictKey& candidate = take_p ? *p++ : *q++;
    // Never the newcomer's own sender: evicting a lower nonce would leave
    // the newcomer behind a gap.
    if (candidate.sender == incoming.sender) continue;
    if (!cheaper(candidate, incoming)) return std::nullopt;
    const bool only_underpaid = needs.txs <= 0 && needs.bytes <= 0 && needs.queued <= 0;
    if (only_underpaid && candidate.tier != 0) return std::nullopt;  // tier 0 sorts first: none left
    victims.push_back(candidate);
    needs.txs -= 1;
    needs.bytes -= as_signed(entry_of(candidate).ptx->size);
    if (!take_p) needs.queued -= 1;
    if (candidate.tier == 0) needs.underpaid -= 1;
  }
  return victims;
}

AddResult MempoolCore::add(const PooledTxPtr& ptx, const AccountInfo& account, std::uint64_t now_ms) {
  const Transaction& tx = ptx->tx;
  const Hash256& hash = ptx->hash;
  if (contains(hash)) return refusal(hash, AddStatus::already_known);
  if (ptx->size > options_.max_tx_bytes) {
    return refusal(
        hash, AddStatus::oversized_data,
        "transaction size " + std::to_string(ptx->size) + ", limit " + std::to_string(options_.max_tx_bytes));
  }
  if (tx.gas_limit > gas_limit_) {
    return refusal(hash, AddStatus::gas_limit_exceeded,
                   "tx gas " + std::to_string(tx.gas_limit) + ", block gas limit " + std::to_string(gas_limit_));
  }
  if (tip_cap(tx) < options_.min_tip) {
    return refusal(
        hash, AddStatus::underpriced,
        "gas tip cap " + u256_to_decimal(tip_cap(tx)) + ", minimum needed " + u256_to_decimal(options_.min_tip));
  }

  // The sender's state may have moved since we last looked (a head whose
  // touched list did not name it): bring its transactions in line first.
  std::vector<Hash256> evicted;
  if (auto sit = senders_.find(ptx->sender); sit != senders_.end() && !(sit->second.account == account)) {
    HeadUpdate ignored;
    revalidate(ptx->sender, account, ignored);
    enforce_caps(&evicted);
  }

  if (tx.nonce < account.nonce) {
    return refusal(hash, AddStatus::nonce_too_low,
                   "next nonce " + std::to_string(account.nonce) + ", tx nonce " + std::to_string(tx.nonce));
  }
  if (tx.nonce - account.nonce >= options_.max_txs_per_sender) {
    return refusal(hash, AddStatus::nonce_too_high,
                   "next nonce " + std::to_string(account.nonce) + ", tx nonce " + std::to_string(tx.nonce) +
                       ", the pool holds at most " + std::to_string(options_.max_txs_per_sender) +
                       " nonces per sender");
  }
  if (account.balance < ptx->cost) {
    return refusal(hash, AddStatus::insufficient_funds,
                   "balance " + u256_to_decimal(account.balance) + ", tx cost " + u256_to_decimal(ptx->cost) +
                       ", overshot " + u256_to_decimal(U256(ptx->cost - account.balance)));
  }

  Sender* sender = nullptr;
  const Entry* existing = nullptr;
  if (auto sit = senders_.find(ptx->sender); sit != senders_.end()) {
    sender = &sit->second;
    if (auto it = sender->txs.find(tx.nonce); it != sender->txs.end()) existing = &it->second;
  }
  // geth's rule: the sender's other pooled transactions must stay payable too.
  const U256 spent = sender ? U256(sender->total_cost - (existing ? existing->ptx->cost : U256(0))) : U256(0);
  if (auto need = checked_add(spent, ptx->cost); !need || *need > account.balance) {
    return refusal(hash, AddStatus::insufficient_funds,
                   "balance " + u256_to_decimal(account.balance) + ", queued cost " + u256_to_decimal(spent) +
                       ", tx cost " + u256_to_decimal(ptx->cost) + ", overshot " +
                       (need ? u256_to_decimal(U256(*need - account.balance)) : std::string("beyond 256 bits")));
  }
  if (existing) {
    const Transaction& old = existing->ptx->tx;
    const auto fee_floor = bumped(fee_cap(old), options_.price_bump_percent);
    const auto tip_floor = bumped(tip_cap(old), options_.price_bump_percent);
    const bool raised = fee_cap(tx) > fee_cap(old) && tip_cap(tx) > tip_cap(old);
    if (!raised || !fee_floor || !tip_floor || fee_cap(tx) < *fee_floor || tip_cap(tx) < *tip_floor) {
      return refusal(hash, AddStatus::replacement_underpriced,
                     "fee cap " + u256_to_decimal(fee_cap(tx)) + " and tip cap " + u256_to_decimal(tip_cap(tx)) +
                         " must be at least " + std::to_string(options_.price_bump_percent) + "% above " +
                         u256_to_decimal(fee_cap(old)) + " and " + u256_to_decimal(tip_cap(old)));
    }
  }

  // Room: what the pool would hold with the newcomer, and who would go.
  const EvictKey key = key_of(*ptx, next_seq_);
  const bool incoming_pending =
      existing ? existing->pending : tx.nonce == account.nonce + (sender ? sender->pending : 0);
  Needs needs;
  const std::size_t count = pending_count_ + queued_count_;
  needs.txs = as_signed(count + (existing ? 0 : 1)) - as_signed(options_.max_txs);
  needs.bytes =
      as_signed(bytes_ + ptx->size) - as_signed(existing ? existing->ptx->size : 0) - as_signed(options_.max_bytes);
  needs.queued = !existing && !incoming_pending ? as_signed(queued_count_ + 1) - as_signed(options_.max_queued) : 0;
  const bool adds_underpaid = key.tier == 0 && (!existing || existing->where->tier != 0);
  needs.underpaid = adds_underpaid ? as_signed(underpaid_count_ + 1) - as_signed(options_.max_underpaid) : 0;
  auto victims = plan_eviction(key, incoming_pending, needs);
  if (!victims) {
    if (key.tier == 0 && needs.underpaid > 0) {
      return refusal(hash, AddStatus::underpriced,
                     "max fee per gas " + u256_to_decimal(fee_cap(tx)) + " below base fee " +
                         u256_to_decimal(base_fee_) + ", and the underpaid set is full (" +
                         std::to_string(options_.max_underpaid) + ")");
    }
    return refusal(hash, AddStatus::pool_full,
                   "no cheaper transaction to evict (" + std::to_string(count) + " transactions, " +
                       std::to_string(bytes_) + " bytes)");
  }

  // Commit. Victims belong to other senders, so `sender` and `existing`
  // stay valid while they go.
  ++next_seq_;
  AddResult result;
  result.hash = hash;
  result.evicted = std::move(evicted);
  for (const EvictKey& victim : *victims) evict(victim, &result.evicted);
  if (!sender) {
    sender = &senders_[ptx->sender];
    sender->account = account;
  }
  if (existing) {
    result.replaced = existing->ptx->hash;
    erase_tx(*sender, sender->txs.find(tx.nonce));
  }
  Entry& entry = sender->txs[tx.nonce];
  entry.ptx = ptx;
  entry.seq = key.seq;
  entry.pending = false;
  index_insert(entry);
  by_hash_.emplace(hash, ptx);
  bytes_ += ptx->size;
  sender->total_cost += ptx->cost;
  sender->active_ms = now_ms;
  promote_from(*sender, tx.nonce);
  result.pending = entry.pending;
  // Pending victims demote their senders' later nonces, which may overflow
  // the queued cap; the newcomer is never the one dropped here (it is
  // pending, or no pending victim was taken).
  enforce_caps(&result.evicted);
  if (!contains(hash)) throw std::logic_error("mempool: admitted transaction evicted by its own admission");
  result.message = std::string(to_string(AddStatus::added));
  return result;
}

// ---------------------------------------------------------------- head changes

void MempoolCore::set_head(const U256& base_fee, std::uint64_t gas_limit, HeadUpdate& update) {
  const bool rekey = base_fee != base_fee_;
  const bool lowered = gas_limit < gas_limit_;
  base_fee_ = base_fee;
  gas_limit_ = gas_limit;
  if (rekey) {
    // Most keys do not move (a tip cap below fee cap - base fee stays the
    // price); the others are extracted, re-keyed and re-inserted, so the set
    // stays ordered by the values it holds at every step and nodes are reused.
    for (auto& [address, sender] : senders_) {
      for (auto& [nonce, entry] : sender.txs) {
        EvictKey fresh = key_of(*entry.ptx, entry.seq);
        if (fresh.tier == entry.where->tier && fresh.price == entry.where->price) continue;
        auto& index = index_for(entry.pending);
        auto node = index.extract(entry.where);
        if (node.value().tier == 0) --underpaid_count_;
        if (fresh.tier == 0) ++underpaid_count_;
        node.value() = std::move(fresh);
        entry.where = index.insert(std::move(node)).position;
      }
    }
  }
  if (lowered) {
    for (auto sit = senders_.begin(); sit != senders_.end();) {
      Sender& sender = sit->second;
      for (auto it = sender.txs.begin(); it != sender.txs.end();) {
        if (it->second.ptx->tx.gas_limit > gas_limit_) {
          it = erase_tx(sender, it);
          ++update.removed_gas_limit;
        } else {
          ++it;
        }
      }
      refresh_pending(sender, &update.promoted, &update.demoted);
      sit = sender.txs.empty() ? senders_.erase(sit) : std::next(sit);
    }
  }
  update.evicted += enforce_caps(nullptr);
}

void MempoolCore::revalidate(const Address& address, const AccountInfo& account, HeadUpdate& update) {
  auto sit = senders_.find(address);
  if (sit == senders_.end()) return;
  Sender& sender = sit->second;
  ++update.senders_checked;
  sender.account = account;
  for (auto it = sender.txs.begin(); it != sender.txs.end();) {
    const std::uint64_t nonce = it->first;
    if (nonce < account.nonce || nonce - account.nonce >= options_.max_txs_per_sender) {
      it = erase_tx(sender, it);
      ++update.removed_stale;
    } else if (it->second.ptx->tx.gas_limit > gas_limit_) {
      it = erase_tx(sender, it);
      ++update.removed_gas_limit;
    } else {
      ++it;
    }
  }
  // Keep, in nonce order, every transaction the balance still covers
  // together with the ones kept before it.
  U256 running = 0;
  for (auto it = sender.txs.begin(); it != sender.txs.end();) {
    auto sum = checked_add(running, it->second.ptx->cost);
    if (!sum || *sum > account.balance) {
      it = erase_tx(sender, it);
      ++update.removed_unaffordable;
    } else {
      running = *sum;
      ++it;
    }
  }
  refresh_pending(sender, &update.promoted, &update.demoted);
  if (sender.txs.empty()) senders_.erase(sit);
}

std::vector<Address> MempoolCore::senders() const {
  std::vector<Address> out;
  out.reserve(senders_.size());
  for (const auto& [address, sender] : senders_) out.push_back(address);
  return out;
}

std::size_t MempoolCore::expire(std::uint64_t now_ms) {
  std::size_t dropped = 0;
  for (auto sit = senders_.begin(); sit != senders_.end();) {
    Sender& sender = sit->second;
    const bool idle = now_ms >= sender.active_ms && now_ms - sender.active_ms >= options_.queued_lifetime_ms;
    if (idle && sender.pending < sender.txs.size()) {
      // Queued transactions all sit after the pending run: no new gap.
      for (auto it = sender.txs.begin(); it != sender.txs.end();) {
        if (it->second.pending) {
          ++it;
        } else {
          it = erase_tx(sender, it);
          ++dropped;
        }
      }
    }
    sit = sender.txs.empty() ? senders_.erase(sit) : std::next(sit);
  }
  return dropped;
}

bool MempoolCore::remove(const Hash256& hash) {
  auto hit = by_hash_.find(hash);
  if (hit == by_hash_.end()) return false;
  const EvictKey key = key_of(*hit->second, 0);
  evict(key, nullptr);
  enforce_caps(nullptr);  // the demoted nonces may overflow the queued cap
  return true;
}

}  // namespace tally::chain
