#include "cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "chain/genesis.hpp"
#include "chain/transaction.hpp"
#include "crypto/address.hpp"
#include "crypto/hd.hpp"
#include "crypto/hex.hpp"
#include "crypto/sha256.hpp"

extern char** environ;  // NOLINT: POSIX

namespace tally::e2e {

namespace fs = std::filesystem;

namespace {

constexpr auto kStartLimit = std::chrono::seconds(30);
constexpr auto kStopLimit = std::chrono::seconds(20);

// True if 127.0.0.1:port can be bound now.
bool bindable(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;  // NOLINT
  ::close(fd);
  return ok;
}

// A port below Linux's ephemeral range (32768-60999 by default): a port the
// kernel handed out would be free again once probed, and the source port of
// any outgoing connection (another test's, in parallel) could take it before
// the node binds it.
std::uint16_t free_port() {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(rng));
    if (bindable(port)) return port;
  }
  throw std::runtime_error("no free port in 20000-32000 on 127.0.0.1 after 500 tries");
}

bool reap(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

// A TCP socket, closed when it goes out of scope.
struct Socket {
  Socket() : fd(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd < 0) throw std::runtime_error("socket() failed");
  }
  ~Socket() { ::close(fd); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd;
};

std::uint64_t quantity(const Json& value) {
  return std::stoull(value.get<std::string>(), nullptr, 16);
}

}  // namespace

int soak_rounds(int fallback) {
  const char* text = std::getenv("TALLY_E2E_SOAK");  // NOLINT(concurrency-mt-unsafe): read before threads start
  if (text == nullptr) return fallback;
  const int rounds = std::atoi(text);
  return rounds > 0 && rounds <= 1'000 ? rounds : fallback;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    try {
      if (condition()) return true;
    } catch (const std::exception&) {
      // A node restarting or paused: try again until the deadline.
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

namespace {

// sha256d of a seal-sized input per second on this machine, measured for
// 200 ms (at least 2^16, so a very slow machine still gets a real target).
std::uint64_t hashes_per_second() {
  std::array<std::uint8_t, 40> input{};
  std::uint64_t count = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 1'000; ++i, ++count) {
      input[0] = static_cast<std::uint8_t>(count);
      input[1] = crypto::sha256d(input)[0];
    }
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::max<std::uint64_t>(1U << 16U, static_cast<std::uint64_t>(static_cast<double>(count) / seconds));
}

}  // namespace

Cluster::Cluster(std::string name, std::vector<NodeSpec> nodes) {
  dir_ = fs::temp_directory_path() / ("tally-e2e-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  genesis_ = dir_ / "genesis.json";
  Json genesis = Json::parse(chain::dev_genesis_json());
  // Difficulty is anchored at the genesis time (ASERT): a genesis of now at
  // about one second of this machine's hashing per block keeps proof of work,
  // not the clock, the pace (blocks may not run more than 15 s ahead of
  // it), so competing miners fork and resolve as on a real network.
  genesis["timestamp"] = static_cast<std::uint64_t>(std::time(nullptr));
  genesis["consensus"]["initialDifficulty"] = std::to_string(hashes_per_second());
  Json validators = Json::array();
  for (auto& spec : nodes) {
    Node node;
    node.spec = spec;
    node.datadir = dir_ / ("node" + std::to_string(nodes_.size()));
    node.rpc_port = free_port();
    node.p2p_port = free_port();
    if (spec.validator) {
      const auto key = crypto::generate_private_key();
      node.validator_key = dir_ / ("node" + std::to_string(nodes_.size()) + ".validator.key");
      std::ofstream(node.validator_key) << to_hex(key.bytes) << "\n";
      const auto address = crypto::address_of(crypto::public_key_of(key));
      validators.push_back(crypto::to_checksum_address(address));
      node.validator_address = to_hex_prefixed(address);
      validator_nodes_.push_back(nodes_.size());
    }
    nodes_.push_back(std::move(node));
  }
  if (!validators.empty()) {
    pbft_ = true;
    genesis["consensus"] = {{"type", "pbft"}, {"validators", validators}, {"timeoutMs", 1'000}, {"blockReward", "0"}};
  }
  std::ofstream(genesis_) << genesis.dump(2);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    for (std::size_t j = i + 1; j < nodes_.size(); ++j) {
      proxies_.push_back(std::make_unique<TcpProxy>(nodes_[j].p2p_port));
      links_.emplace_back(i, j);
      nodes_[i].peers.push_back("127.0.0.1:" + std::to_string(proxies_.back()->port()));
    }
  }
}

Cluster::~Cluster() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].pid > 0) {
      ::kill(nodes_[i].pid, SIGCONT);
      stop(i);
    }
  }
  proxies_.clear();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::vector<std::string> Cluster::args_of(const Node& node) const {
  if (!node.spec.program.empty()) {
    std::vector<std::string> args{node.spec.program, "--genesis", genesis_.string(), "--p2p-port",
                                  std::to_string(node.p2p_port)};
    if (!node.validator_key.empty()) args.insert(args.end(), {"--validator-key", node.validator_key.string()});
    for (const auto& peer : node.peers) args.insert(args.end(), {"--peer", peer});
    args.insert(args.end(), node.spec.program_args.begin(), node.spec.program_args.end());
    return args;
  }
  std::vector<std::string> args{TALLYD_PATH,
                                "--datadir",
                                node.datadir.string(),
                                "--genesis",
                                genesis_.string(),
                                "--rpc-port",
                                std::to_string(node.rpc_port),
                                "--p2p-port",
                                std::to_string(node.p2p_port),
                                "--p2p-no-discovery",
                                "--p2p-backoff-max-ms",
                                "2000",
                                "--log-level",
                                "debug",
                                "--metrics"};
  for (const auto& peer : node.peers) {
    args.push_back("--peer");
    args.push_back(peer);
  }
  if (node.spec.mine) {
    args.insert(args.end(),
                {"--mine", "--miner-address", "0x00000000000000000000000000000000000000aa", "--miner-threads", "1"});
  }
  if (node.spec.mine_empty) args.insert(args.end(), {"--mine-empty", "always"});
  if (!node.validator_key.empty()) args.insert(args.end(), {"--validator-key", node.validator_key.string()});
  // An idle PBFT chain still makes a block every 2 s, so heights move.
  if (pbft_) args.insert(args.end(), {"--pbft-idle-block-ms", "2000"});
  return args;
}

