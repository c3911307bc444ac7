#include "node/node_info.hpp"

#include "node/version.hpp"

namespace tally::node {

std::string NodeInfoService::client_version() const {
  // geth's shape: name/version/os-arch.
  return std::string(kClientName) + "/linux-x86_64";
}

std::vector<rpc::PeerInfo> NodeInfoService::peers() const {
  return network_.peers ? network_.peers() : std::vector<rpc::PeerInfo>{};
}

Result<void> NodeInfoService::add_peer(const std::string& host_port) {
  if (!network_.add_peer) return fail("peer-to-peer networking is off on this node (started with --no-p2p)");
  return network_.add_peer(host_port);
}

std::optional<rpc::SyncStatus> NodeInfoService::syncing() const {
  return network_.syncing ? network_.syncing() : std::nullopt;
}

rpc::ConsensusStatus NodeInfoService::consensus_status() const {
  if (consensus_) return consensus_();
  rpc::ConsensusStatus status;
  status.engine = std::string(chain_.engine().name());
  status.height = chain_.head().number + 1;
  status.last_final = chain_.finalized_number();
  if (const auto* pbft = std::get_if<chain::PbftParams>(&chain_.config().consensus)) {
    status.validators = pbft->validators;
  }
  return status;
}

void NodeInfoService::set_network(std::string node_id, std::string listen_address, Network network) {
  node_id_ = std::move(node_id);
  listen_address_ = std::move(listen_address);
  network_ = std::move(network);
}

}  // namespace tally::node
