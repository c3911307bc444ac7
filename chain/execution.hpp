#pragma once
// Chain rules for headers, and execution of a block's value transfers.
//
// Import of a block B with parent P (the caller's order):
//   1. check_header_rules(config, B.header, P)   chain rules, every engine
//   2. engine.verify_header(...)                  seal and engine rules
//      (verify_header below runs 1 then 2)
//   3. recover every sender (parallel), then
//   4. execute_block(...) on a StateDB opened at P.state_root
//   5. validate_block_result(B.header, result)    gas used and the three roots
// A block producer instead runs apply_transaction per candidate transaction
// (skipping those that fail), then fills the header from the result.
//
// A value transfer uses exactly its intrinsic gas. Per transaction the
// sender pays value + gas_used * effective_gas_price; the base fee part is
// burned (credited to no one) and the tip part goes to the beneficiary.
// After the transactions the block reward is credited to the beneficiary.

#include <cstdint>
#include <span>
#include <vector>

#include "chain/block.hpp"
#include "chain/config.hpp"
#include "chain/engine.hpp"
#include "chain/state.hpp"
#include "chain/transaction.hpp"
#include "crypto/result.hpp"

namespace tally::chain {

// EIP-1559 constants.
inline constexpr std::uint64_t kElasticityMultiplier = 2;
inline constexpr std::uint64_t kBaseFeeChangeDenominator = 8;

// The base fee of the child of `parent` (EIP-1559, exact integer formula):
// target = gas_limit / 2; at target unchanged; above it rises by
// max(1, base_fee * (used - target) / target / 8); below it falls by
// base_fee * (target - used) / target / 8. Saturates at 2^256 - 1.
U256 next_base_fee(const Header& parent);

// Chain rules every engine shares: parent hash links, number = parent + 1,
// timestamp > parent's, gas limit = the chain's, gas used <= gas limit,
// base fee = next_base_fee(parent), extra data <= kMaxExtraDataBytes.
Result<void> check_header_rules(const ChainConfig& config, const Header& header, const Header& parent);

// check_header_rules, then the engine's verify_header.
Result<void> verify_header(const ChainConfig& config, const Engine& engine, const Header& header, const Header& parent,
                           const HeaderReader& chain, std::uint64_t now_seconds);

// What a transaction executes against.
struct BlockEnv {
  std::uint64_t chain_id = 0;
  Address beneficiary{};
  U256 base_fee = 0;
  std::uint64_t gas_limit = 0;
};

BlockEnv block_env(const ChainConfig& config, const Header& header);

struct TxOutcome {
  Receipt receipt;
  std::uint64_t gas_used = 0;
  U256 burned = 0;  // base_fee * gas_used
  U256 tip = 0;     // to the beneficiary
};

// Checks one transaction against the state and applies it. Rules, in order:
// chain id, `to` present, nonce equal to the account's, gas limit >=
// intrinsic gas, max fee >= base fee, priority fee <= max fee, cumulative
// gas + gas limit <= block gas limit, balance >= value + gas limit * max fee.
// On error nothing is changed, so a block builder can skip the transaction;
// the message gives the rule in geth's words ("nonce too high: ...").
// `sender` must come from recover_sender(tx).
Result<TxOutcome> apply_transaction(const BlockEnv& env, const Transaction& tx, const Address& sender,
                                    std::uint64_t cumulative_gas_used, StateDB& state);

// Credits the block reward (after the transactions). Refuses a balance
// overflow (only reachable with an absurd genesis reward).
Result<void> apply_block_reward(const Address& beneficiary, const U256& reward, StateDB& state);

struct ExecutionResult {
  std::vector<Receipt> receipts;
  std::uint64_t gas_used = 0;
  Hash256 state_root{};
  Hash256 transactions_root{};
  Hash256 receipts_root{};
  U256 burned = 0;  // total base fee burned
  U256 tips = 0;    // total tips paid to the beneficiary
};

// A block's execution with the state trie nodes it adds: what an import
// writes. The node's own block builder hands it to the import, so a block
// it built is not executed a second time.
struct BlockExecution {
  ExecutionResult result;
  NodeBatch nodes;
};

// Executes `block` on `state`, which must be at parent.state_root; senders[i]
// is the recovered sender of block.transactions[i]. Any invalid transaction
// makes the whole block invalid: "tx 3 (0x..): nonce too high: ...". On error
// `state` is left part-way and must be discarded. Does not compare against
// the header: validate_block_result does.
Result<ExecutionResult> execute_block(const ChainConfig& config, const Header& parent, const Block& block,
                                      std::span<const Address> senders, StateDB& state, const U256& reward);

// Compares the header's gas used, transactions root, receipts root and state
// root with what execution produced.
Result<void> validate_block_result(const Header& header, const ExecutionResult& result);

}  // namespace tally::chain
