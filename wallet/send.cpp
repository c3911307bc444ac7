#include "wallet/send.hpp"

#include <thread>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "wallet/amount.hpp"
#include "wallet/errors.hpp"

namespace tally::wallet {
namespace {

std::string address_hex(const Address& address) {
  return to_hex_prefixed(address);
}

Json call_object(const SendRequest& request) {
  Json object = {
      {"from", address_hex(request.from)}, {"to", address_hex(request.to)}, {"value", u256_to_quantity(request.value)}};
  if (!request.data.empty()) object["data"] = to_hex_prefixed(request.data);
  return object;
}

std::uint64_t chain_id_of(NodeClient& node, const SendRequest& request) {
  const std::uint64_t chain_id = quantity_u64(node.call("eth_chainId", Json::array()), "eth_chainId");
  if (request.expected_chain_id && *request.expected_chain_id != chain_id) {
    throw WalletError("the node at " + node.url() + " is on chain id " + std::to_string(chain_id) + ", not " +
                      std::to_string(*request.expected_chain_id) + "; check --rpc");
  }
  return chain_id;
}

// The base fee of the next block: the last entry of eth_feeHistory's baseFeePerGas.
U256 next_base_fee(NodeClient& node) {
  const Json history = node.call("eth_feeHistory", Json::array({"0x1", "latest", Json::array()}));
  if (!history.is_object() || !history.contains("baseFeePerGas") || !history["baseFeePerGas"].is_array() ||
      history["baseFeePerGas"].empty()) {
    throw WalletError("the node's answer to eth_feeHistory has no baseFeePerGas", ExitCode::unreachable);
  }
  return quantity_u256(history["baseFeePerGas"].back(), "eth_feeHistory");
}

void fill_dynamic_fees(NodeClient& node, const SendRequest& request, PreparedSend& out) {
  chain::Transaction& tx = out.tx;
  tx.max_priority_fee_per_gas =
      request.priority_fee
          ? *request.priority_fee
          : quantity_u256(node.call("eth_maxPriorityFeePerGas", Json::array()), "eth_maxPriorityFeePerGas");
  if (request.max_fee) {
    tx.max_fee_per_gas = *request.max_fee;
  } else {
    out.base_fee = next_base_fee(node);
    auto doubled = checked_mul(*out.base_fee, 2);
    auto fee = doubled ? checked_add(*doubled, tx.max_priority_fee_per_gas) : std::nullopt;
    if (!fee) throw WalletError("the node's base fee is absurdly large; pass --max-fee", ExitCode::unreachable);
    tx.max_fee_per_gas = *fee;
  }
  if (tx.max_priority_fee_per_gas > tx.max_fee_per_gas) {
    throw WalletError("priority fee " + format_gwei(tx.max_priority_fee_per_gas) + " gwei is above the max fee " +
                      format_gwei(tx.max_fee_per_gas) + " gwei; raise --max-fee or lower --priority-fee");
  }
}

}  // namespace

U256 PreparedSend::max_cost() const {
  auto gas_cost = checked_mul(chain::fee_cap(tx), U256(tx.gas_limit));
  auto total = gas_cost ? checked_add(*gas_cost, tx.value) : std::nullopt;
  return total ? *total : u256_max();
}

Result<Bytes> parse_data(const std::string& text) {
  if (text.starts_with("0x") || text.starts_with("0X")) {
    auto bytes = from_hex(text.substr(2));
    if (!bytes)
      return fail("--data '" + text.substr(0, 40) + "' starts with 0x but is not hex: " + bytes.error().message);
    return bytes;
  }
  return to_bytes(as_bytes(text));
}

PreparedSend prepare_send(NodeClient& node, const SendRequest& request) {
  if (request.legacy && (request.max_fee || request.priority_fee)) {
    throw WalletError("--max-fee and --priority-fee are for EIP-1559 transactions; with --legacy use --gas-price");
  }
  if (!request.legacy && request.gas_price) {
    throw WalletError("--gas-price is for legacy transactions; add --legacy, or use --max-fee/--priority-fee");
  }
  PreparedSend out;
  chain::Transaction& tx = out.tx;
  tx.type = request.legacy ? chain::TxType::legacy : chain::TxType::dynamic_fee;
  tx.chain_id = chain_id_of(node, request);
  tx.to = request.to;
  tx.value = request.value;
  tx.data = request.data;
  tx.nonce =
      request.nonce
          ? *request.nonce
          : quantity_u64(node.call("eth_getTransactionCount", Json::array({address_hex(request.from), "pending"})),
                         "eth_getTransactionCount");
  if (request.legacy) {
    tx.gas_price = request.gas_price ? *request.gas_price
                                     : quantity_u256(node.call("eth_gasPrice", Json::array()), "eth_gasPrice");
  } else {
    fill_dynamic_fees(node, request, out);
  }
  tx.gas_limit = request.gas_limit ? *request.gas_limit
                                   : quantity_u64(node.call("eth_estimateGas", Json::array({call_object(request)})),
                                                  "eth_estimateGas");
  const auto intrinsic = chain::intrinsic_gas(tx);
  if (!intrinsic || tx.gas_limit < *intrinsic) {
    throw WalletError("gas limit " + std::to_string(tx.gas_limit) + " is below the " +
                      std::to_string(intrinsic.value_or(0)) + " this transaction needs");
  }
  return out;
}

Hash256 sign_and_send(NodeClient& node, chain::Transaction& tx, const crypto::PrivateKey& key) {
  chain::sign(tx, key);
  const Hash256 local = chain::tx_hash(tx);
  const Json answer = node.call("eth_sendRawTransaction", Json::array({to_hex_prefixed(chain::encode(tx))}));
  const Hash256 reported = hash_value(answer, "eth_sendRawTransaction");
  if (reported != local) {
    throw WalletError("the node reported transaction hash " + to_hex_prefixed(reported) + " for " +
                          to_hex_prefixed(local) + "; it may have changed the transaction",
                      ExitCode::refused);
  }
  return local;
}

Receipt parse_receipt(const Json& receipt) {
  constexpr std::string_view kMethod = "eth_getTransactionReceipt";
  if (!receipt.is_object()) throw WalletError("the node's receipt is not an object", ExitCode::unreachable);
  Receipt out;
  out.tx_hash = hash_value(receipt.value("transactionHash", Json()), kMethod);
  out.block_hash = hash_value(receipt.value("blockHash", Json()), kMethod);
  out.block_number = quantity_u64(receipt.value("blockNumber", Json()), kMethod);
  out.gas_used = quantity_u64(receipt.value("gasUsed", Json()), kMethod);
  out.effective_gas_price = quantity_u256(receipt.value("effectiveGasPrice", Json()), kMethod);
  out.success = quantity_u64(receipt.value("status", Json()), kMethod) == 1;
  return out;
}

Receipt wait_for_receipt(NodeClient& node, const Hash256& tx_hash, const WaitOptions& options) {
  const auto start = options.now();
  const auto deadline = start + options.timeout;
  const Json params = Json::array({to_hex_prefixed(tx_hash)});
  // Bounded in count too, in case a clock does not advance.
  const auto max_polls = options.timeout / std::max(options.poll_interval, std::chrono::milliseconds(1)) + 2;
  for (std::int64_t poll = 0; poll < max_polls; ++poll) {
    const Json receipt = node.call("eth_getTransactionReceipt", params);
    if (!receipt.is_null()) return parse_receipt(receipt);
    const auto now = options.now();
    if (options.progress) {
      options.progress(std::chrono::duration_cast<std::chrono::milliseconds>(now - start));
    }
    if (now >= deadline) break;
    const auto pause = std::min<std::chrono::milliseconds>(
        options.poll_interval, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (options.sleep) {
      options.sleep(pause);
    } else {
      std::this_thread::sleep_for(pause);
    }
  }
  throw WalletError(
      "no receipt for " + to_hex_prefixed(tx_hash) + " after " + std::to_string(options.timeout.count() / 1000) +
          " s; it was sent and may still be mined: check with 'tally-wallet tx " + to_hex_prefixed(tx_hash) + "'",
      ExitCode::timeout);
}

}  // namespace tally::wallet
