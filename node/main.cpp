// tallyd: the node daemon.

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "crypto/address.hpp"
#include "node/node.hpp"
#include "node/testnet.hpp"
#include "node/version.hpp"

namespace {

using tally::node::NodeConfig;

std::filesystem::path default_datadir() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".tally";
}

// Logs to stderr and to tallyd.log in the datadir (rotated at 10 MiB, 3 kept).
void setup_logging(const NodeConfig& config) {
  std::vector<spdlog::sink_ptr> sinks;
  if (config.log_to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  std::error_code ec;
  std::filesystem::create_directories(config.datadir, ec);
  if (!ec) {
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>((config.datadir / "tallyd.log").string(),
                                                                           10U << 20U, 3));
  }
  auto logger = std::make_shared<spdlog::logger>("tallyd", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Blocks SIGINT and SIGTERM in every thread (threads inherit the mask), so
// the main thread can wait for them with sigwait and stop cleanly.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void add_node_options(CLI::App& app, NodeConfig& config, std::string& miner_address, std::string& empty_blocks) {
  app.add_option("--datadir", config.datadir, "Where the chain, keys and logs live")
      ->default_str(default_datadir().string());
  app.add_option("--genesis", config.genesis_file,
                 "Genesis JSON file (default: the built-in dev chain, id 1337, 10 funded dev accounts)");
  app.add_option("--rpc-addr", config.rpc.address, "JSON-RPC listen address")->capture_default_str();
  app.add_option("--rpc-port", config.rpc.port, "JSON-RPC port (HTTP and WebSocket)")->capture_default_str();
  app.add_option("--rpc-cors", config.rpc.cors_origins, "Allowed browser origins (repeatable; * for any)");
  app.add_flag("!--no-rpc", config.rpc.enabled, "Do not serve JSON-RPC");
  app.add_flag("--metrics", config.metrics.enabled, "Serve Prometheus metrics at GET /metrics (on the JSON-RPC port)");
  app.add_option_function<std::uint16_t>(
      "--metrics-port", [&config](const std::uint16_t& port) { config.metrics.port = port; },
      "Serve the metrics on this port of their own instead of the JSON-RPC port (geth uses 6060)");
  app.add_option("--metrics-addr", config.metrics.address, "Listen address of --metrics-port")->capture_default_str();
  app.add_option("--p2p-addr", config.p2p.address, "Peer-to-peer listen address")->capture_default_str();
  app.add_option("--p2p-port", config.p2p.port, "Peer-to-peer port")->capture_default_str();
  app.add_option("--peer", config.p2p.peers, "Bootstrap peer host:port (repeatable)");
  app.add_flag("!--no-p2p", config.p2p.enabled, "Do not connect to peers");
  app.add_flag("!--p2p-no-discovery", config.p2p.discovery, "Dial only the --peer addresses; never ask peers for more");
  app.add_option("--p2p-backoff-max-ms", config.p2p.backoff_max_ms, "Longest wait between reconnection attempts")
      ->capture_default_str();
  app.add_flag("--mine", config.mining.enabled, "Mine blocks (proof-of-work chains)");
  app.add_option("--miner-address", miner_address, "Address paid for mined blocks (the etherbase)");
  app.add_option("--miner-threads", config.mining.threads, "Mining threads (default: all cores but one)");
  app.add_option("--mine-empty", empty_blocks,
                 "Mine empty blocks: auto (dev genesis: while transactions wait, then one to close), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.add_option("--miner-recommit-ms", config.mining.recommit_ms,
                 "Rebuild a block template this old when better transactions arrive")
      ->capture_default_str();
  app.add_option("--validator-key", config.pbft.validator_key,
                 "PBFT: file with this validator's key (64 hex characters); without it the node follows the chain");
  app.add_option("--pbft-idle-block-ms", config.pbft.idle_block_ms,
                 "PBFT: make an empty block after this long without transactions (0: never)")
      ->capture_default_str();
  app.add_option("--txpool-max-txs", config.txpool_max_txs,
                 "Transactions the pool holds, executable and waiting (geth: --txpool.globalslots + globalqueue)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--safe-depth", config.safe_depth, "PoW: the 'safe' and 'finalized' tags are this deep")
      ->capture_default_str();
  app.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

int run_node(NodeConfig config, const std::string& miner_address, const std::string& empty_blocks) {
  if (config.datadir.empty()) config.datadir = default_datadir();
  if (!miner_address.empty()) {
    auto address = tally::crypto::parse_address(miner_address);
    if (!address) {
      std::cerr << "tallyd: --miner-address: " << address.error().message << "\n";
      return 2;
    }
    config.mining.beneficiary = *address;
  }
  config.mining.empty_blocks = empty_blocks == "always"  ? tally::node::EmptyBlocks::always
                               : empty_blocks == "never" ? tally::node::EmptyBlocks::never
                                                         : tally::node::EmptyBlocks::automatic;
  if (config.mining.enabled && !config.mining.beneficiary) {
    std::cerr << "tallyd: --mine needs --miner-address ADDRESS (who the mined blocks pay)\n";
    return 2;
  }
  setup_logging(config);
  const sigset_t stop_signals = block_stop_signals();
  auto node = tally::node::Node::open(config);
  if (!node) {
    spdlog::error("{}", node.error().message);
    return 1;
  }
  if (auto started = (*node)->start(); !started) {
    spdlog::error("{}", started.error().message);
    return 1;
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("stopping ({})", signal == SIGINT ? "interrupt" : "terminate");
  (*node)->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

// `tallyd testnet init|up|down|status|logs`.
struct TestnetCommand {
  tally::node::testnet::InitOptions init;
  std::filesystem::path dir = "testnet";
  int node = -1;
  std::size_t lines = 50;
  CLI::App* app = nullptr;
};

void add_testnet_commands(CLI::App& app, TestnetCommand& cmd) {
  cmd.app = app.add_subcommand("testnet", "Create and run a local multi-node testnet on 127.0.0.1");
  cmd.app->require_subcommand(1);
  auto* init = cmd.app->add_subcommand("init", "Write a genesis, keys and a config per node");
  init->add_option("--nodes", cmd.init.nodes, "How many nodes")->capture_default_str();
  init->add_option("--consensus", cmd.init.consensus, "pow or pbft")
      ->check(CLI::IsMember({"pow", "pbft"}))
      ->capture_default_str();
  init->add_option("--rpc-base-port", cmd.init.rpc_base_port, "node i serves JSON-RPC on this + i")
      ->capture_default_str();
  init->add_option("--p2p-base-port", cmd.init.p2p_base_port, "node i listens for peers on this + i")
      ->capture_default_str();
  init->add_flag("--force", cmd.init.force, "Replace an existing testnet in the directory, chain included");
  auto* logs = cmd.app->add_subcommand("logs", "Print the end of each node's log");
  logs->add_option("--node", cmd.node, "Only this node (0-based)");
  logs->add_option("--lines", cmd.lines, "Lines per node")->capture_default_str();
  cmd.app->add_subcommand("up", "Start every node, show live status, stop them all on Ctrl-C");
  cmd.app->add_subcommand("down", "Stop the nodes a running `up` started");
  cmd.app->add_subcommand("status", "Heights, peers and pool sizes of the nodes");
  for (auto* sub : cmd.app->get_subcommands([](CLI::App*) { return true; })) {
    sub->add_option("--dir", cmd.dir, "The testnet's directory")->capture_default_str();
  }
}

std::filesystem::path own_executable(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(argv0) : self;
}

int run_testnet(TestnetCommand& cmd, const char* argv0) {
  namespace testnet = tally::node::testnet;
  auto* sub = cmd.app->get_subcommands().front();
  const std::string name = sub->get_name();
  if (name == "init") {
    cmd.init.dir = cmd.dir;
    return testnet::init(cmd.init);
  }
  if (name == "up") return testnet::up(cmd.dir, own_executable(argv0));
  if (name == "down") return testnet::down(cmd.dir);
  if (name == "status") return testnet::status(cmd.dir);
  return testnet::logs(cmd.dir, cmd.node, cmd.lines);
}

int main(int argc, char** argv) {
  CLI::App app{"tallyd: a peer-to-peer ledger node (proof-of-work or PBFT, Ethereum JSON-RPC)"};
  app.set_version_flag("--version", std::string(tally::node::kClientName));
  app.set_config("--config", "", "Read these options from a TOML file (as `tallyd testnet init` writes)");
  NodeConfig config;
  std::string miner_address;
  std::string empty_blocks = "auto";
  add_node_options(app, config, miner_address, empty_blocks);
  TestnetCommand testnet;
  add_testnet_commands(app, testnet);
  CLI11_PARSE(app, argc, argv);
  try {
    if (testnet.app->parsed()) return run_testnet(testnet, argv[0]);
    return run_node(std::move(config), miner_address, empty_blocks);
  } catch (const std::exception& e) {
    std::cerr << "tallyd: fatal: " << e.what() << "\n";
    return 1;
  }
}
