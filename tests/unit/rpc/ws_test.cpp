// The WebSocket side of the server: requests, batches, notifications
// through the connection's sink, limits, slow readers, origin and admin.

#include <gtest/gtest.h>

#include <memory>

#include "rpc/client.hpp"
#include "rpc/server.hpp"
#include "rpc_test_util.hpp"

namespace tally::rpc {
namespace {

using test::RawSocket;
using namespace std::chrono_literals;

class WsTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.port = 0;
    options.log = [](const std::string&) {};
    server_ = std::make_unique<Server>(methods_, std::move(options));
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server_->port()); }

  test::SinkHolder holder_;
  MethodTable methods_ = test::test_methods(&holder_);
  std::unique_ptr<Server> server_;
};

TEST_F(WsTest, RequestAndResponse) {
  start();
  WsClient client(url());
  EXPECT_EQ(client.call("add", {20, 22}), 42);
  const auto context = client.call("context");
  EXPECT_EQ(context["has_sink"], true);
  EXPECT_EQ(context["admin"], true);
  EXPECT_THROW(client.call("fail_rpc"), RpcError);
  EXPECT_EQ(server_->stats().ws_messages, 3U);
}

TEST_F(WsTest, BatchAndNotificationOverOneMessage) {
  start();
  WsClient client(url());
  client.send(R"([{"jsonrpc":"2.0","id":"a","method":"echo","params":[1]},{"jsonrpc":"2.0","method":"echo"}])");
  const auto reply = client.next_message(10s);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is_array());
  ASSERT_EQ(reply->size(), 1U);
  EXPECT_EQ((*reply)[0]["id"], "a");
  client.send("{not json");
  const auto error = client.next_message(10s);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["error"]["code"], code::kParseError);
}

TEST_F(WsTest, NotificationPushedDuringACallArrives) {
  start();
  WsClient client(url());
  EXPECT_EQ(client.call("notify", {"hello"}), true);
  const auto notice = client.next_message(10s);
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ((*notice)["method"], "test_notice");
  EXPECT_EQ((*notice)["params"], Json::array({"hello"}));
  EXPECT_FALSE(notice->contains("id"));
}

TEST_F(WsTest, NotificationPushedFromAnotherThreadArrives) {
  start();
  WsClient client(url());
  const auto connection = client.call("remember_sink");
  auto sink = holder_.get();
  ASSERT_TRUE(sink);
  EXPECT_EQ(Json(sink->connection_id()), connection);
  std::thread publisher([sink] {
    for (int i = 0; i < 3; ++i) sink->push(Json{{"jsonrpc", "2.0"}, {"method", "tick"}, {"params", {i}}});
  });
  publisher.join();
  for (int i = 0; i < 3; ++i) {
    const auto message = client.next_message(10s);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ((*message)["params"], Json::array({i}));
  }
}

TEST_F(WsTest, SinkRefusesPushesOnceTheConnectionIsGone) {
  start();
  {
    WsClient client(url());
    client.call("remember_sink");
  }
  ASSERT_TRUE(test::wait_until([&] { return server_->stats().open_connections == 0U; }));
  auto sink = holder_.get();
  EXPECT_TRUE(!sink || !sink->push(Json{{"jsonrpc", "2.0"}, {"method", "late"}}));
}

TEST_F(WsTest, ClientThatNeverReadsIsDisconnected) {
  ServerOptions options;
  options.max_ws_send_queue_bytes = 256 * 1024;
  start(options);
  RawSocket socket(server_->port(), /*receive_buffer=*/4096);
  ASSERT_TRUE(socket.send_all(test::ws_upgrade_request()));
  const auto head = socket.read_through("\r\n\r\n");
  ASSERT_TRUE(head.has_value());
  ASSERT_NE(head->find(" 101 "), std::string::npos) << *head;
  ASSERT_TRUE(socket.send_all(test::ws_text_frame(R"({"jsonrpc":"2.0","id":0,"method":"remember_sink"})")));
  // 40 MB of answers: far more than socket buffers and the queue hold.
  for (int i = 0; i < 400; ++i) {
    if (!socket.send_all(test::ws_text_frame(R"({"jsonrpc":"2.0","id":1,"method":"big","params":[100000]})"))) break;
  }
  ASSERT_TRUE(test::wait_until([&] { return server_->stats().slow_clients_dropped == 1U; }));
  EXPECT_TRUE(test::wait_until([&] { return server_->stats().open_connections == 0U; }));
  auto sink = holder_.get();
  EXPECT_TRUE(!sink || !sink->push(Json{{"jsonrpc", "2.0"}, {"method", "late"}}));
  // Others are still served.
  WsClient other(url());
  EXPECT_EQ(other.call("add", {1, 1}), 2);
}

TEST_F(WsTest, OversizedMessageClosesTheConnection) {
  ServerOptions options;
  options.max_ws_message_bytes = 1000;
  start(options);
  WsClient client(url());
  client.send(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[")" + std::string(2000, 'a') + "\"]}");
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) (void)client.next_message(10s);
      },
      TransportError);
  EXPECT_FALSE(client.is_open());
}

TEST_F(WsTest, UpgradeFromAForeignOriginIsRefused) {
  start();
  RawSocket foreign(server_->port());
  ASSERT_TRUE(foreign.send_all(test::ws_upgrade_request("Origin: http://evil.example\r\n")));
  const auto refused = foreign.read_response();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403);

  ServerOptions options;
  options.cors_origins = {"http://app.example"};
  server_.reset();
  start(options);
  RawSocket allowed(server_->port());
  ASSERT_TRUE(allowed.send_all(test::ws_upgrade_request("Origin: http://app.example\r\n")));
  const auto head = allowed.read_through("\r\n\r\n");
  ASSERT_TRUE(head.has_value());
  EXPECT_NE(head->find(" 101 "), std::string::npos) << *head;
}

TEST_F(WsTest, AdminOverWebSocketNeedsTheTokenOffLoopback) {
  ServerOptions options;
  options.trust_loopback = false;
  options.admin_token = "0123456789abcdef";
  start(options);
  WsClient anonymous(url());
  EXPECT_THROW(anonymous.call("admin_only"), RpcError);
  ClientOptions with_token;
  with_token.bearer_token = "0123456789abcdef";
  WsClient admin(url(), with_token);
  EXPECT_EQ(admin.call("admin_only"), "granted");
}

TEST_F(WsTest, StopClosesClientsAndRefusesPushes) {
  start();
  WsClient client(url());
  client.call("remember_sink");
  server_->stop();
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) (void)client.next_message(10s);
      },
      TransportError);
  auto sink = holder_.get();
  EXPECT_TRUE(!sink || !sink->push(Json{{"jsonrpc", "2.0"}, {"method", "late"}}));
}

TEST_F(WsTest, ClientRefusesBadUrlsAndClosedPorts) {
  EXPECT_THROW(WsClient("http://127.0.0.1:1"), std::invalid_argument);
  EXPECT_THROW(WsClient("wss://127.0.0.1:1"), std::invalid_argument);
  start();
  const auto port = server_->port();
  server_.reset();
  EXPECT_THROW(WsClient("ws://127.0.0.1:" + std::to_string(port)), TransportError);
}

}  // namespace
}  // namespace tally::rpc
