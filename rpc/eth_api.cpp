// EthApi: construction, block parameters, shared JSON, and the web3_, net_
// and state-read methods. The other groups live in eth_api_*.cpp.

#include "rpc/eth_api.hpp"

#include <cctype>
#include <stdexcept>
#include <string>
#include <utility>

#include "crypto/keccak.hpp"

namespace tally::rpc {

Address sender_of(const chain::Transaction& tx) {
  auto sender = chain::recover_sender(tx);
  return sender ? *sender : Address{};
}

EthApi::EthApi(NodeApi node, EthApiOptions options) : node_(node), options_(std::move(options)), hub_(node.pool) {
  if (node_.chain == nullptr || node_.pool == nullptr || node_.miner == nullptr || node_.info == nullptr) {
    throw std::invalid_argument("EthApi needs every NodeApi interface (chain, pool, miner, info)");
  }
  if (options_.gas_oracle.percentile > 100) throw std::invalid_argument("gas oracle percentile must be 0..100");
}

void EthApi::register_methods(MethodTable& table) {
  register_web3_net(table);
  register_chain_reads(table);
  register_block_methods(table);
  register_tx_methods(table);
  register_fee_methods(table);
  register_pool_methods(table);
  register_mining_methods(table);
  register_admin_methods(table);
  register_subscription_methods(table);
}

// ---------------------------------------------------------------- block parameters

std::optional<std::uint64_t> EthApi::tag_number(BlockTag tag) const {
  switch (tag) {
    case BlockTag::latest:
    case BlockTag::pending:  // no pending block is built: pending reads as latest (geth without one)
      return node_.chain->head().number;
    case BlockTag::earliest:
      return 0;
    case BlockTag::safe:
      return node_.chain->safe_number();
    case BlockTag::finalized:
      return node_.chain->finalized_number();
  }
  return std::nullopt;
}

std::optional<Hash256> EthApi::find_block(const BlockParam& param) const {
  if (const auto* tag = std::get_if<BlockTag>(&param)) {
    if (*tag == BlockTag::latest || *tag == BlockTag::pending) return node_.chain->head().hash;
    const auto number = tag_number(*tag);
    return number ? node_.chain->canonical_hash(*number) : std::nullopt;
  }
  if (const auto* number = std::get_if<std::uint64_t>(&param)) return node_.chain->canonical_hash(*number);
  const auto& by_hash = std::get<BlockByHash>(param);
  const auto header = node_.chain->header(by_hash.hash);
  if (!header) return std::nullopt;
  if (by_hash.require_canonical && node_.chain->canonical_hash(header->number) != by_hash.hash) {
    throw RpcError(code::kServerError, "hash " + hash_hex(by_hash.hash) + " is not currently canonical");
  }
  return by_hash.hash;
}

Hash256 EthApi::state_block(const BlockParam& param) const {
  auto hash = find_block(param);
  if (!hash) {
    if (std::holds_alternative<BlockByHash>(param)) throw RpcError(code::kServerError, "header for hash not found");
    throw RpcError(code::kServerError, "header not found");
  }
  return *hash;
}

// ---------------------------------------------------------------- shared JSON

std::optional<U256> EthApi::total_difficulty(const Hash256& hash) const {
  if (auto weight = node_.chain->total_weight(hash)) return weight;
  const auto head = node_.chain->head();
  if (head.hash == hash) return head.total_weight;
  return std::nullopt;
}

Json EthApi::block_by_hash_json(const Hash256& hash, bool full) const {
  if (!full) {
    std::lock_guard lock(block_cache_mutex_);
    for (const auto& [cached_hash, json] : block_cache_) {
      if (cached_hash == hash) return json;
    }
  }
  const auto block = node_.chain->block(hash);
  if (!block) return nullptr;
  if (!full) {
    Json json = block_json(*block, hash, false, {}, total_difficulty(hash));
    std::lock_guard lock(block_cache_mutex_);
    block_cache_.emplace_back(hash, json);
    if (block_cache_.size() > kBlockJsonCacheEntries) block_cache_.pop_front();
    return json;
  }
  std::vector<Address> senders;
  if (full) {
    senders.reserve(block->transactions.size());
    for (const auto& tx : block->transactions) senders.push_back(sender_of(tx));
  }
  return block_json(*block, hash, full, senders, total_difficulty(hash));
}

Json EthApi::tx_in_block_json(const Hash256& block_hash, std::uint64_t index) const {
  const auto block = node_.chain->block(block_hash);
  if (!block || index >= block->transactions.size()) return nullptr;
  const auto& tx = block->transactions[index];
  const TxPosition position{block_hash, block->header.number, index, block->header.base_fee};
  return transaction_json(tx, chain::tx_hash(tx), sender_of(tx), position);
}

Json EthApi::receipts_json(const Hash256& block_hash) const {
  const auto block = node_.chain->block(block_hash);
  const auto receipts = node_.chain->receipts(block_hash);
  if (!block || !receipts || receipts->size() != block->transactions.size()) return nullptr;
  Json out = Json::array();
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < receipts->size(); ++i) {
    out.push_back(receipt_json(*block, block_hash, i, sender_of(block->transactions[i]), (*receipts)[i], previous));
    previous = (*receipts)[i].cumulative_gas_used;
  }
  return out;
}

