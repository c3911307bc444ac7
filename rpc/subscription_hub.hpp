#pragma once
// eth_subscribe's publisher: the subscriptions of every WebSocket
// connection, and what the node calls when the chain or the pool changes.
//
// Each subscription keeps a weak_ptr to its connection's NotificationSink,
// so a closed connection's subscriptions die with it; dead ones are pruned
// on every subscribe and publish. A connection holds at most a bounded
// number (code::kLimitExceeded beyond). Ids are 16 random bytes as 0x-hex,
// like geth's. Notifications are
//   {"jsonrpc":"2.0","method":"eth_subscription",
//    "params":{"subscription":id,"result":...}}
// and are pushed outside the hub's lock (a sink's push may take its own).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "chain/chain_manager.hpp"
#include "rpc/method.hpp"
#include "rpc/node_api.hpp"

namespace tally::rpc {

enum class SubscriptionKind : std::uint8_t {
  new_heads,                      // a header object per new canonical block
  new_pending_transactions,       // a transaction hash per pooled transaction
  new_pending_transactions_full,  // the same, as full transaction objects
  logs,                           // accepted; never notified (transfers emit no logs)
};

class SubscriptionHub {
 public:
  // `pool` (may be null) gives full objects to new_pending_transactions_full.
  explicit SubscriptionHub(const TxPoolApi* pool = nullptr) : pool_(pool) {}

  // A new subscription for the sink's connection; returns its id. Throws
  // RpcError(kLimitExceeded) when the connection already holds `limit`
  // (0: no limit).
  std::string subscribe(const std::shared_ptr<NotificationSink>& sink, SubscriptionKind kind, std::size_t limit);
  // Ends subscription `id` if `connection_id` owns it.
  bool unsubscribe(std::uint64_t connection_id, const std::string& id);

  // Every block of `change.added`, lowest first, to newHeads subscribers:
  // after a reorg the new branch's heads are sent again, as geth does.
  void on_head_change(const chain::HeadChange& change);
  // A transaction entered the pool.
  void on_pending_transaction(const Hash256& hash);

  // Live subscriptions (dead sinks pruned first); for tests and metrics.
  std::size_t size();
  std::size_t count_for(std::uint64_t connection_id);

 private:
  struct Subscription {
    SubscriptionKind kind = SubscriptionKind::new_heads;
    std::uint64_t connection_id = 0;
    std::weak_ptr<NotificationSink> sink;
  };
  struct Target {
    std::string id;
    SubscriptionKind kind;
    std::shared_ptr<NotificationSink> sink;
  };
  // Under mutex_: drops subscriptions whose sink is gone.
  void prune_locked();
  // Live subscriptions of the given kinds, pruning dead ones.
  std::vector<Target> targets(SubscriptionKind a, SubscriptionKind b);
  static void push(const Target& target, Json result);

  const TxPoolApi* pool_;
  std::mutex mutex_;
  std::unordered_map<std::string, Subscription> subscriptions_;
};

}  // namespace tally::rpc