void Cluster::start_all() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) start(i);
}

void Cluster::start(std::size_t i) {
  Node& node = nodes_.at(i);
  if (node.pid > 0) throw std::logic_error("node already running");
  auto args = args_of(node);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  const std::string console = (node.datadir.string() + ".console");
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, console.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  if (spawned != 0) throw std::runtime_error("cannot start " + args.front());
  node.pid = pid;
  bool exited = false;
  const bool up = wait_until(
      [&] {
        int status = 0;
        exited = exited || ::waitpid(pid, &status, WNOHANG) == pid;
        if (exited) return true;
        if (!serves_rpc(i)) return log(i).find("ready\n") != std::string::npos;
        call(i, "eth_blockNumber");
        return true;
      },
      kStartLimit);
  if (exited) {
    node.pid = -1;
    throw std::runtime_error("node" + std::to_string(i) + " exited at start:\n" + log_tail(i));
  }
  if (!up) throw std::runtime_error("node" + std::to_string(i) + " did not start:\n" + log_tail(i));
}

void Cluster::stop(std::size_t i) {
  Node& node = nodes_.at(i);
  if (node.pid <= 0) return;
  ::kill(node.pid, SIGTERM);
  if (!reap(node.pid, kStopLimit)) {
    ::kill(node.pid, SIGKILL);
    reap(node.pid, std::chrono::seconds(5));
  }
  node.pid = -1;
}

void Cluster::kill9(std::size_t i) {
  Node& node = nodes_.at(i);
  if (node.pid <= 0) return;
  ::kill(node.pid, SIGKILL);
  reap(node.pid, std::chrono::seconds(10));
  node.pid = -1;
}

void Cluster::pause(std::size_t i) {
  ::kill(nodes_.at(i).pid, SIGSTOP);
}

void Cluster::resume(std::size_t i) {
  ::kill(nodes_.at(i).pid, SIGCONT);
}

bool Cluster::running(std::size_t i) const {
  return nodes_.at(i).pid > 0;
}

void Cluster::wipe_datadir(std::size_t i) {
  if (running(i)) throw std::logic_error("wipe_datadir: node" + std::to_string(i) + " is running");
  fs::remove_all(nodes_.at(i).datadir);
}

std::string Cluster::validator_address(std::size_t i) const {
  const auto& address = nodes_.at(i).validator_address;
  if (address.empty()) throw std::logic_error("node" + std::to_string(i) + " is not a validator");
  return address;
}

std::size_t Cluster::primary_node(std::uint64_t height, std::uint64_t view) const {
  if (validator_nodes_.empty()) throw std::logic_error("not a PBFT cluster");
  return validator_nodes_.at((height + view) % validator_nodes_.size());
}

std::string Cluster::metrics_text(std::size_t i) {
  const Socket connection;
  const int fd = connection.fd;
  timeval limit{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(nodes_.at(i).rpc_port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {  // NOLINT
    throw std::runtime_error("metrics: cannot connect to node" + std::to_string(i));
  }
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    throw std::runtime_error("metrics: cannot send to node" + std::to_string(i));
  }
  // Read to the end (the server closes), at most 4 MiB and 10 s.
  std::string response;
  std::array<char, 16'384> buffer{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (response.size() < (4U << 20U) && std::chrono::steady_clock::now() < deadline) {
    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (got < 0) throw std::runtime_error("metrics: no answer from node" + std::to_string(i));
    if (got == 0) break;
    response.append(buffer.data(), static_cast<std::size_t>(got));
  }
  const auto body = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.1 200") || body == std::string::npos) {
    throw std::runtime_error("metrics: node" + std::to_string(i) + " answered " + response.substr(0, 200));
  }
  return response.substr(body + 4);
}

