#include "rpc/client.hpp"

#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
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

namespace tally::rpc {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A reply bigger than this is refused instead of filling memory.
constexpr std::size_t kMaxReplyBytes = 64 * 1024 * 1024;

struct Url {
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string target;
  std::string host_header;
};

Url parse_url(const std::string& url, std::string_view scheme, std::string_view secure_scheme) {
  const std::string secure_prefix = std::string(secure_scheme) + "://";
  if (url.rfind(secure_prefix, 0) == 0) {
    throw std::invalid_argument("unsupported URL " + url + ": " + std::string(secure_scheme) +
                                " is not supported; use " + std::string(scheme) +
                                ":// (put TLS in a reverse proxy in front of the node)");
  }
  const std::string prefix = std::string(scheme) + "://";
  if (url.rfind(prefix, 0) != 0) {
    throw std::invalid_argument("invalid URL \"" + url + "\": expected " + prefix + "host:port[/path]");
  }
  const std::string rest = url.substr(prefix.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Url out;
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) throw std::invalid_argument("invalid URL \"" + url + "\": unclosed [");
    out.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') throw std::invalid_argument("invalid URL \"" + url + "\"");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty() || out.host.find('@') != std::string::npos) {
    throw std::invalid_argument("invalid URL \"" + url + "\": expected " + prefix + "host:port[/path]");
  }
  if (port_text.empty()) port_text = "80";
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    throw std::invalid_argument("invalid URL \"" + url + "\": bad port \"" + port_text + "\"");
  }
  out.port = port_text;
  out.host_header = (authority.front() == '[' ? "[" + out.host + "]" : out.host) + ":" + port_text;
  return out;
}

// Runs the operation start() begins on `io` (nothing else pending) until it
// completes or `deadline` passes; then cancel() stops it and the result is
// a timeout.
template <class Start, class Cancel>
beast::error_code run_io(asio::io_context& io, Clock::time_point deadline, Start start, Cancel cancel) {
  beast::error_code result;
  bool done = false;
  io.restart();
  start([&](const beast::error_code& ec) {
    result = ec;
    done = true;
  });
  // One handler at a time, so the call returns as soon as its operation
  // completes even when other work (timers) is still pending.
  while (!done && io.run_one_until(deadline) != 0) {
  }
  if (!done) {
    cancel();
    io.restart();
    io.run();
    return beast::error::timeout;
  }
  return result;
}

// Resolves and connects `stream` before `deadline`.
beast::error_code connect(asio::io_context& io, tcp::resolver& resolver, beast::tcp_stream& stream, const Url& url,
                          Clock::time_point deadline) {
  tcp::resolver::results_type endpoints;
  auto ec = run_io(
      io, deadline,
      [&](auto done) {
        resolver.async_resolve(url.host, url.port,
                               [&endpoints, done](const beast::error_code& e, tcp::resolver::results_type r) {
                                 endpoints = std::move(r);
                                 done(e);
                               });
      },
      [&] { resolver.cancel(); });
  if (ec) return ec;
  return run_io(
      io, deadline,
      [&](auto done) { stream.async_connect(endpoints, [done](const beast::error_code& e, const auto&) { done(e); }); },
      [&] { stream.close(); });
}

std::string describe(const beast::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return "no answer within " + std::to_string(timeout.count()) + " ms";
  return ec.message();
}

Json parse_reply(const std::string& url, const std::string& body) {
  if (!nesting_within(body, kMaxJsonDepth)) throw TransportError(url + ": malformed reply: JSON nested too deep");
  Json reply = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) throw TransportError(url + ": malformed reply: not JSON");
  return reply;
}

// The error object of a reply as an RpcError, or nullopt when it has none.
std::optional<RpcError> reply_error(const std::string& url, const Json& reply) {
  const auto error = reply.find("error");
  if (error == reply.end()) return std::nullopt;
  if (!error->is_object() || !error->contains("code") || !(*error)["code"].is_number_integer()) {
    throw TransportError(url + ": malformed reply: error without an integer code");
  }
  const auto message = error->find("message");
  const auto data = error->find("data");
  return RpcError((*error)["code"].get<int>(),
                  message != error->end() && message->is_string() ? message->get<std::string>() : "",
                  data != error->end() ? std::optional<Json>(*data) : std::nullopt);
}

