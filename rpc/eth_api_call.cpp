// eth_call, eth_estimateGas and eth_getLogs. Tally moves value only: a call
// to an account runs no code, so eth_call checks that the transfer would be
// affordable and returns empty output; eth_estimateGas is the intrinsic gas
// (21000 + data + access list); logs are never emitted, so eth_getLogs
// validates its filter and returns [].

#include <string>

#include "rpc/eth_api.hpp"

namespace tally::rpc {

namespace {

// A transaction call object (execution-apis GenericTransaction), as far as
// a value transfer uses it. Unknown members are ignored, as geth does.
struct CallRequest {
  Address from{};  // geth: the zero address when absent
  std::optional<Address> to;
  std::optional<std::uint64_t> gas;
  std::optional<U256> price;  // gasPrice, or maxFeePerGas
  U256 value = 0;
  Bytes data;
  chain::AccessList access_list;
};

chain::AccessList parse_access_list(const Json& value, std::size_t index) {
  if (!value.is_array()) invalid_argument(index, "field \"accessList\": want an array");
  chain::AccessList out;
  for (const auto& entry : value) {
    if (!entry.is_object() || !entry.contains("address")) {
      invalid_argument(index, "field \"accessList\": each entry needs an address and storageKeys");
    }
    chain::AccessListEntry item;
    item.address = parse_address(entry["address"], {index, "accessList.address"});
    if (entry.contains("storageKeys") && !entry["storageKeys"].is_null()) {
      if (!entry["storageKeys"].is_array()) invalid_argument(index, "field \"accessList.storageKeys\": want an array");
      for (const auto& key : entry["storageKeys"]) {
        item.storage_keys.push_back(parse_hash(key, {index, "accessList.storageKeys"}));
      }
    }
    out.push_back(std::move(item));
  }
  return out;
}

const Json* member(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

CallRequest parse_call(const Json& value, std::size_t index) {
  if (!value.is_object()) invalid_argument(index, "want a transaction call object");
  CallRequest call;
  if (const Json* v = member(value, "from")) call.from = parse_address(*v, {index, "from"});
  if (const Json* v = member(value, "to")) call.to = parse_address(*v, {index, "to"});
  if (const Json* v = member(value, "gas")) call.gas = parse_quantity_u64(*v, {index, "gas"});
  const Json* gas_price = member(value, "gasPrice");
  const Json* max_fee = member(value, "maxFeePerGas");
  const Json* max_tip = member(value, "maxPriorityFeePerGas");
  if (gas_price != nullptr && (max_fee != nullptr || max_tip != nullptr)) {
    invalid_argument(index, "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
  }
  if (gas_price != nullptr) call.price = parse_quantity(*gas_price, {index, "gasPrice"});
  if (max_fee != nullptr) call.price = parse_quantity(*max_fee, {index, "maxFeePerGas"});
  if (max_tip != nullptr) (void)parse_quantity(*max_tip, {index, "maxPriorityFeePerGas"});
  if (const Json* v = member(value, "value")) call.value = parse_quantity(*v, {index, "value"});
  if (const Json* v = member(value, "nonce")) (void)parse_quantity_u64(*v, {index, "nonce"});
  const Json* data = member(value, "data");
  const Json* input = member(value, "input");
  if (data != nullptr && input != nullptr && *data != *input) {
    invalid_argument(
        index, "both \"data\" and \"input\" are set and not equal. Please use \"input\" to pass transaction call data");
  }
  if (input != nullptr)
    call.data = parse_data(*input, {index, "input"}, chain::TxLimits::kMaxEncodedSize);
  else if (data != nullptr)
    call.data = parse_data(*data, {index, "data"}, chain::TxLimits::kMaxEncodedSize);
  if (const Json* v = member(value, "accessList")) call.access_list = parse_access_list(*v, index);
  return call;
}

[[noreturn]] void refuse_creation() {
  throw RpcError(code::kServerError,
                 "contract creation is not supported: Tally transactions move value only, set \"to\"");
}

std::uint64_t intrinsic_gas_of(const CallRequest& call) {
  chain::Transaction tx;
  tx.to = call.to;
  tx.data = call.data;
  tx.access_list = call.access_list;
  tx.type = call.access_list.empty() ? chain::TxType::dynamic_fee : chain::TxType::access_list;
  const auto gas = chain::intrinsic_gas(tx);
  if (!gas) throw RpcError(code::kServerError, "intrinsic gas does not fit 64 bits");
  return *gas;
}

}  // namespace

void EthApi::register_call_methods(MethodTable& table) {
  table.add("eth_call", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 3);
    const CallRequest call = parse_call(args.required(0), 0);
    const Json* block_value = args.get(1);
    const BlockParam block = block_value ? parse_block_param(*block_value, {1, {}}, true) : BlockTag::latest;
    if (args.get(2) != nullptr) invalid_argument(2, "state overrides are not supported");
    if (!call.to) refuse_creation();
    const Hash256 at = state_block(block);
    const std::uint64_t intrinsic = intrinsic_gas_of(call);
    if (call.gas && *call.gas < intrinsic) {
      throw RpcError(code::kServerError, "intrinsic gas too low: have " + std::to_string(*call.gas) + ", want " +
                                             std::to_string(intrinsic));
    }
    const auto account = node_.chain->account_at(call.from, at);
    if (!account) throw RpcError(code::kServerError, "header not found");
    const U256 price = call.price.value_or(0);
    const auto fee = checked_mul(U256{call.gas.value_or(intrinsic)}, price);
    const auto want = fee ? checked_add(*fee, call.value) : std::nullopt;
    if (!want || account->balance < *want) {
      throw RpcError(code::kServerError, "insufficient funds for gas * price + value: address " +
                                             address_hex(call.from) + " have " + u256_to_decimal(account->balance) +
                                             " want " + (want ? u256_to_decimal(*want) : std::string("> 2^256")));
    }
    return "0x";  // a transfer runs no code: empty return data
  });

