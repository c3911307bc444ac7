#include "bench/net/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tally::bench::net {

namespace {

// PIDs of running children, for the signal handler (which may only kill).
constexpr std::size_t kMaxChildren = 64;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};

void remember_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void forget_child(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

extern "C" void on_stop_signal(int signal) {
  for (auto& slot : g_children) {
    const pid_t pid = slot.load();
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  ::_exit(128 + signal);
}

bool reap(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  do {
    int status = 0;
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid || got < 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (Clock::now() < deadline);
  return false;
}

// A blocking TCP connection to 127.0.0.1:port with 5 s send/receive limits.
class Socket {
 public:
  explicit Socket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    timeval limit{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {  // NOLINT
      ::close(fd_);
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// GET path on 127.0.0.1:port; the body of a 200 answer (at most 4 MiB).
std::string http_get(std::uint16_t port, const std::string& path) {
  const Socket connection(port);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(connection.fd(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    throw std::runtime_error("GET " + path + ": cannot send");
  }
  std::string response;
  std::array<char, 16'384> buffer{};
  while (response.size() < (4U << 20U)) {
    const ssize_t got = ::recv(connection.fd(), buffer.data(), buffer.size(), 0);
    if (got < 0) throw std::runtime_error("GET " + path + ": no answer");
    if (got == 0) break;
    response.append(buffer.data(), static_cast<std::size_t>(got));
  }
  const auto body = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.1 200") || body == std::string::npos) {
    throw std::runtime_error("GET " + path + " answered " + response.substr(0, 100));
  }
  return response.substr(body + 4);
}

// The number after "Key:" in /proc/PID/status (kB), 0 if absent.
std::uint64_t status_kib(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key + ":")) return std::stoull(line.substr(key.size() + 1));
  }
  return 0;
}

}  // namespace

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds every) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    try {
      if (condition()) return true;
    } catch (const std::exception&) {
      // A node still starting: try again until the deadline.
    }
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

void stop_children_on_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  ::sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

ProcStats proc_stats(pid_t pid) {
  ProcStats stats;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  // Fields after the command (which may hold spaces) start at field 3;
  // utime and stime are fields 14 and 15.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return stats;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index >= 14) ticks += std::stod(field);
  }
  stats.cpu_seconds = ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  stats.rss_kib = status_kib(pid, "VmRSS");
  stats.peak_rss_kib = status_kib(pid, "VmHWM");
  stats.rss_anon_kib = status_kib(pid, "RssAnon");
  stats.rss_file_kib = status_kib(pid, "RssFile");
  return stats;
}

Json to_json(const ProcStats& stats) {
  return {{"cpu_seconds", stats.cpu_seconds},
          {"rss_kib", stats.rss_kib},
          {"peak_rss_kib", stats.peak_rss_kib},
          {"rss_anon_kib", stats.rss_anon_kib},
          {"rss_file_kib", stats.rss_file_kib}};
}

std::uint64_t quantity(const Json& value) {
  return std::stoull(value.get<std::string>(), nullptr, 16);
}

std::string to_quantity(std::uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

Tallyd::Tallyd(Options options) : options_(std::move(options)) {}

Tallyd::~Tallyd() {
  stop();
}

void Tallyd::add_args(const std::vector<std::string>& args) {
  options_.extra_args.insert(options_.extra_args.end(), args.begin(), args.end());
}

void Tallyd::spawn() {
  if (pid_ > 0) throw std::logic_error("tallyd already running");
  std::vector<std::string> args{options_.binary.string(),
                                "--datadir",
                                options_.datadir.string(),
                                "--genesis",
                                options_.genesis.string(),
                                "--rpc-port",
                                "0",
                                "--p2p-addr",
                                "127.0.0.1",
                                "--p2p-port",
                                "0",
                                "--metrics"};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log = options_.datadir.string() + ".log";
  // The log is appended across restarts of one datadir: the ports of this
  // start are in what comes after its current end.
  std::error_code size_error;
  const auto size = std::filesystem::file_size(log, size_error);
  log_offset_ = size_error ? 0 : size;
  rpc_port_ = 0;
  p2p_port_ = 0;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);  // NOLINT
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  remember_child(pid);
}

void Tallyd::wait_ready(std::chrono::milliseconds limit) {
  const bool up = wait_until(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          forget_child(pid_);
          pid_ = -1;
          throw std::logic_error("exited");
        }
        if (!read_ports()) return false;
        call("eth_blockNumber");
        return true;
      },
      limit, std::chrono::milliseconds(20));
  if (!up || pid_ <= 0) {
    throw std::runtime_error("tallyd " + options_.datadir.string() + " did not start:\n" + log_tail());
  }
}

bool Tallyd::read_ports() {
  if (rpc_port_ != 0 && p2p_port_ != 0) return true;
  const std::string rpc_line = "JSON-RPC on http://127.0.0.1:";
  const std::string p2p_line = "p2p listening on 127.0.0.1:";
  std::ifstream in(options_.datadir.string() + ".log");
  in.seekg(static_cast<std::streamoff>(log_offset_));
  for (std::string line; std::getline(in, line);) {
    if (const auto at = line.find(rpc_line); at != std::string::npos) {
      rpc_port_ = static_cast<std::uint16_t>(std::stoul(line.substr(at + rpc_line.size())));
    }
    if (const auto at = line.find(p2p_line); at != std::string::npos) {
      p2p_port_ = static_cast<std::uint16_t>(std::stoul(line.substr(at + p2p_line.size())));
    }
  }
  return rpc_port_ != 0 && p2p_port_ != 0;
}

void Tallyd::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!reap(pid_, std::chrono::seconds(20))) {
    ::kill(pid_, SIGKILL);
    reap(pid_, std::chrono::seconds(5));
  }
  forget_child(pid_);
  pid_ = -1;
}

Json Tallyd::call(const std::string& method, Json params) const {
  rpc::HttpClient client(http_url(), rpc::ClientOptions{std::chrono::milliseconds(5'000), ""});
  return client.call(method, std::move(params));
}

std::uint64_t Tallyd::block_number() const {
  return quantity(call("eth_blockNumber"));
}

std::optional<double> Tallyd::metric(const std::string& name) const {
  std::istringstream lines(http_get(rpc_port_, "/metrics"));
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ' ') {
      return std::stod(line.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

std::string Tallyd::log_tail(std::size_t lines) const {
  std::ifstream in(options_.datadir.string() + ".log");
  std::deque<std::string> kept;
  for (std::string line; std::getline(in, line);) {
    kept.push_back(line);
    if (kept.size() > lines) kept.pop_front();
  }
  std::string out;
  for (const auto& line : kept) out += line + "\n";
  return out;
}

}  // namespace tally::bench::net
