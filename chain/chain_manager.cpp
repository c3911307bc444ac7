#include "chain/chain_manager.hpp"

#include <algorithm>

#include "chain/execution.hpp"
#include "chain/warm_tries.hpp"
#include "crypto/hex.hpp"

namespace tally::chain {
namespace {

std::string short_hash(const Hash256& hash) {
  return to_hex_prefixed(hash);
}

std::size_t approximate_size(const Block& block) {
  std::size_t bytes = 1024;  // header and overhead
  for (const auto& tx : block.transactions) bytes += encoded_size(tx);
  return bytes;
}

}  // namespace

std::string_view to_string(ImportStatus status) noexcept {
  switch (status) {
    case ImportStatus::new_head:
      return "new_head";
    case ImportStatus::side_chain:
      return "side_chain";
    case ImportStatus::already_known:
      return "already_known";
    case ImportStatus::orphan:
      return "orphan";
    case ImportStatus::invalid:
      return "invalid";
  }
  return "unknown";
}

ChainManager::ChainManager(Database& db, const Genesis& genesis, const Engine& engine, const ChainOptions& options)
    : db_(db), store_(db), engine_(engine), options_(options), config_(genesis.config), genesis_hash_(genesis.hash) {}

Result<std::unique_ptr<ChainManager>> ChainManager::open(Database& db, const Genesis& genesis, const Engine& engine,
                                                         const ChainOptions& options) {
  std::unique_ptr<ChainManager> chain(new ChainManager(db, genesis, engine, options));
  if (auto loaded = chain->load_or_init(genesis); !loaded) return Unexpected{loaded.error()};
  return chain;
}

Result<void> ChainManager::load_or_init(const Genesis& genesis) {
  const auto schema = store_.schema_version();
  if (!schema) {
    if (store_.head_hash()) return fail("datadir has a head but no schema version: it is corrupt or not Tally's");
    WriteBatch batch;
    const U256 weight = engine_.weight(genesis.block.header);
    ChainStore::put_block(batch, genesis.block, genesis.hash, {}, weight);
    ChainStore::put_nodes(batch, genesis.state);
    ChainStore::set_canonical(batch, genesis.block, genesis.hash);
    ChainStore::put_meta(batch, kSchemaVersion, genesis.hash);
    ChainStore::set_head(batch, genesis.hash);
    db_.write(batch, true);
  } else if (*schema > kSchemaVersion) {
    return fail("datadir was written by a newer Tally (schema " + std::to_string(*schema) +
                "); this build reads schema " + std::to_string(kSchemaVersion) + ". Nothing was changed.");
  }
  const auto stored_genesis = store_.genesis_hash();
  if (!stored_genesis) return fail("datadir has no genesis hash: it is corrupt");
  if (*stored_genesis != genesis.hash) {
    return fail("datadir belongs to another network: its genesis is " + short_hash(*stored_genesis) +
                " but the genesis file gives " + short_hash(genesis.hash) +
                ". Use another --datadir or the matching genesis file. Nothing was changed.");
  }
  const auto head_hash = store_.head_hash();
  if (!head_hash) return fail("datadir has no head block: it is corrupt");
  auto header = store_.header(*head_hash);
  auto weight = store_.total_weight(*head_hash);
  if (!header || !weight) return fail("datadir head " + short_hash(*head_hash) + " is missing: it is corrupt");
  std::uint64_t finalized = 0;
  if (const auto final_hash = store_.final_hash()) {
    const auto final_header = store_.header(*final_hash);
    if (!final_header) return fail("datadir final block " + short_hash(*final_hash) + " is missing: it is corrupt");
    finalized = final_header->number;
  }
  if (schema && *schema < kSchemaVersion) {  // checked above: this datadir is this network's and whole
    WriteBatch batch;
    ChainStore::put_schema(batch, kSchemaVersion);
    db_.write(batch, true);
  }
  const std::lock_guard lock(head_mutex_);
  head_ = ChainTip{*head_hash, header->number, *weight};
  head_header_ = std::move(*header);
  finalized_number_ = finalized;
  return {};
}

ChainTip ChainManager::head() const {
  const std::lock_guard lock(head_mutex_);
  return head_;
}

Header ChainManager::head_header() const {
  const std::lock_guard lock(head_mutex_);
  return head_header_;
}

std::uint64_t ChainManager::finalized_number() const {
  const std::lock_guard lock(head_mutex_);
  return finalized_number_;
}

std::size_t ChainManager::orphan_count() const {
  return orphans_.size();
}

std::optional<Account> ChainManager::account_at(const Address& address, const Hash256& block_hash) const {
  const auto header = store_.header(block_hash);
  if (!header) return std::nullopt;
  const StateDB state(store_, header->state_root);
  return state.get(address);
}

ImportResult ChainManager::import_block(const Block& block, std::uint64_t now_seconds, std::span<const Address> senders,
                                        std::shared_ptr<const BlockExecution> prepared) {
  const ChainTip before = head();
  const Hash256 hash = block_hash(block);
  ImportResult result = import_one(block, hash, now_seconds, senders, prepared.get());
  if (result.status == ImportStatus::new_head || result.status == ImportStatus::side_chain) {
    // Blocks that were waiting for this one; each may free others in turn.
    std::vector<Block> ready = take_orphans_of(hash);
    while (!ready.empty()) {
      Block next = std::move(ready.back());
      ready.pop_back();
      const Hash256 next_hash = block_hash(next);
      const ImportResult connected = import_one(next, next_hash, now_seconds, {}, nullptr);
      if (connected.status == ImportStatus::new_head || connected.status == ImportStatus::side_chain) {
        for (auto& child : take_orphans_of(next_hash)) ready.push_back(std::move(child));
      }
    }
  }
  const ChainTip after = head();
  if (after.hash == hash && block.header.parent_hash == before.hash) {
    // The common case, one block on the head: it is in hand, not read back.
    result.head_change = HeadChange{{}, {block}};
  } else if (after.hash != before.hash) {
    result.head_change = diff(before.hash, after.hash);
    if (result.status == ImportStatus::side_chain) result.status = ImportStatus::new_head;
  }
  return result;
}

ImportResult ChainManager::import_one(const Block& block, const Hash256& hash, std::uint64_t now_seconds,
                                      std::span<const Address> senders, const BlockExecution* prepared) {
  ImportResult result;
  result.hash = hash;
  const auto refuse = [&](std::string why) {
    result.status = ImportStatus::invalid;
    result.error = "block " + std::to_string(block.header.number) + " (" + short_hash(hash) + "): " + std::move(why);
    return result;
  };
  if (invalid_.contains(hash)) return refuse("found invalid before");
  if (store_.has_block(hash)) {
    result.status = ImportStatus::already_known;
    return result;
  }
  if (invalid_.contains(block.header.parent_hash)) {
    remember_invalid(hash);
    return refuse("its parent is invalid");
  }
  const auto parent = store_.header(block.header.parent_hash);
  if (!parent) {
    add_orphan(block, hash);
    result.status = ImportStatus::orphan;
    return result;
  }
  // Header failures may depend on the clock (a timestamp too far ahead), so
  // they are not remembered: the block may be valid a little later.
  if (auto ok = verify_header(config_, engine_, block.header, *parent, store_, now_seconds); !ok) {
    return refuse(ok.error().message);
  }
  Executed executed;
  const ExecutionResult* execution = &executed.result;
  const NodeBatch* nodes = &executed.nodes;
  if (prepared != nullptr && validate_block_result(block.header, prepared->result)) {
    execution = &prepared->result;  // this node built it: already run on this parent
    nodes = &prepared->nodes;
  } else if (checked_ && checked_->hash == hash) {
    executed = std::move(*checked_);  // check_block ran it on this parent
    checked_.reset();
  } else {
    BlockFault fault = BlockFault::none;
    auto run = execute_checked(block, hash, *parent, senders, fault);
    if (!run) {
      if (fault != BlockFault::none) remember_invalid(hash);
      return refuse(run.error().message);
    }
    executed = std::move(*run);
  }
  const auto parent_weight = store_.total_weight(block.header.parent_hash);
  if (!parent_weight)
    throw StorageError("datadir is corrupt: no total weight for " + short_hash(block.header.parent_hash));
  const auto weight = checked_add(*parent_weight, engine_.weight(block.header));
  if (!weight) return refuse("total chain weight overflows 256 bits");

  WriteBatch batch;
  ChainStore::put_block(batch, block, hash, execution->receipts, *weight);
  ChainStore::put_nodes(batch, *nodes);
  const ChainTip candidate{hash, block.header.number, *weight};
  const bool becomes_head = engine_.prefers(candidate, head()) && adopt(batch, block, hash);
  db_.write(batch, options_.sync_writes);
  // Who reads these nodes next is the next block's execution, and it finds
  // them in the trie this block's execution left at its root
  // (warm_tries.hpp). Only when none did are they cached: moved if this
  // call executed the block, copied if their owner keeps them.
  const WarmTries* warm = store_.warm_tries();
  if (warm == nullptr || warm->kept_root() != block.header.state_root) {
    store_.cache_nodes(nodes == &executed.nodes ? std::move(executed.nodes) : NodeBatch(*nodes));
  }
  if (becomes_head) {
    const std::lock_guard lock(head_mutex_);
    head_ = candidate;
    head_header_ = block.header;
  }
  result.status = becomes_head ? ImportStatus::new_head : ImportStatus::side_chain;
  return result;
}

Result<void> ChainManager::check_block(const Block& block, std::uint64_t now_seconds, std::span<const Address> senders,
                                       BlockFault* fault) {
  BlockFault ignored = BlockFault::none;
  BlockFault& why = fault != nullptr ? *fault : ignored;
  why = BlockFault::none;
  const auto parent = store_.header(block.header.parent_hash);
  if (!parent) {
    why = BlockFault::parent;
    return fail("block " + std::to_string(block.header.number) + ": parent unknown");
  }
  if (auto ok = verify_header(config_, engine_, block.header, *parent, store_, now_seconds); !ok) {
    why = BlockFault::header;
    return ok;
  }
  auto executed = execute_checked(block, block_hash(block), *parent, senders, why);
  if (!executed) return Unexpected{executed.error()};
  checked_ = std::move(*executed);
  return {};
}

Result<ChainManager::Executed> ChainManager::execute_checked(const Block& block, const Hash256& hash,
                                                             const Header& parent, std::span<const Address> senders,
                                                             BlockFault& fault) const {
  fault = BlockFault::none;
  if (!senders.empty() && senders.size() != block.transactions.size()) {
    return fail("internal: sender count does not match transaction count");
  }
  std::vector<Address> recovered;
  if (senders.empty()) {
    auto r = recover_senders(block);
    if (!r) {
      fault = BlockFault::senders;
      return Unexpected{r.error()};
    }
    recovered = std::move(r).value();
    senders = recovered;
  }
  StateDB state(store_, parent.state_root, StateUse::block);
  auto result = execute_block(config_, parent, block, senders, state, engine_.block_reward(block.header.number));
  if (!result) {
    fault = BlockFault::execution;
    return Unexpected{result.error()};
  }
  if (auto matches = validate_block_result(block.header, *result); !matches) {
    fault = BlockFault::results;
    return Unexpected{matches.error()};
  }
  Executed out{hash, std::move(*result), {}};
  state.commit(out.nodes);
  return out;
}

Result<std::vector<Address>> ChainManager::recover_senders(const Block& block) const {
  std::vector<Address> senders;
  senders.reserve(block.transactions.size());
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    auto sender = recover_sender(block.transactions[i]);
    if (!sender) {
      return fail("tx " + std::to_string(i) + " (" + short_hash(tx_hash(block.transactions[i])) +
                  "): invalid sender: " + sender.error().message);
    }
    senders.push_back(*sender);
  }
  return senders;
}