  table.add("eth_estimateGas", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 3);
    const CallRequest call = parse_call(args.required(0), 0);
    const Json* block_value = args.get(1);
    const BlockParam block = block_value ? parse_block_param(*block_value, {1, {}}, true) : BlockTag::latest;
    if (args.get(2) != nullptr) invalid_argument(2, "state overrides are not supported");
    if (!call.to) refuse_creation();
    const Hash256 at = state_block(block);
    const std::uint64_t intrinsic = intrinsic_gas_of(call);
    const auto account = node_.chain->account_at(call.from, at);
    if (!account) throw RpcError(code::kServerError, "header not found");
    if (account->balance < call.value) throw RpcError(code::kServerError, "insufficient funds for transfer");
    std::uint64_t allowance = call.gas.value_or(node_.chain->config().gas_limit);
    if (call.price && *call.price > 0) {
      // geth: the gas the balance left after the value can pay for.
      const U256 affordable = (account->balance - call.value) / *call.price;
      if (affordable < allowance) allowance = static_cast<std::uint64_t>(affordable);
    }
    if (allowance < intrinsic) {
      throw RpcError(code::kServerError, "gas required exceeds allowance (" + std::to_string(allowance) + ")");
    }
    return quantity(intrinsic);
  });

  table.add("eth_getLogs", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 1, 1);
    validate_log_filter(args.required(0), 0);
    return Json::array();  // value transfers emit no logs
  });
}

void EthApi::validate_log_filter(const Json& filter, std::size_t index) const {
  if (!filter.is_object()) invalid_argument(index, "want a filter object");
  const Json* block_hash = member(filter, "blockHash");
  const Json* from = member(filter, "fromBlock");
  const Json* to = member(filter, "toBlock");
  if (block_hash != nullptr && (from != nullptr || to != nullptr)) {
    invalid_argument(index, "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other");
  }
  if (block_hash != nullptr) {
    if (!node_.chain->header(parse_hash(*block_hash, {index, "blockHash"}))) {
      throw RpcError(code::kServerError, "unknown block");
    }
  } else {
    auto number_of = [this, index](const Json* value, const char* field) -> std::uint64_t {
      const BlockParam param =
          value != nullptr ? parse_block_param(*value, {index, field}, false) : BlockParam{BlockTag::latest};
      if (const auto* number = std::get_if<std::uint64_t>(&param)) return *number;
      return tag_number(std::get<BlockTag>(param)).value_or(0);
    };
    if (number_of(from, "fromBlock") > number_of(to, "toBlock")) {
      throw RpcError(code::kInvalidParams, "invalid block range: fromBlock is above toBlock");
    }
  }
  if (const Json* address = member(filter, "address")) {
    if (address->is_array()) {
      if (address->size() > options_.max_log_filter_items) invalid_argument(index, "too many addresses");
      for (const auto& item : *address) (void)parse_address(item, {index, "address"});
    } else {
      (void)parse_address(*address, {index, "address"});
    }
  }
  if (const Json* topics = member(filter, "topics")) {
    if (!topics->is_array()) invalid_argument(index, "field \"topics\": want an array");
    if (topics->size() > 4) invalid_argument(index, "exceed max topics (4)");
    for (const auto& position : *topics) {
      if (position.is_null()) continue;
      if (!position.is_array()) {
        (void)parse_hash(position, {index, "topics"});
        continue;
      }
      if (position.size() > options_.max_log_filter_items) invalid_argument(index, "too many topic alternatives");
      for (const auto& alternative : position) {
        if (!alternative.is_null()) (void)parse_hash(alternative, {index, "topics"});
      }
    }
  }
}

}  // namespace tally::rpc
