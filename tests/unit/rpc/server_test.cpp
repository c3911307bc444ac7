// The HTTP side of the server over real sockets on 127.0.0.1: keep-alive,
// limits, status codes, slow clients, connection limit, CORS and admin
// authorization.

#include "rpc/server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "rpc/client.hpp"
#include "rpc_test_util.hpp"

namespace tally::rpc {
namespace {

using test::RawSocket;

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.port = 0;
    options.log = [](const std::string&) {};
    server_ = std::make_unique<Server>(methods_, std::move(options));
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    ASSERT_NE(server_->port(), 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  Json call(const std::string& method, Json params = Json::array()) {
    HttpClient client(url());
    return client.call(method, std::move(params));
  }
  test::HttpReply post(const std::string& body, const std::string& headers = "",
                       const std::string& content_type = "application/json") {
    RawSocket socket(server_->port());
    EXPECT_TRUE(socket.send_all(test::http_post(body, headers, content_type)));
    auto reply = socket.read_response();
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(test::HttpReply{});
  }

  MethodTable methods_ = test::test_methods();
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, AnswersPostWithJson) {
  start();
  const auto reply = post(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[2,2]})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(Json::parse(reply.body)["result"], 4);
  EXPECT_TRUE(reply.header("access-control-allow-origin").empty());
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  RawSocket socket(server_->port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(socket.send_all(test::http_post(std::string(R"({"jsonrpc":"2.0","id":)").append(std::to_string(i)) +
                                                R"(,"method":"add","params":[1,)" + std::to_string(i) + "]}")));
    const auto reply = socket.read_response();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(Json::parse(reply->body)["result"], 1 + i);
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1U);
  EXPECT_EQ(server_->stats().http_requests, 5U);
}

TEST_F(ServerTest, AnswersBatchAndNotification) {
  start();
  const auto batch =
      post(R"([{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},{"jsonrpc":"2.0","method":"echo"}])");
  EXPECT_EQ(batch.status, 200);
  EXPECT_EQ(Json::parse(batch.body).size(), 1U);
  const auto notification = post(R"({"jsonrpc":"2.0","method":"echo"})");
  EXPECT_EQ(notification.status, 200);
  EXPECT_TRUE(notification.body.empty());
}

TEST_F(ServerTest, OversizedBodyGets413AndOthersAreStillServed) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  RawSocket socket(server_->port());
  ASSERT_TRUE(
      socket.send_all("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100000\r\n\r\n" +
                      std::string(2000, ' ')));
  const auto reply = socket.read_response();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 413);
  const auto body = Json::parse(reply->body);
  EXPECT_EQ(body["error"]["code"], code::kInvalidRequest);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("1024"), std::string::npos);
  EXPECT_TRUE(socket.wait_closed());
  EXPECT_EQ(call("add", {1, 2}), 3);

  // The client sees the status, not a reset connection.
  HttpClient client(url());
  try {
    client.call("echo", Json::array({std::string(5000, 'a')}));
    ADD_FAILURE() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("413"), std::string::npos) << e.what();
  }
}

TEST_F(ServerTest, GetIsMethodNotAllowed) {
  start();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.send_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto reply = socket.read_response();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 405);
  EXPECT_EQ(reply->header("allow"), "POST");
  EXPECT_EQ(Json::parse(reply->body)["error"]["code"], code::kInvalidRequest);
  // The connection stays usable.
  ASSERT_TRUE(socket.send_all(test::http_post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})")));
  EXPECT_EQ(socket.read_response().value_or(test::HttpReply{}).status, 200);
}

TEST_F(ServerTest, ContentTypeMustBeJson) {
  start();
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "", "application/json; charset=UTF-8").status, 200);
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "", "Application/JSON").status, 200);
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "", "application/json-rpc").status, 200);
  const auto plain = post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "", "text/plain");
  EXPECT_EQ(plain.status, 415);
  EXPECT_TRUE(Json::parse(plain.body).contains("error"));
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "", "").status, 415);
}

TEST_F(ServerTest, MalformedHttpGets400) {
  start();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.send_all("BLAH\x01 / HTTP/9.9\r\n\r\n"));
  const auto reply = socket.read_response();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 400);
  EXPECT_TRUE(socket.wait_closed());
}

TEST_F(ServerTest, SilentConnectionsDoNotBlockOthers) {
  start();
  std::vector<std::unique_ptr<RawSocket>> silent;
  for (int i = 0; i < 60; ++i) {
    silent.push_back(std::make_unique<RawSocket>(server_->port()));
    if (i % 2 == 0) {
      ASSERT_TRUE(silent.back()->send_all("POST / HTTP/1.1\r\nContent-Length: 10\r\n"));
    }
  }
  HttpClient client(url());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.call("add", {i, 1}), i + 1);
  EXPECT_TRUE(test::wait_until([&] { return server_->stats().open_connections == 61U; }));
}

TEST_F(ServerTest, IdleConnectionIsClosedAfterTheTimeout) {
  ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(200);
  start(options);
  RawSocket idle(server_->port());
  EXPECT_TRUE(idle.wait_closed());
  RawSocket partial(server_->port());
  ASSERT_TRUE(partial.send_all("POST / HTTP/1.1\r\n"));
  EXPECT_TRUE(partial.wait_closed());
  EXPECT_TRUE(test::wait_until([&] { return server_->stats().open_connections == 0U; }));
}