Json request_for(std::uint64_t id, const std::string& method, Json params) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

// The result of a single-call reply; throws its error.
Json result_of(const std::string& url, const Json& reply, std::uint64_t id) {
  if (!reply.is_object()) throw TransportError(url + ": malformed reply: not a JSON-RPC response object");
  if (auto error = reply_error(url, reply)) throw std::move(*error);
  const auto result = reply.find("result");
  if (result == reply.end()) throw TransportError(url + ": malformed reply: neither result nor error");
  if (reply.value("id", Json()) != Json(id)) throw TransportError(url + ": malformed reply: id does not match");
  return *result;
}

}  // namespace

// ---------------------------------------------------------------- HttpClient

struct HttpClient::Impl {
  Impl(std::string u, ClientOptions o)
      : url(std::move(u)), parts(parse_url(url, "http", "https")), options(std::move(o)) {}

  std::string url;
  Url parts;
  ClientOptions options;
  asio::io_context io;
  tcp::resolver resolver{io};
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::uint64_t next_id = 1;

  std::string exchange(const std::string& body);
  beast::error_code send_and_receive(const http::request<http::string_body>& request,
                                     http::response_parser<http::string_body>& parser, Clock::time_point deadline);
  void disconnect() {
    if (stream) stream->close();
    stream.reset();
    buffer.clear();
  }
};

beast::error_code HttpClient::Impl::send_and_receive(const http::request<http::string_body>& request,
                                                     http::response_parser<http::string_body>& parser,
                                                     Clock::time_point deadline) {
  auto cancel = [this] { stream->close(); };
  auto ec = run_io(
      io, deadline,
      [&](auto done) {
        http::async_write(*stream, request, [done](const beast::error_code& e, std::size_t) { done(e); });
      },
      cancel);
  if (ec) return ec;
  return run_io(
      io, deadline,
      [&](auto done) {
        http::async_read(*stream, buffer, parser, [done](const beast::error_code& e, std::size_t) { done(e); });
      },
      cancel);
}

std::string HttpClient::Impl::exchange(const std::string& body) {
  const auto deadline = Clock::now() + options.timeout;
  http::request<http::string_body> request(http::verb::post, parts.target, 11);
  request.set(http::field::host, parts.host_header);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "tally-rpc-client");
  if (!options.bearer_token.empty()) request.set(http::field::authorization, "Bearer " + options.bearer_token);
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    const bool reused = stream.has_value();
    if (!stream) {
      stream.emplace(io);
      if (auto ec = connect(io, resolver, *stream, parts, deadline)) {
        disconnect();
        throw TransportError("cannot connect to " + url + ": " + describe(ec, options.timeout));
      }
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    const auto ec = send_and_receive(request, parser, deadline);
    if (ec) {
      disconnect();
      // A kept-alive connection the server has closed meanwhile: nothing was
      // processed, so sending again on a new connection is safe.
      const bool stale = ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                         ec == asio::error::broken_pipe || ec == asio::error::eof;
      if (reused && attempt == 0 && stale) continue;
      throw TransportError(url + ": request failed: " + describe(ec, options.timeout));
    }
    auto response = parser.release();
    if (!response.keep_alive()) disconnect();
    if (response.result() != http::status::ok) {
      std::string excerpt = response.body().substr(0, 200);
      throw TransportError(url + ": HTTP " + std::to_string(response.result_int()) + " " +
                           std::string(response.reason()) + (excerpt.empty() ? "" : ": " + excerpt));
    }
    return std::move(response.body());
  }
}

