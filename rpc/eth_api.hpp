#pragma once
// The Ethereum JSON-RPC methods (web3_, net_, eth_, txpool_, admin_,
// miner_, tally_ and the dev-tool mining aliases), transport-free: they read
// the node through NodeApi and are registered into a MethodTable that the
// server dispatches to. docs/rpc.md ("Methods") lists every method and the
// Tally-specific choices (tip suggestion, gas price, eth_getWork's
// beneficiary, tally_mine and its aliases, subscriptions).
//
// Thread safety: handlers run concurrently on the server's I/O threads.
// EthApi's own state (the tip cache, the subscription hub) is guarded; the
// NodeApi implementations are thread-safe by contract (node_api.hpp).
// Lifetime: the handlers registered hold `this`: the EthApi must outlive the
// MethodTable (and the server using it).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "chain/chain_manager.hpp"
#include "crypto/uint256.hpp"
#include "rpc/json_format.hpp"
#include "rpc/method.hpp"
#include "rpc/node_api.hpp"
#include "rpc/subscription_hub.hpp"

namespace tally::rpc {

// How eth_maxPriorityFeePerGas (and eth_gasPrice) suggest a tip: geth's
// oracle with geth's full-node defaults. The lowest `samples_per_block`
// effective tips of each of the last `blocks` blocks are pooled and the
// `percentile`-th of them is the suggestion, capped at `max_tip`. Tips below
// `ignore_below` are left out (a miner's own zero-tip transactions). With no
// sample at all (empty blocks only, a new chain) the suggestion is
// `default_tip`.
struct GasOracleOptions {
  std::uint64_t blocks = 20;
  std::uint32_t percentile = 60;  // 0..100
  std::size_t samples_per_block = 3;
  U256 default_tip = 1'000'000'000;  // 1 gwei, as geth and Anvil on an empty chain
  U256 max_tip = 500'000'000'000;    // 500 gwei, geth's cap
  U256 ignore_below = 2;             // wei, geth's IgnorePrice
};

struct EthApiOptions {
  GasOracleOptions gas_oracle;
  // Subscriptions per WebSocket connection when CallContext::max_subscriptions is 0.
  std::size_t max_subscriptions_per_connection = 128;
  // eth_feeHistory: larger block counts are clamped to this (geth: 1024);
  // more reward percentiles than max_fee_history_percentiles are refused.
  std::uint64_t max_fee_history_blocks = 1024;
  std::size_t max_fee_history_percentiles = 100;
  // tally_mine and its aliases: most blocks one call may mine.
  std::uint64_t max_mine_count = 1000;
  // eth_getLogs: most addresses and topic alternatives one filter may name.
  std::size_t max_log_filter_items = 1000;
};

class EthApi {
 public:
  // Every pointer in `node` must be set (std::invalid_argument otherwise).
  explicit EthApi(NodeApi node, EthApiOptions options = {});
  EthApi(const EthApi&) = delete;
  EthApi& operator=(const EthApi&) = delete;

  void register_methods(MethodTable& table);

  // What the node calls as the chain and the pool change; forwarded to the
  // subscription hub.
  void on_head_change(const chain::HeadChange& change) { hub_.on_head_change(change); }
  void on_pending_transaction(const Hash256& hash) { hub_.on_pending_transaction(hash); }
  SubscriptionHub& subscriptions() noexcept { return hub_; }

  // The tip eth_maxPriorityFeePerGas answers (see GasOracleOptions).
  U256 suggested_tip() const;

 private:
  void register_web3_net(MethodTable& table);
  void register_chain_reads(MethodTable& table);
  void register_block_methods(MethodTable& table);
  void register_tx_methods(MethodTable& table);
  void register_call_methods(MethodTable& table);
  void register_fee_methods(MethodTable& table);
  void register_pool_methods(MethodTable& table);
  void register_mining_methods(MethodTable& table);
  void register_admin_methods(MethodTable& table);
  void register_subscription_methods(MethodTable& table);

  // Block parameters. For block getters: the canonical hash of the named
  // block, nullopt when there is none. For state reads: the block's hash, or
  // RpcError -32000 "header not found" (as geth).
  std::optional<Hash256> find_block(const BlockParam& param) const;
  Hash256 state_block(const BlockParam& param) const;
  std::optional<std::uint64_t> tag_number(BlockTag tag) const;
  // eth_getLogs / eth_subscribe("logs") filter: throws RpcError when invalid.
  void validate_log_filter(const Json& filter, std::size_t index) const;

  // JSON for stored things; null when unknown.
  Json block_by_hash_json(const Hash256& hash, bool full) const;
  Json tx_in_block_json(const Hash256& block_hash, std::uint64_t index) const;
  Json receipts_json(const Hash256& block_hash) const;
  std::optional<U256> total_difficulty(const Hash256& hash) const;

  U256 compute_tip() const;

  NodeApi node_;
  EthApiOptions options_;
  SubscriptionHub hub_;

  mutable std::mutex tip_mutex_;  // guards the two below
  mutable std::optional<Hash256> tip_head_;
  mutable U256 tip_cached_ = 0;

  // The last few blocks rendered with transaction hashes (a block's JSON
  // never changes: it is keyed by hash). Clients poll the newest blocks
  // many times a second; each would otherwise decode the body and hash
  // every transaction again.
  static constexpr std::size_t kBlockJsonCacheEntries = 16;
  mutable std::mutex block_cache_mutex_;                      // guards block_cache_
  mutable std::deque<std::pair<Hash256, Json>> block_cache_;  // newest last
};

// Recovers the sender of a stored transaction (zero address if the
// signature does not recover, which validation rules out for stored blocks).
Address sender_of(const chain::Transaction& tx);

}  // namespace tally::rpc
