// PoW block propagation: N tallyd processes on 127.0.0.1, each dialing a few
// random peers (peer exchange off, so the graph stays the one drawn), one of
// them mining at a difficulty of about `block_seconds` of one core's hashing,
// under a steady load of pre-signed transfers sent to random nodes. Every
// node's newHeads subscription is timestamped here, on one clock.

#include <algorithm>
#include <atomic>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "bench/net/net_bench.hpp"
#include "bench/net/process.hpp"
#include "chain/genesis.hpp"
#include "chain/transaction.hpp"
#include "consensus/pow/miner.hpp"
#include "consensus/pow/seal.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::bench::net {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMinerAddress = "0x00000000000000000000000000000000000000aa";
// Transfers of the gossip-only control phase after the load.
constexpr std::size_t kControlTxs = 200;

// Hashes per second of the node's own miner loop on one thread, measured
// over 2^20 nonces of an unsealable header.
double miner_hashrate() {
  chain::Header header;
  consensus::pow::write_seal(header, {U256(UINT64_MAX), 0});
  consensus::pow::MinerOptions options;
  options.max_attempts = 1U << 20U;
  const auto start = Clock::now();
  const auto result = consensus::pow::mine(header, options);
  const double seconds = seconds_between(start, Clock::now());
  if (!result) throw std::runtime_error("calibration: " + result.error().message);
  return static_cast<double>(result->hashes) / seconds;
}

// The dev genesis (chain id 1337, 10 dev accounts) started now, at the given
// difficulty and block time, funding `senders` as well.
Json genesis_json(double difficulty, std::uint64_t block_seconds, const std::vector<crypto::PrivateKey>& senders) {
  Json genesis = Json::parse(chain::dev_genesis_json());
  genesis["timestamp"] = static_cast<std::uint64_t>(std::time(nullptr));
  genesis["consensus"]["targetBlockTimeSeconds"] = block_seconds;
  genesis["consensus"]["initialDifficulty"] = std::to_string(static_cast<std::uint64_t>(difficulty));
  for (const auto& key : senders) {
    const auto address = crypto::to_checksum_address(crypto::address_of(crypto::public_key_of(key)));
    genesis["alloc"][address] = {{"balance", "1000000000000000000000"}};
  }
  return genesis;
}

// Node i dials `dials` distinct random others; redrawn until the undirected
// graph is connected (each draw almost always is).
std::vector<std::vector<std::size_t>> random_dials(std::size_t nodes, std::size_t dials, std::mt19937_64& rng) {
  const std::size_t per_node = std::min(dials, nodes - 1);
  for (int attempt = 0; attempt < 1'000; ++attempt) {
    std::vector<std::vector<std::size_t>> out(nodes);
    std::vector<std::set<std::size_t>> adjacent(nodes);
    for (std::size_t i = 0; i < nodes; ++i) {
      std::vector<std::size_t> others;
      for (std::size_t j = 0; j < nodes; ++j) {
        if (j != i) others.push_back(j);
      }
      std::shuffle(others.begin(), others.end(), rng);
      out[i].assign(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(per_node));
      for (std::size_t j : out[i]) {
        adjacent[i].insert(j);
        adjacent[j].insert(i);
      }
    }
    std::set<std::size_t> reached{0};
    std::vector<std::size_t> frontier{0};
    while (!frontier.empty()) {
      const std::size_t at = frontier.back();
      frontier.pop_back();
      for (std::size_t j : adjacent[at]) {
        if (reached.insert(j).second) frontier.push_back(j);
      }
    }
    if (reached.size() == nodes) return out;
  }
  throw std::runtime_error("no connected random graph drawn");
}

std::size_t undirected_degree(const std::vector<std::vector<std::size_t>>& dials, std::size_t node) {
  std::set<std::size_t> peers(dials[node].begin(), dials[node].end());
  for (std::size_t i = 0; i < dials.size(); ++i) {
    if (std::find(dials[i].begin(), dials[i].end(), node) != dials[i].end()) peers.insert(i);
  }
  return peers.size();
}

