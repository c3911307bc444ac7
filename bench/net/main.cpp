// tally_net_bench: the network macro benchmarks (bench/macro/network.sh).
//   tally_net_bench propagation --tallyd PATH --workdir DIR --nodes 16 [--seconds S --tps R ...]
//   tally_net_bench sync --tallyd PATH --workdir DIR --blocks 10000 [--runs N ...]
//   tally_net_bench restart --tallyd PATH --workdir DIR --blocks 100000 [--runs N ...]
// Prints one JSON report on stdout; progress and errors go to stderr.
#include <algorithm>
#include <cmath>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/net/net_bench.hpp"
#include "bench/net/process.hpp"

namespace tally::bench::net {

Json summary(std::vector<double> values) {
  if (values.empty()) return {{"count", 0}, {"mean", nullptr}, {"p50", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least q of the values at or below it.
  const auto rank = [&](double q) {
    const auto index = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(index, 1, values.size()) - 1];
  };
  double sum = 0;
  for (double v : values) sum += v;
  return {{"count", values.size()},
          {"mean", sum / static_cast<double>(values.size())},
          {"p50", rank(0.5)},
          {"p99", rank(0.99)},
          {"max", values.back()}};
}

}  // namespace tally::bench::net

int main(int argc, char** argv) {
  using namespace tally::bench::net;
  CLI::App app{"Network macro benchmarks: PoW block propagation and p2p sync of real tallyd processes"};
  app.require_subcommand(1);
  PropagationOptions propagation;
  auto* prop = app.add_subcommand("propagation", "Block propagation in a random network of tallyd under load");
  prop->add_option("--tallyd", propagation.tallyd, "tallyd binary")->required();
  prop->add_option("--workdir", propagation.workdir, "Where the datadirs and logs go")->required();
  prop->add_option("--nodes", propagation.nodes, "Nodes")->capture_default_str();
  prop->add_option("--dials", propagation.dials, "Random peers each node dials")->capture_default_str();
  prop->add_option("--seconds", propagation.seconds, "Seconds of load")->capture_default_str();
  prop->add_option("--tps", propagation.tx_per_second, "Transfers per second")->capture_default_str();
  prop->add_option("--senders", propagation.senders, "Sending accounts")->capture_default_str();
  prop->add_option("--block-seconds", propagation.block_seconds, "Target block time; difficulty = that much hashing")
      ->capture_default_str();
  prop->add_option("--seed", propagation.seed, "Seed of the graph, recipients and node choice")->capture_default_str();
  SyncOptions sync;
  auto* sync_app = app.add_subcommand("sync", "A fresh tallyd syncs a generated chain, vs bare import");
  sync_app->add_option("--tallyd", sync.tallyd, "tallyd binary")->required();
  sync_app->add_option("--workdir", sync.workdir, "Where the datadirs and logs go")->required();
  sync_app->add_option("--blocks", sync.blocks, "Blocks in the chain")->capture_default_str();
  sync_app->add_option("--txs-per-block", sync.txs_per_block, "Transfers per block")->capture_default_str();
  sync_app->add_option("--senders", sync.senders, "Sending accounts")->capture_default_str();
  sync_app->add_option("--runs", sync.runs, "Bare import + sync runs on the one chain")->capture_default_str();
  RestartOptions restart;
  auto* restart_app = app.add_subcommand("restart", "Start time and idle RSS of a tallyd with a long chain");
  restart_app->add_option("--tallyd", restart.tallyd, "tallyd binary")->required();
  restart_app->add_option("--workdir", restart.workdir, "Where the datadirs and logs go")->required();
  restart_app->add_option("--blocks", restart.blocks, "Blocks in the datadir")->capture_default_str();
  restart_app->add_option("--txs-per-block", restart.txs_per_block, "Transfers per block")->capture_default_str();
  restart_app->add_option("--runs", restart.runs, "Starts of each datadir")->capture_default_str();
  restart_app->add_option("--idle-seconds", restart.idle_seconds, "Idle time before reading RSS")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  stop_children_on_signals();
  try {
    const Json report = prop->parsed()       ? run_propagation(propagation)
                        : sync_app->parsed() ? run_sync(sync)
                                             : run_restart(restart);
    std::cout << report.dump(2) << '\n';
  } catch (const std::exception& e) {
    std::cerr << "tally_net_bench: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