TEST_F(ServerTest, ConnectionLimitIsHonoured) {
  ServerOptions options;
  options.max_connections = 3;
  start(options);
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawSocket>(server_->port()));
    ASSERT_TRUE(held.back()->send_all(test::http_post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})")));
    ASSERT_TRUE(held.back()->read_response().has_value());
  }
  RawSocket extra(server_->port());
  EXPECT_TRUE(extra.wait_closed());
  EXPECT_GE(server_->stats().connections_refused, 1U);
  EXPECT_EQ(server_->stats().open_connections, 3U);

  held.front()->close();
  ASSERT_TRUE(test::wait_until([&] { return server_->stats().open_connections == 2U; }));
  EXPECT_EQ(call("add", {2, 3}), 5);
}

TEST_F(ServerTest, CorsOffSendsNoHeadersAndRefusesPreflight) {
  start();
  const auto reply = post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "Origin: http://app.example\r\n");
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.header("access-control-allow-origin").empty());
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.send_all("OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: http://app.example\r\n\r\n"));
  EXPECT_EQ(socket.read_response().value_or(test::HttpReply{}).status, 405);
}

TEST_F(ServerTest, CorsOnAnswersPreflightAndAllowedOrigins) {
  ServerOptions options;
  options.cors_origins = {"http://app.example"};
  start(options);
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.send_all(
      "OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: http://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n"));
  const auto preflight = socket.read_response();
  ASSERT_TRUE(preflight.has_value());
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->header("access-control-allow-origin"), "http://app.example");
  EXPECT_NE(preflight->header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(preflight->header("access-control-allow-headers").find("Content-Type"), std::string::npos);

  const auto allowed = post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "Origin: http://app.example\r\n");
  EXPECT_EQ(allowed.header("access-control-allow-origin"), "http://app.example");
  const auto other = post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "Origin: http://evil.example\r\n");
  EXPECT_EQ(other.status, 200);
  EXPECT_TRUE(other.header("access-control-allow-origin").empty());
}

TEST_F(ServerTest, CorsWildcardAllowsAnyOrigin) {
  ServerOptions options;
  options.cors_origins = {"*"};
  start(options);
  const auto reply = post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})", "Origin: http://any.example\r\n");
  EXPECT_EQ(reply.header("access-control-allow-origin"), "*");
}

TEST_F(ServerTest, LoopbackBindMakesEveryRequestAdmin) {
  start();
  EXPECT_EQ(call("admin_only"), "granted");
  EXPECT_EQ(call("context")["admin"], true);
  EXPECT_EQ(call("context")["max_subscriptions"], ServerOptions{}.max_subscriptions_per_connection);
}

TEST_F(ServerTest, WithoutLoopbackTrustAdminNeedsTheToken) {
  ServerOptions options;
  options.trust_loopback = false;
  options.admin_token = std::string(64, 'a');
  start(options);
  HttpClient anonymous(url());
  try {
    anonymous.call("admin_only");
    ADD_FAILURE() << "expected an RpcError";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), code::kUnauthorized);
  }
  EXPECT_EQ(anonymous.call("echo", {1}), Json::array({1}));  // open methods stay open

  ClientOptions wrong;
  wrong.bearer_token = std::string(64, 'b');
  EXPECT_THROW(HttpClient(url(), wrong).call("admin_only"), RpcError);

  ClientOptions right;
  right.bearer_token = std::string(64, 'a');
  EXPECT_EQ(HttpClient(url(), right).call("admin_only"), "granted");
}

TEST_F(ServerTest, NoTokenConfiguredMeansNoAdminOffLoopback) {
  ServerOptions options;
  options.trust_loopback = false;
  start(options);
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.send_all(
      test::http_post(R"({"jsonrpc":"2.0","id":1,"method":"admin_only"})", "Authorization: Bearer \r\n")));
  const auto reply = socket.read_response();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Json::parse(reply->body)["error"]["code"], code::kUnauthorized);
}

TEST_F(ServerTest, StartReportsAPortInUse) {
  start();
  ServerOptions options;
  options.port = server_->port();
  options.log = [](const std::string&) {};
  Server second(methods_, options);
  const auto started = second.start();
  ASSERT_FALSE(started.ok());
  const auto& message = started.error().message;
  EXPECT_NE(message.find("cannot listen on 127.0.0.1:" + std::to_string(server_->port())), std::string::npos)
      << message;
  EXPECT_NE(message.find("in use"), std::string::npos) << message;
}

TEST_F(ServerTest, StartRefusesABadBindAddress) {
  ServerOptions options;
  options.bind_address = "not-an-address";
  Server server(methods_, options);
  const auto started = server.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("not-an-address"), std::string::npos);
}

TEST_F(ServerTest, StopIsIdempotentAndClosesConnections) {
  start();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.send_all(test::http_post(R"({"jsonrpc":"2.0","id":1,"method":"echo"})")));
  ASSERT_TRUE(socket.read_response().has_value());
  server_->stop();
  EXPECT_TRUE(socket.wait_closed());
  server_->stop();
  EXPECT_EQ(server_->stats().open_connections, 0U);
}

}  // namespace
}  // namespace tally::rpc
