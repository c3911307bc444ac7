#pragma once
// The transaction pool (mempool): signed transactions waiting for a block.
//
// What it does, in geth's terms (txpool/legacypool), with Tally's choices
// written down in docs/mempool.md:
//   - admission: add() checks the state-dependent rules (nonce, balance,
//     fees, caps) against the current head and answers with Ethereum's
//     wording ("nonce too low", "replacement transaction underpriced", ...).
//     The caller has already run validate_static() and recovered the sender
//     (the expensive part, done in parallel before the pool is touched).
//   - per sender: `pending` = the nonces contiguous from the account nonce
//     (executable now); `queued` = later nonces behind a gap. Filling a gap
//     promotes; removing a pending transaction demotes the ones after it.
//   - bounds: every one is a field of MempoolOptions; when full, the lowest
//     payer is evicted, and a newcomer that pays no more than it is refused.
//   - on_new_head(): drops mined and unaffordable transactions, promotes and
//     demotes, re-sorts by the new base fee.
//   - best(): executable transactions for a block, highest tip first, each
//     sender's nonces in order.
//
// The pool reads account state only through AccountReader and never reads a
// clock: time is passed in as milliseconds. It is thread-safe: one internal
// mutex guards everything; the AccountReader is never called under it
// (except for a bounded fallback, see add()).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/account.hpp"
#include "chain/transaction.hpp"
#include "crypto/bytes.hpp"
#include "crypto/uint256.hpp"

namespace tally::chain {

// ---------------------------------------------------------------- state access

// What the pool reads of an account: its nonce and balance.
using AccountInfo = Account;

// Read-only account state at one head. The pool keeps the reader of the
// current head and calls it from whichever thread calls add(), so it must be
// an immutable snapshot, safe for concurrent const calls. A missing account
// reads as AccountInfo{}.
class AccountReader {
 public:
  virtual ~AccountReader() = default;
  virtual AccountInfo account(const Address& address) const = 0;
};

// The head the pool validates against.
struct HeadState {
  U256 base_fee = 0;                              // of the next block (EIP-1559)
  std::uint64_t gas_limit = 30'000'000;           // of the next block
  std::shared_ptr<const AccountReader> accounts;  // required (non-null)
};

// ---------------------------------------------------------------- bounds

// Every bound of the pool. Defaults follow geth's legacypool where it has one
// (GlobalSlots + GlobalQueue, AccountQueue, PriceBump, Lifetime); see
// docs/mempool.md for each choice.
struct MempoolOptions {
  // Transactions held, pending + queued (geth: GlobalSlots 5120 + GlobalQueue 1024).
  std::size_t max_txs = 6144;
  // Queued (non-executable) transactions among them (geth: GlobalQueue).
  std::size_t max_queued = 1024;
  // Transactions whose fee cap is below the current base fee, pending or
  // queued. They are the first evicted.
  std::size_t max_underpaid = 512;
  // Sum of the encoded sizes of all pooled transactions.
  std::size_t max_bytes = 32 * 1024 * 1024;
  // Nonce window per sender: a nonce must be below account nonce + this
  // ("nonce too high" otherwise), so a sender never holds more than this
  // many transactions (geth: AccountQueue 64).
  std::size_t max_txs_per_sender = 64;
  // Largest encoded transaction ("oversized data"); geth's txMaxSize.
  std::size_t max_tx_bytes = TxLimits::kMaxEncodedSize;
  // Smallest tip cap (wei per gas) accepted ("transaction underpriced").
  // 0 for a development chain, like Anvil; geth's default is 1 wei.
  U256 min_tip = 0;
  // A replacement (same sender and nonce) must raise both the fee cap and
  // the tip cap by at least this percentage (geth: PriceBump 10).
  std::uint32_t price_bump_percent = 10;
  // Queued transactions of a sender that sent nothing for this long are
  // dropped by expire() (geth: Lifetime 3h).
  std::uint64_t queued_lifetime_ms = 3ULL * 60 * 60 * 1000;
};

// ---------------------------------------------------------------- entries and results

// A pooled transaction; immutable and shared, so queries hand it out without
// copying and it stays valid after the pool drops it.
struct PooledTx {
  Transaction tx;
  Hash256 hash{};
  Address sender{};
  std::size_t size = 0;        // encoded bytes
  U256 cost = 0;               // value + gas_limit * fee cap: the most it can spend
  std::uint64_t added_ms = 0;  // when it entered the pool
};
using PooledTxPtr = std::shared_ptr<const PooledTx>;

// value + gas_limit * fee cap; nullopt if it does not fit 256 bits.
std::optional<U256> max_cost(const Transaction& tx);

enum class AddStatus : std::uint8_t {
  added = 0,
  already_known,            // same hash already pooled (nothing changes)
  nonce_too_low,            // below the account nonce
  nonce_too_high,           // beyond the sender's nonce window
  insufficient_funds,       // balance < cost of this and the sender's other pooled txs
  underpriced,              // tip below min_tip, or underpaid set full
  replacement_underpriced,  // same sender+nonce without the price bump
  gas_limit_exceeded,       // gas limit above the block gas limit
  oversized_data,           // encoded size above max_tx_bytes
  pool_full,                // no cheaper transaction to evict
};

// Ethereum's wording: "already known", "nonce too low", "insufficient funds
// for gas * price + value", "transaction underpriced", ...
std::string_view to_string(AddStatus status) noexcept;

struct [[nodiscard]] AddResult {
  AddStatus status = AddStatus::added;
  // to_string(status), then ": " and the numbers where there are some.
  std::string message;
  Hash256 hash{};
  bool pending = false;             // added and executable now
  std::optional<Hash256> replaced;  // the transaction it replaced
  std::vector<Hash256> evicted;     // transactions dropped to make room

