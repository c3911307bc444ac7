#pragma once
// JSON-RPC clients: HttpClient (one call or a batch per HTTP request, on a
// kept-alive connection) and WsClient (requests and subscription
// notifications over one WebSocket). Used by the wallet and by tests.
// A client object is used by one thread at a time; give each thread its own.
// Boost stays out of this header.

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rpc/method.hpp"

namespace tally::rpc {

// The server could not be reached or did not answer with JSON-RPC: connect
// failure, timeout, an HTTP status other than 200, a malformed reply.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{10'000};  // per call: connect, send and receive
  std::string bearer_token;                   // sent as "Authorization: Bearer <token>" when set
};

struct BatchReply {
  std::optional<Json> result;
  std::optional<RpcError> error;
};

class HttpClient {
 public:
  // url: http://host:port[/path]; throws std::invalid_argument for anything
  // else (https is refused with a clear message).
  explicit HttpClient(std::string url, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One call; returns "result". Throws RpcError for a JSON-RPC error reply,
  // TransportError for connect/timeout/HTTP status/malformed reply (the
  // message names the URL and what failed).
  Json call(const std::string& method, Json params = Json::array());
  // Several calls in one request; the replies in the order of `calls`. A
  // call the server did not answer gets an error (code::kInternal). Throws
  // RpcError when the server refuses the whole batch (e.g. too large).
  std::vector<BatchReply> batch(const std::vector<std::pair<std::string, Json>>& calls);
  const std::string& url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A WebSocket JSON-RPC connection. Messages are read in the background and
// queued (at most kMaxQueuedMessages; more closes the connection), so a
// wait with a timeout never breaks the stream.
class WsClient {
 public:
  static constexpr std::size_t kMaxQueuedMessages = 10'000;

  // url: ws://host:port[/path]. Connects at once; throws TransportError
  // when it cannot, std::invalid_argument for a bad URL (wss is refused).
  explicit WsClient(std::string url, ClientOptions options = {});
  ~WsClient();  // close()
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Sends one text message. Throws TransportError when closed or on failure.
  void send(const std::string& text);
  // Sends a request and waits for the response with its id; messages that
  // arrive meanwhile (notifications) stay queued for next_message().
  // Throws RpcError for an error reply, TransportError on timeout/close.
  Json call(const std::string& method, Json params = Json::array());
  // The next message received (parsed), or nullopt when none arrives within
  // `timeout`. Throws TransportError when the connection has closed and
  // nothing is queued, or a message is not JSON.
  std::optional<Json> next_message(std::chrono::milliseconds timeout);
  // Closing handshake (bounded by the timeout), then the socket closes.
  void close();
  bool is_open() const;
  const std::string& url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::rpc
