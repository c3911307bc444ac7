#include "chain/execution.hpp"

#include <boost/multiprecision/cpp_int.hpp>
#include <limits>
#include <string>
#include <utility>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"

namespace tally::chain {

namespace {

using BigInt = boost::multiprecision::cpp_int;

std::string dec(const U256& v) {
  return u256_to_decimal(v);
}
std::string dec(std::uint64_t v) {
  return std::to_string(v);
}

U256 saturating_add(const U256& a, const U256& b) {
  return checked_add(a, b).value_or(u256_max());
}

std::string block_label(const Header& header) {
  return "block " + std::to_string(header.number) + ": ";
}

std::string tx_label(std::size_t index, const Transaction& tx) {
  return "tx " + std::to_string(index) + " (" + to_hex_prefixed(tx_hash(tx)) + "): ";
}

// Up to three accounts a transfer touches (sender, recipient, beneficiary),
// changed here first and written to the state only when all checks passed.
class Overlay {
 public:
  explicit Overlay(StateDB& state) : state_(state) { entries_.reserve(3); }

  Account& at(const Address& address) {
    for (auto& [a, account] : entries_) {
      if (a == address) return account;
    }
    entries_.emplace_back(address, state_.get(address));
    return entries_.back().second;
  }
  bool credit(const Address& address, const U256& amount) {
    Account& account = at(address);
    auto sum = checked_add(account.balance, amount);
    if (!sum) return false;
    account.balance = *sum;
    return true;
  }
  void write() {
    for (const auto& [address, account] : entries_) state_.set(address, account);
  }