// `count` EIP-1559 transfers of 1 wei to fresh addresses, round-robin over
// the senders (nonces in order), as raw 0x-hex.
std::vector<std::string> signed_transfers(const std::vector<crypto::PrivateKey>& senders, std::size_t count,
                                          std::mt19937_64& rng) {
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    chain::Transaction tx;
    tx.type = chain::TxType::dynamic_fee;
    tx.chain_id = chain::kDevChainId;
    tx.nonce = k / senders.size();
    tx.max_priority_fee_per_gas = 1'000'000'000;
    tx.max_fee_per_gas = U256(100'000'000'000ULL);
    tx.gas_limit = 21'000;
    Address to{};
    for (auto& byte : to) byte = static_cast<std::uint8_t>(rng());
    tx.to = to;
    tx.value = 1;
    chain::sign(tx, senders[k % senders.size()]);
    out.push_back(to_hex_prefixed(chain::encode(tx)));
  }
  return out;
}

double number_or_zero(const Json& value) {
  return value.is_number() ? value.get<double>() : 0.0;
}

struct Arrival {
  std::string hash;
  std::uint64_t number = 0;
  Clock::time_point at;
};

// One node's newHeads subscription, read on its own thread until stopped.
class HeadWatcher {
 public:
  explicit HeadWatcher(const Tallyd& node) : ws_(node.ws_url()) {
    ws_.call("eth_subscribe", Json::array({"newHeads"}));
    thread_ = std::thread([this] { run(); });
  }
  ~HeadWatcher() { stop(); }
  HeadWatcher(const HeadWatcher&) = delete;
  HeadWatcher& operator=(const HeadWatcher&) = delete;

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // After stop().
  const std::vector<Arrival>& arrivals() const { return arrivals_; }
  const std::string& error() const { return error_; }

 private:
  void run() {
    try {
      while (!stopping_) {
        auto message = ws_.next_message(std::chrono::milliseconds(100));
        const auto now = Clock::now();
        if (!message || message->value("method", "") != "eth_subscription") continue;
        const Json& head = (*message)["params"]["result"];
        arrivals_.push_back({head["hash"].get<std::string>(), quantity(head["number"]), now});
      }
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }

  rpc::WsClient ws_;
  std::atomic<bool> stopping_{false};
  std::vector<Arrival> arrivals_;
  std::string error_;
  std::thread thread_;
};

struct Load {
  std::size_t sent = 0;
  std::size_t refused = 0;
  std::map<std::string, std::size_t> messages;
  double seconds = 0;
};

// Sends the transfers at `rate` per second (on an absolute schedule, so a
// slow call is caught up), each to a random node.
Load send_load(const std::vector<std::unique_ptr<Tallyd>>& nodes, const std::vector<std::string>& txs, double rate,
               std::mt19937_64& rng) {
  std::vector<std::unique_ptr<rpc::HttpClient>> clients;
  for (const auto& node : nodes) {
    clients.push_back(std::make_unique<rpc::HttpClient>(node->http_url(), rpc::ClientOptions{}));
  }
  Load load;
  const auto start = Clock::now();
  for (std::size_t k = 0; k < txs.size(); ++k) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(static_cast<double>(k) / rate)));
    auto& client = *clients[rng() % clients.size()];
    ++load.sent;
    try {
      client.call("eth_sendRawTransaction", Json::array({txs[k]}));
    } catch (const std::exception& e) {
      ++load.refused;
      ++load.messages[std::string(e.what()).substr(0, 120)];
    }
  }
  load.seconds = seconds_between(start, Clock::now());
  return load;
}

struct Snapshot {
  std::uint64_t head = 0;  // the miner's
  std::vector<double> received_bytes;
  std::vector<double> sent_bytes;
  std::vector<ProcStats> procs;
};

Snapshot snapshot(const std::vector<std::unique_ptr<Tallyd>>& nodes) {
  Snapshot out;
  out.head = nodes[0]->block_number();
  for (const auto& node : nodes) {
    out.received_bytes.push_back(node->metric("tally_p2p_received_bytes_total").value_or(0));
    out.sent_bytes.push_back(node->metric("tally_p2p_sent_bytes_total").value_or(0));
    out.procs.push_back(node->stats());
  }
  return out;
}

