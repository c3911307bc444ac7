#pragma once
// The JSON-RPC server: HTTP/1.1 (keep-alive) and WebSocket on one port.
// Every connection does asynchronous I/O on a small pool of I/O threads, so
// a slow or silent client never holds up the others; every buffer and queue
// has a bound (ServerOptions). Methods run on the I/O threads. Boost stays
// out of this header.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "rpc/jsonrpc.hpp"
#include "rpc/method.hpp"

namespace tally::rpc {

// A resource answered on HTTP GET instead of JSON-RPC (the node's
// Prometheus metrics). `body` runs on an I/O thread for each request, so it
// must be thread-safe; if it throws, the client gets 500 and the failure is
// logged.
struct GetResource {
  std::string path;  // exact path, e.g. "/metrics"; a query string is ignored
  std::string content_type;
  std::function<std::string()> body;
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1";        // an IP address, or "localhost"
  std::uint16_t port = 8545;                     // 0: an ephemeral port, see Server::port()
  unsigned threads = 2;                          // I/O threads (methods run on them)
  std::size_t max_body_bytes = 5 * 1024 * 1024;  // HTTP request body; more: 413 (geth: 5 MiB)
  std::size_t max_batch = kDefaultMaxBatch;
  std::size_t max_ws_message_bytes = 5 * 1024 * 1024;  // one WebSocket message; more: the connection closes
  // Responses and notifications waiting to be sent on one WebSocket; a
  // client that does not read and goes past it is disconnected.
  std::size_t max_ws_send_queue_bytes = 16 * 1024 * 1024;
  // Passed to methods in CallContext::max_subscriptions; the subscription
  // publisher enforces it per connection.
  std::size_t max_subscriptions_per_connection = 128;
  // Open connections (HTTP and WebSocket); one more is accepted and closed.
  std::size_t max_connections = 256;
  // An HTTP connection must deliver a whole request within this time, and
  // is closed when idle for as long between requests. WebSocket: the
  // handshake must finish within it, and an idle connection is pinged and
  // closed when the ping goes unanswered for as long.
  std::chrono::milliseconds idle_timeout{30'000};
  // Browser origins allowed to call (CORS, and the Origin of a WebSocket
  // upgrade); "*" allows any. Empty: no CORS headers, and WebSocket
  // upgrades from browsers (with an Origin header) are refused.
  std::vector<std::string> cors_origins;
  // Admin methods: when the server is bound to a loopback address and
  // trust_loopback is set, every request is admin. Otherwise a request is
  // admin only with "Authorization: Bearer <admin_token>" (never when the
  // token is empty).
  std::string admin_token;
  bool trust_loopback = true;
  // Answered on GET of their path (any other GET is refused as before).
  std::vector<GetResource> get_resources;
  // false: a listener for get_resources only. POST and WebSocket upgrades
  // are refused (405), and an unknown path gets 404.
  bool jsonrpc = true;
  // Where failures inside the server and handlers are reported; empty:
  // standard error.
  std::function<void(const std::string&)> log;
};

struct ServerStats {
  std::uint64_t http_requests = 0;  // HTTP requests answered (any status)
  std::uint64_t ws_messages = 0;    // WebSocket messages received
  std::uint64_t calls = 0;          // JSON-RPC calls, batch elements counted one by one
  std::uint64_t call_errors = 0;    // JSON-RPC error responses
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;   // over max_connections
  std::uint64_t slow_clients_dropped = 0;  // WebSocket send queue over its limit
  std::uint64_t open_connections = 0;
  std::uint64_t get_requests = 0;  // answered from get_resources (200 or 500)
  // Per method of the table the server was given (kOtherMethods: unknown
  // names and requests refused before dispatch); only those called.
  std::vector<MethodCallCount> methods;
};

class Server {
 public:
  // `methods` must outlive the server; it is read concurrently, never changed.
  Server(const MethodTable& methods, ServerOptions options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O threads. Error: e.g. "cannot listen
  // on 127.0.0.1:8545: Address already in use".
  Result<void> start();
  // Closes the listener and every connection and joins the threads.
  // Idempotent. Subscription publishers should stop pushing first; a push
  // after stop() is refused (returns false).
  void stop();

  std::uint16_t port() const;  // the bound port, after start()
  const ServerOptions& options() const;
  ServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::rpc