HttpClient::HttpClient(std::string url, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {}

HttpClient::~HttpClient() = default;

const std::string& HttpClient::url() const {
  return impl_->url;
}

Json HttpClient::call(const std::string& method, Json params) {
  const std::uint64_t id = impl_->next_id++;
  const auto body = impl_->exchange(to_body(request_for(id, method, std::move(params))));
  return result_of(impl_->url, parse_reply(impl_->url, body), id);
}

std::vector<BatchReply> HttpClient::batch(const std::vector<std::pair<std::string, Json>>& calls) {
  if (calls.empty()) return {};
  const std::uint64_t first = impl_->next_id;
  impl_->next_id += calls.size();
  Json request = Json::array();
  for (std::size_t i = 0; i < calls.size(); ++i)
    request.push_back(request_for(first + i, calls[i].first, calls[i].second));
  const Json reply = parse_reply(impl_->url, impl_->exchange(to_body(request)));
  if (reply.is_object()) {
    if (auto error = reply_error(impl_->url, reply)) throw std::move(*error);
    throw TransportError(impl_->url + ": malformed reply: an object where a batch reply was expected");
  }
  if (!reply.is_array()) throw TransportError(impl_->url + ": malformed reply: not a JSON array");
  // A batch refused as a whole (e.g. too large) comes back as one error.
  if (reply.size() == 1 && calls.size() > 1 && reply[0].is_object()) {
    if (auto error = reply_error(impl_->url, reply[0])) throw std::move(*error);
  }
  std::vector<BatchReply> replies(calls.size());
  std::vector<bool> answered(calls.size(), false);
  for (const auto& item : reply) {
    if (!item.is_object() || !item.contains("id") || !item["id"].is_number_unsigned()) {
      throw TransportError(impl_->url + ": malformed reply: batch element without a valid id");
    }
    const auto id = item["id"].get<std::uint64_t>();
    if (id < first || id - first >= calls.size()) throw TransportError(impl_->url + ": malformed reply: unknown id");
    const auto index = static_cast<std::size_t>(id - first);
    answered[index] = true;
    if (auto error = reply_error(impl_->url, item)) {
      replies[index].error = std::move(*error);
    } else if (item.contains("result")) {
      replies[index].result = item["result"];
    } else {
      throw TransportError(impl_->url + ": malformed reply: neither result nor error");
    }
  }
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (!answered[i]) replies[i].error = RpcError(code::kInternal, "the server sent no reply for this call");
  }
  return replies;
}

// ------------------------------------------------------------------ WsClient

struct WsClient::Impl {
  Impl(std::string u, ClientOptions o) : url(std::move(u)), parts(parse_url(url, "ws", "wss")), options(std::move(o)) {}
  ~Impl() { close(); }

  std::string url;
  Url parts;
  ClientOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer read_buffer;
  std::thread thread;
  std::uint64_t next_id = 1;
  std::deque<Json> set_aside;  // read by call() while waiting; caller thread only

  mutable std::mutex mutex;  // guards inbox, open, close_reason
  std::condition_variable arrived;
  std::deque<std::string> inbox;
  bool open = false;
  std::string close_reason;

  void connect();
  void read_loop();
  void on_read(const beast::error_code& ec);
  std::optional<Json> wait_message(std::chrono::milliseconds timeout);
  void close();
};

void WsClient::Impl::connect() {
  const auto deadline = Clock::now() + options.timeout;
  tcp::resolver resolver(io);
  auto ec = tally::rpc::connect(io, resolver, beast::get_lowest_layer(ws), parts, deadline);
  if (!ec) {
    ws.set_option(websocket::stream_base::decorator([token = options.bearer_token](websocket::request_type& request) {
      request.set(http::field::user_agent, "tally-rpc-client");
      if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
    }));
    ws.read_message_max(kMaxReplyBytes);
    ec = run_io(
        io, deadline,
        [&](auto done) {
          ws.async_handshake(parts.host_header, parts.target, [done](const beast::error_code& e) { done(e); });
        },
        [&] { beast::get_lowest_layer(ws).close(); });
  }
  if (ec) throw TransportError("cannot connect to " + url + ": " + describe(ec, options.timeout));
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  open = true;
  work.emplace(io.get_executor());
  read_loop();
  io.restart();  // the handshake's run may have left the context stopped
  thread = std::thread([this] { io.run(); });
}

void WsClient::Impl::read_loop() {
  ws.async_read(read_buffer, [this](const beast::error_code& ec, std::size_t) { on_read(ec); });
}

