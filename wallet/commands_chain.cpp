// Commands that talk to the node: balance, send, tx, mine.

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "wallet/amount.hpp"
#include "wallet/commands.hpp"
#include "wallet/errors.hpp"
#include "wallet/miner.hpp"

namespace tally::wallet {
namespace {

std::string checksum(const Address& address) {
  return crypto::to_checksum_address(address);
}

std::string type_name(chain::TxType type) {
  switch (type) {
    case chain::TxType::legacy:
      return "legacy";
    case chain::TxType::access_list:
      return "eip2930";
    case chain::TxType::dynamic_fee:
      return "eip1559";
  }
  return "unknown";
}

// "latest", "pending", "earliest", "safe", "finalized", a decimal number or a 0x quantity.
std::string block_param(const std::string& block) {
  for (const char* tag : {"latest", "pending", "earliest", "safe", "finalized"}) {
    if (block == tag) return block;
  }
  if (block.starts_with("0x")) {
    if (auto q = u256_from_quantity(block); q) return block;
  } else if (auto n = u256_from_decimal(block); n) {
    return u256_to_quantity(*n);
  }
  throw WalletError("bad --block '" + block + "': use latest, pending, earliest, safe, finalized or a block number");
}

Json amount_json(const U256& wei) {
  return Json{{"wei", u256_to_decimal(wei)}, {"ether", format_ether(wei)}};
}

Json receipt_json(const Receipt& receipt) {
  return Json{{"status", receipt.success ? "success" : "failed"},
              {"blockNumber", receipt.block_number},
              {"blockHash", to_hex_prefixed(receipt.block_hash)},
              {"gasUsed", receipt.gas_used},
              {"effectiveGasPrice", u256_to_decimal(receipt.effective_gas_price)},
              {"fee", amount_json(receipt.fee())}};
}

Json summary_json(const chain::Transaction& tx, const Address& from) {
  Json out = {{"from", checksum(from)},     {"to", checksum(*tx.to)},  {"value", amount_json(tx.value)},
              {"type", type_name(tx.type)}, {"chainId", *tx.chain_id}, {"nonce", tx.nonce},
              {"gasLimit", tx.gas_limit}};
  if (tx.type == chain::TxType::legacy) {
    out["gasPrice"] = u256_to_decimal(tx.gas_price);
  } else {
    out["maxFeePerGas"] = u256_to_decimal(tx.max_fee_per_gas);
    out["maxPriorityFeePerGas"] = u256_to_decimal(tx.max_priority_fee_per_gas);
  }
  if (!tx.data.empty()) out["data"] = to_hex_prefixed(tx.data);
  return out;
}

std::string describe_for_confirmation(const PreparedSend& prepared, const Address& from) {
  const chain::Transaction& tx = prepared.tx;
  std::string text = "Send " + format_ether(tx.value) + " ether\n  from  " + checksum(from) + "\n  to    " +
                     checksum(*tx.to) + "\n  chain " + std::to_string(*tx.chain_id) + ", nonce " +
                     std::to_string(tx.nonce) + ", gas limit " + std::to_string(tx.gas_limit) + "\n";
  if (tx.type == chain::TxType::legacy) {
    text += "  legacy transaction, gas price " + format_gwei(tx.gas_price) + " gwei\n";
  } else {
    text += "  EIP-1559, max fee " + format_gwei(tx.max_fee_per_gas) + " gwei, priority fee " +
            format_gwei(tx.max_priority_fee_per_gas) + " gwei";
    if (prepared.base_fee) text += " (base fee now " + format_gwei(*prepared.base_fee) + " gwei)";
    text += "\n";
  }
  if (!tx.data.empty()) text += "  data  " + std::to_string(tx.data.size()) + " bytes\n";
  text += "  at most " + format_ether(prepared.max_cost()) + " ether in all";
  return text;
}

SendRequest build_request(const SendOptions& options, const Address& from) {
  SendRequest request;
  request.from = from;
  request.to = parse_address_arg(options.to, "--to");
  auto value = parse_amount(options.value);
  if (!value) throw WalletError("bad --value: " + value.error().message);
  request.value = *value;
  if (options.data) {
    auto data = parse_data(*options.data);
    if (!data) throw WalletError(data.error().message);
    request.data = std::move(*data);
  }
  request.legacy = options.legacy;
  request.nonce = options.nonce;
  request.gas_limit = options.gas_limit;
  if (options.max_fee) request.max_fee = parse_fee_arg(*options.max_fee, "--max-fee");
  if (options.priority_fee) request.priority_fee = parse_fee_arg(*options.priority_fee, "--priority-fee");
  if (options.gas_price) request.gas_price = parse_fee_arg(*options.gas_price, "--gas-price");
  request.expected_chain_id = options.chain_id;
  return request;
}

}  // namespace

Json Wallet::balance(const std::optional<std::string>& account, const std::string& block) {
  const std::string tag = block_param(block);
  std::vector<Address> addresses;
  if (account) {
    addresses.push_back(parse_address_arg(*account, "account"));  // any address, not only the wallet's
  } else {
    for (const auto& file : keystore_.list().accounts) addresses.push_back(file.address);
    if (addresses.empty()) {
      throw WalletError("no accounts in " + keystore_.path().string() + ": give an address or run 'tally-wallet new'");
    }
  }
  Json rows = Json::array();
  for (const Address& address : addresses) {
    const Json params = Json::array({to_hex_prefixed(address), tag});
    const U256 wei = quantity_u256(node().call("eth_getBalance", params), "eth_getBalance");
    const std::uint64_t nonce = quantity_u64(node().call("eth_getTransactionCount", params), "eth_getTransactionCount");
    Json row = {{"address", checksum(address)}, {"balance", amount_json(wei)}, {"nonce", nonce}};
    rows.push_back(std::move(row));
  }
  return Json{{"block", block}, {"accounts", rows}};
}

Json Wallet::send(const SendOptions& options) {
  const AccountFile from = resolve_account(options.from);
  const SendRequest request = build_request(options, from.address);
  // Unlock first: a wrong password should not cost a round of node calls.
  const crypto::PrivateKey key = unlock(from);
  PreparedSend prepared = prepare_send(node(), request);
  if (!options.yes) {
    progress_ << describe_for_confirmation(prepared, from.address) << '\n';
    if (!prompter_.confirm("Sign and send?"))
      throw WalletError("not sent: not confirmed (pass --yes to skip the question)");
  }
  const Hash256 hash = sign_and_send(node(), prepared.tx, key);
  Json result = summary_json(prepared.tx, from.address);
  result["hash"] = to_hex_prefixed(hash);
  if (!options.wait) {
    result["status"] = "pending";
    return result;
  }
  progress_ << "sent " << to_hex_prefixed(hash) << ", waiting for the receipt\n";
  WaitOptions wait = options.wait_options;
  if (!wait.progress) {
    wait.progress = [this](std::chrono::milliseconds waited) {
      progress_ << "\r  waiting for a block... " << waited.count() / 1000 << " s" << std::flush;
    };
  }
  Receipt receipt;
  try {
    receipt = wait_for_receipt(node(), hash, wait);
  } catch (...) {
    progress_ << '\n';
    throw;
  }
  progress_ << '\n';
  result.update(receipt_json(receipt));
  if (!receipt.success) {
    throw WalletError("transaction " + to_hex_prefixed(hash) + " was included in block " +
                          std::to_string(receipt.block_number) + " but failed",
                      ExitCode::refused);
  }
  return result;
}

Json Wallet::transaction(const std::string& hash_text) {
  auto hash = from_hex_fixed<32>(hash_text, HexPrefix::required);
  if (!hash) throw WalletError("bad transaction hash '" + hash_text + "': expected 0x and 64 hex digits");
  const Json params = Json::array({to_hex_prefixed(*hash)});
  const Json tx = node().call("eth_getTransactionByHash", params);
  if (tx.is_null()) {
    return Json{{"hash", to_hex_prefixed(*hash)}, {"status", "unknown"}};
  }
  if (!tx.is_object())
    throw WalletError("the node's answer to eth_getTransactionByHash is malformed", ExitCode::unreachable);
  Json out = {{"hash", to_hex_prefixed(*hash)}};
  for (const char* field : {"from", "to"}) {
    if (tx.contains(field) && tx[field].is_string()) {
      auto address = crypto::parse_address(tx[field].get<std::string>());
      out[field] = address ? Json(checksum(*address)) : tx[field];
    }
  }
  if (tx.contains("value")) out["value"] = amount_json(quantity_u256(tx["value"], "eth_getTransactionByHash"));
  if (tx.contains("nonce")) out["nonce"] = quantity_u64(tx["nonce"], "eth_getTransactionByHash");
  if (tx.contains("gas")) out["gasLimit"] = quantity_u64(tx["gas"], "eth_getTransactionByHash");
  if (tx.contains("type")) {
    const auto type = quantity_u64(tx["type"], "eth_getTransactionByHash");
    out["type"] = type <= 2 ? type_name(static_cast<chain::TxType>(type)) : std::to_string(type);
  }
  if (tx.contains("input") && tx["input"].is_string() && tx["input"] != "0x") out["data"] = tx["input"];
  const Json receipt = node().call("eth_getTransactionReceipt", params);
  if (receipt.is_null()) {
    out["status"] = "pending";
    return out;
  }
  out.update(receipt_json(parse_receipt(receipt)));
  return out;
}

Json Wallet::mine(const MineCommandOptions& options) {
  Address beneficiary{};
  if (options.to) {
    beneficiary = parse_address_arg(*options.to, "--to");
  } else {
    const auto accounts = keystore_.list().accounts;
    if (accounts.empty()) {
      throw WalletError("no account to pay: run 'tally-wallet new' or pass --to ADDRESS");
    }
    beneficiary = accounts.front().address;
  }
  if (options.threads == 0 || options.threads > 256) throw WalletError("--threads must be 1..256");
  if (options.blocks == 0) throw WalletError("--blocks must be at least 1");
  MineOptions mine_options;
  mine_options.blocks = options.blocks;
  mine_options.threads = options.threads;
  mine_options.beneficiary = beneficiary;
  mine_options.poll_interval = options.poll_interval;
  mine_options.interrupted = options.interrupted;
  progress_ << "mining " << options.blocks << " block(s) to " << checksum(beneficiary) << " on " << options.threads
            << " thread(s); Ctrl-C stops\n";
  const MineProgress result = wallet::mine(node(), mine_options, [this](const MineProgress& p) {
    progress_ << "\r  " << p.found << " found, " << static_cast<std::uint64_t>(p.hash_rate() / 1000.0) << " kH/s, "
              << static_cast<std::uint64_t>(p.seconds) << " s   " << std::flush;
  });
  progress_ << '\n';
  Json numbers = Json::array();
  for (auto n : result.block_numbers) numbers.push_back(n);
  return Json{{"beneficiary", checksum(beneficiary)},
              {"found", result.found},
              {"rejected", result.rejected},
              {"hashes", result.hashes},
              {"seconds", result.seconds},
              {"hashRate", result.hash_rate()},
              {"blockNumbers", numbers},
              {"interrupted", result.interrupted}};
}

}  // namespace tally::wallet
