#pragma once
// Internal to the server (server.cpp, http_session.cpp, ws_session.cpp):
// the state sessions share and the session entry points. Includes Boost.Beast;
// never include it from another layer's headers.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

// GCC 12 at -O2 reports a null dereference inside Asio's scheduler (a false
// positive in a system header); silenced for the Asio headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio.hpp>
#pragma GCC diagnostic pop
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "rpc/jsonrpc.hpp"
#include "rpc/server.hpp"

namespace tally::rpc::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using HttpRequest = http::request<http::string_body>;

// Boost 1.74's Beast has its own string_view type.
inline std::string_view to_std(beast::string_view text) {
  return {text.data(), text.size()};
}
inline beast::string_view to_beast(std::string_view text) {
  return {text.data(), text.size()};
}

// Lets notification pushes (from any thread) reach sessions only while the
// server runs. A push holds the shared lock while it holds the session, so
// no session outlives the I/O context it was made on.
struct PushGate {
  std::shared_mutex mutex;
  bool open = true;
};

// Lives in Server::Impl and outlives every session.
struct ServerShared {
  ServerShared(const MethodTable& table, ServerOptions opts);

  const MethodTable& methods;
  ServerOptions options;
  ProcessOptions process;
  bool bound_to_loopback = false;
  CallCounters counters;
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> ws_messages{0};
  std::atomic<std::uint64_t> get_requests{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> slow_dropped{0};
  std::atomic<std::uint64_t> open{0};
  std::atomic<std::uint64_t> next_connection_id{1};

  // Held by every sink: stop() closes it, and waits for pushes in flight,
  // before the sessions and the I/O context are destroyed.
  std::shared_ptr<PushGate> push_gate = std::make_shared<PushGate>();

  void log(const std::string& message) const;
  // Whether a request with these headers may call admin methods.
  bool is_admin(const HttpRequest& request) const;
  // The Access-Control-Allow-Origin value for `origin`, or nullopt when
  // CORS is off or the origin is not allowed.
  std::optional<std::string> allowed_origin(std::string_view origin) const;
};

// Counts one open connection for ServerShared::open while alive; moves from
// the HTTP session to the WebSocket session on upgrade.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ServerShared& shared) : shared_(&shared) { shared_->open.fetch_add(1); }
  ConnectionSlot(ConnectionSlot&& other) noexcept : shared_(std::exchange(other.shared_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() {
    if (shared_ != nullptr) shared_->open.fetch_sub(1);
  }

 private:
  ServerShared* shared_;
};

void start_http_session(ServerShared& shared, tcp::socket socket, ConnectionSlot slot);
void start_ws_session(ServerShared& shared, beast::tcp_stream stream, HttpRequest upgrade, ConnectionSlot slot);

// Body of an HTTP error answer: a JSON-RPC error object with id null.
std::string http_error_body(int code, const std::string& message);

}  // namespace tally::rpc::detail
