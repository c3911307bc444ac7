// The real NodeClient against the real JSON-RPC server on 127.0.0.1 (an
// ephemeral port): answers, node errors and an unreachable node map to the
// wallet's errors and exit codes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rpc/server.hpp"
#include "wallet/errors.hpp"
#include "wallet/node_client.hpp"

namespace tally::wallet {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class HttpNodeClientTest : public ::testing::Test {
 protected:
  HttpNodeClientTest() {
    methods_.add("echo", rpc::Access::open, [](const rpc::Json& params, rpc::CallContext&) { return params; });
    methods_.add("refuse", rpc::Access::open, [](const rpc::Json&, rpc::CallContext&) -> rpc::Json {
      throw rpc::RpcError(rpc::code::kServerError, "insufficient funds for gas * price + value");
    });
    rpc::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.log = [](const std::string&) {};
    server_ = std::make_unique<rpc::Server>(methods_, options);
    auto started = server_->start();
    if (!started) throw std::runtime_error(started.error().message);
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  rpc::MethodTable methods_;
  std::unique_ptr<rpc::Server> server_;
  std::string url_;
};

TEST_F(HttpNodeClientTest, ReturnsTheResult) {
  auto client = make_http_node_client(url_, 5s);
  EXPECT_EQ(client->url(), url_);
  EXPECT_EQ(client->call("echo", Json::array({1, "two"})), Json::array({1, "two"}));
}

TEST_F(HttpNodeClientTest, NodeErrorBecomesNodeRefused) {
  auto client = make_http_node_client(url_, 5s);
  try {
    (void)client->call("refuse", Json::array());
    FAIL() << "no error";
  } catch (const NodeRefused& e) {
    EXPECT_EQ(e.code(), ExitCode::refused);
    EXPECT_EQ(e.rpc_code(), rpc::code::kServerError);
    EXPECT_EQ(e.method(), "refuse");
    EXPECT_EQ(e.node_message(), "insufficient funds for gas * price + value");
  }
  try {
    (void)client->call("no_such_method", Json::array());
    FAIL() << "no error";
  } catch (const NodeRefused& e) {
    EXPECT_EQ(e.rpc_code(), rpc::code::kMethodNotFound);
  }
}

TEST_F(HttpNodeClientTest, StoppedNodeIsUnreachable) {
  auto client = make_http_node_client(url_, 5s);
  server_->stop();
  try {
    (void)client->call("echo", Json::array());
    FAIL() << "no error";
  } catch (const NodeUnreachable& e) {
    EXPECT_EQ(e.code(), ExitCode::unreachable);
    EXPECT_THAT(e.what(), HasSubstr("cannot reach node at " + url_));
  }
}

TEST(HttpNodeClient, BadUrlIsAUsageError) {
  try {
    (void)make_http_node_client("ftp://example", 1s);
    FAIL() << "no error";
  } catch (const WalletError& e) {
    EXPECT_EQ(e.code(), ExitCode::error);
    EXPECT_THAT(e.what(), HasSubstr("bad --rpc URL"));
  }
}

}  // namespace
}  // namespace tally::wallet
