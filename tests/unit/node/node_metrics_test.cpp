// GET /metrics of a whole node over 127.0.0.1: the values follow what the
// node did (transactions in, blocks mined, RPC calls), JSON-RPC keeps
// working on the shared port, and other requests get clean errors. Also
// the reorg counting of NodeMetrics alone.

#include <optional>
#include <string>

#include "../chain/test_util.hpp"
#include "../rpc/rpc_test_util.hpp"
#include "chain/transaction.hpp"
#include "crypto/hex.hpp"
#include "node/node_metrics.hpp"
#include "node_test_util.hpp"
#include "rpc/client.hpp"

namespace tally::test {
namespace {

using rpc::Json;
using rpc::test::HttpReply;
using rpc::test::RawSocket;

HttpReply http_get(std::uint16_t port, const std::string& target, const std::string& verb = "GET") {
  RawSocket socket(port);
  EXPECT_TRUE(socket.send_all(verb + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"));
  auto reply = socket.read_response();
  EXPECT_TRUE(reply.has_value()) << verb << " " << target << ": no answer";
  return reply.value_or(HttpReply{});
}

class NodeMetricsTest : public NodeTest {
 protected:
  NodeMetricsTest() : NodeTest("node-metrics") {}

  node::NodeConfig metrics_config() const {
    auto config = base_config();
    config.rpc.enabled = true;
    config.rpc.port = 0;
    config.metrics.enabled = true;
    return config;
  }

  std::string scrape() {
    const auto reply = http_get(node_->metrics_port(), "/metrics");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.body;
  }
};

TEST_F(NodeMetricsTest, ValuesFollowTransactionsBlocksAndCalls) {
  start(metrics_config());
  ASSERT_EQ(node_->metrics_port(), node_->rpc_port());
  rpc::HttpClient client("http://127.0.0.1:" + std::to_string(node_->rpc_port()));

  std::string text = scrape();
  EXPECT_EQ(sample(text, "tally_chain_head_height"), 0.0);
  EXPECT_EQ(sample(text, "tally_txpool_pending"), 0.0);
  EXPECT_EQ(sample(text, "tally_chain_block_imports_total{result=\"new_head\"}"), 0.0);
  EXPECT_EQ(sample(text, "tally_rpc_requests_total{method=\"eth_sendRawTransaction\"}"), std::nullopt);
  EXPECT_NE(text.find("# TYPE tally_chain_reorgs_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("tally_build_info{version=\""), std::string::npos);
  // p2p is off in this node: its metrics are left out, not faked.
  EXPECT_EQ(sample(text, "tally_p2p_peers"), std::nullopt);

  const auto tx = transfer(0, Address{0x42}, ether(), 0);
  client.call("eth_sendRawTransaction", Json::array({to_hex_prefixed(chain::encode(tx))}));
  text = scrape();
  EXPECT_EQ(sample(text, "tally_txpool_pending"), 1.0);
  EXPECT_EQ(sample(text, "tally_txpool_queued"), 0.0);
  EXPECT_GT(sample(text, "tally_txpool_journal_bytes").value_or(0), 0.0);
  EXPECT_EQ(sample(text, "tally_rpc_requests_total{method=\"eth_sendRawTransaction\"}"), 1.0);
  EXPECT_EQ(sample(text, "tally_rpc_errors_total{method=\"eth_sendRawTransaction\"}"), 0.0);

  ASSERT_TRUE(node_->miner().mine_now(1, Address{0xaa}).ok());
  EXPECT_THROW(client.call("no_such_method"), rpc::RpcError);
  text = scrape();
  EXPECT_EQ(sample(text, "tally_chain_head_height"), 1.0);
  EXPECT_EQ(sample(text, "tally_txpool_pending"), 0.0);
  EXPECT_EQ(sample(text, "tally_chain_block_imports_total{result=\"new_head\"}"), 1.0);
  EXPECT_EQ(sample(text, "tally_chain_block_imports_total{result=\"invalid\"}"), 0.0);
  EXPECT_EQ(sample(text, "tally_miner_blocks_mined_total"), 1.0);
  EXPECT_EQ(sample(text, "tally_chain_reorgs_total"), 0.0);
  EXPECT_EQ(sample(text, "tally_rpc_requests_total{method=\"other\"}"), 1.0);
  EXPECT_EQ(sample(text, "tally_rpc_errors_total{method=\"other\"}"), 1.0);
  EXPECT_GE(sample(text, "tally_rpc_http_requests_total").value_or(0), 2.0);
  EXPECT_GE(sample(text, "tally_uptime_seconds").value_or(-1), 0.0);
}

TEST_F(NodeMetricsTest, SharedPortStillServesJsonRpcAndRefusesOtherRequestsCleanly) {
  start(metrics_config());
  const auto port = node_->rpc_port();

  const auto metrics = http_get(port, "/metrics?debug=1");  // a query string is ignored
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");

  // JSON-RPC on the same port, on any path (POST /metrics included).
  RawSocket socket(port);
  ASSERT_TRUE(socket.send_all(rpc::test::http_post(R"({"jsonrpc":"2.0","id":1,"method":"eth_chainId"})")));
  auto reply = socket.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(Json::parse(reply->body)["result"], "0x539");
  std::string post = rpc::test::http_post(R"({"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"})");
  post.replace(0, 6, "POST /metrics");
  ASSERT_TRUE(socket.send_all(post));
  reply = socket.read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(Json::parse(reply->body)["result"], "0x0");

  // Other paths and verbs: the JSON-RPC server's usual 405.
  for (const auto& [verb, target] : {std::pair<std::string, std::string>{"GET", "/"},
                                     {"GET", "/metricsx"},
                                     {"DELETE", "/metrics"},
                                     {"PUT", "/metrics"}}) {
    const auto refused = http_get(port, target, verb);
    EXPECT_EQ(refused.status, 405) << verb << " " << target;
    EXPECT_EQ(refused.header("allow"), "POST");
    EXPECT_EQ(Json::parse(refused.body)["error"]["code"], rpc::code::kInvalidRequest);
  }
}

TEST_F(NodeMetricsTest, OwnPortServesOnlyMetrics) {
  auto config = metrics_config();
  config.metrics.port = 0;  // a listener of its own, ephemeral port
  start(config);
  const auto port = node_->metrics_port();
  ASSERT_NE(port, 0);
  ASSERT_NE(port, node_->rpc_port());

  const auto metrics = http_get(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(sample(metrics.body, "tally_chain_head_height"), 0.0);

  const auto missing = http_get(port, "/");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("GET /metrics"), std::string::npos);
  const auto post = http_get(port, "/metrics", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET");

  // The JSON-RPC port does not serve metrics, and still serves JSON-RPC.
  EXPECT_EQ(http_get(node_->rpc_port(), "/metrics").status, 405);
  rpc::HttpClient client("http://127.0.0.1:" + std::to_string(node_->rpc_port()));
  EXPECT_EQ(client.call("eth_chainId"), "0x539");
}

TEST_F(NodeMetricsTest, OffByDefault) {
  auto config = base_config();
  config.rpc.enabled = true;
  config.rpc.port = 0;
  start(config);
  EXPECT_EQ(node_->metrics_port(), 0);
  EXPECT_EQ(http_get(node_->rpc_port(), "/metrics").status, 405);
}

TEST_F(NodeMetricsTest, SharedPortWithoutRpcIsRefusedWithTheFix) {
  auto config = metrics_config();
  config.rpc.enabled = false;
  auto opened = node::Node::open(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("--metrics-port"), std::string::npos) << opened.error().message;
}

TEST(NodeMetricsAlone, ReorgsAreCountedWithTheirDepth) {
  node::NodeMetrics metrics;
  chain::HeadChange extension;
  extension.added.resize(1);
  metrics.on_head_change(extension);
  chain::HeadChange reorg;
  reorg.removed.resize(3);
  reorg.added.resize(4);
  metrics.on_head_change(reorg);
  EXPECT_EQ(metrics.reorgs(), 1U);

  const auto text = metrics.render({});
  EXPECT_EQ(sample(text, "tally_chain_reorgs_total"), 1.0);
  EXPECT_EQ(sample(text, "tally_chain_reorg_depth_bucket{le=\"2\"}"), 0.0);
  EXPECT_EQ(sample(text, "tally_chain_reorg_depth_bucket{le=\"3\"}"), 1.0);
  EXPECT_EQ(sample(text, "tally_chain_reorg_depth_bucket{le=\"+Inf\"}"), 1.0);
  EXPECT_EQ(sample(text, "tally_chain_reorg_depth_sum"), 3.0);
  EXPECT_EQ(sample(text, "tally_chain_reorg_depth_count"), 1.0);
  // Parts that are absent are left out.
  EXPECT_EQ(sample(text, "tally_chain_head_height"), std::nullopt);
}

}  // namespace
}  // namespace tally::test