// After the load: the miner's pool empties and every node has its head.
bool drain(const std::vector<std::unique_ptr<Tallyd>>& nodes) {
  return wait_until(
      [&] {
        const auto& miner = *nodes[0];
        if (miner.metric("tally_txpool_pending").value_or(1) + miner.metric("tally_txpool_queued").value_or(1) > 0) {
          return false;
        }
        const auto head = miner.call("eth_getBlockByNumber", Json::array({"latest", false}))["hash"];
        return std::all_of(nodes.begin(), nodes.end(), [&](const auto& node) {
          return node->call("eth_getBlockByNumber", Json::array({"latest", false}))["hash"] == head;
        });
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200));
}

// Transaction gossip alone, to tell its bytes from the blocks': with the
// miner stopped, `txs` go to random nodes until every pool holds them all.
// Returns the bytes each node received per transaction.
Json gossip_control(const std::vector<std::unique_ptr<Tallyd>>& nodes, const std::vector<std::string>& txs, double rate,
                    std::mt19937_64& rng) {
  nodes[0]->call("miner_stop");
  const Snapshot before = snapshot(nodes);
  const Load load = send_load(nodes, txs, rate, rng);
  const auto everywhere = [&] {
    return std::all_of(nodes.begin(), nodes.end(), [&](const auto& node) {
      return node->metric("tally_txpool_pending").value_or(0) >= static_cast<double>(txs.size() - load.refused);
    });
  };
  const bool complete = wait_until(everywhere, std::chrono::seconds(20), std::chrono::milliseconds(200));
  const Snapshot after = snapshot(nodes);
  std::vector<double> per_tx;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    per_tx.push_back((after.received_bytes[i] - before.received_bytes[i]) / static_cast<double>(txs.size()));
  }
  return {{"transactions", txs.size()},
          {"refused", load.refused},
          {"complete", complete},
          {"received_bytes_per_node_per_tx", summary(per_tx)}};
}

// Per block of the window (first, last]: ms from the miner's notification to
// each other node's, and to the last of them.
struct Timings {
  std::vector<double> to_all_ms;
  std::vector<std::vector<double>> to_node_ms;  // [node][block]
  std::size_t blocks = 0;
  std::size_t missing = 0;     // (block, node) pairs never notified
  double mean_interval_s = 0;  // between the miner's notifications
};

Timings block_timings(const std::vector<std::vector<Arrival>>& arrivals, std::uint64_t first, std::uint64_t last) {
  Timings out;
  out.to_node_ms.resize(arrivals.size());
  std::vector<std::map<std::string, Clock::time_point>> seen(arrivals.size());
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    for (const auto& arrival : arrivals[i]) seen[i].emplace(arrival.hash, arrival.at);
  }
  std::optional<Clock::time_point> first_at;
  Clock::time_point last_at;
  for (const auto& created : arrivals[0]) {
    if (created.number <= first || created.number > last) continue;
    ++out.blocks;
    if (!first_at) first_at = created.at;
    last_at = created.at;
    double slowest = 0;
    bool everywhere = true;
    for (std::size_t i = 1; i < arrivals.size(); ++i) {
      const auto at = seen[i].find(created.hash);
      if (at == seen[i].end()) {
        ++out.missing;
        everywhere = false;
        continue;
      }
      const double ms = seconds_between(created.at, at->second) * 1e3;
      out.to_node_ms[i].push_back(ms);
      slowest = std::max(slowest, ms);
    }
    if (everywhere) out.to_all_ms.push_back(slowest);
  }
  if (out.blocks > 1) out.mean_interval_s = seconds_between(*first_at, last_at) / static_cast<double>(out.blocks - 1);
  return out;
}

// Sizes and transaction counts of the miner's blocks (first, last].
Json block_sizes(const Tallyd& miner, std::uint64_t first, std::uint64_t last) {
  std::vector<double> bytes;
  std::vector<double> txs;
  for (std::uint64_t n = first + 1; n <= last; ++n) {
    const Json block = miner.call("eth_getBlockByNumber", Json::array({to_quantity(n), false}));
    bytes.push_back(static_cast<double>(quantity(block["size"])));
    txs.push_back(static_cast<double>(block["transactions"].size()));
  }
  return {{"bytes", summary(bytes)}, {"transactions", summary(txs)}};
}

