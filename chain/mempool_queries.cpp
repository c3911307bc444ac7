// MempoolCore, read side: block selection, queries and the invariant audit.
// The write side (admission, eviction, heads) is in mempool_core.cpp.

#include <algorithm>

#include "chain/mempool_core.hpp"

namespace tally::chain {

// ---------------------------------------------------------------- block building

std::vector<PooledTxPtr> MempoolCore::best(const U256& base_fee, std::uint64_t gas_limit, std::size_t max_count) const {
  struct Head {
    U256 tip;
    std::uint64_t seq;
    TxMap::const_iterator it;
    TxMap::const_iterator end;
  };
  // Max-heap on tip; equal tips: earlier arrival first.
  auto lower = [](const Head& a, const Head& b) { return a.tip != b.tip ? a.tip < b.tip : a.seq > b.seq; };
  std::vector<Head> heads;
  heads.reserve(senders_.size());
  auto push_if_payable = [&](TxMap::const_iterator it, TxMap::const_iterator end) {
    if (it == end || !it->second.pending) return;
    auto tip = effective_tip(it->second.ptx->tx, base_fee);
    if (!tip) return;  // fee cap below the base fee: this sender waits
    heads.push_back(Head{*tip, it->second.seq, it, end});
    std::push_heap(heads.begin(), heads.end(), lower);
  };
  for (const auto& [address, sender] : senders_) push_if_payable(sender.txs.begin(), sender.txs.end());

  std::vector<PooledTxPtr> out;
  std::uint64_t gas_left = gas_limit;
  while (!heads.empty() && out.size() < max_count && gas_left >= kTxGas) {
    std::pop_heap(heads.begin(), heads.end(), lower);
    const Head head = heads.back();
    heads.pop_back();
    const PooledTxPtr& ptx = head.it->second.ptx;
    // Too big for what is left: skip it, and with it the sender's later
    // nonces, which cannot come before it.
    if (ptx->tx.gas_limit > gas_left) continue;
    out.push_back(ptx);
    gas_left -= ptx->tx.gas_limit;
    push_if_payable(std::next(head.it), head.end);
  }
  return out;
}

// ---------------------------------------------------------------- queries

MempoolStatus MempoolCore::status() const {
  return MempoolStatus{pending_count_, queued_count_, underpaid_count_, senders_.size(), bytes_};
}

std::optional<std::uint64_t> MempoolCore::pending_nonce(const Address& address) const {
  auto sit = senders_.find(address);
  if (sit == senders_.end()) return std::nullopt;
  return sit->second.account.nonce + sit->second.pending;
}

SenderContent MempoolCore::content_of(const Address& address) const {
  SenderContent out;
  out.sender = address;
  auto sit = senders_.find(address);
  if (sit == senders_.end()) return out;
  out.account_nonce = sit->second.account.nonce;
  for (const auto& [nonce, entry] : sit->second.txs) (entry.pending ? out.pending : out.queued).push_back(entry.ptx);
  return out;
}

std::vector<SenderContent> MempoolCore::content() const {
  std::vector<Address> addresses = senders();
  std::sort(addresses.begin(), addresses.end());
  std::vector<SenderContent> out;
  out.reserve(addresses.size());
  for (const Address& address : addresses) out.push_back(content_of(address));
  return out;
}

std::optional<std::string> MempoolCore::audit() const {
  std::size_t pending = 0, queued = 0, underpaid = 0, bytes = 0, txs = 0;
  for (const auto& [address, sender] : senders_) {
    if (sender.txs.empty()) return "sender with no transactions";
    std::uint64_t expected = sender.account.nonce;
    bool contiguous = true;
    std::size_t sender_pending = 0;
    U256 cost = 0;
    for (const auto& [nonce, entry] : sender.txs) {
      const PooledTx& ptx = *entry.ptx;
      if (ptx.sender != address || ptx.tx.nonce != nonce) return "entry filed under the wrong sender or nonce";
      if (nonce < sender.account.nonce) return "nonce below the account nonce";
      if (nonce - sender.account.nonce >= options_.max_txs_per_sender) return "nonce beyond the sender window";
      const bool should_pend = contiguous && nonce == expected;
      if (should_pend) {
        ++expected;
        ++sender_pending;
      } else {
        contiguous = false;
      }
      if (entry.pending != should_pend) return "pending flag does not match the nonce run (gap in pending)";
      auto hit = by_hash_.find(ptx.hash);
      if (hit == by_hash_.end() || hit->second != entry.ptx) return "entry missing from the hash map";
      const EvictKey& key = *entry.where;
      const EvictKey want = key_of(ptx, entry.seq);
      if (key.tier != want.tier || key.price != want.price || key.seq != want.seq || key.sender != address ||
          key.nonce != nonce) {
        return "eviction key out of date";
      }
      if (!index_for(entry.pending).contains(key)) return "entry not in its index";
      (entry.pending ? pending : queued) += 1;
      underpaid += key.tier == 0 ? 1 : 0;
      bytes += ptx.size;
      cost += ptx.cost;
      ++txs;
    }
    if (sender.pending != sender_pending) return "sender pending count wrong";
    if (cost != sender.total_cost) return "sender total cost wrong";
    if (cost > sender.account.balance) return "sender cannot pay for its transactions";
  }
  if (txs != by_hash_.size()) return "hash map size does not match the entries";
  if (pending != pending_count_ || pending != pending_index_.size()) return "pending count wrong";
  if (queued != queued_count_ || queued != queued_index_.size()) return "queued count wrong";
  if (underpaid != underpaid_count_) return "underpaid count wrong";
  if (bytes != bytes_) return "byte total wrong";
  if (txs > options_.max_txs) return "max_txs exceeded";
  if (queued > options_.max_queued) return "max_queued exceeded";
  if (underpaid > options_.max_underpaid) return "max_underpaid exceeded";
  if (bytes > options_.max_bytes) return "max_bytes exceeded";
  return std::nullopt;
}

}  // namespace tally::chain