// On the I/O thread.
void WsClient::Impl::on_read(const beast::error_code& ec) {
  std::unique_lock lock(mutex);
  if (ec) {
    open = false;
    close_reason = ec == websocket::error::closed ? "closed by the server" : ec.message();
    arrived.notify_all();
    return;
  }
  if (inbox.size() >= kMaxQueuedMessages) {
    open = false;
    close_reason = "more than " + std::to_string(kMaxQueuedMessages) + " unread messages";
    arrived.notify_all();
    beast::get_lowest_layer(ws).close();
    return;
  }
  inbox.push_back(beast::buffers_to_string(read_buffer.data()));
  read_buffer.consume(read_buffer.size());
  arrived.notify_all();
  lock.unlock();
  read_loop();
}

std::optional<Json> WsClient::Impl::wait_message(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex);
  arrived.wait_for(lock, timeout, [this] { return !inbox.empty() || !open; });
  if (inbox.empty()) {
    if (!open) throw TransportError(url + ": connection closed: " + close_reason);
    return std::nullopt;
  }
  std::string text = std::move(inbox.front());
  inbox.pop_front();
  lock.unlock();
  return parse_reply(url, text);
}

void WsClient::Impl::close() {
  if (!thread.joinable()) return;
  auto closed = std::make_shared<std::promise<void>>();
  auto closed_future = closed->get_future();
  asio::post(io, [this, closed] {
    if (!ws.is_open()) return closed->set_value();
    ws.async_close(websocket::close_code::normal, [closed](const beast::error_code&) { closed->set_value(); });
  });
  (void)closed_future.wait_for(options.timeout);
  asio::post(io, [this] { beast::get_lowest_layer(ws).close(); });
  work.reset();
  thread.join();
  std::lock_guard lock(mutex);
  open = false;
  if (close_reason.empty()) close_reason = "closed by the client";
}

WsClient::WsClient(std::string url, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {
  impl_->connect();
}

WsClient::~WsClient() = default;

const std::string& WsClient::url() const {
  return impl_->url;
}

bool WsClient::is_open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

void WsClient::send(const std::string& text) {
  if (!is_open()) throw TransportError(impl_->url + ": cannot send: the connection is closed");
  auto message = std::make_shared<std::string>(text);
  auto written = std::make_shared<std::promise<beast::error_code>>();
  auto written_future = written->get_future();
  auto& ws = impl_->ws;
  asio::post(impl_->io, [&ws, message, written] {
    ws.text(true);
    ws.async_write(asio::buffer(*message),
                   [message, written](const beast::error_code& ec, std::size_t) { written->set_value(ec); });
  });
  if (written_future.wait_for(impl_->options.timeout) != std::future_status::ready) {
    asio::post(impl_->io, [&ws] { beast::get_lowest_layer(ws).close(); });
    written_future.wait();  // the close ends the write at once
    throw TransportError(impl_->url + ": cannot send: " + describe(beast::error::timeout, impl_->options.timeout));
  }
  if (const auto ec = written_future.get()) throw TransportError(impl_->url + ": cannot send: " + ec.message());
}

Json WsClient::call(const std::string& method, Json params) {
  const std::uint64_t id = impl_->next_id++;
  send(to_body(request_for(id, method, std::move(params))));
  const auto deadline = Clock::now() + impl_->options.timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw TransportError(impl_->url + ": " + method + ": " + describe(beast::error::timeout, impl_->options.timeout));
    }
    auto message = impl_->wait_message(left);
    if (!message) continue;
    if (message->is_object() && message->value("id", Json()) == Json(id) && !message->contains("method")) {
      return result_of(impl_->url, *message, id);
    }
    if (impl_->set_aside.size() >= kMaxQueuedMessages) {
      throw TransportError(impl_->url + ": too many messages while waiting for the reply to " + method);
    }
    impl_->set_aside.push_back(std::move(*message));
  }
}

std::optional<Json> WsClient::next_message(std::chrono::milliseconds timeout) {
  if (!impl_->set_aside.empty()) {
    Json message = std::move(impl_->set_aside.front());
    impl_->set_aside.pop_front();
    return message;
  }
  return impl_->wait_message(timeout);
}

void WsClient::close() {
  impl_->close();
}

}  // namespace tally::rpc