Json per_node_report(const Timings& timings, const Snapshot& before, const Snapshot& after, std::size_t blocks,
                     const std::vector<std::vector<std::size_t>>& dials, const std::vector<std::uint64_t>& peers) {
  Json out = Json::array();
  for (std::size_t i = 0; i < before.received_bytes.size(); ++i) {
    const double received = after.received_bytes[i] - before.received_bytes[i];
    out.push_back({{"node", i},
                   {"miner", i == 0},
                   {"dials", dials[i]},
                   {"peers", peers[i]},
                   {"time_to_node_ms", summary(timings.to_node_ms[i])},
                   {"received_bytes", received},
                   {"sent_bytes", after.sent_bytes[i] - before.sent_bytes[i]},
                   {"received_bytes_per_block", blocks ? received / static_cast<double>(blocks) : 0.0},
                   {"cpu_seconds_window", after.procs[i].cpu_seconds - before.procs[i].cpu_seconds},
                   {"end", to_json(after.procs[i])}});
  }
  return out;
}

// Starts every node, then waits for all of them and for their links.
std::vector<std::uint64_t> start_network(std::vector<std::unique_ptr<Tallyd>>& nodes,
                                         const std::vector<std::vector<std::size_t>>& dials) {
  for (auto& node : nodes) node->spawn();
  for (auto& node : nodes) node->wait_ready();
  // Each node learns its peers once all have bound their ports.
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (std::size_t j : dials[i]) nodes[i]->call("admin_addPeer", Json::array({nodes[j]->p2p_address()}));
  }
  std::vector<std::uint64_t> peers(nodes.size());
  const bool linked = wait_until(
      [&] {
        for (std::size_t i = 0; i < nodes.size(); ++i) peers[i] = quantity(nodes[i]->call("net_peerCount"));
        for (std::size_t i = 0; i < nodes.size(); ++i) {
          if (peers[i] < undirected_degree(dials, i)) return false;
        }
        return true;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(200));
  if (!linked) std::cerr << "warning: not every link came up within 30 s; peer counts are in the report\n";
  return peers;
}

}  // namespace

