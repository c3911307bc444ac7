#pragma once
// What the PBFT fault scenarios share (pbft_faults_test.cpp,
// pbft_byzantine_test.cpp): a ledger of every final block seen, and small
// reads of the validators' state. Nodes that serve no RPC (a
// NodeSpec::program) are skipped.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster.hpp"

namespace tally::e2e {

// Every final block any node has reported, by height: a second hash at one
// height is a safety violation.
class FinalityLedger {
 public:
  // Reads the final blocks above what was already recorded for node i.
  std::optional<std::string> record(Cluster& cluster, std::size_t i);
  // Every running node that serves RPC.
  std::optional<std::string> record_all(Cluster& cluster);
  // The final hash recorded at height n, empty if none yet.
  std::string final_at(std::uint64_t n) const;

 private:
  std::map<std::uint64_t, std::string> finals_;
  std::map<std::size_t, std::uint64_t> checked_;
};

// Every running RPC node has all the others as peers (`expected`, default
// size() - 1).
bool meshed(Cluster& cluster, std::optional<std::uint64_t> expected = std::nullopt);
bool included(Cluster& cluster, std::size_t node, const std::string& tx);
bool included_on(Cluster& cluster, const std::vector<std::size_t>& nodes, const std::string& tx);
std::uint64_t lowest_final(Cluster& cluster, const std::vector<std::size_t>& nodes);
std::uint64_t highest_final(Cluster& cluster, const std::vector<std::size_t>& nodes);
std::string send(Cluster& cluster, std::size_t node, const std::string& raw);
// The "miner" of node i's block n: a PBFT block's proposer.
std::string miner_at(Cluster& cluster, std::size_t i, std::uint64_t n);
// tally_pbft_view_changes_total of node i (throws if absent).
std::uint64_t view_changes(Cluster& cluster, std::size_t i);
// The last lines of every node's log, for a failure message.
std::string logs(const Cluster& cluster, std::size_t lines = 15);

}  // namespace tally::e2e
