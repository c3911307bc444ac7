#include "pbft_support.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace tally::e2e {

std::optional<std::string> FinalityLedger::record(Cluster& cluster, std::size_t i) {
  const auto final_number = cluster.finalized_number(i);
  auto& seen = checked_[i];
  for (std::uint64_t n = seen + 1; n <= final_number; ++n) {
    const auto hash = cluster.hash_at(i, n);
    if (hash.empty()) return "node" + std::to_string(i) + " has no block at final height " + std::to_string(n);
    auto [it, fresh] = finals_.emplace(n, hash);
    if (!fresh && it->second != hash) {
      return "two final blocks at height " + std::to_string(n) + ": " + it->second + " and " + hash + " (node" +
             std::to_string(i) + ")";
    }
    seen = n;
  }
  return std::nullopt;
}

std::optional<std::string> FinalityLedger::record_all(Cluster& cluster) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (!cluster.running(i) || !cluster.serves_rpc(i)) continue;
    if (auto conflict = record(cluster, i)) return conflict;
  }
  return std::nullopt;
}

std::string FinalityLedger::final_at(std::uint64_t n) const {
  const auto it = finals_.find(n);
  return it == finals_.end() ? std::string() : it->second;
}

bool meshed(Cluster& cluster, std::optional<std::uint64_t> expected) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.running(i) && cluster.serves_rpc(i) && cluster.peer_count(i) < expected.value_or(cluster.size() - 1)) {
      return false;
    }
  }
  return true;
}

bool included(Cluster& cluster, std::size_t node, const std::string& tx) {
  const Json receipt = cluster.call(node, "eth_getTransactionReceipt", Json::array({tx}));
  return !receipt.is_null();
}

bool included_on(Cluster& cluster, const std::vector<std::size_t>& nodes, const std::string& tx) {
  return std::all_of(nodes.begin(), nodes.end(), [&](std::size_t i) { return included(cluster, i, tx); });
}

std::uint64_t lowest_final(Cluster& cluster, const std::vector<std::size_t>& nodes) {
  std::uint64_t lowest = UINT64_MAX;
  for (std::size_t i : nodes) lowest = std::min(lowest, cluster.finalized_number(i));
  return lowest;
}

std::uint64_t highest_final(Cluster& cluster, const std::vector<std::size_t>& nodes) {
  std::uint64_t highest = 0;
  for (std::size_t i : nodes) highest = std::max(highest, cluster.finalized_number(i));
  return highest;
}

std::string send(Cluster& cluster, std::size_t node, const std::string& raw) {
  return cluster.call(node, "eth_sendRawTransaction", Json::array({raw})).get<std::string>();
}

std::string miner_at(Cluster& cluster, std::size_t i, std::uint64_t n) {
  std::ostringstream tag;
  tag << "0x" << std::hex << n;
  const Json block = cluster.call(i, "eth_getBlockByNumber", Json::array({tag.str(), false}));
  return block.is_null() ? std::string() : block["miner"].get<std::string>();
}

std::uint64_t view_changes(Cluster& cluster, std::size_t i) {
  const auto value = cluster.metric(i, "tally_pbft_view_changes_total");
  if (!value) throw std::runtime_error("node" + std::to_string(i) + " has no tally_pbft_view_changes_total");
  return static_cast<std::uint64_t>(*value);
}

std::string logs(const Cluster& cluster, std::size_t lines) {
  std::string out;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    out += "--- node" + std::to_string(i) + (cluster.running(i) ? "" : " (down)") + "\n" + cluster.log_tail(i, lines);
  }
  return out;
}

}  // namespace tally::e2e
