#pragma once
// A TCP forwarder the fault tests put between two nodes: it relays bytes
// both ways and, when cut, closes every connection and refuses new ones
// (accepts and closes at once), like a network partition between the two.
// One I/O thread; Boost stays in tcp_proxy.cpp.

#include <cstdint>
#include <memory>

namespace tally::e2e {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (an ephemeral port) and forwards to 127.0.0.1:target_port.
  explicit TcpProxy(std::uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const;
  void cut();   // partition: drop everything, refuse new connections
  void heal();  // forward again
  std::uint64_t connections_accepted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::e2e
