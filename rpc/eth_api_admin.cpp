// txpool_*, mining (eth_getWork, eth_submitWork, miner_*, tally_mine and the
// dev-tool aliases), admin_*, tally_consensusStatus, eth_subscribe and
// eth_unsubscribe.

#include <string>

#include "crypto/address.hpp"
#include "rpc/eth_api.hpp"

namespace tally::rpc {

namespace {

Json pool_section(const std::vector<chain::PooledTxPtr>& txs) {
  Json by_nonce = Json::object();
  for (const auto& pooled : txs) {
    by_nonce[std::to_string(pooled->tx.nonce)] =
        transaction_json(pooled->tx, pooled->hash, pooled->sender, std::nullopt);
  }
  return by_nonce;
}

Json hashes_json(const std::vector<Hash256>& hashes) {
  Json out = Json::array();
  for (const auto& hash : hashes) out.push_back(hash_hex(hash));
  return out;
}

// A count of blocks to mine: a quantity (or, for the dev-tool aliases, a
// JSON number), 1 to `max`; absent means 1.
std::uint64_t mine_count(const Json* value, std::uint64_t max) {
  if (value == nullptr) return 1;
  const std::uint64_t count = parse_count(*value, {0, {}});
  if (count == 0 || count > max) {
    invalid_argument(0, "block count must be 1 to " + std::to_string(max) + ", got " + std::to_string(count));
  }
  return count;
}

}  // namespace

void EthApi::register_pool_methods(MethodTable& table) {
  table.add("txpool_status", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    const auto status = node_.pool->status();
    return Json{{"pending", quantity(std::uint64_t{status.pending})},
                {"queued", quantity(std::uint64_t{status.queued})}};
  });
  table.add("txpool_content", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    Json pending = Json::object();
    Json queued = Json::object();
    for (const auto& sender : node_.pool->content()) {
      // geth keys the senders by their EIP-55 checksummed address.
      const std::string key = crypto::to_checksum_address(sender.sender);
      if (!sender.pending.empty()) pending[key] = pool_section(sender.pending);
      if (!sender.queued.empty()) queued[key] = pool_section(sender.queued);
    }
    return Json{{"pending", std::move(pending)}, {"queued", std::move(queued)}};
  });
}

void EthApi::register_mining_methods(MethodTable& table) {
  table.add("eth_getWork", Access::open, [this](const Json& params, CallContext&) -> Json {
    // Tally's extension: an optional beneficiary address, so a remote miner
    // is paid without the node having an etherbase.
    Params args(params, 0, 1);
    std::optional<Address> beneficiary;
    if (const Json* value = args.get(0)) beneficiary = parse_address(*value, {0, {}});
    auto work = node_.miner->get_work(beneficiary);
    if (!work) throw RpcError(code::kServerError, work.error().message);
    return Json::array(
        {hash_hex(work->seal_hash), hash_hex(work->seed), hash_hex(work->target), quantity(work->number)});
  });
  table.add("eth_submitWork", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 3, 3);
    const Bytes nonce_bytes = parse_data(args.required(0), {0, {}}, 8);
    if (nonce_bytes.size() != 8) {
      invalid_argument(0, "hex string has length " + std::to_string(2 * nonce_bytes.size()) + ", want 16 for nonce");
    }
    const Hash256 seal_hash = parse_hash(args.required(1), {1, {}});
    (void)parse_hash(args.required(2), {2, {}});  // mix digest: unused by Tally's PoW
    std::uint64_t nonce = 0;
    for (std::uint8_t byte : nonce_bytes) nonce = (nonce << 8U) | byte;
    return node_.miner->submit_work(nonce, seal_hash);
  });
  table.add("eth_mining", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return node_.miner->mining();
  });
  table.add("eth_hashrate", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return quantity(node_.miner->hashrate());
  });
  table.add("eth_coinbase", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    const auto etherbase = node_.miner->etherbase();
    if (!etherbase) throw RpcError(code::kServerError, "etherbase must be explicitly specified");
    return address_hex(*etherbase);
  });
  table.add("miner_start", Access::admin, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 1);
    std::optional<unsigned> threads;
    if (const Json* value = args.get(0)) {
      const std::uint64_t n = parse_count(*value, {0, {}});
      if (n > 1024) invalid_argument(0, "threads must be at most 1024");
      if (n > 0) threads = static_cast<unsigned>(n);  // 0: the node's default, as geth
    }
    auto started = node_.miner->start(threads);
    if (!started) throw RpcError(code::kServerError, started.error().message);
    return nullptr;
  });
  table.add("miner_stop", Access::admin, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    node_.miner->stop();
    return nullptr;
  });
  table.add("miner_setEtherbase", Access::admin, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    auto set = node_.miner->set_etherbase(parse_address(args.required(0), {0, {}}));
    if (!set) throw RpcError(code::kServerError, set.error().message);
    return true;
  });

  auto mine = [this](std::uint64_t count, const std::optional<Address>& beneficiary) {
    auto hashes = node_.miner->mine_now(count, beneficiary);
    if (!hashes) throw RpcError(code::kServerError, hashes.error().message);
    return std::move(hashes).value();
  };
  table.add("tally_mine", Access::admin, [this, mine](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 2);
    const std::uint64_t count = mine_count(args.get(0), options_.max_mine_count);
    std::optional<Address> beneficiary;
    if (const Json* value = args.get(1)) beneficiary = parse_address(*value, {1, {}});
    return hashes_json(mine(count, beneficiary));
  });
  // Anvil's and Hardhat's (count, interval): the interval between the mined
  // blocks' timestamps is accepted and ignored (Tally stamps blocks with the
  // clock). Their results: Anvil null, Hardhat true.
  table.add("anvil_mine", Access::admin, [this, mine](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 2);
    (void)mine(mine_count(args.get(0), options_.max_mine_count), std::nullopt);
    return nullptr;
  });
  table.add("hardhat_mine", Access::admin, [this, mine](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 2);
    (void)mine(mine_count(args.get(0), options_.max_mine_count), std::nullopt);
    return true;
  });
  // Ganache/Hardhat/Anvil: evm_mine([timestamp | {timestamp, blocks}]) -> "0x0".
  table.add("evm_mine", Access::admin, [this, mine](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 1);
    std::uint64_t count = 1;
    if (const Json* value = args.get(0); value != nullptr && value->is_object()) {
      const auto blocks = value->find("blocks");
      if (blocks != value->end() && !blocks->is_null()) count = mine_count(&*blocks, options_.max_mine_count);
    }
    (void)mine(count, std::nullopt);
    return "0x0";
  });
}