namespace {

using Dials = std::vector<std::vector<std::size_t>>;

std::vector<std::unique_ptr<Tallyd>> make_nodes(const PropagationOptions& options, const fs::path& genesis) {
  std::vector<std::unique_ptr<Tallyd>> nodes;
  for (std::size_t i = 0; i < options.nodes; ++i) {
    nodes.push_back(std::make_unique<Tallyd>(
        Tallyd::Options{options.tallyd,
                        options.workdir / ("node" + std::to_string(i)),
                        genesis,
                        {"--p2p-no-discovery", "--p2p-backoff-max-ms", "1000", "--log-level", "info"}}));
  }
  nodes[0]->add_args({"--mine", "--miner-address", kMinerAddress, "--miner-threads", "1"});
  return nodes;
}

struct Measured {
  std::vector<std::uint64_t> peers;
  Snapshot before;
  Snapshot after;
  Load load;
  bool drained = false;
  Timings timings;
  Json sizes;
  Json control;
  Json watch_errors = Json::array();
};

// The load with every node watched, then the gossip-only control phase.
Measured measure(const std::vector<std::unique_ptr<Tallyd>>& nodes, const std::vector<std::string>& txs,
                 const std::vector<std::string>& control_txs, double rate, std::mt19937_64& rng) {
  Measured out;
  std::vector<std::unique_ptr<HeadWatcher>> watchers;
  for (const auto& node : nodes) watchers.push_back(std::make_unique<HeadWatcher>(*node));
  out.before = snapshot(nodes);
  std::cerr << "propagation: " << nodes.size() << " nodes, load " << txs.size() << " transfers\n";
  out.load = send_load(nodes, txs, rate, rng);
  out.drained = drain(nodes);
  out.after = snapshot(nodes);
  std::vector<std::vector<Arrival>> arrivals;
  for (auto& watcher : watchers) {
    watcher->stop();
    arrivals.push_back(watcher->arrivals());
    if (!watcher->error().empty()) out.watch_errors.push_back(watcher->error());
  }
  out.timings = block_timings(arrivals, out.before.head, out.after.head);
  out.sizes = block_sizes(*nodes[0], out.before.head, out.after.head);
  out.control = gossip_control(nodes, control_txs, rate, rng);
  return out;
}

Json report(const PropagationOptions& options, double hashrate, const Dials& dials, const Measured& m) {
  const std::size_t blocks = m.after.head - m.before.head;
  std::vector<double> each_ms;
  std::vector<double> received_per_block;
  for (std::size_t i = 1; i < options.nodes; ++i) {
    each_ms.insert(each_ms.end(), m.timings.to_node_ms[i].begin(), m.timings.to_node_ms[i].end());
    if (blocks) {
      received_per_block.push_back((m.after.received_bytes[i] - m.before.received_bytes[i]) /
                                   static_cast<double>(blocks));
    }
  }
  const Json received = summary(received_per_block);
  const double mean_block_bytes = number_or_zero(m.sizes["bytes"]["mean"]);
  // What the blocks themselves cost a node: its bytes per block less the
  // gossip of that many transactions, as measured without blocks.
  const double per_tx = number_or_zero(m.control["received_bytes_per_node_per_tx"]["mean"]);
  const double block_part = number_or_zero(received["mean"]) - number_or_zero(m.sizes["transactions"]["mean"]) * per_tx;
  Json messages = Json::object();
  for (const auto& [message, count] : m.load.messages) messages[message] = count;
  return {
      {"kind", "propagation"},
      {"nodes", options.nodes},
      {"dials_per_node", options.dials},
      {"seed", options.seed},
      {"target_block_seconds", options.block_seconds},
      {"miner_hashrate_calibrated", hashrate},
      {"initial_difficulty", static_cast<std::uint64_t>(hashrate * static_cast<double>(options.block_seconds))},
      {"load",
       {{"tx_per_second", options.tx_per_second},
        {"senders", options.senders},
        {"sent", m.load.sent},
        {"refused", m.load.refused},
        {"refusals", messages},
        {"seconds", m.load.seconds}}},
      {"drained", m.drained},
      {"blocks", blocks},
      {"block_interval_s", m.timings.mean_interval_s},
      {"block_sizes", m.sizes},
      {"blocks_timed", m.timings.blocks},
      {"missing_notifications", m.timings.missing},
      {"time_to_all_ms", summary(m.timings.to_all_ms)},
      {"time_to_all_ms_each_block", m.timings.to_all_ms},
      {"time_to_each_ms", summary(each_ms)},
      {"received_bytes_per_node_per_block", received},
      {"received_per_block_over_block_bytes",
       mean_block_bytes > 0 ? number_or_zero(received["mean"]) / mean_block_bytes : 0.0},
      {"tx_gossip_control", m.control},
      {"block_bytes_per_node_per_block_estimate", block_part},
      {"block_part_over_block_bytes", mean_block_bytes > 0 ? block_part / mean_block_bytes : 0.0},
      {"per_node", per_node_report(m.timings, m.before, m.after, blocks, dials, m.peers)},
      {"watch_errors", m.watch_errors},
  };
}

}  // namespace

Json run_propagation(const PropagationOptions& options) {
  if (options.nodes < 2) throw std::invalid_argument("propagation needs at least 2 nodes");
  std::mt19937_64 rng(options.seed);
  fs::create_directories(options.workdir);
  const double hashrate = miner_hashrate();
  std::vector<crypto::PrivateKey> senders;
  for (std::size_t i = 0; i < options.senders; ++i) senders.push_back(crypto::generate_private_key());
  const auto genesis = options.workdir / "genesis.json";
  const double difficulty = hashrate * static_cast<double>(options.block_seconds);
  std::ofstream(genesis) << genesis_json(difficulty, options.block_seconds, senders).dump(2);
  const auto load_txs = static_cast<std::size_t>(options.seconds * options.tx_per_second);
  auto txs = signed_transfers(senders, load_txs + kControlTxs, rng);
  const std::vector<std::string> control_txs(txs.begin() + static_cast<std::ptrdiff_t>(load_txs), txs.end());
  txs.resize(load_txs);
  const auto dials = random_dials(options.nodes, options.dials, rng);
  auto nodes = make_nodes(options, genesis);
  const auto peers = start_network(nodes, dials);
  Measured measured = measure(nodes, txs, control_txs, options.tx_per_second, rng);
  measured.peers = peers;
  for (auto& node : nodes) node->stop();
  return report(options, hashrate, dials, measured);
}

}  // namespace tally::bench::net