// ---------------------------------------------------------------- web3_ and net_

void EthApi::register_web3_net(MethodTable& table) {
  table.add("web3_clientVersion", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return node_.info->client_version();
  });
  table.add("web3_sha3", Access::open, [](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    return hash_hex(crypto::keccak256(parse_data(args.required(0), {0, {}})));
  });
  table.add("net_version", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return std::to_string(node_.chain->config().chain_id);
  });
  table.add("net_listening", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return !node_.info->listen_address().empty();
  });
  table.add("net_peerCount", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return quantity(std::uint64_t{node_.info->peers().size()});
  });
}

// ---------------------------------------------------------------- state reads

namespace {

// A storage slot as geth reads it: 0x and 1..64 hex digits (any length up
// to 32 bytes, odd lengths allowed).
void check_storage_slot(const Json& value) {
  if (!value.is_string()) invalid_argument(1, "storage slot must be a 0x-prefixed hex string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() < 3 || text.size() > 66 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    invalid_argument(1, "storage slot must be 0x followed by 1 to 64 hex digits");
  }
  for (std::size_t i = 2; i < text.size(); ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(text[i]))) invalid_argument(1, "invalid hex string");
  }
}

BlockParam block_arg(const Params& args, std::size_t index) {
  const Json* value = args.get(index);
  // geth requires the block argument; clients always send it, and a missing
  // one is read as latest, as Anvil and Hardhat do.
  return value != nullptr ? parse_block_param(*value, {index, {}}, true) : BlockParam{BlockTag::latest};
}

}  // namespace

void EthApi::register_chain_reads(MethodTable& table) {
  table.add("eth_chainId", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return quantity(node_.chain->config().chain_id);
  });
  table.add("eth_blockNumber", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return quantity(node_.chain->head().number);
  });
  table.add("eth_syncing", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    const auto status = node_.info->syncing();
    if (!status) return false;
    return Json{{"startingBlock", quantity(status->starting_block)},
                {"currentBlock", quantity(status->current_block)},
                {"highestBlock", quantity(status->highest_block)}};
  });
  table.add("eth_accounts", Access::open, [](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return Json::array();  // the node holds no keys: the wallet signs
  });
  table.add("eth_getBalance", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 2);
    const Address address = parse_address(args.required(0), {0, {}});
    const Hash256 block = state_block(block_arg(args, 1));
    const auto account = node_.chain->account_at(address, block);
    if (!account) throw RpcError(code::kServerError, "header not found");
    return quantity(account->balance);
  });
  table.add("eth_getTransactionCount", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 2);
    const Address address = parse_address(args.required(0), {0, {}});
    const BlockParam param = block_arg(args, 1);
    if (const auto* tag = std::get_if<BlockTag>(&param); tag != nullptr && *tag == BlockTag::pending) {
      return quantity(node_.pool->pending_nonce(address));
    }
    const auto account = node_.chain->account_at(address, state_block(param));
    if (!account) throw RpcError(code::kServerError, "header not found");
    return quantity(account->nonce);
  });
  table.add("eth_getCode", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 2);
    (void)parse_address(args.required(0), {0, {}});
    (void)state_block(block_arg(args, 1));
    return "0x";  // no contracts: every account's code is empty
  });
  table.add("eth_getStorageAt", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 2, 3);
    (void)parse_address(args.required(0), {0, {}});
    check_storage_slot(args.required(1));
    (void)state_block(block_arg(args, 2));
    return hash_hex(Hash256{});  // no contract storage: every slot reads zero
  });
}

}  // namespace tally::rpc
