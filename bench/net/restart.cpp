// Restart: a tallyd whose datadir holds a long chain (generated in process,
// as for the sync benchmark) is started several times; each start is timed
// from spawn to JSON-RPC answering with the chain's head, then the node
// idles and its RSS is read. An empty datadir on the same genesis is timed
// the same way in each run, so the ratio says what the chain's length adds.

#include <iostream>
#include <thread>

#include "bench/net/net_bench.hpp"
#include "bench/net/process.hpp"

namespace tally::bench::net {

namespace fs = std::filesystem;

namespace {

// One start of a node on `datadir`: seconds to the head, and RSS after idling.
Json timed_start(const RestartOptions& options, const fs::path& datadir, const fs::path& genesis, std::uint64_t head) {
  Tallyd node({options.tallyd, datadir, genesis, {"--p2p-no-discovery", "--log-level", "info"}});
  const auto start = Clock::now();
  node.spawn();
  node.wait_ready(std::chrono::seconds(120));
  if (node.block_number() != head) throw std::runtime_error("the node did not open at the chain's head");
  const double seconds = seconds_between(start, Clock::now());
  std::this_thread::sleep_for(std::chrono::duration<double>(options.idle_seconds));  // idle by design: RSS at rest
  const ProcStats stats = node.stats();
  node.stop();
  return {{"seconds_to_rpc_at_head", seconds},
          {"idle_rss_kib", stats.rss_kib},
          {"peak_rss_kib", stats.peak_rss_kib},
          {"cpu_seconds", stats.cpu_seconds}};
}

}  // namespace

Json run_restart(const RestartOptions& options) {
  fs::create_directories(options.workdir);
  const auto genesis = options.workdir / "genesis.json";
  const auto full_dir = options.workdir / "full";
  SyncOptions generator;
  generator.blocks = options.blocks;
  generator.txs_per_block = options.txs_per_block;
  generator.senders = std::max<std::size_t>(options.txs_per_block, 1);
  std::cerr << "restart: generating " << options.blocks << " blocks x " << options.txs_per_block << " transfers\n";
  const GeneratedChain chain = generate(generator, full_dir, genesis);
  std::uint64_t datadir_bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(full_dir)) {
    if (entry.is_regular_file()) datadir_bytes += entry.file_size();
  }
  Json runs = Json::array();
  for (std::size_t run = 1; run <= options.runs; ++run) {
    std::cerr << "restart run " << run << "/" << options.runs << "\n";
    const auto empty_dir = options.workdir / ("empty-" + std::to_string(run));
    Json empty = timed_start(options, empty_dir, genesis, 0);
    fs::remove_all(empty_dir);
    Json full = timed_start(options, full_dir, genesis, options.blocks);
    const double ratio = full["seconds_to_rpc_at_head"].get<double>() / empty["seconds_to_rpc_at_head"].get<double>();
    runs.push_back({{"run", run}, {"empty_datadir", empty}, {"full_datadir", full}, {"full_over_empty_time", ratio}});
  }
  return {{"kind", "restart"},
          {"blocks", options.blocks},
          {"txs_per_block", options.txs_per_block},
          {"transactions", chain.transactions},
          {"datadir_bytes", datadir_bytes},
          {"generation_seconds", chain.seconds},
          {"idle_seconds", options.idle_seconds},
          {"runs", runs}};
}

}  // namespace tally::bench::net