bool ChainManager::adopt(WriteBatch& batch, const Block& block, const Hash256& hash) const {
  // Walk the new branch back to the canonical chain.
  std::vector<Hash256> branch;  // new canonical blocks below `block`, highest first
  Header cursor = block.header;
  while (cursor.number > 0) {
    const auto canonical = store_.canonical_hash(cursor.number - 1);
    if (canonical && *canonical == cursor.parent_hash) break;
    branch.push_back(cursor.parent_hash);
    auto parent = store_.header(cursor.parent_hash);
    if (!parent) throw StorageError("datadir is corrupt: missing header " + short_hash(cursor.parent_hash));
    cursor = std::move(*parent);
  }
  const std::uint64_t ancestor = cursor.number == 0 ? 0 : cursor.number - 1;
  if (ancestor < finalized_number()) return false;
  // Unset the old branch first: a transaction in both branches must end up
  // indexed at its new place (a batch applies its operations in order).
  const ChainTip old_head = head();
  for (std::uint64_t n = old_head.number; n > ancestor; --n) {
    const auto old_hash = store_.canonical_hash(n);
    if (!old_hash) continue;
    const auto old_block = store_.block(*old_hash);
    if (!old_block) throw StorageError("datadir is corrupt: missing canonical block " + short_hash(*old_hash));
    ChainStore::unset_canonical(batch, *old_block);
  }
  for (auto it = branch.rbegin(); it != branch.rend(); ++it) {
    const auto b = store_.block(*it);
    if (!b) throw StorageError("datadir is corrupt: missing block " + short_hash(*it));
    ChainStore::set_canonical(batch, *b, *it);
  }
  ChainStore::set_canonical(batch, block, hash);
  ChainStore::set_head(batch, hash);
  return true;
}