void EthApi::register_admin_methods(MethodTable& table) {
  table.add("admin_nodeInfo", Access::admin, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    const auto head = node_.chain->head();
    return Json{{"id", node_.info->node_id()},
                {"name", node_.info->client_version()},
                {"listenAddr", node_.info->listen_address()},
                {"protocols",
                 {{"tally",
                   {{"network", node_.chain->config().chain_id},
                    {"genesis", hash_hex(node_.chain->genesis_hash())},
                    {"head", hash_hex(head.hash)},
                    {"headNumber", quantity(head.number)},
                    {"totalWeight", quantity(head.total_weight)},
                    {"consensus", node_.chain->config().is_pow() ? "pow" : "pbft"}}}}}};
  });
  table.add("admin_peers", Access::admin, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    Json out = Json::array();
    for (const auto& peer : node_.info->peers()) {
      out.push_back({{"id", peer.id},
                     {"name", peer.name},
                     {"network", {{"remoteAddress", peer.remote_address}, {"inbound", peer.inbound}}},
                     {"protocols", {{"tally", {{"headNumber", quantity(peer.head_number)}}}}}});
    }
    return out;
  });
  table.add("admin_addPeer", Access::admin, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    const Json& target = args.required(0);
    if (!target.is_string() || target.get_ref<const std::string&>().empty()) {
      invalid_argument(0, "want a peer address as \"host:port\"");
    }
    auto added = node_.info->add_peer(target.get<std::string>());
    if (!added) throw RpcError(code::kServerError, added.error().message);
    return true;
  });
  table.add("tally_consensusStatus", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    const auto status = node_.info->consensus_status();
    Json validators = Json::array();
    for (const auto& validator : status.validators) validators.push_back(address_hex(validator));
    return Json{{"engine", status.engine},
                {"height", quantity(status.height)},
                {"view", quantity(status.view)},
                {"validators", std::move(validators)},
                {"lastFinal", quantity(status.last_final)}};
  });
}

void EthApi::register_subscription_methods(MethodTable& table) {
  table.add("eth_subscribe", Access::open, [this](const Json& params, CallContext& context) -> Json {
    if (!context.sink) throw RpcError(code::kMethodNotFound, "notifications not supported");
    Params args(params, 1, 2);
    const Json& name_value = args.required(0);
    if (!name_value.is_string()) invalid_argument(0, "want a subscription name, e.g. \"newHeads\"");
    const auto& name = name_value.get_ref<const std::string&>();
    SubscriptionKind kind = SubscriptionKind::new_heads;
    if (name == "newHeads") {
      if (args.get(1) != nullptr) invalid_argument(1, "newHeads takes no options");
    } else if (name == "newPendingTransactions") {
      const Json* full = args.get(1);
      kind = full != nullptr && parse_bool(*full, {1, {}}) ? SubscriptionKind::new_pending_transactions_full
                                                           : SubscriptionKind::new_pending_transactions;
    } else if (name == "logs") {
      // Accepted so log-watching clients work; never notified, since value
      // transfers emit no logs.
      if (const Json* filter = args.get(1)) validate_log_filter(*filter, 1);
      kind = SubscriptionKind::logs;
    } else {
      throw RpcError(code::kMethodNotFound, "no \"" + name.substr(0, 64) +
                                                "\" subscription in eth namespace (Tally has newHeads, "
                                                "newPendingTransactions and logs)");
    }
    const std::size_t limit =
        context.max_subscriptions != 0 ? context.max_subscriptions : options_.max_subscriptions_per_connection;
    return hub_.subscribe(context.sink, kind, limit);
  });
  table.add("eth_unsubscribe", Access::open, [this](const Json& params, CallContext& context) -> Json {
    if (!context.sink) throw RpcError(code::kMethodNotFound, "notifications not supported");
    Params args(params, 1, 1);
    const Json& id = args.required(0);
    if (!id.is_string()) invalid_argument(0, "want a subscription id");
    if (!hub_.unsubscribe(context.sink->connection_id(), id.get<std::string>())) {
      throw RpcError(code::kServerError, "subscription not found");
    }
    return true;
  });
}

}  // namespace tally::rpc
