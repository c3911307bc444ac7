#include "chain/mempool.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <utility>

#include "chain/mempool_core.hpp"

namespace tally::chain {
namespace {

// How many times add() re-reads an account when the head moves under it
// before it reads once under the lock.
constexpr int kMaxHeadRetries = 3;

void check_options(const MempoolOptions& options) {
  if (options.max_txs == 0) throw std::invalid_argument("mempool: max_txs must be positive");
  if (options.max_txs_per_sender == 0) throw std::invalid_argument("mempool: max_txs_per_sender must be positive");
  if (options.max_tx_bytes > options.max_bytes) {
    throw std::invalid_argument("mempool: max_tx_bytes must not exceed max_bytes");
  }
}

}  // namespace

std::optional<U256> max_cost(const Transaction& tx) {
  auto gas = checked_mul(U256(tx.gas_limit), fee_cap(tx));
  if (!gas) return std::nullopt;
  return checked_add(*gas, tx.value);
}

std::string_view to_string(AddStatus status) noexcept {
  switch (status) {
    case AddStatus::added:
      return "added";
    case AddStatus::already_known:
      return "already known";
    case AddStatus::nonce_too_low:
      return "nonce too low";
    case AddStatus::nonce_too_high:
      return "nonce too high";
    case AddStatus::insufficient_funds:
      return "insufficient funds for gas * price + value";
    case AddStatus::underpriced:
      return "transaction underpriced";
    case AddStatus::replacement_underpriced:
      return "replacement transaction underpriced";
    case AddStatus::gas_limit_exceeded:
      return "exceeds block gas limit";
    case AddStatus::oversized_data:
      return "oversized data";
    case AddStatus::pool_full:
      return "txpool is full";
  }
  return "unknown";
}

Mempool::Mempool(MempoolOptions options, HeadState head) : options_(std::move(options)) {
  check_options(options_);
  if (!head.accounts) throw std::invalid_argument("mempool: the head needs an account reader");
  core_ = std::make_unique<MempoolCore>(options_, head.base_fee, head.gas_limit);
  accounts_ = std::move(head.accounts);
}

Mempool::~Mempool() = default;

AddResult Mempool::add(Transaction tx, const Address& sender, std::uint64_t now_ms, std::optional<Hash256> hash) {
  // Hashing, sizing and costing need no lock.
  auto ptx = std::make_shared<PooledTx>();
  assert(!hash || *hash == tx_hash(tx));
  ptx->hash = hash ? *hash : tx_hash(tx);
  ptx->size = encoded_size(tx);
  ptx->sender = sender;
  ptx->added_ms = now_ms;
  auto cost = max_cost(tx);
  if (!cost) {
    AddResult result;
    result.status = AddStatus::insufficient_funds;
    result.hash = ptx->hash;
    result.message = std::string(to_string(result.status)) + ": tx cost does not fit 256 bits";
    return result;
  }
  ptx->cost = *cost;
  ptx->tx = std::move(tx);
  const PooledTxPtr shared = std::move(ptx);

  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<const AccountReader> reader;
    std::uint64_t seq = 0;
    {
      std::lock_guard lock(mutex_);
      if (core_->contains(shared->hash)) {
        AddResult known;
        known.status = AddStatus::already_known;
        known.hash = shared->hash;
        known.message = std::string(to_string(known.status));
        return known;
      }
      reader = accounts_;
      seq = head_seq_;
    }
    const AccountInfo account = reader->account(sender);  // outside the lock
    std::lock_guard lock(mutex_);
    if (seq == head_seq_) return core_->add(shared, account, now_ms);
    if (attempt + 1 >= kMaxHeadRetries) {
      // The head keeps moving: read the current one under the lock rather
      // than admit against a stale state.
      return core_->add(shared, accounts_->account(sender), now_ms);
    }
  }
}

std::size_t Mempool::reinject(std::vector<RecoveredTx> txs, std::uint64_t now_ms) {
  std::stable_sort(txs.begin(), txs.end(), [](const RecoveredTx& a, const RecoveredTx& b) {
    return a.sender != b.sender ? a.sender < b.sender : a.tx.nonce < b.tx.nonce;
  });
  std::size_t added = 0;
  for (RecoveredTx& item : txs) {
    if (add(std::move(item.tx), item.sender, now_ms).ok()) ++added;
  }
  return added;
}

HeadUpdate Mempool::on_new_head(HeadState head, std::optional<std::span<const Address>> touched) {
  if (!head.accounts) throw std::invalid_argument("mempool: the head needs an account reader");
  std::lock_guard serial(head_mutex_);
  HeadUpdate update;
  std::vector<Address> senders;
  std::shared_ptr<const AccountReader> reader = head.accounts;
  {
    // Install the head first, so adds from now on read the new state.
    std::lock_guard lock(mutex_);
    accounts_ = std::move(head.accounts);
    ++head_seq_;
    core_->set_head(head.base_fee, head.gas_limit, update);
    if (touched) {
      for (const Address& address : *touched) {
        if (core_->pending_nonce(address)) senders.push_back(address);
      }
    } else {
      senders = core_->senders();
    }
  }
  std::vector<AccountInfo> accounts;
  accounts.reserve(senders.size());
  for (const Address& address : senders) accounts.push_back(reader->account(address));  // outside the lock

  // on_new_head() calls are serialized, so the head installed above is
  // still the current one.
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < senders.size(); ++i) core_->revalidate(senders[i], accounts[i], update);
  update.evicted += core_->enforce_caps(nullptr);
  return update;
}

std::size_t Mempool::expire(std::uint64_t now_ms) {
  std::lock_guard lock(mutex_);
  return core_->expire(now_ms);
}

bool Mempool::remove(const Hash256& hash) {
  std::lock_guard lock(mutex_);
  return core_->remove(hash);
}

std::vector<PooledTxPtr> Mempool::best(const U256& base_fee, std::uint64_t gas_limit, std::size_t max_count) const {
  std::lock_guard lock(mutex_);
  return core_->best(base_fee, gas_limit, max_count);
}

PooledTxPtr Mempool::get(const Hash256& hash) const {
  std::lock_guard lock(mutex_);
  return core_->get(hash);
}

bool Mempool::contains(const Hash256& hash) const {
  std::lock_guard lock(mutex_);
  return core_->contains(hash);
}

MempoolStatus Mempool::status() const {
  std::lock_guard lock(mutex_);
  return core_->status();
}

std::size_t Mempool::pending_count() const {
  std::lock_guard lock(mutex_);
  return core_->pending_count();
}

std::size_t Mempool::queued_count() const {
  std::lock_guard lock(mutex_);
  return core_->queued_count();
}

std::size_t Mempool::size_bytes() const {
  std::lock_guard lock(mutex_);
  return core_->bytes();
}

std::uint64_t Mempool::pending_nonce(const Address& sender) const {
  std::shared_ptr<const AccountReader> reader;
  {
    std::lock_guard lock(mutex_);
    if (auto nonce = core_->pending_nonce(sender)) return *nonce;
    reader = accounts_;
  }
  return reader->account(sender).nonce;  // not pooled: the account nonce
}

SenderContent Mempool::content_of(const Address& sender) const {
  std::lock_guard lock(mutex_);
  return core_->content_of(sender);
}

std::vector<SenderContent> Mempool::content() const {
  std::lock_guard lock(mutex_);
  return core_->content();
}

std::optional<std::string> Mempool::audit() const {
  std::lock_guard lock(mutex_);
  return core_->audit();
}

}  // namespace tally::chain
