// Fee methods: eth_gasPrice, eth_maxPriorityFeePerGas and eth_feeHistory,
// and the tip oracle behind the first two (GasOracleOptions).

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "chain/execution.hpp"
#include "rpc/eth_api.hpp"

namespace tally::rpc {

namespace {

// The effective tips paid in `block`, ascending, below `ignore_below` left out.
std::vector<U256> block_tips(const chain::Block& block, const U256& ignore_below) {
  std::vector<U256> tips;
  tips.reserve(block.transactions.size());
  for (const auto& tx : block.transactions) {
    const auto tip = chain::effective_tip(tx, block.header.base_fee);
    if (tip && *tip >= ignore_below) tips.push_back(*tip);
  }
  std::sort(tips.begin(), tips.end());
  return tips;
}

// blockCount: geth accepts a hex quantity, a decimal string or a JSON number.
std::uint64_t parse_block_count(const Json& value) {
  if (value.is_number()) return parse_count(value, {0, {}});
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.starts_with("0x") || text.starts_with("0X")) return parse_quantity_u64(value, {0, {}});
    auto decimal = u256_from_decimal(text);
    if (!decimal || *decimal > U256{UINT64_MAX}) invalid_argument(0, "block count must be a number below 2^64");
    return static_cast<std::uint64_t>(*decimal);
  }
  invalid_argument(0, "block count must be a quantity or a number, got " + value.dump());
}

std::vector<double> parse_percentiles(const Json* value, std::size_t max_count) {
  std::vector<double> out;
  if (value == nullptr) return out;
  if (!value->is_array()) invalid_argument(2, "reward percentiles must be an array of numbers");
  if (value->size() > max_count) {
    invalid_argument(2, "too many reward percentiles, want at most " + std::to_string(max_count));
  }
  for (const auto& item : *value) {
    if (!item.is_number()) invalid_argument(2, "reward percentiles must be numbers, got " + item.dump());
    const double p = item.get<double>();
    if (!std::isfinite(p) || p < 0.0 || p > 100.0) {
      invalid_argument(2, "invalid reward percentile " + item.dump() + ": want 0 to 100");
    }
    if (!out.empty() && p < out.back()) {
      invalid_argument(2, "invalid reward percentile " + item.dump() + ": percentiles must not decrease");
    }
    out.push_back(p);
  }
  return out;
}

// Tips at the given gas-weighted percentiles of `block` (geth's rule: walk
// the transactions by ascending tip until the cumulative gas reaches p% of
// the block's gas used). An empty block rewards 0 at every percentile.
Json block_rewards(const chain::Block& block, const std::vector<chain::Receipt>& receipts,
                   const std::vector<double>& percentiles) {
  Json out = Json::array();
  if (block.transactions.empty() || receipts.size() != block.transactions.size()) {
    for (std::size_t i = 0; i < percentiles.size(); ++i) out.push_back("0x0");
    return out;
  }
  std::vector<std::pair<U256, std::uint64_t>> items;  // (tip, gas used)
  std::uint64_t previous = 0;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const std::uint64_t cumulative = receipts[i].cumulative_gas_used;
    const std::uint64_t used = cumulative >= previous ? cumulative - previous : 0;
    previous = cumulative;
    total += used;
    items.emplace_back(chain::effective_tip(block.transactions[i], block.header.base_fee).value_or(0), used);
  }
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const double p : percentiles) {
    const double threshold = static_cast<double>(total) * p / 100.0;
    std::size_t i = 0;
    std::uint64_t sum = items[0].second;
    while (static_cast<double>(sum) < threshold && i + 1 < items.size()) sum += items[++i].second;
    out.push_back(quantity(items[i].first));
  }
  return out;
}

}  // namespace

U256 EthApi::suggested_tip() const {
  const Hash256 head = node_.chain->head().hash;
  {
    std::lock_guard lock(tip_mutex_);
    if (tip_head_ == head) return tip_cached_;
  }
  const U256 tip = compute_tip();
  std::lock_guard lock(tip_mutex_);
  tip_head_ = head;
  tip_cached_ = tip;
  return tip;
}

