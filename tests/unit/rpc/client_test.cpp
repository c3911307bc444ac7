// HttpClient against the server and against peers that fail: calls,
// batches, error mapping, reconnects, closed ports and silent servers.

#include "rpc/client.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "rpc/server.hpp"
#include "rpc_test_util.hpp"

namespace tally::rpc {
namespace {

using namespace std::chrono_literals;

class ClientTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.port = 0;
    options.log = [](const std::string&) {};
    server_ = std::make_unique<Server>(methods_, std::move(options));
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  MethodTable methods_ = test::test_methods();
  std::unique_ptr<Server> server_;
};

// A socket that listens on 127.0.0.1 but never accepts: the kernel
// completes connections, nobody answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);  // NOLINT
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t length = sizeof address;
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);  // NOLINT
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(ClientTest, CallReturnsTheResult) {
  start();
  HttpClient client(url());
  EXPECT_EQ(client.url(), url());
  EXPECT_EQ(client.call("add", {40, 2}), 42);
  EXPECT_EQ(client.call("echo", Json{{"k", "v"}}), (Json{{"k", "v"}}));
  EXPECT_TRUE(client.call("null_result").is_null());
  EXPECT_EQ(server_->stats().connections_accepted, 1U);  // kept alive
}

TEST_F(ClientTest, ErrorReplyBecomesRpcError) {
  start();
  HttpClient client(url());
  try {
    client.call("fail_rpc");
    ADD_FAILURE() << "expected an RpcError";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), code::kServerError);
    EXPECT_STREQ(e.what(), "nonce too low");
    ASSERT_TRUE(e.data().has_value());
    EXPECT_EQ((*e.data())["detail"], 7);
  }
  try {
    client.call("no_such_method");
    ADD_FAILURE() << "expected an RpcError";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), code::kMethodNotFound);
  }
  EXPECT_EQ(client.call("add", {1, 1}), 2);  // the connection is still good
}

TEST_F(ClientTest, BatchKeepsTheOrderOfCalls) {
  start();
  HttpClient client(url());
  EXPECT_TRUE(client.batch({}).empty());
  const auto replies = client.batch({{"add", {1, 2}}, {"fail_rpc", Json::array()}, {"echo", {"z"}}});
  ASSERT_EQ(replies.size(), 3U);
  EXPECT_EQ(replies[0].result, Json(3));
  EXPECT_FALSE(replies[0].error.has_value());
  ASSERT_TRUE(replies[1].error.has_value());
  EXPECT_EQ(replies[1].error->code(), code::kServerError);
  EXPECT_FALSE(replies[1].result.has_value());
  EXPECT_EQ(replies[2].result, Json::array({"z"}));
}

TEST_F(ClientTest, BatchRefusedWholeThrows) {
  ServerOptions options;
  options.max_batch = 2;
  start(options);
  HttpClient client(url());
  try {
    client.batch({{"echo", {}}, {"echo", {}}, {"echo", {}}});
    ADD_FAILURE() << "expected an RpcError";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), code::kLimitExceeded);
  }
}

TEST_F(ClientTest, ReconnectsWhenTheServerClosedTheIdleConnection) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  HttpClient client(url());
  EXPECT_EQ(client.call("add", {1, 2}), 3);
  ASSERT_TRUE(test::wait_until([&] { return server_->stats().open_connections == 0U; }));
  EXPECT_EQ(client.call("add", {2, 2}), 4);
  EXPECT_EQ(server_->stats().connections_accepted, 2U);
}

TEST_F(ClientTest, ClosedPortIsATransportErrorNamingTheUrl) {
  start();
  const std::string closed = url();
  server_.reset();
  HttpClient client(closed);
  try {
    client.call("echo");
    ADD_FAILURE() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect to " + closed), std::string::npos) << e.what();
  }
}

TEST_F(ClientTest, SilentServerTimesOut) {
  SilentListener silent;
  ClientOptions options;
  options.timeout = 300ms;
  HttpClient client("http://127.0.0.1:" + std::to_string(silent.port()), options);
  try {
    client.call("echo");
    ADD_FAILURE() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("no answer within 300 ms"), std::string::npos) << e.what();
  }
}

TEST(ClientUrl, RefusesWhatIsNotPlainHttp) {
  EXPECT_THROW(HttpClient("127.0.0.1:8545"), std::invalid_argument);
  EXPECT_THROW(HttpClient("ftp://127.0.0.1:8545"), std::invalid_argument);
  EXPECT_THROW(HttpClient("http://"), std::invalid_argument);
  EXPECT_THROW(HttpClient("http://127.0.0.1:0"), std::invalid_argument);
  EXPECT_THROW(HttpClient("http://127.0.0.1:99999"), std::invalid_argument);
  EXPECT_THROW(HttpClient("http://127.0.0.1:85x"), std::invalid_argument);
  try {
    HttpClient client("https://node.example:8545");
    ADD_FAILURE() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("https is not supported"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(HttpClient("http://localhost:8545/rpc"));
  EXPECT_NO_THROW(HttpClient("http://[::1]:8545"));
  EXPECT_NO_THROW(HttpClient("http://node.example"));
}

}  // namespace
}  // namespace tally::rpc
