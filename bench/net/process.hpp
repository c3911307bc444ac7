#pragma once
// tallyd processes for the network benchmarks, on 127.0.0.1. Each is started
// with fork/exec from the driver's main thread and dies with the driver
// (PR_SET_PDEATHSIG), binds ports of its own choosing (read back from its
// log), is stopped by PID with a bounded wait, and is read from /proc for
// CPU time and memory. Plus the helpers the benchmarks share: bounded
// waits, GET /metrics.

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

namespace tally::bench::net {

using rpc::Json;
using Clock = std::chrono::steady_clock;

// Polls `condition` every `every` until it holds or `limit` passes; an
// exception counts as "not yet".
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds(50));
// Seconds between two steady-clock instants.
double seconds_between(Clock::time_point from, Clock::time_point to);
// SIGINT and SIGTERM stop every running tallyd before the driver exits.
void stop_children_on_signals();

struct ProcStats {
  double cpu_seconds = 0;          // user + system
  std::uint64_t rss_kib = 0;       // VmRSS
  std::uint64_t peak_rss_kib = 0;  // VmHWM
  // VmRSS split: the heap and other private memory, and mapped files
  // (LevelDB maps its table files: clean pages the kernel can drop).
  std::uint64_t rss_anon_kib = 0;  // RssAnon
  std::uint64_t rss_file_kib = 0;  // RssFile
};
ProcStats proc_stats(pid_t pid);
Json to_json(const ProcStats& stats);

class Tallyd {
 public:
  struct Options {
    std::filesystem::path binary;
    std::filesystem::path datadir;
    std::filesystem::path genesis;
    std::vector<std::string> extra_args;  // --peer, --mine, ...
  };
  explicit Tallyd(Options options);
  ~Tallyd();  // stop()
  Tallyd(const Tallyd&) = delete;
  Tallyd& operator=(const Tallyd&) = delete;

  // More arguments for the next spawn().
  void add_args(const std::vector<std::string>& args);
  // Starts the process (stdout and stderr to <datadir>.log); returns at once.
  void spawn();
  // Waits (at most `limit`) until the log names the ports the node bound
  // and JSON-RPC answers; throws with the log's end when it does not or the
  // process exits.
  void wait_ready(std::chrono::milliseconds limit = std::chrono::seconds(60));
  // SIGTERM, up to 20 s, then SIGKILL.
  void stop();

  pid_t pid() const { return pid_; }
  std::uint16_t rpc_port() const { return rpc_port_; }
  std::uint16_t p2p_port() const { return p2p_port_; }
  std::string p2p_address() const { return "127.0.0.1:" + std::to_string(p2p_port_); }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(rpc_port_); }
  std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(rpc_port_); }
  ProcStats stats() const { return proc_stats(pid_); }

  // One JSON-RPC call on a fresh connection (5 s limit).
  Json call(const std::string& method, Json params = Json::array()) const;
  std::uint64_t block_number() const;
  // An unlabelled sample of GET /metrics (needs --metrics); nullopt if absent.
  std::optional<double> metric(const std::string& name) const;
  std::string log_tail(std::size_t lines = 20) const;

 private:
  Options options_;
  // Bound by the node itself (port 0: no race for a port picked in
  // advance), read from its log.
  bool read_ports();
  std::uint16_t rpc_port_ = 0;
  std::uint16_t p2p_port_ = 0;
  std::uintmax_t log_offset_ = 0;  // where this start's lines begin in the log
  pid_t pid_ = -1;
};

// "0x1f" -> 31, and back.
std::uint64_t quantity(const Json& value);
std::string to_quantity(std::uint64_t value);

}  // namespace tally::bench::net
