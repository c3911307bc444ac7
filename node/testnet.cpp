#include "node/testnet.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "chain/genesis.hpp"
#include "crypto/address.hpp"
#include "crypto/hd.hpp"
#include "crypto/hex.hpp"
#include "crypto/secp256k1.hpp"
#include "rpc/client.hpp"

extern char** environ;  // NOLINT: POSIX

namespace tally::node::testnet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr unsigned kMaxNodes = 64;
constexpr std::uint32_t kDevAccounts = 10;
constexpr std::uint32_t kMinerAccount = 9;  // node 0 mines to the last dev account
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kStopTimeout = std::chrono::seconds(20);
constexpr auto kStatusInterval = std::chrono::seconds(3);

struct Layout {
  unsigned nodes = 0;
  std::string consensus;
  std::uint16_t rpc_base_port = 0;
  std::uint16_t p2p_base_port = 0;
};

fs::path node_dir(const fs::path& dir, unsigned i) {
  return dir / ("node" + std::to_string(i));
}

std::string rpc_url(const Layout& layout, unsigned i) {
  return "http://127.0.0.1:" + std::to_string(layout.rpc_base_port + i);
}

int error(const std::string& message) {
  std::cerr << "tallyd testnet: " << message << "\n";
  return 1;
}

// Writes `text` to `path` through a temporary file, with `mode`.
bool write_file(const fs::path& path, const std::string& text, mode_t mode = 0644) {
  const fs::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return false;
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return false;
  return ::rename(temp.c_str(), path.c_str()) == 0;
}

std::optional<Layout> read_layout(const fs::path& dir) {
  std::ifstream in(dir / "testnet.json");
  if (!in) return std::nullopt;
  try {
    const json doc = json::parse(in);
    Layout layout;
    layout.nodes = doc.at("nodes").get<unsigned>();
    layout.consensus = doc.at("consensus").get<std::string>();
    layout.rpc_base_port = doc.at("rpcBasePort").get<std::uint16_t>();
    layout.p2p_base_port = doc.at("p2pBasePort").get<std::uint16_t>();
    if (layout.nodes == 0 || layout.nodes > kMaxNodes) return std::nullopt;
    return layout;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string toml_string(const std::string& value) {
  return json(value).dump();  // a JSON string is a valid TOML basic string
}

crypto::PrivateKey dev_key(std::uint32_t index) {
  return crypto::dev_account_key(crypto::kDevMnemonic, index).value();
}

std::string dev_address(std::uint32_t index) {
  return crypto::to_checksum_address(crypto::address_of(crypto::public_key_of(dev_key(index))));
}

// ---------------------------------------------------------------- processes

std::optional<pid_t> read_pid(const fs::path& dir, unsigned i) {
  std::ifstream in(node_dir(dir, i) / "tallyd.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return std::nullopt;
  return static_cast<pid_t>(pid);
}

// A live tallyd process with this pid (a stale pid file may name a pid
// reused by something else: never signal that).
bool is_tallyd(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string cmdline;
  std::getline(in, cmdline, '\0');
  return cmdline.find("tallyd") != std::string::npos;
}

bool wait_exit(pid_t pid, bool is_child, std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (is_child) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    } else if (::kill(pid, 0) != 0 && errno == ESRCH) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// SIGTERM, then SIGKILL if it has not exited in kStopTimeout.
void stop_process(pid_t pid, bool is_child, const std::string& name) {
  if (::kill(pid, SIGTERM) != 0) return;
  if (wait_exit(pid, is_child, kStopTimeout)) {
    std::cout << "  " << name << " stopped\n";
    return;
  }
  std::cout << "  " << name << " did not stop in time: killing it\n";
  ::kill(pid, SIGKILL);
  (void)wait_exit(pid, is_child, std::chrono::seconds(5));
}

std::optional<pid_t> spawn_node(const fs::path& tallyd, const fs::path& config, const fs::path& console) {
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  if (posix_spawn_file_actions_init(&files) != 0) return std::nullopt;
  if (posix_spawnattr_init(&attr) != 0) {
    posix_spawn_file_actions_destroy(&files);
    return std::nullopt;
  }
  sigset_t none;
  sigemptyset(&none);
  // Own process group (a terminal's Ctrl-C reaches only `up`, which stops
  // the nodes in order) and the default signal mask.
  bool ok = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK) == 0 &&
            posix_spawnattr_setpgroup(&attr, 0) == 0 && posix_spawnattr_setsigmask(&attr, &none) == 0 &&
            posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0) == 0 &&
            posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, console.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                             0644) == 0 &&
            posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO) == 0;
  pid_t pid = 0;
  if (ok) {
    std::string program = tallyd.string();
    std::string flag = "--config";
    std::string path = config.string();
    char* argv[] = {program.data(), flag.data(), path.data(), nullptr};
    ok = posix_spawn(&pid, program.c_str(), &files, &attr, argv, environ) == 0;
  }
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (!ok) return std::nullopt;
  return pid;
}

