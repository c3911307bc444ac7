#include "rpc/server.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "rpc/auth_token.hpp"
#include "rpc/server_internal.hpp"

namespace tally::rpc {

using namespace detail;  // NOLINT(google-build-using-namespace): the server's own internals

namespace detail {

ServerShared::ServerShared(const MethodTable& table, ServerOptions opts)
    : methods(table), options(std::move(opts)), counters(table) {
  process.max_batch = options.max_batch;
  process.counters = &counters;
  process.log = [this](const std::string& message) { log(message); };
}

void ServerShared::log(const std::string& message) const {
  if (options.log) {
    options.log(message);
  } else {
    std::fprintf(stderr, "rpc: %s\n", message.c_str());
  }
}

bool ServerShared::is_admin(const HttpRequest& request) const {
  if (options.trust_loopback && bound_to_loopback) return true;
  if (options.admin_token.empty()) return false;
  const auto header = to_std(request[http::field::authorization]);
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size()) return false;
  if (!beast::iequals(to_beast(header.substr(0, kBearer.size())), to_beast(kBearer))) return false;
  const std::string_view token(header.data() + kBearer.size(), header.size() - kBearer.size());
  return tokens_equal(token, options.admin_token);
}

std::optional<std::string> ServerShared::allowed_origin(std::string_view origin) const {
  for (const auto& allowed : options.cors_origins) {
    if (allowed == "*") return std::string("*");
    if (beast::iequals(to_beast(allowed), to_beast(origin))) return std::string(origin);
  }
  return std::nullopt;
}

std::string http_error_body(int code, const std::string& message) {
  return to_body(make_error_response(nullptr, code, message));
}

}  // namespace detail

struct Server::Impl {
  Impl(const MethodTable& methods, ServerOptions options) : shared(methods, std::move(options)) {}

  ServerShared shared;
  std::optional<asio::io_context> io;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry_timer;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::mutex lifecycle;

  void accept();
  void on_accept(const beast::error_code& ec, tcp::socket socket);
};

void Server::Impl::accept() {
  acceptor->async_accept(asio::make_strand(*io),
                         [this](const beast::error_code& ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::Impl::on_accept(const beast::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: wait a little instead of
    // spinning, then accept again.
    shared.log("accept failed: " + ec.message());
    retry_timer->expires_after(std::chrono::milliseconds(100));
    retry_timer->async_wait([this](const beast::error_code& wait_ec) {
      if (!wait_ec) accept();
    });
    return;
  }
  if (shared.open.load() >= shared.options.max_connections) {
    shared.refused.fetch_add(1);
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    shared.accepted.fetch_add(1);
    ConnectionSlot slot(shared);
    start_http_session(shared, std::move(socket), std::move(slot));
  }
  accept();
}

namespace {

Result<asio::ip::address> parse_bind_address(const std::string& text) {
  if (text == "localhost") return asio::ip::address(asio::ip::address_v4::loopback());
  beast::error_code ec;
  auto address = asio::ip::make_address(text, ec);
  if (ec) return fail("invalid RPC bind address \"" + text + "\": expected an IP address such as 127.0.0.1 or 0.0.0.0");
  return address;
}

}  // namespace

Server::Server(const MethodTable& methods, ServerOptions options)
    : impl_(std::make_unique<Impl>(methods, std::move(options))) {}

Server::~Server() {
  stop();
}

Result<void> Server::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->io) return fail("the RPC server is already running");
  const auto& options = impl_->shared.options;
  if (options.threads == 0) return fail("the RPC server needs at least one I/O thread");
  auto address = parse_bind_address(options.bind_address);
  if (!address) return Unexpected{address.error()};
  const std::string where = options.bind_address + ":" + std::to_string(options.port);

  impl_->shared.push_gate = std::make_shared<PushGate>();
  impl_->io.emplace(static_cast<int>(options.threads));
  impl_->acceptor.emplace(*impl_->io);
  impl_->retry_timer.emplace(*impl_->io);
  auto& acceptor = *impl_->acceptor;
  const tcp::endpoint endpoint(*address, options.port);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->retry_timer.reset();
    impl_->acceptor.reset();
    impl_->io.reset();
    return fail("cannot listen on " + where + ": " + ec.message());
  }
  impl_->port = acceptor.local_endpoint().port();
  impl_->shared.bound_to_loopback = address->is_loopback();
  impl_->accept();
  impl_->threads.reserve(options.threads);
  for (unsigned i = 0; i < options.threads; ++i) {
    impl_->threads.emplace_back([this] {
      for (;;) {
        try {
          impl_->io->run();
          return;
        } catch (const std::exception& e) {
          // Handlers catch what they expect; anything else is logged and
          // the thread goes on serving.
          impl_->shared.log(std::string("I/O thread caught: ") + e.what());
        }
      }
    });
  }
  return {};
}

void Server::stop() {
  std::lock_guard lock(impl_->lifecycle);
  if (!impl_->io) return;
  impl_->io->stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  // No thread runs handlers any more. Close the gate (this waits for pushes
  // in flight, so no publisher holds a session), then destroy the pending
  // handlers, which releases and closes every session.
  {
    std::unique_lock gate(impl_->shared.push_gate->mutex);
    impl_->shared.push_gate->open = false;
  }
  beast::error_code ignored;
  impl_->acceptor->close(ignored);
  impl_->retry_timer.reset();
  impl_->acceptor.reset();
  impl_->io.reset();
}

std::uint16_t Server::port() const {
  return impl_->port;
}

const ServerOptions& Server::options() const {
  return impl_->shared.options;
}

ServerStats Server::stats() const {
  const auto& shared = impl_->shared;
  ServerStats stats;
  stats.http_requests = shared.http_requests.load();
  stats.ws_messages = shared.ws_messages.load();
  stats.calls = shared.counters.calls.load();
  stats.call_errors = shared.counters.errors.load();
  stats.connections_accepted = shared.accepted.load();
  stats.connections_refused = shared.refused.load();
  stats.slow_clients_dropped = shared.slow_dropped.load();
  stats.open_connections = shared.open.load();
  stats.get_requests = shared.get_requests.load();
  stats.methods = shared.counters.by_method();
  return stats;
}

}  // namespace tally::rpc
