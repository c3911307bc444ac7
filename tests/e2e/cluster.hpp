#pragma once
// Real tallyd processes on 127.0.0.1 for the fault suite. Every pair of
// nodes talks through its own TcpProxy (node i dials the proxy in front of
// node j, for i < j; peer exchange is off), so a test can cut the network
// between any two groups and heal it. Processes are stopped by PID when the
// cluster goes away.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/client.hpp"
#include "tcp_proxy.hpp"

namespace tally::e2e {

using rpc::Json;

// Polls `condition` every 50 ms until it holds or `limit` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit);

struct NodeSpec {
  bool mine = false;
  bool mine_empty = false;  // mine even with no transactions waiting
  // PBFT: a cluster with any validator runs a PBFT genesis whose validator
  // set is these nodes (in order); the other nodes are full nodes.
  bool validator = false;
  // A test program run instead of tallyd (e.g. a byzantine validator,
  // byzantine_validator.cpp). It gets --genesis, --validator-key (if a
  // validator), --p2p-port and one --peer per link it dials, then
  // `program_args`; it must print a line "ready" to stdout once it runs. It
  // serves no RPC: converged(), audit() and FinalityLedger (pbft_support.hpp)
  // skip it (serves_rpc).
  std::string program{};
  std::vector<std::string> program_args{};
};

// TALLY_E2E_SOAK=N (1..1000): the rounds a scenario repeats in a soak run;
// `fallback` when unset (the default, fast run).
int soak_rounds(int fallback);

class Cluster {
 public:
  // Writes the genesis and per-node settings under a fresh directory.
  Cluster(std::string name, std::vector<NodeSpec> nodes);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  std::size_t size() const { return nodes_.size(); }
  void start_all();
  // Starts node i and waits until its RPC answers (bounded).
  void start(std::size_t i);
  void stop(std::size_t i);    // SIGTERM, bounded wait, then SIGKILL
  void kill9(std::size_t i);   // SIGKILL
  void pause(std::size_t i);   // SIGSTOP
  void resume(std::size_t i);  // SIGCONT
  bool running(std::size_t i) const;
  // Node i is a tallyd (not a NodeSpec::program) and answers JSON-RPC.
  bool serves_rpc(std::size_t i) const { return nodes_.at(i).spec.program.empty(); }
  // Deletes the datadir of stopped node i (its validator key, kept outside
  // the datadir, stays), so the next start begins from genesis.
  void wipe_datadir(std::size_t i);

  // Cuts every link between a node of `a` and a node of `b`.
  void partition(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b);
  void heal();

  // JSON-RPC to node i (a fresh client per call; throws on failure).
  Json call(std::size_t i, const std::string& method, Json params = Json::array());
  std::uint64_t block_number(std::size_t i);
  std::string head_hash(std::size_t i);
  std::uint64_t peer_count(std::size_t i);
  // The "finalized" block's number (PBFT: the newest certified block).
  std::uint64_t finalized_number(std::size_t i);
  // Canonical block hash at height n, empty if node i has none.
  std::string hash_at(std::size_t i, std::uint64_t n);
  bool pbft() const { return pbft_; }
  // PBFT: the validator nodes in genesis order (validators[k] is node
  // validator_nodes()[k]), and a validator node's address as 0x-lowercase hex
  // (as blocks report their "miner").
  const std::vector<std::size_t>& validator_nodes() const { return validator_nodes_; }
  std::string validator_address(std::size_t i) const;
  // The primary of (height, view): validators[(height + view) mod n].
  std::size_t primary_node(std::uint64_t height, std::uint64_t view) const;

  // GET /metrics of node i (every node serves them on its RPC port), and
  // one unlabelled sample of it; nullopt when absent.
  std::string metrics_text(std::size_t i);
  std::optional<double> metric(std::size_t i, const std::string& name);

  // All running nodes have the same head.
  bool converged();
  // Every pair of nodes agrees on the canonical chain up to the lower head:
  // block hashes and state roots. Returns the first disagreement.
  std::optional<std::string> audit();

  const std::filesystem::path& dir() const { return dir_; }
  std::string log_tail(std::size_t i, std::size_t lines = 30) const;
  // Node i's whole console output (stdout and stderr) so far.
  std::string log(std::size_t i) const;

 private:
  struct Node {
    NodeSpec spec;
    std::filesystem::path datadir;
    std::uint16_t rpc_port = 0;
    std::uint16_t p2p_port = 0;
    std::vector<std::string> peers;       // proxy addresses it dials
    std::filesystem::path validator_key;  // PBFT validators only
    std::string validator_address;        // 0x-lowercase hex, validators only
    pid_t pid = -1;
  };
  std::vector<std::string> args_of(const Node& node) const;
  std::string url(std::size_t i) const;
  TcpProxy* proxy_between(std::size_t a, std::size_t b);

  std::filesystem::path dir_;
  std::filesystem::path genesis_;
  bool pbft_ = false;
  std::vector<Node> nodes_;
  std::vector<std::size_t> validator_nodes_;
  // proxies_[k] forwards from node from_[k] to node to_[k].
  std::vector<std::unique_ptr<TcpProxy>> proxies_;
  std::vector<std::pair<std::size_t, std::size_t>> links_;
};

// Dev account i's key (the "test ... junk" mnemonic) and a signed EIP-1559
// transfer from it, as 0x-hex raw bytes.
std::string signed_transfer(std::uint32_t from, const std::string& to_hex, std::uint64_t wei, std::uint64_t nonce);

}  // namespace tally::e2e