std::string tail_lines(const fs::path& path, std::size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> kept;
  for (std::string line; std::getline(in, line);) {
    kept.push_back(std::move(line));
    if (kept.size() > lines) kept.pop_front();
  }
  std::string out;
  for (const auto& line : kept) out += line + "\n";
  return out;
}

// ---------------------------------------------------------------- status

struct NodeStatus {
  bool answered = false;
  std::uint64_t block = 0;
  std::uint64_t peers = 0;
  std::uint64_t pending = 0;
  std::uint64_t queued = 0;
};

std::uint64_t quantity(const json& value) {
  return std::stoull(value.get<std::string>(), nullptr, 16);
}

NodeStatus query(const std::string& url) {
  NodeStatus status;
  try {
    rpc::HttpClient client(url, rpc::ClientOptions{std::chrono::milliseconds(1'000), ""});
    auto replies = client.batch(
        {{"eth_blockNumber", json::array()}, {"net_peerCount", json::array()}, {"txpool_status", json::array()}});
    if (replies.size() != 3 || !replies[0].result || !replies[1].result || !replies[2].result) return status;
    status.block = quantity(*replies[0].result);
    status.peers = quantity(*replies[1].result);
    status.pending = quantity(replies[2].result->at("pending"));
    status.queued = quantity(replies[2].result->at("queued"));
    status.answered = true;
  } catch (const std::exception&) {
    status.answered = false;
  }
  return status;
}

// `pid` 0: the node is down.
std::string status_line(const Layout& layout, unsigned i, pid_t pid) {
  std::ostringstream out;
  out << "  node" << i << "  " << rpc_url(layout, i) << "  ";
  if (pid == 0) {
    out << "down";
    return out.str();
  }
  const NodeStatus s = query(rpc_url(layout, i));
  if (!s.answered) {
    out << "pid " << pid << ", not answering";
    return out.str();
  }
  out << "block " << s.block << "  peers " << s.peers << "  pool " << s.pending << " pending, " << s.queued
      << " queued";
  return out.str();
}

void print_welcome(const Layout& layout) {
  std::cout << "\nTally testnet: " << layout.nodes << " " << layout.consensus << " nodes on 127.0.0.1\n";
  for (unsigned i = 0; i < layout.nodes; ++i) {
    std::cout << "  node" << i << "  JSON-RPC " << rpc_url(layout, i) << "  p2p 127.0.0.1:" << layout.p2p_base_port + i
              << (layout.consensus == "pow" && i == 0 ? "  (mining)" : "") << "\n";
  }
  std::cout << "\nFunded accounts (10,000 ETH each):\n";
  for (std::uint32_t i = 0; i < kDevAccounts; ++i) {
    std::cout << "  (" << i << ") " << dev_address(i) << "  key " << to_hex_prefixed(dev_key(i).bytes) << "\n";
  }
  std::cout << "\nWARNING: these keys come from a public mnemonic (\"test test ... junk\").\n"
            << "Anyone can take funds sent to them on a real network. Use them for testing only.\n\n"
            << "Ctrl-C stops every node; `tallyd testnet up` again resumes the same chain.\n\n";
}

}  // namespace

// ---------------------------------------------------------------- commands

int init(const InitOptions& options) {
  if (options.nodes == 0 || options.nodes > kMaxNodes) {
    return error("--nodes must be between 1 and " + std::to_string(kMaxNodes));
  }
  if (options.consensus != "pow" && options.consensus != "pbft") return error("--consensus must be pow or pbft");
  if (static_cast<unsigned>(options.rpc_base_port) + options.nodes > 65'536 ||
      static_cast<unsigned>(options.p2p_base_port) + options.nodes > 65'536) {
    return error("ports run past 65535: choose lower base ports");
  }
  const fs::path dir = fs::absolute(options.dir);
  if (fs::exists(dir / "testnet.json")) {
    if (!options.force) {
      return error("a testnet already exists in " + dir.string() +
                   " (`tallyd testnet up --dir` runs it; --force replaces it and its chain)");
    }
    if (auto layout = read_layout(dir)) {
      for (unsigned i = 0; i < layout->nodes; ++i) {
        if (auto pid = read_pid(dir, i); pid && is_tallyd(*pid)) {
          return error("the testnet in " + dir.string() + " is running: `tallyd testnet down` first");
        }
      }
    }
    for (unsigned i = 0; i < kMaxNodes; ++i) fs::remove_all(node_dir(dir, i));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return error("cannot create " + dir.string() + ": " + ec.message());

  auto genesis = nlohmann::ordered_json::parse(chain::dev_genesis_json());
  // Difficulty follows a schedule anchored at the genesis time (ASERT): a
  // genesis of now starts the network on it, at the dev difficulty.
  genesis["timestamp"] = static_cast<std::uint64_t>(std::time(nullptr));
  std::vector<crypto::PrivateKey> validator_keys;
  if (options.consensus == "pbft") {
    nlohmann::ordered_json validators = nlohmann::ordered_json::array();
    for (unsigned i = 0; i < options.nodes; ++i) {
      validator_keys.push_back(crypto::generate_private_key());
      validators.push_back(
          crypto::to_checksum_address(crypto::address_of(crypto::public_key_of(validator_keys.back()))));
    }
    genesis["consensus"] = {{"type", "pbft"},
                            {"validators", validators},
                            {"timeoutMs", chain::kDefaultPbftTimeoutMs},
                            {"blockReward", "0"}};
  }
  const std::string genesis_text = genesis.dump(2) + "\n";
  if (auto parsed = chain::parse_genesis(genesis_text); !parsed) {
    return error("internal: generated genesis refused: " + parsed.error().message);
  }
  if (!write_file(dir / "genesis.json", genesis_text)) return error("cannot write " + (dir / "genesis.json").string());

  for (unsigned i = 0; i < options.nodes; ++i) {
    const fs::path home = node_dir(dir, i);
    fs::create_directories(home, ec);
    if (ec) return error("cannot create " + home.string() + ": " + ec.message());
    std::ostringstream config;
    config << "# tallyd --config " << (home / "tallyd.toml").string() << "\n"
           << "datadir = " << toml_string(home.string()) << "\n"
           << "genesis = " << toml_string((dir / "genesis.json").string()) << "\n"
           << "rpc-port = " << options.rpc_base_port + i << "\n"
           << "p2p-port = " << options.p2p_base_port + i << "\n"
           << "metrics = true\n";  // Prometheus text at GET <rpc url>/metrics
    std::string peers;
    for (unsigned j = 0; j < options.nodes; ++j) {
      if (j == i) continue;
      if (!peers.empty()) peers += ", ";
      peers += toml_string("127.0.0.1:" + std::to_string(options.p2p_base_port + j));
    }
    if (!peers.empty()) config << "peer = [" << peers << "]\n";
    if (options.consensus == "pow" && i == 0) {
      config << "mine = true\n"
             << "miner-address = " << toml_string(dev_address(kMinerAccount)) << "\n";
    }
    if (options.consensus == "pbft") {
      const fs::path key = home / "validator.key";
      if (!write_file(key, to_hex(validator_keys[i].bytes) + "\n", 0600)) {
        return error("cannot write " + key.string());
      }
      config << "validator-key = " << toml_string(key.string()) << "\n";
    }
    if (!write_file(home / "tallyd.toml", config.str()))
      return error("cannot write the config of node" + std::to_string(i));
  }
  json layout = {{"nodes", options.nodes},
                 {"consensus", options.consensus},
                 {"rpcBasePort", options.rpc_base_port},
                 {"p2pBasePort", options.p2p_base_port}};
  if (!write_file(dir / "testnet.json", layout.dump(2) + "\n")) return error("cannot write testnet.json");
  std::cout << "testnet of " << options.nodes << " " << options.consensus << " nodes written to " << dir.string()
            << "\nstart it with: tallyd testnet up --dir " << dir.string() << "\n";
  return 0;
}

int up(const fs::path& dir_in, const fs::path& tallyd) {
  const fs::path dir = fs::absolute(dir_in);
  const auto layout = read_layout(dir);
  if (!layout) return error("no testnet in " + dir.string() + ": run `tallyd testnet init --dir " + dir.string() + "`");
  for (unsigned i = 0; i < layout->nodes; ++i) {
    if (auto pid = read_pid(dir, i); pid && is_tallyd(*pid)) {
      return error("node" + std::to_string(i) + " is already running (pid " + std::to_string(*pid) +
                   "): `tallyd testnet down --dir " + dir.string() + "` first");
    }
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::vector<std::optional<pid_t>> pids(layout->nodes);
  const auto stop_all = [&] {
    std::cout << "\nstopping " << layout->nodes << " nodes\n";
    for (unsigned i = layout->nodes; i-- > 0;) {
      if (pids[i]) stop_process(*pids[i], true, "node" + std::to_string(i));
      fs::remove(node_dir(dir, i) / "tallyd.pid");
    }
  };
  for (unsigned i = 0; i < layout->nodes; ++i) {
    const fs::path home = node_dir(dir, i);
    pids[i] = spawn_node(tallyd, home / "tallyd.toml", home / "console.log");
    if (!pids[i]) {
      stop_all();
      return error("cannot start " + tallyd.string() + ": " + std::strerror(errno));
    }
    (void)write_file(home / "tallyd.pid", std::to_string(*pids[i]) + "\n");
  }
  // Wait until every node answers, or one exits.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (unsigned i = 0; i < layout->nodes; ++i) {
    while (!query(rpc_url(*layout, i)).answered) {
      int status = 0;
      if (::waitpid(*pids[i], &status, WNOHANG) == *pids[i] || std::chrono::steady_clock::now() > deadline) {
        pids[i].reset();
        std::cerr << "node" << i << " did not start; the end of its console log:\n"
                  << tail_lines(node_dir(dir, i) / "console.log", 15);
        stop_all();
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  print_welcome(*layout);
  std::string last;
  for (;;) {
    timespec wait{std::chrono::duration_cast<std::chrono::seconds>(kStatusInterval).count(), 0};
    const int signal = sigtimedwait(&stop_signals, nullptr, &wait);
    if (signal == SIGINT || signal == SIGTERM) break;
    std::string lines;
    for (unsigned i = 0; i < layout->nodes; ++i) {
      int status = 0;
      if (pids[i] && ::waitpid(*pids[i], &status, WNOHANG) == *pids[i]) {
        std::cout << "node" << i << " exited ("
                  << (WIFEXITED(status) ? "code " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status)))
                  << "); the others go on. Its log: " << (node_dir(dir, i) / "tallyd.log").string() << "\n";
        pids[i].reset();
        fs::remove(node_dir(dir, i) / "tallyd.pid");
      }
      lines += status_line(*layout, i, pids[i].value_or(0)) + "\n";
    }
    if (lines != last) {
      std::cout << lines << std::flush;
      last = lines;
    }
  }
  stop_all();
  return 0;
}

int down(const fs::path& dir_in) {
  const fs::path dir = fs::absolute(dir_in);
  const auto layout = read_layout(dir);
  if (!layout) return error("no testnet in " + dir.string());
  unsigned stopped = 0;
  for (unsigned i = 0; i < layout->nodes; ++i) {
    const auto pid = read_pid(dir, i);
    if (pid && is_tallyd(*pid)) {
      stop_process(*pid, false, "node" + std::to_string(i));
      ++stopped;
    }
    fs::remove(node_dir(dir, i) / "tallyd.pid");
  }
  std::cout << (stopped == 0 ? "no node was running\n" : "");
  return 0;
}

int status(const fs::path& dir_in) {
  const fs::path dir = fs::absolute(dir_in);
  const auto layout = read_layout(dir);
  if (!layout) return error("no testnet in " + dir.string());
  std::cout << "testnet in " << dir.string() << " (" << layout->nodes << " " << layout->consensus << " nodes)\n";
  for (unsigned i = 0; i < layout->nodes; ++i) {
    const pid_t pid = read_pid(dir, i).value_or(0);
    std::cout << status_line(*layout, i, pid != 0 && is_tallyd(pid) ? pid : 0) << "\n";
  }
  return 0;
}

int logs(const fs::path& dir_in, int node, std::size_t lines) {
  const fs::path dir = fs::absolute(dir_in);
  const auto layout = read_layout(dir);
  if (!layout) return error("no testnet in " + dir.string());
  if (node >= static_cast<int>(layout->nodes)) return error("no node" + std::to_string(node));
  for (unsigned i = 0; i < layout->nodes; ++i) {
    if (node >= 0 && static_cast<unsigned>(node) != i) continue;
    std::cout << "==> node" << i << " (" << (node_dir(dir, i) / "tallyd.log").string() << ") <==\n"
              << tail_lines(node_dir(dir, i) / "tallyd.log", lines);
  }
  return 0;
}

}  // namespace tally::node::testnet