HeadChange ChainManager::diff(const Hash256& old_head, const Hash256& new_head) const {
  HeadChange change;
  auto load = [&](const Hash256& h) {
    auto b = store_.block(h);
    if (!b) throw StorageError("datadir is corrupt: missing block " + short_hash(h));
    return std::move(*b);
  };
  Block old_block = load(old_head);
  Block new_block = load(new_head);
  std::vector<Block> added;
  while (old_block.header.number > new_block.header.number) {
    Hash256 parent = old_block.header.parent_hash;
    change.removed.push_back(std::move(old_block));
    old_block = load(parent);
  }
  while (new_block.header.number > old_block.header.number) {
    Hash256 parent = new_block.header.parent_hash;
    added.push_back(std::move(new_block));
    new_block = load(parent);
  }
  while (block_hash(old_block) != block_hash(new_block)) {
    Hash256 old_parent = old_block.header.parent_hash;
    Hash256 new_parent = new_block.header.parent_hash;
    change.removed.push_back(std::move(old_block));
    added.push_back(std::move(new_block));
    old_block = load(old_parent);
    new_block = load(new_parent);
  }
  change.added.assign(std::make_move_iterator(added.rbegin()), std::make_move_iterator(added.rend()));
  return change;
}

Result<void> ChainManager::finalize(const Hash256& hash, BytesView certificate) {
  const auto header = store_.header(hash);
  if (!header) return fail("cannot finalize unknown block " + short_hash(hash));
  const auto canonical = store_.canonical_hash(header->number);
  if (!canonical || *canonical != hash)
    return fail("cannot finalize " + short_hash(hash) + ": not on the canonical chain");
  if (auto ok = engine_.verify_finality(*header, certificate); !ok) return ok;
  WriteBatch batch;
  ChainStore::put_finality_certificate(batch, hash, certificate);
  if (header->number >= finalized_number()) ChainStore::set_final(batch, hash);
  db_.write(batch, options_.sync_writes);
  const std::lock_guard lock(head_mutex_);
  finalized_number_ = std::max(finalized_number_, header->number);
  return {};
}

void ChainManager::add_orphan(const Block& block, const Hash256& hash) {
  for (const auto& o : orphans_) {
    if (o.hash == hash) return;
  }
  const std::size_t bytes = approximate_size(block);
  if (bytes > options_.max_orphan_bytes) return;
  orphans_.push_back(Orphan{block, hash, bytes});
  orphan_bytes_ += bytes;
  while (orphans_.size() > options_.max_orphans || orphan_bytes_ > options_.max_orphan_bytes) {
    orphan_bytes_ -= orphans_.front().bytes;
    orphans_.pop_front();
  }
}

std::vector<Block> ChainManager::take_orphans_of(const Hash256& parent) {
  std::vector<Block> children;
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    if (it->block.header.parent_hash == parent) {
      orphan_bytes_ -= it->bytes;
      children.push_back(std::move(it->block));
      it = orphans_.erase(it);
    } else {
      ++it;
    }
  }
  return children;
}

void ChainManager::remember_invalid(const Hash256& hash) {
  if (!invalid_.insert(hash).second) return;
  invalid_order_.push_back(hash);
  if (invalid_order_.size() > options_.max_invalid_remembered) {
    invalid_.erase(invalid_order_.front());
    invalid_order_.pop_front();
  }
}

}  // namespace tally::chain
