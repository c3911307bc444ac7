#pragma once
// Block production: fills a block from candidate transactions (the pool's
// best first), executing each against the parent's state and skipping those
// that fail, then sets gas used and the three roots. The consensus engine
// supplies the seal; PoW then grinds the nonce, PBFT proposes the block.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "chain/block.hpp"
#include "chain/config.hpp"
#include "chain/execution.hpp"
#include "chain/mempool.hpp"
#include "chain/node_store.hpp"
#include "crypto/result.hpp"

namespace tally::chain {

struct BlockTemplate {
  Address beneficiary{};
  std::uint64_t timestamp = 0;  // must be > parent.timestamp
  Bytes extra_data;             // at most kMaxExtraDataBytes
  std::vector<Bytes> seal;      // the engine's seal items, placeholders included
  U256 block_reward = 0;        // the engine's reward for this height
};

struct BuiltBlock {
  Block block;
  std::vector<Address> senders;  // of block.transactions, for import without recovery
  std::vector<Hash256> skipped;  // candidates refused by execution (the pool may drop them)
  U256 tips = 0;                 // paid to the beneficiary, reward excluded
  // The execution, for ChainManager::import_block once the block is sealed
  // (sealing changes no field execution reads).
  std::shared_ptr<const BlockExecution> execution;
};

// Builds a child of `parent` whose state is readable from `store`.
// Candidates are tried in order; when one fails, the same sender's later
// candidates are skipped too (their nonces no longer follow). Refuses a
// template whose timestamp or extra data break the chain rules.
Result<BuiltBlock> build_block(const ChainConfig& config, const NodeStore& store, const Header& parent,
                               const BlockTemplate& block_template, std::span<const PooledTxPtr> candidates);

}  // namespace tally::chain
