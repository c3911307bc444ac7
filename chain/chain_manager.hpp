#pragma once
// The chain manager: the one writer of the ledger. It imports blocks
// (validate the header, execute, check the roots, store), keeps the head on
// the chain the engine prefers, reorganises when a heavier branch appears,
// and holds blocks whose parent is not known yet in a bounded orphan pool.
//
// Every import is one atomic, synced LevelDB batch: block, receipts, state
// nodes, canonical index and head pointer together, so a crash at any
// instant leaves the old head or the new one. Side-chain blocks are executed
// and validated fully before they are stored, so a reorg only ever moves to
// blocks already known valid: an invalid branch is refused block by block
// and the head stays on the best valid chain. No reorg goes below the newest
// final block.
//
// Threading: import_block, check_block and finalize must be called from one
// thread (the node's import strand); head() and the store's readers may be
// called from any thread at any time.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "chain/chain_store.hpp"
#include "chain/database.hpp"
#include "chain/engine.hpp"
#include "chain/execution.hpp"
#include "chain/genesis.hpp"
#include "chain/state.hpp"

namespace tally::chain {

struct ChainOptions {
  std::size_t max_orphans = 512;              // blocks held while their parent is unknown
  std::size_t max_orphan_bytes = 64U << 20U;  // their approximate encoded size in all
  std::size_t max_invalid_remembered = 4096;  // hashes of blocks found invalid, refused at once
  bool sync_writes = true;                    // fsync each import (off only for benchmarks)
};

enum class ImportStatus : std::uint8_t {
  new_head,       // stored, and the head moved (extension or reorg)
  side_chain,     // stored and valid, but not preferred over the head
  already_known,  // stored before; nothing changed
  orphan,         // parent unknown: held in the orphan pool
  invalid,        // refused; `error` says why
};

std::string_view to_string(ImportStatus status) noexcept;

// How the canonical chain changed: what mempool, RPC subscriptions and p2p
// need to hear after an import.
struct HeadChange {
  std::vector<Block> removed;  // blocks no longer canonical, highest first
  std::vector<Block> added;    // blocks newly canonical, lowest first
  bool is_reorg() const noexcept { return !removed.empty(); }
};

struct ImportResult {
  ImportStatus status = ImportStatus::invalid;
  Hash256 hash{};
  std::string error;                      // for invalid
  std::optional<HeadChange> head_change;  // when the head moved, including by orphans this block connected
  bool ok() const noexcept { return status != ImportStatus::invalid; }
};

class ChainManager {
 public:
  // Opens the chain in `db`, writing the genesis block on first use. Refuses
  // a datadir made for another genesis or by a newer schema, changing nothing.
  static Result<std::unique_ptr<ChainManager>> open(Database& db, const Genesis& genesis, const Engine& engine,
                                                    const ChainOptions& options = {});

  // Imports one block. `senders` may hold the recovered sender of each
  // transaction (recovered in parallel by the caller); empty: recovered here.
  // `prepared`: the block's execution from this node's own build_block
  // (trusted, not re-run; used only if it matches the header's gas and
  // roots, else the block is executed as any other).
  ImportResult import_block(const Block& block, std::uint64_t now_seconds, std::span<const Address> senders = {},
                            std::shared_ptr<const BlockExecution> prepared = nullptr);

  // Checks a block as import_block would (header rules on its stored
  // parent, execution, roots) without storing it: a consensus vote on a
  // proposal. The last block checked keeps its execution, so importing it
  // next (once the vote succeeds) does not execute it again.
  // `fault`, when given, says which check failed.
  enum class BlockFault : std::uint8_t { none, parent, header, senders, execution, results };
  Result<void> check_block(const Block& block, std::uint64_t now_seconds, std::span<const Address> senders = {},
                           BlockFault* fault = nullptr);

  // Records a finality certificate for a canonical block (PBFT): afterwards
  // no reorg goes below it.
  Result<void> finalize(const Hash256& hash, BytesView certificate);

  ChainTip head() const;
  Header head_header() const;
  std::uint64_t finalized_number() const;
  std::size_t orphan_count() const;

  // Balance and nonce at any stored block (historical reads).
  std::optional<Account> account_at(const Address& address, const Hash256& block_hash) const;

  const ChainStore& store() const noexcept { return store_; }
  const ChainConfig& config() const noexcept { return config_; }
  const Engine& engine() const noexcept { return engine_; }
  const Hash256& genesis_hash() const noexcept { return genesis_hash_; }

 private:
  ChainManager(Database& db, const Genesis& genesis, const Engine& engine, const ChainOptions& options);
  Result<void> load_or_init(const Genesis& genesis);
  ImportResult import_one(const Block& block, const Hash256& hash, std::uint64_t now_seconds,
                          std::span<const Address> senders, const BlockExecution* prepared);
  Result<std::vector<Address>> recover_senders(const Block& block) const;
  // A block's execution on its parent's state, checked against its header.
  struct Executed {
    Hash256 hash{};
    ExecutionResult result;
    NodeBatch nodes;  // the state trie nodes it adds
  };
  // Recovers senders when none are given. Fails with the reason and the
  // check that failed (every failure here makes the block itself invalid).
  Result<Executed> execute_checked(const Block& block, const Hash256& hash, const Header& parent,
                                   std::span<const Address> senders, BlockFault& fault) const;
  // Adds to `batch` the canonical-index changes that make `block` the head.
  // Returns false (and adds nothing) if that would reorganise below the
  // newest final block.
  bool adopt(WriteBatch& batch, const Block& block, const Hash256& hash) const;
  HeadChange diff(const Hash256& old_head, const Hash256& new_head) const;
  void add_orphan(const Block& block, const Hash256& hash);
  std::vector<Block> take_orphans_of(const Hash256& parent);
  void remember_invalid(const Hash256& hash);

  Database& db_;
  ChainStore store_;
  const Engine& engine_;
  ChainOptions options_;
  ChainConfig config_;
  Hash256 genesis_hash_{};

  mutable std::mutex head_mutex_;  // guards head_, head_header_, finalized_number_
  ChainTip head_;
  Header head_header_;
  std::uint64_t finalized_number_ = 0;

  // Import-thread state.
  struct Orphan {
    Block block;
    Hash256 hash;
    std::size_t bytes;
  };
  std::deque<Orphan> orphans_;  // oldest first
  std::size_t orphan_bytes_ = 0;
  std::unordered_set<Hash256, FixedBytesHasher, FixedBytesEqual> invalid_;
  std::deque<Hash256> invalid_order_;
  std::optional<Executed> checked_;  // the last block check_block passed
};

}  // namespace tally::chain
