// Bad input never crashes a method and never escapes as anything but an
// RpcError: every method gets every odd parameter shape.

#include <string>
#include <vector>

#include "eth_test_util.hpp"

namespace tally::test {
namespace {

using rpc::Json;

const std::vector<std::string> kMethods = {"web3_clientVersion",
                                           "web3_sha3",
                                           "net_version",
                                           "net_listening",
                                           "net_peerCount",
                                           "eth_chainId",
                                           "eth_blockNumber",
                                           "eth_syncing",
                                           "eth_accounts",
                                           "eth_getBalance",
                                           "eth_getTransactionCount",
                                           "eth_getCode",
                                           "eth_getStorageAt",
                                           "txpool_status",
                                           "txpool_content",
                                           "eth_getWork",
                                           "eth_submitWork",
                                           "eth_mining",
                                           "eth_hashrate",
                                           "eth_coinbase",
                                           "miner_start",
                                           "miner_stop",
                                           "miner_setEtherbase",
                                           "tally_mine",
                                           "anvil_mine",
                                           "hardhat_mine",
                                           "evm_mine",
                                           "admin_nodeInfo",
                                           "admin_peers",
                                           "admin_addPeer",
                                           "tally_consensusStatus",
                                           "eth_subscribe",
                                           "eth_unsubscribe",
                                           "eth_getBlockByNumber",
                                           "eth_getBlockByHash",
                                           "eth_getBlockTransactionCountByNumber",
                                           "eth_getBlockTransactionCountByHash",
                                           "eth_getUncleCountByBlockNumber",
                                           "eth_getUncleCountByBlockHash",
                                           "eth_getUncleByBlockNumberAndIndex",
                                           "eth_getUncleByBlockHashAndIndex",
                                           "eth_getBlockReceipts",
                                           "eth_getTransactionByHash",
                                           "eth_getTransactionReceipt",
                                           "eth_getTransactionByBlockNumberAndIndex",
                                           "eth_getTransactionByBlockHashAndIndex",
                                           "eth_sendRawTransaction",
                                           "eth_call",
                                           "eth_estimateGas",
                                           "eth_getLogs",
                                           "eth_maxPriorityFeePerGas",
                                           "eth_gasPrice",
                                           "eth_feeHistory"};

std::vector<Json> odd_params() {
  const std::string big = "0x1" + std::string(64, '0');  // 2^256
  const Json values[] = {nullptr,
                         true,
                         -1,
                         1.5,
                         "",
                         "0x",
                         "0x00",
                         "latest",
                         "pending",
                         big,
                         "0x" + std::string(64, 'f'),
                         "0x" + std::string(40, 'a'),
                         Json::array(),
                         Json::object(),
                         {{"blockHash", 5}},
                         {{"blockNumber", big}},
                         {{"to", "0x12"}, {"value", big}},
                         {{"to", "0x" + std::string(40, '1')}, {"value", "0x" + std::string(64, 'f')}},
                         {{"accessList", {{{"address", 1}}}}},
                         {{"topics", {{1, 2}}}},
                         {{"blocks", -3}},
                         Json::array({Json::array({Json::array()})})};
  std::vector<Json> out = {Json(nullptr), Json::object(), Json("x"), Json::array()};
  for (const auto& a : values) {
    out.push_back(Json::array({a}));
    for (const auto& b : values) out.push_back(Json::array({a, b}));
    out.push_back(Json::array({a, "latest", a}));
  }
  return out;
}

class EthRobustnessTest : public EthApiTest {};

TEST_F(EthRobustnessTest, EveryMethodAnswersOddParamsWithAResultOrAnRpcError) {
  ASSERT_EQ(table_.size(), kMethods.size());
  auto sink = std::make_shared<RecordingSink>(9);
  rpc::CallContext ws;
  ws.admin = true;
  ws.sink = sink;
  ws.max_subscriptions = 4;
  const auto shapes = odd_params();
  std::size_t errors = 0;
  for (const auto& method : kMethods) {
    ASSERT_NE(table_.find(method), nullptr) << method;
    for (const auto& params : shapes) {
      try {
        (void)call_in(ws, method, params);
      } catch (const rpc::RpcError& error) {
        ++errors;
        EXPECT_NE(error.code(), rpc::code::kInternal) << method << " " << params.dump();
      } catch (const std::exception& error) {
        ADD_FAILURE() << method << " " << params.dump() << " threw " << error.what();
      }
    }
  }
  EXPECT_GT(errors, kMethods.size());  // the odd shapes are mostly refused
}

}  // namespace
}  // namespace tally::test