U256 EthApi::compute_tip() const {
  const auto& oracle = options_.gas_oracle;
  std::vector<U256> samples;
  Hash256 hash = node_.chain->head().hash;
  for (std::uint64_t walked = 0; walked < oracle.blocks; ++walked) {
    const auto block = node_.chain->block(hash);
    if (!block) break;
    const auto tips = block_tips(*block, oracle.ignore_below);
    const std::size_t take = std::min(tips.size(), oracle.samples_per_block);
    samples.insert(samples.end(), tips.begin(), tips.begin() + static_cast<std::ptrdiff_t>(take));
    if (block->header.number == 0) break;
    hash = block->header.parent_hash;
  }
  if (samples.empty()) return std::min(oracle.default_tip, oracle.max_tip);
  std::sort(samples.begin(), samples.end());
  const std::size_t index = (samples.size() - 1) * oracle.percentile / 100;
  return std::min(samples[index], oracle.max_tip);
}

void EthApi::register_fee_methods(MethodTable& table) {
  table.add("eth_maxPriorityFeePerGas", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    return quantity(suggested_tip());
  });
  table.add("eth_gasPrice", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 0, 0);
    const auto head = node_.chain->header(node_.chain->head().hash);
    if (!head) throw RpcError(code::kInternal, "head header missing from the store");
    // What a legacy transaction should offer to be included soon: the next
    // block's base fee plus the suggested tip.
    const auto price = checked_add(chain::next_base_fee(*head), suggested_tip());
    return quantity(price.value_or(u256_max()));
  });
  table.add("eth_feeHistory", Access::open, [this](const Json& params, CallContext&) -> Json {
    Params args(params, 2, 3);
    std::uint64_t count = parse_block_count(args.required(0));
    const BlockParam newest_param = parse_block_param(args.required(1), {1, {}}, false);
    const auto percentiles = parse_percentiles(args.get(2), options_.max_fee_history_percentiles);
    const std::uint64_t head = node_.chain->head().number;
    std::uint64_t newest = 0;
    if (const auto* number = std::get_if<std::uint64_t>(&newest_param)) {
      newest = *number;
    } else {
      newest = tag_number(std::get<BlockTag>(newest_param)).value_or(head);
    }
    if (newest > head) {
      throw RpcError(code::kServerError, "request beyond head block: requested " + std::to_string(newest) + ", head " +
                                             std::to_string(head));
    }
    if (count == 0) return Json{{"oldestBlock", "0x0"}};
    count = std::min({count, options_.max_fee_history_blocks, newest + 1});
    const std::uint64_t oldest = newest + 1 - count;
    Json base_fees = Json::array();
    Json ratios = Json::array();
    Json rewards = Json::array();
    std::optional<chain::Header> last;
    for (std::uint64_t number = oldest; number <= newest; ++number) {
      const auto hash = node_.chain->canonical_hash(number);
      const auto block = hash ? node_.chain->block(*hash) : std::nullopt;
      if (!block) throw RpcError(code::kServerError, "block " + std::to_string(number) + " not found");
      const auto& h = block->header;
      base_fees.push_back(quantity(h.base_fee));
      ratios.push_back(h.gas_limit == 0 ? 0.0 : static_cast<double>(h.gas_used) / static_cast<double>(h.gas_limit));
      if (!percentiles.empty()) {
        const auto receipts = node_.chain->receipts(*hash);
        rewards.push_back(block_rewards(*block, receipts.value_or(std::vector<chain::Receipt>{}), percentiles));
      }
      last = h;
    }
    base_fees.push_back(quantity(chain::next_base_fee(*last)));
    Json out{{"oldestBlock", quantity(oldest)},
             {"baseFeePerGas", std::move(base_fees)},
             {"gasUsedRatio", std::move(ratios)}};
    if (!percentiles.empty()) out["reward"] = std::move(rewards);
    return out;
  });
}

}  // namespace tally::rpc