std::optional<double> Cluster::metric(std::size_t i, const std::string& name) {
  std::istringstream lines(metrics_text(i));
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ' ') {
      return std::stod(line.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

void Cluster::partition(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b) {
  for (std::size_t x : a) {
    for (std::size_t y : b) {
      if (auto* proxy = proxy_between(x, y)) proxy->cut();
    }
  }
}

void Cluster::heal() {
  for (auto& proxy : proxies_) proxy->heal();
}

TcpProxy* Cluster::proxy_between(std::size_t a, std::size_t b) {
  for (std::size_t k = 0; k < links_.size(); ++k) {
    if ((links_[k].first == a && links_[k].second == b) || (links_[k].first == b && links_[k].second == a)) {
      return proxies_[k].get();
    }
  }
  return nullptr;
}

std::string Cluster::url(std::size_t i) const {
  return "http://127.0.0.1:" + std::to_string(nodes_.at(i).rpc_port);
}

Json Cluster::call(std::size_t i, const std::string& method, Json params) {
  rpc::HttpClient client(url(i), rpc::ClientOptions{std::chrono::milliseconds(5'000), ""});
  return client.call(method, std::move(params));
}

std::uint64_t Cluster::block_number(std::size_t i) {
  return quantity(call(i, "eth_blockNumber"));
}

std::string Cluster::head_hash(std::size_t i) {
  return call(i, "eth_getBlockByNumber", Json::array({"latest", false}))["hash"].get<std::string>();
}

std::uint64_t Cluster::peer_count(std::size_t i) {
  return quantity(call(i, "net_peerCount"));
}

std::uint64_t Cluster::finalized_number(std::size_t i) {
  return quantity(call(i, "eth_getBlockByNumber", Json::array({"finalized", false}))["number"]);
}

std::string Cluster::hash_at(std::size_t i, std::uint64_t n) {
  std::ostringstream tag;
  tag << "0x" << std::hex << n;
  const Json block = call(i, "eth_getBlockByNumber", Json::array({tag.str(), false}));
  return block.is_null() ? std::string() : block["hash"].get<std::string>();
}

bool Cluster::converged() {
  std::optional<std::string> head;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!running(i) || !serves_rpc(i)) continue;
    const auto hash = head_hash(i);
    if (head && *head != hash) return false;
    head = hash;
  }
  return true;
}

std::optional<std::string> Cluster::audit() {
  std::uint64_t lowest = UINT64_MAX;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (running(i) && serves_rpc(i)) lowest = std::min(lowest, block_number(i));
  }
  for (std::uint64_t n = 0; n <= lowest && lowest != UINT64_MAX; ++n) {
    std::optional<Json> reference;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!running(i) || !serves_rpc(i)) continue;
      std::ostringstream tag;
      tag << "0x" << std::hex << n;
      const Json block = call(i, "eth_getBlockByNumber", Json::array({tag.str(), false}));
      if (block.is_null()) return "node" + std::to_string(i) + " has no block " + std::to_string(n);
      if (!reference) {
        reference = block;
      } else if (block["hash"] != (*reference)["hash"] || block["stateRoot"] != (*reference)["stateRoot"]) {
        return "node" + std::to_string(i) + " differs at block " + std::to_string(n);
      }
    }
  }
  return std::nullopt;
}

std::string Cluster::log(std::size_t i) const {
  std::ifstream in(nodes_.at(i).datadir.string() + ".console");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Cluster::log_tail(std::size_t i, std::size_t lines) const {
  std::ifstream in(nodes_.at(i).datadir.string() + ".console");
  std::deque<std::string> kept;
  for (std::string line; std::getline(in, line);) {
    kept.push_back(line);
    if (kept.size() > lines) kept.pop_front();
  }
  std::string out;
  for (const auto& line : kept) out += line + "\n";
  return out;
}

std::string signed_transfer(std::uint32_t from, const std::string& to_hex, std::uint64_t wei, std::uint64_t nonce) {
  chain::Transaction tx;
  tx.type = chain::TxType::dynamic_fee;
  tx.chain_id = chain::kDevChainId;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = 1'000'000'000;
  tx.max_fee_per_gas = 10'000'000'000;
  tx.gas_limit = 21'000;
  tx.to = crypto::parse_address(to_hex).value();
  tx.value = wei;
  chain::sign(tx, crypto::dev_account_key(crypto::kDevMnemonic, from).value());
  return to_hex_prefixed(chain::encode(tx));
}

}  // namespace tally::e2e
