#include "rpc/subscription_hub.hpp"

#include <array>
#include <random>
#include <vector>

#include "rpc/json_format.hpp"

namespace tally::rpc {

namespace {

std::string random_id() {
  // Ids need only be unguessable to other connections; random_device is the
  // OS's generator here (getrandom on Linux).
  std::random_device device;
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    const std::uint32_t word = device();
    for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8U * j));
  }
  return data_hex(bytes);
}

}  // namespace

std::string SubscriptionHub::subscribe(const std::shared_ptr<NotificationSink>& sink, SubscriptionKind kind,
                                       std::size_t limit) {
  if (!sink) throw RpcError(code::kServerError, "notifications not supported");
  const std::uint64_t connection = sink->connection_id();
  std::lock_guard lock(mutex_);
  prune_locked();
  std::size_t held = 0;
  for (const auto& [id, sub] : subscriptions_) held += sub.connection_id == connection ? 1 : 0;
  if (limit != 0 && held >= limit) {
    throw RpcError(code::kLimitExceeded, "too many subscriptions on this connection (limit " + std::to_string(limit) +
                                             "): eth_unsubscribe some first");
  }
  std::string id = random_id();
  while (subscriptions_.contains(id)) id = random_id();
  subscriptions_.emplace(id, Subscription{kind, connection, sink});
  return id;
}

bool SubscriptionHub::unsubscribe(std::uint64_t connection_id, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end() || it->second.connection_id != connection_id) return false;
  subscriptions_.erase(it);
  return true;
}

void SubscriptionHub::prune_locked() {
  std::erase_if(subscriptions_, [](const auto& entry) { return entry.second.sink.expired(); });
}

std::vector<SubscriptionHub::Target> SubscriptionHub::targets(SubscriptionKind a, SubscriptionKind b) {
  std::vector<Target> out;
  std::lock_guard lock(mutex_);
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    auto sink = it->second.sink.lock();
    if (!sink) {
      it = subscriptions_.erase(it);
      continue;
    }
    if (it->second.kind == a || it->second.kind == b) out.push_back(Target{it->first, it->second.kind, sink});
    ++it;
  }
  return out;
}

void SubscriptionHub::push(const Target& target, Json result) {
  Json message{{"jsonrpc", "2.0"},
               {"method", "eth_subscription"},
               {"params", {{"subscription", target.id}, {"result", std::move(result)}}}};
  // A false push means the connection is closing or too slow: the server
  // deals with it, the notification is dropped.
  (void)target.sink->push(message);
}

void SubscriptionHub::on_head_change(const chain::HeadChange& change) {
  if (change.added.empty()) return;
  const auto subscribers = targets(SubscriptionKind::new_heads, SubscriptionKind::new_heads);
  if (subscribers.empty()) return;
  for (const auto& block : change.added) {
    const Json header = header_json(block.header, chain::block_hash(block));
    for (const auto& target : subscribers) push(target, header);
  }
}

void SubscriptionHub::on_pending_transaction(const Hash256& hash) {
  const auto subscribers =
      targets(SubscriptionKind::new_pending_transactions, SubscriptionKind::new_pending_transactions_full);
  if (subscribers.empty()) return;
  const Json hash_json = hash_hex(hash);
  std::optional<Json> full;
  for (const auto& target : subscribers) {
    if (target.kind == SubscriptionKind::new_pending_transactions) {
      push(target, hash_json);
      continue;
    }
    if (!full) {
      auto pooled = pool_ != nullptr ? pool_->pooled(hash) : nullptr;
      // Gone from the pool already (mined or replaced): fall back to the hash.
      full = pooled ? transaction_json(pooled->tx, pooled->hash, pooled->sender, std::nullopt) : hash_json;
    }
    push(target, *full);
  }
}

std::size_t SubscriptionHub::size() {
  std::lock_guard lock(mutex_);
  prune_locked();
  return subscriptions_.size();
}

std::size_t SubscriptionHub::count_for(std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  prune_locked();
  std::size_t held = 0;
  for (const auto& [id, sub] : subscriptions_) held += sub.connection_id == connection_id ? 1 : 0;
  return held;
}

}  // namespace tally::rpc
