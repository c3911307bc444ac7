#pragma once
// rpc::NodeInfoApi: who this node is, its peers, its sync and consensus
// state. Peer calls go to the p2p host once the node has one.

#include <functional>

#include "chain/chain_manager.hpp"
#include "rpc/node_api.hpp"

namespace tally::node {

class NodeInfoService final : public rpc::NodeInfoApi {
 public:
  explicit NodeInfoService(const chain::ChainManager& chain) : chain_(chain) {}

  std::string client_version() const override;
  std::string node_id() const override { return node_id_; }
  std::string listen_address() const override { return listen_address_; }
  std::vector<rpc::PeerInfo> peers() const override;
  Result<void> add_peer(const std::string& host_port) override;
  std::optional<rpc::SyncStatus> syncing() const override;
  rpc::ConsensusStatus consensus_status() const override;

  // Wiring (before the RPC server starts).
  struct Network {
    std::function<std::vector<rpc::PeerInfo>()> peers;
    std::function<Result<void>(const std::string&)> add_peer;
    std::function<std::optional<rpc::SyncStatus>()> syncing;
  };
  void set_network(std::string node_id, std::string listen_address, Network network);
  // A PBFT validator's replica knows the height and view being decided.
  void set_consensus(std::function<rpc::ConsensusStatus()> status) { consensus_ = std::move(status); }

 private:
  const chain::ChainManager& chain_;
  std::string node_id_;
  std::string listen_address_;
  Network network_;
  std::function<rpc::ConsensusStatus()> consensus_;
};

}  // namespace tally::node
