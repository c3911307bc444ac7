#pragma once
// `tallyd testnet ...`: a local network of N nodes on 127.0.0.1, each a
// separate tallyd process with its own datadir under one directory.
//
//   DIR/testnet.json        what init made (node count, consensus, ports)
//   DIR/genesis.json        the shared genesis (dev accounts funded)
//   DIR/nodeI/tallyd.toml   the node's flags (tallyd --config)
//   DIR/nodeI/validator.key PBFT only: the validator's key
//   DIR/nodeI/tallyd.pid    while the testnet is up
//   DIR/nodeI/tallyd.log    the node's log; console.log: its stderr

#include <cstdint>
#include <filesystem>
#include <string>

namespace tally::node::testnet {

struct InitOptions {
  std::filesystem::path dir;
  unsigned nodes = 4;
  std::string consensus = "pow";  // "pow" or "pbft"
  std::uint16_t rpc_base_port = 8545;
  std::uint16_t p2p_base_port = 30303;
  bool force = false;  // replace an existing testnet in dir (its chain too)
};

// Each returns the process exit code and prints what it did or why not.
int init(const InitOptions& options);
// Starts every node, prints their RPC URLs and the funded accounts, shows
// live status until SIGINT/SIGTERM, then stops every node.
int up(const std::filesystem::path& dir, const std::filesystem::path& tallyd);
int down(const std::filesystem::path& dir);
int status(const std::filesystem::path& dir);
int logs(const std::filesystem::path& dir, int node, std::size_t lines);

}  // namespace tally::node::testnet
