#pragma once
// Helpers for the transport tests: a method table with methods that
// succeed, fail in every way, and push notifications; and a raw blocking
// TCP socket (POSIX, bounded by receive/send timeouts) to speak HTTP and
// WebSocket byte by byte where the clients would hide what is tested.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "rpc/method.hpp"

namespace tally::rpc::test {

// The sink of the last "remember_sink" call, for pushes from the test thread.
struct SinkHolder {
  std::mutex mutex;
  std::weak_ptr<NotificationSink> sink;
  std::shared_ptr<NotificationSink> get() {
    std::lock_guard lock(mutex);
    return sink.lock();
  }
};

inline MethodTable test_methods(SinkHolder* holder = nullptr) {
  MethodTable table;
  table.add("echo", Access::open, [](const Json& params, CallContext&) { return params; });
  table.add("add", Access::open, [](const Json& params, CallContext&) {
    return Json(params.at(0).get<std::int64_t>() + params.at(1).get<std::int64_t>());
  });
  table.add("fail_rpc", Access::open, [](const Json&, CallContext&) -> Json {
    throw RpcError(code::kServerError, "nonce too low", Json{{"detail", 7}});
  });
  table.add("fail_internal", Access::open,
            [](const Json&, CallContext&) -> Json { throw std::runtime_error("disk on fire"); });
  table.add("fail_odd", Access::open, [](const Json&, CallContext&) -> Json { throw 42; });
  table.add("null_result", Access::open, [](const Json&, CallContext&) { return Json(nullptr); });
  table.add("admin_only", Access::admin, [](const Json&, CallContext&) { return Json("granted"); });
  table.add("context", Access::open, [](const Json&, CallContext& context) {
    return Json{{"admin", context.admin},
                {"has_sink", context.sink != nullptr},
                {"max_subscriptions", context.max_subscriptions}};
  });
  // A string result of params[0] bytes.
  table.add("big", Access::open,
            [](const Json& params, CallContext&) { return Json(std::string(params.at(0).get<std::size_t>(), 'x')); });
  // Pushes one notification through the connection's sink, then answers.
  table.add("notify", Access::open, [](const Json& params, CallContext& context) {
    if (!context.sink) throw RpcError(code::kServerError, "notifications need a WebSocket");
    const bool pushed = context.sink->push(Json{{"jsonrpc", "2.0"}, {"method", "test_notice"}, {"params", params}});
    return Json(pushed);
  });
  table.add("remember_sink", Access::open, [holder](const Json&, CallContext& context) {
    if (holder == nullptr || !context.sink) return Json(false);
    std::lock_guard lock(holder->mutex);
    holder->sink = context.sink;
    return Json(context.sink->connection_id());
  });
  return table;
}

// Waits for `condition` with a bounded deadline; true when it held in time.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds limit = std::chrono::milliseconds(10'000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking TCP client socket to 127.0.0.1 whose reads and writes give up
// after `timeout`.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port, int receive_buffer = 0,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {  // NOLINT
      ::close(fd_);
      throw std::runtime_error("connect() failed");
    }
  }
  ~RawSocket() { close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `count` bytes are buffered; false on close or timeout.
  bool fill(std::size_t count) {
    char chunk[4096];
    while (buffer_.size() < count) {
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `marker` is buffered; returns everything up to and
  // including it. nullopt on close or timeout.
  std::optional<std::string> read_through(std::string_view marker) {
    char chunk[4096];
    for (;;) {
      const auto at = buffer_.find(marker);
      if (at != std::string::npos) {
        std::string head = buffer_.substr(0, at + marker.size());
        buffer_.erase(0, at + marker.size());
        return head;
      }
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // One HTTP response with a Content-Length body.
  std::optional<HttpReply> read_response() {
    auto head = read_through("\r\n\r\n");
    if (!head) return std::nullopt;
    HttpReply reply;
    if (head->size() < 12) return std::nullopt;
    reply.status = std::stoi(head->substr(9, 3));
    std::size_t line = head->find("\r\n") + 2;
    while (line < head->size()) {
      const auto end = head->find("\r\n", line);
      if (end == line || end == std::string::npos) break;
      const std::string text = head->substr(line, end - line);
      const auto colon = text.find(':');
      std::string name = text.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = colon == std::string::npos ? "" : text.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers[name] = value;
      line = end + 2;
    }
    const auto length = reply.headers.count("content-length") ? std::stoul(reply.headers["content-length"]) : 0UL;
    if (!fill(length)) return std::nullopt;
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return reply;
  }

  // True when the peer closes (EOF or reset) before the timeout.
  bool wait_closed() {
    char chunk[4096];
    for (int reads = 0; reads < 100'000; ++reads) {
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
    return false;
  }

  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buffer_;
};

inline std::string http_post(std::string_view body, std::string_view extra_headers = "",
                             std::string_view content_type = "application/json") {
  std::string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!content_type.empty()) request += "Content-Type: " + std::string(content_type) + "\r\n";
  request += std::string(extra_headers);
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  request += body;
  return request;
}

// A masked WebSocket text frame (client to server), mask key zero.
inline std::string ws_text_frame(std::string_view payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x81));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>((payload.size() >> 8) & 0xff));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  }
  frame.append(4, '\0');
  frame.append(payload);
  return frame;
}

inline std::string ws_upgrade_request(std::string_view extra_headers = "") {
  return "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         std::string(extra_headers) + "\r\n";
}

}  // namespace tally::rpc::test
