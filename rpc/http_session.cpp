// One HTTP/1.1 connection: reads requests one at a time (keep-alive),
// answers JSON-RPC POSTs, and hands a WebSocket upgrade to ws_session.cpp.

#include <algorithm>
#include <array>
#include <cctype>

#include "rpc/server_internal.hpp"

namespace tally::rpc::detail {

namespace {

using HttpResponse = http::response<http::string_body>;

// After refusing a body that is too large, the client may still be sending
// it: read and drop at most this much for at most kLingerTime before
// closing, so the client sees the answer instead of a connection reset.
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr std::chrono::milliseconds kLingerTime{2'000};

// The JSON media types geth accepts. Others are refused (415) because a
// browser sends text/plain, form data or no type without a CORS preflight:
// accepting them would let any web page call the node.
bool is_json_content_type(std::string_view value) {
  const auto end = value.find(';');
  std::string type(value.substr(0, end));
  type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c) != 0; }),
             type.end());
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type == "application/json" || type == "application/json-rpc" || type == "application/jsonrequest";
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_method).category();
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ServerShared& shared, tcp::socket socket, ConnectionSlot slot)
      : shared_(shared), stream_(std::move(socket)), slot_(std::move(slot)) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(shared_.options.max_body_bytes);
    stream_.expires_after(shared_.options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(const beast::error_code& ec) {
    if (ec == http::error::end_of_stream) return shutdown();
    if (ec == http::error::body_limit) {
      return send(error_response(
                      http::status::payload_too_large, code::kInvalidRequest,
                      "request body too large: at most " + std::to_string(shared_.options.max_body_bytes) + " bytes"),
                  /*close=*/true, /*linger=*/true);
    }
    if (ec == http::error::header_limit) {
      return send(error_response(http::status::request_header_fields_too_large, code::kInvalidRequest,
                                 "request headers too large"),
                  true, false);
    }
    if (ec && is_http_parse_error(ec)) {
      return send(error_response(http::status::bad_request, code::kInvalidRequest, "bad HTTP request: " + ec.message()),
                  true, false);
    }
    if (ec) return;  // timeout, reset: the session ends and the socket closes
    HttpRequest& request = parser_->get();
    if (websocket::is_upgrade(request) && shared_.options.jsonrpc) return upgrade(parser_->release());
    const bool keep_alive = request.keep_alive();
    send(answer(request), !keep_alive, false);
  }

  void upgrade(HttpRequest request) {
    const auto origin = to_std(request[http::field::origin]);
    if (!origin.empty() && !shared_.allowed_origin(origin)) {
      return send(error_response(http::status::forbidden, code::kInvalidRequest,
                                 "WebSocket origin not allowed: " + std::string(origin)),
                  true, false);
    }
    shared_.http_requests.fetch_add(1);
    stream_.expires_never();
    start_ws_session(shared_, std::move(stream_), std::move(request), std::move(slot_));
  }

  HttpResponse answer(HttpRequest& request) {
    const auto origin = to_std(request[http::field::origin]);
    const auto cors = origin.empty() ? std::nullopt : shared_.allowed_origin(origin);
    HttpResponse response;
    const bool cors_on = !shared_.options.cors_origins.empty();
    const GetResource* resource = request.method() == http::verb::get ? find_resource(request) : nullptr;
    if (resource != nullptr) {
      response = serve(*resource);
    } else if (!shared_.options.jsonrpc) {
      response = refuse_without_jsonrpc(request);
    } else if (request.method() == http::verb::options && cors_on) {
      response = HttpResponse(http::status::no_content, request.version());
      if (cors) {
        response.set(http::field::access_control_allow_methods, "POST, OPTIONS");
        response.set(http::field::access_control_allow_headers, "Content-Type, Authorization");
        response.set(http::field::access_control_max_age, "600");
      }
    } else if (request.method() != http::verb::post) {
      response = error_response(http::status::method_not_allowed, code::kInvalidRequest,
                                "method not allowed: send JSON-RPC requests with HTTP POST");
      response.set(http::field::allow, cors_on ? "POST, OPTIONS" : "POST");
    } else if (!is_json_content_type(to_std(request[http::field::content_type]))) {
      response = error_response(http::status::unsupported_media_type, code::kInvalidRequest,
                                "invalid content type, only application/json is supported");
    } else {
      response = call(request);
    }
    if (cors) {
      response.set(http::field::access_control_allow_origin, *cors);
      response.set(http::field::vary, "Origin");
    }
    response.version(request.version());
    return response;
  }

  const GetResource* find_resource(const HttpRequest& request) const {
    const auto target = to_std(request.target());
    const auto path = target.substr(0, target.find('?'));
    for (const auto& resource : shared_.options.get_resources) {
      if (resource.path == path) return &resource;
    }
    return nullptr;
  }

  HttpResponse serve(const GetResource& resource) {
    shared_.get_requests.fetch_add(1);
    try {
      HttpResponse response(http::status::ok, 11);
      response.set(http::field::content_type, resource.content_type);
      response.body() = resource.body ? resource.body() : std::string();
      return response;
    } catch (const std::exception& e) {
      shared_.log("GET " + resource.path + " failed: " + e.what());
      return error_response(http::status::internal_server_error, code::kInternal,
                            "internal error: " + std::string(e.what()));
    }
  }

  // A listener without JSON-RPC: 404 for a GET of an unknown path, 405 for
  // any other method.
  HttpResponse refuse_without_jsonrpc(const HttpRequest& request) const {
    std::string paths;
    for (const auto& resource : shared_.options.get_resources) {
      paths += (paths.empty() ? "" : ", ") + resource.path;
    }
    if (request.method() == http::verb::get) {
      return error_response(
          http::status::not_found, code::kInvalidRequest,
          "not found: " + std::string(to_std(request.target()).substr(0, 200)) + "; this port serves GET " + paths);
    }
    auto response = error_response(http::status::method_not_allowed, code::kInvalidRequest,
                                   "method not allowed: this port serves GET " + paths + " only (no JSON-RPC)");
    response.set(http::field::allow, "GET");
    return response;
  }

  HttpResponse call(const HttpRequest& request) {
    CallContext context;
    context.admin = shared_.is_admin(request);
    context.max_subscriptions = shared_.options.max_subscriptions_per_connection;
    auto body = process_request(request.body(), context, shared_.methods, shared_.process);
    HttpResponse response(http::status::ok, request.version());
    response.set(http::field::content_type, "application/json");
    if (body) response.body() = std::move(*body);
    return response;
  }

  static HttpResponse error_response(http::status status, int code, const std::string& message) {
    HttpResponse response(status, 11);
    response.set(http::field::content_type, "application/json");
    response.body() = http_error_body(code, message);
    return response;
  }

  void send(HttpResponse response, bool close, bool linger) {
    shared_.http_requests.fetch_add(1);
    response_ = std::move(response);
    response_.keep_alive(!close);
    response_.prepare_payload();
    stream_.expires_after(shared_.options.idle_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), close, linger](const beast::error_code& ec, std::size_t) {
                        if (ec) return;
                        if (linger) return self->linger();
                        if (close) return self->shutdown();
                        self->read();
                      });
  }

  void shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void linger() {
    shutdown();
    stream_.expires_after(std::min(kLingerTime, shared_.options.idle_timeout));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
                              self->drained_ += n;
                              if (!ec && self->drained_ < kLingerBytes) self->drain();
                            });
  }

  ServerShared& shared_;
  beast::tcp_stream stream_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse response_;
  std::array<char, 16 * 1024> scratch_{};
  std::size_t drained_ = 0;
};

}  // namespace

void start_http_session(ServerShared& shared, tcp::socket socket, ConnectionSlot slot) {
  std::make_shared<HttpSession>(shared, std::move(socket), std::move(slot))->run();
}

}  // namespace tally::rpc::detail
