#pragma once
// Building, signing and sending a value transfer, and waiting for its
// receipt. Everything that needs the node goes through NodeClient, so the
// logic is tested against a fake.
//
// Defaults (each can be overridden for a replacement transaction):
//   chain id   eth_chainId (and checked against --chain-id when given)
//   nonce      eth_getTransactionCount(from, "pending")
//   gas        eth_estimateGas({from, to, value, data})
//   EIP-1559   tip = eth_maxPriorityFeePerGas; base fee = the next block's,
//              from eth_feeHistory(1, "latest"); max fee = 2 * base fee + tip
//              (what ethers does: room for the base fee to double)
//   legacy     gas price = eth_gasPrice

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "chain/transaction.hpp"
#include "crypto/bytes.hpp"
#include "crypto/secp256k1.hpp"
#include "crypto/uint256.hpp"
#include "wallet/node_client.hpp"

namespace tally::wallet {

struct SendRequest {
  Address from{};
  Address to{};
  U256 value = 0;
  Bytes data;
  bool legacy = false;
  std::optional<std::uint64_t> nonce;
  std::optional<std::uint64_t> gas_limit;
  std::optional<U256> max_fee;       // EIP-1559 max fee per gas
  std::optional<U256> priority_fee;  // EIP-1559 max priority fee per gas
  std::optional<U256> gas_price;     // legacy
  std::optional<std::uint64_t> expected_chain_id;
};

// An unsigned transaction ready for review, with what was learnt on the way.
struct PreparedSend {
  chain::Transaction tx;
  std::optional<U256> base_fee;  // EIP-1559: the next block's base fee, when known
  U256 max_cost() const;         // value + gas limit * fee cap: the most it can cost
};

// --data: "0x..." is hex bytes; anything else is the UTF-8 text itself (a note).
Result<Bytes> parse_data(const std::string& text);

// Asks the node for what the request leaves open. Throws WalletError on bad
// combinations (e.g. --gas-price without --legacy, tip above max fee) and
// NodeRefused / NodeUnreachable from the node.
PreparedSend prepare_send(NodeClient& node, const SendRequest& request);

// Signs, sends, and returns the hash the node reported (checked equal to the
// local one). Throws NodeRefused with the node's reason when it refuses.
Hash256 sign_and_send(NodeClient& node, chain::Transaction& tx, const crypto::PrivateKey& key);

struct Receipt {
  Hash256 tx_hash{};
  bool success = false;
  std::uint64_t block_number = 0;
  Hash256 block_hash{};
  std::uint64_t gas_used = 0;
  U256 effective_gas_price = 0;
  U256 fee() const { return effective_gas_price * gas_used; }
};

Receipt parse_receipt(const Json& receipt);

// Polls eth_getTransactionReceipt until it is there or `timeout` has passed
// (then WalletError with ExitCode::timeout). `progress` is told the time
// waited after every poll. Clock and sleep are injected for tests.
struct WaitOptions {
  std::chrono::milliseconds timeout{120'000};
  std::chrono::milliseconds poll_interval{1'000};
  std::function<void(std::chrono::milliseconds waited)> progress;
  std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
  std::function<void(std::chrono::milliseconds)> sleep;  // default: std::this_thread::sleep_for
};
Receipt wait_for_receipt(NodeClient& node, const Hash256& tx_hash, const WaitOptions& options);

}  // namespace tally::wallet
