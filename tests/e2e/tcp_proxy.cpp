#include "tcp_proxy.hpp"

#include <array>
#include <atomic>
#include <future>
#include <list>
#include <mutex>
#include <thread>
#include <utility>

// GCC 12 at -O2 reports a null dereference inside Asio's scheduler (a false
// positive in a system header); silenced for the Asio headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio.hpp>
#pragma GCC diagnostic pop

namespace tally::e2e {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One relayed connection: two sockets, two pumps.
struct Pair : std::enable_shared_from_this<Pair> {
  explicit Pair(asio::io_context& io) : client(io), server(io) {}
  tcp::socket client;
  tcp::socket server;
  std::array<char, 16384> up{};
  std::array<char, 16384> down{};

  void close() {
    boost::system::error_code ignored;
    client.close(ignored);
    server.close(ignored);
  }
  void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buffer) {
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                   const boost::system::error_code& ec, std::size_t n) {
      if (ec) {
        self->close();
        return;
      }
      asio::async_write(to, asio::buffer(buffer.data(), n),
                        [self, &from, &to, &buffer](const boost::system::error_code& write_ec, std::size_t) {
                          if (write_ec) {
                            self->close();
                            return;
                          }
                          self->pump(from, to, buffer);
                        });
    });
  }
};

}  // namespace

struct TcpProxy::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t target = 0;
  std::atomic<bool> cut{false};
  std::atomic<std::uint64_t> accepted{0};
  std::list<std::weak_ptr<Pair>> pairs;  // I/O thread only
  std::thread thread;

  void accept() {
    auto pair = std::make_shared<Pair>(io);
    acceptor.async_accept(pair->client, [this, pair](const boost::system::error_code& ec) {
      if (ec) return;  // closed
      accepted.fetch_add(1);
      if (cut) {
        pair->close();
      } else {
        pairs.push_back(pair);
        pair->server.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), target),
                                   [pair](const boost::system::error_code& connect_ec) {
                                     if (connect_ec) {
                                       pair->close();
                                       return;
                                     }
                                     pair->pump(pair->client, pair->server, pair->up);
                                     pair->pump(pair->server, pair->client, pair->down);
                                   });
      }
      accept();
    });
  }

  void drop_all() {
    for (auto& weak : pairs) {
      if (auto pair = weak.lock()) pair->close();
    }
    pairs.clear();
  }
};

TcpProxy::TcpProxy(std::uint16_t target_port) : impl_(std::make_unique<Impl>()) {
  impl_->target = target_port;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TcpProxy::~TcpProxy() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->drop_all();
  });
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t TcpProxy::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void TcpProxy::cut() {
  impl_->cut = true;
  std::promise<void> done;
  asio::post(impl_->io, [this, &done] {
    impl_->drop_all();
    done.set_value();
  });
  done.get_future().wait();
}

void TcpProxy::heal() {
  impl_->cut = false;
}

std::uint64_t TcpProxy::connections_accepted() const {
  return impl_->accepted.load();
}

}  // namespace tally::e2e
