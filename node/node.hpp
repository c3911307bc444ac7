#pragma once
// The node: opens the datadir and the chain, and wires the parts together.
//
//   RPC threads ──submit_raw──> PoolService ──> Mempool
//   miner / RPC / p2p ──blocks──> Importer (the one writer) ──> ChainManager
//   Importer ──head change──> pool sync, miner (abandon work), RPC
//                             subscriptions, p2p announcements
//
// On a PBFT chain a validator (--validator-key) runs a PbftDriver, and every
// node takes peers' blocks through CertifiedBlocks (imported only with a
// valid commit certificate).
//
// Datadir layout: chaindata/ (LevelDB), txpool.journal (transactions taken
// over RPC, replayed on start), rpc.token (admin bearer token, when the RPC
// server is not on loopback), nodekey, peers.json, tallyd.log, and on a
// PBFT validator pbft_state.rlp (the replica's promises).

#include <cstdint>
#include <memory>

#include "chain/chain_manager.hpp"
#include "chain/database.hpp"
#include "chain/genesis.hpp"
#include "chain/mempool.hpp"
#include "node/certified_blocks.hpp"
#include "node/chain_view.hpp"
#include "node/config.hpp"
#include "node/importer.hpp"
#include "node/miner_service.hpp"
#include "node/node_info.hpp"
#include "node/node_metrics.hpp"
#include "node/p2p_bridge.hpp"
#include "node/pbft_driver.hpp"
#include "node/pool_service.hpp"
#include "rpc/method.hpp"
#include "rpc/node_api.hpp"
#include "rpc/server.hpp"

namespace tally::rpc {
class EthApi;
}  // namespace tally::rpc
namespace tally::p2p {
class Host;
}  // namespace tally::p2p

namespace tally::node {

class Node {
 public:
  // Opens (or creates) the datadir and the chain in it. Refuses a datadir
  // made for another genesis, changing nothing.
  static Result<std::unique_ptr<Node>> open(NodeConfig config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the importer, the miner and the RPC server.
  Result<void> start();
  // Stops everything, in the reverse order. Idempotent.
  void stop();

  std::uint16_t rpc_port() const;
  // Where GET /metrics is served: the metrics listener's port, or the
  // JSON-RPC port when metrics share it; 0 when metrics are off.
  std::uint16_t metrics_port() const;
  const NodeMetrics& metrics() const { return *metrics_; }
  std::uint16_t p2p_port() const;
  p2p::Host* host() { return host_.get(); }
  rpc::NodeApi api();
  const chain::ChainManager& chain() const { return *chain_; }
  const chain::Genesis& genesis() const { return genesis_; }
  chain::Mempool& mempool() { return *pool_; }
  PoolService& pool_service() { return *pool_service_; }
  MinerService& miner() { return *miner_; }
  Importer& importer() { return *importer_; }
  const rpc::MethodTable& methods() const { return methods_; }
  // PBFT: the validator's driver (nullptr on a full node or a PoW chain),
  // and the intake of peers' certified blocks (nullptr on PoW).
  PbftDriver* pbft() { return pbft_.get(); }
  CertifiedBlocks* certified_blocks() { return certified_.get(); }

 private:
  Node(NodeConfig config, chain::Genesis genesis);
  Result<void> open_chain();
  void wire();
  Result<void> restore_pool();
  Result<void> start_p2p();
  Result<void> start_rpc();
  Result<void> start_metrics();
  rpc::GetResource metrics_resource();
  Result<void> open_pbft();
  void wire_pbft();
  void tick_certified();

  NodeConfig config_;
  chain::Genesis genesis_;
  std::unique_ptr<chain::Database> db_;
  std::unique_ptr<chain::Engine> engine_;
  std::unique_ptr<chain::ChainManager> chain_;
  std::unique_ptr<chain::Mempool> pool_;
  std::unique_ptr<ChainView> view_;
  std::unique_ptr<PoolService> pool_service_;
  std::unique_ptr<TxJournal> journal_;
  std::unique_ptr<Importer> importer_;
  std::unique_ptr<MinerService> miner_;
  std::unique_ptr<NodeInfoService> info_;
  std::unique_ptr<rpc::EthApi> eth_;
  rpc::MethodTable methods_;
  std::unique_ptr<NodeMetrics> metrics_;
  std::unique_ptr<rpc::Server> rpc_server_;
  rpc::MethodTable no_methods_;                  // the metrics listener serves no JSON-RPC
  std::unique_ptr<rpc::Server> metrics_server_;  // with MetricsConfig::port only
  std::unique_ptr<P2pBridge> bridge_;
  std::unique_ptr<p2p::Host> host_;
  // PBFT (declared after the host and the importer: destroyed before them).
  std::optional<crypto::PrivateKey> validator_key_;
  std::unique_ptr<CertifiedBlocks> certified_;
  std::unique_ptr<PbftDriver> pbft_;
  std::unique_ptr<TimerThread> certified_timer_;
  bool started_ = false;
};

}  // namespace tally::node
