#pragma once
// The node's Prometheus metrics (docs/node.md, "Metrics"): read from the
// parts' own counters and status when a scrape comes, plus what no part
// keeps (reorgs and their depth), counted here from head changes. Every
// label takes values from a fixed set (import results, the RPC method
// table), so the number of series is bounded whatever peers and clients do.

#include <chrono>
#include <cstdint>
#include <string>

#include "chain/chain_manager.hpp"
#include "node/metrics.hpp"

namespace tally::chain {
class Mempool;
}  // namespace tally::chain
namespace tally::p2p {
class Host;
}  // namespace tally::p2p
namespace tally::rpc {
class Server;
}  // namespace tally::rpc

namespace tally::node {

class Importer;
class MinerService;
class PbftDriver;
class TxJournal;

// Where the values come from; a null part (p2p off, RPC off, no miner on a
// PBFT chain, not a validator) leaves its metrics out.
struct MetricsSources {
  const chain::ChainManager* chain = nullptr;
  const chain::Mempool* pool = nullptr;
  const Importer* importer = nullptr;
  const TxJournal* journal = nullptr;
  const MinerService* miner = nullptr;  // proof-of-work chains
  const p2p::Host* host = nullptr;
  const rpc::Server* rpc = nullptr;
  const PbftDriver* pbft = nullptr;
};

class NodeMetrics {
 public:
  // Reorg depth buckets, in blocks taken off the canonical chain.
  static constexpr double kReorgDepthBuckets[] = {1, 2, 3, 4, 6, 8, 16, 32, 64, 128};

  NodeMetrics();

  // Importer thread: every head change (counts reorgs and their depth).
  void on_head_change(const chain::HeadChange& change);
  // Any thread: the text exposition of every metric.
  std::string render(const MetricsSources& sources) const;

  std::uint64_t reorgs() const { return reorgs_.value(); }

 private:
  metrics::Counter reorgs_;
  metrics::Histogram reorg_depth_;
  std::chrono::steady_clock::time_point started_;
  double started_unix_seconds_ = 0;
};

}  // namespace tally::node
