#include "chain/block_builder.hpp"

#include <set>
#include <string>

#include "chain/execution.hpp"
#include "chain/state.hpp"

namespace tally::chain {

Result<BuiltBlock> build_block(const ChainConfig& config, const NodeStore& store, const Header& parent,
                               const BlockTemplate& block_template, std::span<const PooledTxPtr> candidates) {
  if (block_template.timestamp < config.earliest_child_timestamp(parent.timestamp)) {
    return fail("block template: timestamp " + std::to_string(block_template.timestamp) +
                " is too early for a child of " + std::to_string(parent.timestamp));
  }
  if (block_template.extra_data.size() > kMaxExtraDataBytes) {
    return fail("block template: extra data longer than " + std::to_string(kMaxExtraDataBytes) + " bytes");
  }
  BuiltBlock built;
  Header& header = built.block.header;
  header.parent_hash = header_hash(parent);
  header.number = parent.number + 1;
  header.timestamp = block_template.timestamp;
  header.beneficiary = block_template.beneficiary;
  header.gas_limit = config.gas_limit;
  header.base_fee = next_base_fee(parent);
  header.extra_data = block_template.extra_data;
  header.seal = block_template.seal;

  const BlockEnv env = block_env(config, header);
  StateDB state(store, parent.state_root, StateUse::block);
  std::vector<Receipt> receipts;
  std::set<Address> failed_senders;
  std::uint64_t gas_used = 0;
  U256 burned = 0;
  for (const auto& candidate : candidates) {
    if (failed_senders.contains(candidate->sender)) {
      built.skipped.push_back(candidate->hash);
      continue;
    }
    auto outcome = apply_transaction(env, candidate->tx, candidate->sender, gas_used, state);
    if (!outcome) {
      failed_senders.insert(candidate->sender);
      built.skipped.push_back(candidate->hash);
      continue;
    }
    gas_used += outcome->gas_used;
    built.tips += outcome->tip;
    burned += outcome->burned;
    receipts.push_back(outcome->receipt);
    built.block.transactions.push_back(candidate->tx);
    built.senders.push_back(candidate->sender);
  }
  if (auto rewarded = apply_block_reward(header.beneficiary, block_template.block_reward, state); !rewarded) {
    return fail("block template: " + rewarded.error().message);
  }
  auto execution = std::make_shared<BlockExecution>();
  header.gas_used = gas_used;
  header.state_root = state.commit(execution->nodes);
  header.transactions_root = transactions_root(built.block.transactions);
  header.receipts_root = receipts_root(receipts);
  execution->result = ExecutionResult{std::move(receipts),  gas_used, header.state_root, header.transactions_root,
                                      header.receipts_root, burned,   built.tips};
  built.execution = std::move(execution);
  return built;
}

}  // namespace tally::chain
