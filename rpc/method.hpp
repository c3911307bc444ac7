#pragma once
// What a JSON-RPC method is, independent of transport: a name, who may call
// it, and a handler from params to result. The server (server.hpp) parses
// JSON-RPC 2.0 envelopes and dispatches here; the Ethereum methods
// (eth_api.hpp) fill a MethodTable. Handlers run on the server's I/O
// threads, concurrently: whatever they touch must be thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace tally::rpc {

using Json = nlohmann::json;

// JSON-RPC 2.0 error codes, and the Ethereum server-error range.
namespace code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternal = -32603;
// Ethereum convention (geth): transaction refused by the pool, execution
// failures and the like.
inline constexpr int kServerError = -32000;
inline constexpr int kUnauthorized = -32001;   // admin/miner method without the token
inline constexpr int kLimitExceeded = -32005;  // a server limit (batch, subscriptions, ...)
}  // namespace code

// Thrown by a handler to answer with a JSON-RPC error object.
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message, std::optional<Json> data = std::nullopt)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  int code() const noexcept { return code_; }
  const std::optional<Json>& data() const noexcept { return data_; }

 private:
  int code_;
  std::optional<Json> data_;
};

// Where a WebSocket connection receives subscription notifications. The
// server owns one per WebSocket connection (shared_ptr) and the publisher
// keeps weak_ptrs, so a closed connection's subscriptions die with it.
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  // Queues `message` (a complete JSON-RPC notification) for the client.
  // False when the connection is closed or its send queue is over its
  // limit (the message is dropped; the server closes a client that cannot
  // keep up).
  virtual bool push(const Json& message) = 0;
  virtual std::uint64_t connection_id() const = 0;
};

// Who is calling: what the server knows about the request.
struct CallContext {
  bool admin = false;                      // may call Access::admin methods
  std::shared_ptr<NotificationSink> sink;  // set on WebSocket connections only
  // Subscriptions one connection may hold (ServerOptions); the publisher
  // refuses more with code::kLimitExceeded. 0: no limit set.
  std::size_t max_subscriptions = 0;
};

enum class Access : std::uint8_t {
  open,   // anyone who can reach the port
  admin,  // admin_*, miner_*, the instant mining method: loopback or token
};

using Handler = std::function<Json(const Json& params, CallContext& context)>;

struct Method {
  Access access = Access::open;
  Handler handler;
};

class MethodTable {
 public:
  // Adds or replaces a method.
  void add(std::string name, Access access, Handler handler) {
    methods_[std::move(name)] = Method{access, std::move(handler)};
  }
  const Method* find(std::string_view name) const {
    auto it = methods_.find(std::string(name));
    return it == methods_.end() ? nullptr : &it->second;
  }
  std::size_t size() const noexcept { return methods_.size(); }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(methods_.size());
    for (const auto& entry : methods_) out.push_back(entry.first);
    return out;
  }

 private:
  std::unordered_map<std::string, Method> methods_;
};

}  // namespace tally::rpc