 private:
  StateDB& state_;
  std::vector<std::pair<Address, Account>> entries_;
};

}  // namespace

U256 next_base_fee(const Header& parent) {
  const std::uint64_t target = parent.gas_limit / kElasticityMultiplier;
  if (parent.gas_used == target || target == 0) return parent.base_fee;
  const BigInt base(parent.base_fee);
  if (parent.gas_used > target) {
    BigInt delta = base * (parent.gas_used - target) / target / kBaseFeeChangeDenominator;
    if (delta < 1) delta = 1;
    const BigInt next = base + delta;
    if (next > BigInt(u256_max())) return u256_max();
    return U256(next);
  }
  const BigInt delta = base * (target - parent.gas_used) / target / kBaseFeeChangeDenominator;
  return U256(base - delta);  // delta <= base / 8
}

Result<void> check_header_rules(const ChainConfig& config, const Header& header, const Header& parent) {
  const std::string where = block_label(header);
  if (header.extra_data.size() > kMaxExtraDataBytes) {
    return fail(where + "extra data of " + std::to_string(header.extra_data.size()) + " bytes exceeds the limit of " +
                std::to_string(kMaxExtraDataBytes));
  }
  const Hash256 parent_hash = header_hash(parent);
  if (header.parent_hash != parent_hash) {
    return fail(where + "parent hash " + to_hex_prefixed(header.parent_hash) + " does not match the parent " +
                to_hex_prefixed(parent_hash));
  }
  if (parent.number == std::numeric_limits<std::uint64_t>::max() || header.number != parent.number + 1) {
    return fail(where + "number must be the parent's plus one (parent is " + std::to_string(parent.number) + ")");
  }
  if (header.timestamp < config.earliest_child_timestamp(parent.timestamp)) {
    return fail(where + "timestamp " + std::to_string(header.timestamp) +
                (config.is_pbft() ? " is before the parent's " : " is not after the parent's ") +
                std::to_string(parent.timestamp));
  }
  if (header.gas_limit != config.gas_limit) {
    return fail(where + "gas limit " + std::to_string(header.gas_limit) + " is not the chain's " +
                std::to_string(config.gas_limit));
  }
  if (header.gas_used > header.gas_limit) {
    return fail(where + "gas used " + std::to_string(header.gas_used) + " exceeds the gas limit " +
                std::to_string(header.gas_limit));
  }
  const U256 expected = next_base_fee(parent);
  if (header.base_fee != expected) {
    return fail(where + "base fee " + dec(header.base_fee) + " is not the expected " + dec(expected) + " (EIP-1559)");
  }
  return {};
}

Result<void> verify_header(const ChainConfig& config, const Engine& engine, const Header& header, const Header& parent,
                           const HeaderReader& chain, std::uint64_t now_seconds) {
  if (auto ok = check_header_rules(config, header, parent); !ok) return ok;
  if (auto ok = engine.verify_header(header, parent, chain, now_seconds); !ok) {
    return fail(block_label(header) + ok.error().message);
  }
  return {};
}

BlockEnv block_env(const ChainConfig& config, const Header& header) {
  return BlockEnv{config.chain_id, header.beneficiary, header.base_fee, header.gas_limit};
}

Result<TxOutcome> apply_transaction(const BlockEnv& env, const Transaction& tx, const Address& sender,
                                    std::uint64_t cumulative_gas_used, StateDB& state) {
  if (!tx.chain_id) {
    return fail("invalid chain id: the transaction has none (pre-EIP-155), want " + dec(env.chain_id));
  }
  if (*tx.chain_id != env.chain_id) {
    return fail("invalid chain id: have " + dec(*tx.chain_id) + ", want " + dec(env.chain_id));
  }
  if (!tx.to) return fail("contract creation is not supported (Tally moves value only; `to` is required)");

  Overlay accounts(state);
  Account& from = accounts.at(sender);
  if (tx.nonce < from.nonce) return fail("nonce too low: have " + dec(tx.nonce) + ", want " + dec(from.nonce));
  if (tx.nonce > from.nonce) return fail("nonce too high: have " + dec(tx.nonce) + ", want " + dec(from.nonce));
  if (tx.nonce == std::numeric_limits<std::uint64_t>::max()) return fail("nonce has max value (EIP-2681)");

  const auto intrinsic = intrinsic_gas(tx);
  if (!intrinsic) return fail("intrinsic gas too low: intrinsic gas does not fit 64 bits");
  if (tx.gas_limit < *intrinsic) {
    return fail("intrinsic gas too low: have " + dec(tx.gas_limit) + ", want " + dec(*intrinsic));
  }
  if (fee_cap(tx) < env.base_fee) {
    return fail("max fee per gas less than block base fee: maxFeePerGas " + dec(fee_cap(tx)) + ", baseFee " +
                dec(env.base_fee));
  }
  if (tip_cap(tx) > fee_cap(tx)) {
    return fail("max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas " + dec(tip_cap(tx)) +
                ", maxFeePerGas " + dec(fee_cap(tx)));
  }
  if (cumulative_gas_used > env.gas_limit || tx.gas_limit > env.gas_limit - cumulative_gas_used) {
    const std::uint64_t left = cumulative_gas_used > env.gas_limit ? 0 : env.gas_limit - cumulative_gas_used;
    return fail("gas limit reached: the block has " + dec(left) + " gas left, the transaction's gas limit is " +
                dec(tx.gas_limit));
  }
  const auto max_gas_cost = checked_mul(U256(tx.gas_limit), fee_cap(tx));
  const auto max_cost = max_gas_cost ? checked_add(*max_gas_cost, tx.value) : std::nullopt;
  if (!max_cost) {
    return fail("insufficient funds for gas * price + value: the cost exceeds 2^256 - 1 wei");
  }
  if (from.balance < *max_cost) {
    return fail("insufficient funds for gas * price + value: balance " + dec(from.balance) + ", cost " +
                dec(*max_cost));
  }

  TxOutcome out;
  out.gas_used = *intrinsic;  // a value transfer uses exactly its intrinsic gas
  const U256 price = *effective_gas_price(tx, env.base_fee);
  const U256 gas = out.gas_used;
  const U256 fee = price * gas;  // <= fee cap * gas limit, checked above
  out.burned = env.base_fee * gas;
  out.tip = fee - out.burned;

  from.nonce += 1;
  from.balance -= tx.value + fee;
  // `from` may be invalidated by at() below: it is not used again.
  if (!accounts.credit(*tx.to, tx.value) || !accounts.credit(env.beneficiary, out.tip)) {
    return fail("balance overflow crediting the recipient or the beneficiary");
  }
  accounts.write();

  out.receipt.type = tx.type;
  out.receipt.status = 1;
  out.receipt.cumulative_gas_used = cumulative_gas_used + out.gas_used;
  return out;
}

Result<void> apply_block_reward(const Address& beneficiary, const U256& reward, StateDB& state) {
  if (reward == 0) return {};
  Account account = state.get(beneficiary);
  auto sum = checked_add(account.balance, reward);
  if (!sum) return fail("balance overflow crediting the block reward to " + crypto::to_checksum_address(beneficiary));
  account.balance = *sum;
  state.set(beneficiary, account);
  return {};
}

Result<ExecutionResult> execute_block(const ChainConfig& config, const Header& parent, const Block& block,
                                      std::span<const Address> senders, StateDB& state, const U256& reward) {
  const std::string where = block_label(block.header);
  if (senders.size() != block.transactions.size()) {
    return fail(where + std::to_string(senders.size()) + " senders given for " +
                std::to_string(block.transactions.size()) + " transactions");
  }
  if (state.root() != parent.state_root) {
    return fail(where + "the state is not at the parent's state root " + to_hex_prefixed(parent.state_root));
  }
  const BlockEnv env = block_env(config, block.header);
  ExecutionResult result;
  result.receipts.reserve(block.transactions.size());
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const Transaction& tx = block.transactions[i];
    auto out = apply_transaction(env, tx, senders[i], result.gas_used, state);
    if (!out) return fail(where + tx_label(i, tx) + out.error().message);
    result.gas_used += out->gas_used;
    result.burned = saturating_add(result.burned, out->burned);  // informational totals
    result.tips = saturating_add(result.tips, out->tip);
    result.receipts.push_back(out->receipt);
  }
  if (auto ok = apply_block_reward(block.header.beneficiary, reward, state); !ok) {
    return fail(where + ok.error().message);
  }
  result.state_root = state.root();
  result.transactions_root = transactions_root(block.transactions);
  result.receipts_root = receipts_root(result.receipts);
  return result;
}

Result<void> validate_block_result(const Header& header, const ExecutionResult& result) {
  const std::string where = block_label(header);
  if (header.gas_used != result.gas_used) {
    return fail(where + "gas used mismatch: header has " + dec(header.gas_used) + ", execution used " +
                dec(result.gas_used));
  }
  const auto check = [&](const char* name, const Hash256& claimed, const Hash256& computed) -> Result<void> {
    if (claimed == computed) return {};
    return fail(where + name + " mismatch: header has " + to_hex_prefixed(claimed) + ", computed " +
                to_hex_prefixed(computed));
  };
  if (auto ok = check("transactions root", header.transactions_root, result.transactions_root); !ok) return ok;
  if (auto ok = check("receipts root", header.receipts_root, result.receipts_root); !ok) return ok;
  return check("state root", header.state_root, result.state_root);
}

}  // namespace tally::chain
