// Block and transaction getters: eth_getBlockBy*, eth_getBlockTransactionCount*,
// eth_getTransactionBy*, eth_getTransactionReceipt, eth_getBlockReceipts and
// the uncle getters (Tally has no uncles).

#include "rpc/eth_api.hpp"

namespace tally::rpc {

namespace {

bool full_arg(const Params& args, std::size_t index) {
  const Json* value = args.get(index);
  return value != nullptr && parse_bool(*value, {index, {}});
}

BlockParam number_arg(const Params& args, std::size_t index) {
  return parse_block_param(args.required(index), {index, {}}, false);
}

}  // namespace

void EthApi::register_block_methods(MethodTable& table) {
  table.add("eth_getBlockByNumber", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 2);
    const auto hash = find_block(number_arg(args, 0));
    const bool full = full_arg(args, 1);
    return hash ? block_by_hash_json(*hash, full) : Json(nullptr);
  });
  table.add("eth_getBlockByHash", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 2);
    const Hash256 hash = parse_hash(args.required(0), {0, {}});
    return block_by_hash_json(hash, full_arg(args, 1));
  });

  auto tx_count = [this](const std::optional<Hash256>& hash) -> Json {
    const auto block = hash ? node_.chain->block(*hash) : std::nullopt;
    return block ? Json(quantity(std::uint64_t{block->transactions.size()})) : Json(nullptr);
  };
  table.add("eth_getBlockTransactionCountByNumber", Access::open,
            [this, tx_count](const Json& params, CallContext&) -> Json {
              Params args(params, 1, 1);
              return tx_count(find_block(number_arg(args, 0)));
            });
  table.add("eth_getBlockTransactionCountByHash", Access::open, [tx_count](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    return tx_count(parse_hash(args.required(0), {0, {}}));
  });

  auto uncle_count = [this](const std::optional<Hash256>& hash) -> Json {
    return hash && node_.chain->header(*hash) ? Json("0x0") : Json(nullptr);
  };
  table.add("eth_getUncleCountByBlockNumber", Access::open,
            [this, uncle_count](const Json& params, CallContext&) -> Json {
              Params args(params, 1, 1);
              return uncle_count(find_block(number_arg(args, 0)));
            });
  table.add("eth_getUncleCountByBlockHash", Access::open, [uncle_count](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    return uncle_count(parse_hash(args.required(0), {0, {}}));
  });
  table.add("eth_getUncleByBlockNumberAndIndex", Access::open, [](const Json& params, CallContext&) -> Json {
    Params args(params, 2, 2);
    (void)parse_block_param(args.required(0), {0, {}}, false);
    (void)parse_quantity_u64(args.required(1), {1, {}});
    return nullptr;
  });
  table.add("eth_getUncleByBlockHashAndIndex", Access::open, [](const Json& params, CallContext&) -> Json {
    Params args(params, 2, 2);
    (void)parse_hash(args.required(0), {0, {}});
    (void)parse_quantity_u64(args.required(1), {1, {}});
    return nullptr;
  });

  table.add("eth_getBlockReceipts", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    const auto hash = find_block(parse_block_param(args.required(0), {0, {}}, true));
    return hash ? receipts_json(*hash) : Json(nullptr);
  });
}

void EthApi::register_tx_methods(MethodTable& table) {
  table.add("eth_getTransactionByHash", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    const Hash256 hash = parse_hash(args.required(0), {0, {}});
    if (const auto location = node_.chain->tx_location(hash)) {
      return tx_in_block_json(location->block_hash, location->index);
    }
    if (const auto pooled = node_.pool->pooled(hash)) {
      return transaction_json(pooled->tx, pooled->hash, pooled->sender, std::nullopt);
    }
    return nullptr;
  });
  table.add("eth_getTransactionReceipt", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    const Hash256 hash = parse_hash(args.required(0), {0, {}});
    const auto location = node_.chain->tx_location(hash);
    if (!location) return nullptr;  // unknown or still pending
    const auto block = node_.chain->block(location->block_hash);
    const auto receipts = node_.chain->receipts(location->block_hash);
    const std::size_t index = location->index;
    if (!block || !receipts || index >= receipts->size() || index >= block->transactions.size()) return nullptr;
    const std::uint64_t previous = index == 0 ? 0 : (*receipts)[index - 1].cumulative_gas_used;
    return receipt_json(*block, location->block_hash, index, sender_of(block->transactions[index]), (*receipts)[index],
                        previous);
  });
  table.add("eth_getTransactionByBlockNumberAndIndex", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 2, 2);
    const auto hash = find_block(number_arg(args, 0));
    const std::uint64_t index = parse_quantity_u64(args.required(1), {1, {}});
    return hash ? tx_in_block_json(*hash, index) : Json(nullptr);
  });
  table.add("eth_getTransactionByBlockHashAndIndex", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 2, 2);
    const Hash256 hash = parse_hash(args.required(0), {0, {}});
    const std::uint64_t index = parse_quantity_u64(args.required(1), {1, {}});
    return tx_in_block_json(hash, index);
  });
  table.add("eth_sendRawTransaction", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    const Bytes raw = parse_data(args.required(0), {0, {}}, chain::TxLimits::kMaxEncodedSize);
    auto result = node_.pool->submit_raw(raw);
    if (!result) throw RpcError(code::kServerError, result.error().message);
    return hash_hex(*result);
  });
  register_call_methods(table);
}

}  // namespace tally::rpc