  bool ok() const noexcept { return status == AddStatus::added; }
  explicit operator bool() const noexcept { return ok(); }
};

// What on_new_head() changed.
struct HeadUpdate {
  std::size_t senders_checked = 0;
  std::size_t removed_stale = 0;         // nonce below the account nonce (mined)
  std::size_t removed_unaffordable = 0;  // the balance no longer covers them
  std::size_t removed_gas_limit = 0;     // above the new block gas limit
  std::size_t evicted = 0;               // over a cap after re-sorting
  std::size_t promoted = 0;              // queued -> pending
  std::size_t demoted = 0;               // pending -> queued
};

struct SenderContent {
  Address sender{};
  std::uint64_t account_nonce = 0;
  std::vector<PooledTxPtr> pending;  // nonce order, contiguous from account_nonce
  std::vector<PooledTxPtr> queued;   // nonce order
};

struct MempoolStatus {
  std::size_t pending = 0;
  std::size_t queued = 0;
  std::size_t underpaid = 0;  // of pending + queued: fee cap below the base fee
  std::size_t senders = 0;
  std::size_t bytes = 0;
};

// A transaction with its recovered sender (reinject()).
struct RecoveredTx {
  Transaction tx;
  Address sender{};
};

class MempoolCore;

// ---------------------------------------------------------------- the pool

class Mempool {
 public:
  // Throws std::invalid_argument for a null reader or inconsistent options
  // (a zero cap, max_tx_bytes above max_bytes): programmer errors.
  Mempool(MempoolOptions options, HeadState head);
  ~Mempool();
  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;

  // Admits a transaction whose static validity the caller checked and whose
  // sender it recovered. Reads the sender's account outside the lock; if the
  // head changes meanwhile it reads again (a few times, then once under the
  // lock). Adding the same transaction twice answers already_known. `hash`,
  // when the caller has it, is tx_hash(tx) (spares hashing it again).
  AddResult add(Transaction tx, const Address& sender, std::uint64_t now_ms,
                std::optional<Hash256> hash = std::nullopt);

  // After a reorg (call on_new_head() for the new head first): puts back the
  // transactions of the abandoned blocks, in nonce order per sender, unless
  // already known or refused (the new branch mined them: nonce too low).
  // Returns how many were added.
  std::size_t reinject(std::vector<RecoveredTx> txs, std::uint64_t now_ms);

  // A new head. Revalidates the senders in `touched` (every account whose
  // nonce or balance changed since the previous head) or, when nullopt,
  // every sender in the pool (use that after a reorg). Re-sorts by the new
  // base fee. Cost: O(n log n) for the re-sort when the base fee changed,
  // plus O(k log n) per revalidated sender holding k transactions, plus O(n)
  // when the gas limit went down. Calls are serialized among themselves.
  HeadUpdate on_new_head(HeadState head, std::optional<std::span<const Address>> touched = std::nullopt);

  // Drops the queued transactions of senders that added nothing for
  // queued_lifetime_ms. O(senders). Returns how many were dropped.
  std::size_t expire(std::uint64_t now_ms);

  // Removes one transaction (e.g. it failed in a block being built); the
  // sender's later nonces are demoted. False if unknown.
  bool remove(const Hash256& hash);

  // Executable transactions for a block with this base fee: highest
  // effective tip first (ties: earlier arrival), each sender in nonce order,
  // only fee caps >= base_fee, within gas_limit (a transaction that does not
  // fit is skipped with its sender's later ones, and packing goes on), at
  // most max_count. O(senders + k log senders).
  std::vector<PooledTxPtr> best(const U256& base_fee, std::uint64_t gas_limit, std::size_t max_count = SIZE_MAX) const;

  PooledTxPtr get(const Hash256& hash) const;  // nullptr if absent
  bool contains(const Hash256& hash) const;
  MempoolStatus status() const;
  std::size_t pending_count() const;
  std::size_t queued_count() const;
  std::size_t size_bytes() const;
  // The nonce eth_getTransactionCount(address, "pending") returns: account
  // nonce + the sender's contiguous pending transactions.
  std::uint64_t pending_nonce(const Address& sender) const;
  SenderContent content_of(const Address& sender) const;
  std::vector<SenderContent> content() const;  // every sender, by address
  const MempoolOptions& options() const noexcept { return options_; }

  // Checks every internal invariant (counts, gaps, bytes, caps, indexes);
  // returns the first violation. O(n log n); for tests and debugging.
  std::optional<std::string> audit() const;

 private:
  const MempoolOptions options_;
  mutable std::mutex mutex_;  // guards core_, accounts_, head_seq_
  std::mutex head_mutex_;     // serializes on_new_head(); never taken by add()
  std::unique_ptr<MempoolCore> core_;
  std::shared_ptr<const AccountReader> accounts_;
  std::uint64_t head_seq_ = 0;
};

}  // namespace tally::chain
