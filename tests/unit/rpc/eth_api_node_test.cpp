// web3_/net_, fees, eth_call and eth_estimateGas, eth_getLogs, raw
// submission, txpool_, mining, admin_ and tally_ methods.

#include "chain/execution.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "eth_test_util.hpp"
#include "rpc/jsonrpc.hpp"

namespace tally::test {
namespace {

using rpc::Json;

Address recipient() {
  Address a{};
  a.fill(0x11);
  return a;
}

chain::Transaction tipped_transfer(std::uint32_t from, std::uint64_t nonce, const U256& tip) {
  chain::Transaction tx = transfer(from, recipient(), 1, nonce);
  tx.max_priority_fee_per_gas = tip;
  tx.max_fee_per_gas = 10 * gwei();
  chain::sign(tx, dev_key(from));
  return tx;
}

class EthNodeTest : public EthApiTest {};

TEST_F(EthNodeTest, Web3AndNet) {
  EXPECT_EQ(call("web3_clientVersion"), "tally/v0.1.0/linux-x86_64");
  EXPECT_EQ(call("web3_sha3", {"0x68656c6c6f20776f726c64"}),
            "0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad");
  EXPECT_EQ(call("net_version"), "1337");
  EXPECT_EQ(call("eth_chainId"), "0x539");
  EXPECT_EQ(call("net_listening"), true);
  info_.listen.clear();
  EXPECT_EQ(call("net_listening"), false);
  EXPECT_EQ(call("net_peerCount"), "0x0");
  info_.peer_list.push_back(rpc::PeerInfo{"0xab", "tally/x", "10.0.0.1:30303", true, 7});
  EXPECT_EQ(call("net_peerCount"), "0x1");
  EXPECT_EQ(call("eth_accounts"), Json::array());
  EXPECT_EQ(call("eth_syncing"), false);
  info_.sync = rpc::SyncStatus{1, 5, 9};
  EXPECT_EQ(call("eth_syncing"), (Json{{"startingBlock", "0x1"}, {"currentBlock", "0x5"}, {"highestBlock", "0x9"}}));
}

TEST_F(EthNodeTest, TipSuggestionDefaultsToOneGweiThenFollowsPaidTips) {
  EXPECT_EQ(call("eth_maxPriorityFeePerGas"), "0x3b9aca00");
  const auto genesis = chain_->head_header();
  EXPECT_EQ(call("eth_gasPrice"), rpc::quantity(chain::next_base_fee(genesis) + gwei()));

  mine({tipped_transfer(0, 0, 3 * gwei()), tipped_transfer(1, 0, 3 * gwei())});
  EXPECT_EQ(call("eth_maxPriorityFeePerGas"), "0xb2d05e00");  // 3 gwei
  EXPECT_EQ(call("eth_gasPrice"), rpc::quantity(chain::next_base_fee(chain_->head_header()) + 3 * gwei()));
  EXPECT_EQ(api_->suggested_tip(), 3 * gwei());
  EXPECT_EQ(fails("eth_gasPrice", {1}).code, rpc::code::kInvalidParams);
}

TEST_F(EthNodeTest, FeeHistoryReportsBaseFeesRatiosAndRewards) {
  const auto genesis = chain_->head_header();
  mine({tipped_transfer(0, 0, 3 * gwei()), tipped_transfer(1, 0, 5 * gwei())});
  const auto head = chain_->head_header();
  const Json history = call("eth_feeHistory", {"0x2", "latest", {0, 50, 100}});
  EXPECT_EQ(history["oldestBlock"], "0x0");
  EXPECT_EQ(history["baseFeePerGas"],
            Json::array({"0x3b9aca00", "0x342770c0", rpc::quantity(chain::next_base_fee(head))}));
  ASSERT_EQ(history["gasUsedRatio"].size(), 2U);
  EXPECT_EQ(history["gasUsedRatio"][0].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(history["gasUsedRatio"][1].get<double>(), 42'000.0 / 30'000'000.0);
  EXPECT_EQ(history["reward"], Json::array({Json::array({"0x0", "0x0", "0x0"}),
                                            Json::array({"0xb2d05e00", "0xb2d05e00", "0x12a05f200"})}));

  // Block counts: decimal strings and numbers too; clamped to what exists.
  EXPECT_EQ(call("eth_feeHistory", {"2", "0x1"})["oldestBlock"], "0x0");
  EXPECT_EQ(call("eth_feeHistory", {5000, "latest"})["baseFeePerGas"].size(), 3U);
  EXPECT_FALSE(call("eth_feeHistory", {1, "latest"}).contains("reward"));
  EXPECT_EQ(call("eth_feeHistory", {"0x0", "latest"}), (Json{{"oldestBlock", "0x0"}}));
  (void)genesis;

  EXPECT_EQ(fails("eth_feeHistory", {"0x1", "0x5"}).message, "request beyond head block: requested 5, head 1");
  EXPECT_EQ(fails("eth_feeHistory", {"0x1", "latest", {50, 10}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_feeHistory", {"0x1", "latest", {101}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_feeHistory", {"0x1", "latest", {"x"}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_feeHistory", {-1, "latest"}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_feeHistory", {"0x01", "latest"}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_feeHistory", {"0x1"}).message, "missing value for required argument 1");
  Json many = Json::array();
  for (int i = 0; i < 101; ++i) many.push_back(50);
  EXPECT_EQ(fails("eth_feeHistory", {"0x1", "latest", many}).code, rpc::code::kInvalidParams);
}

TEST_F(EthNodeTest, CallChecksTheTransferIsAffordable) {
  const std::string dev0 = rpc::address_hex(dev_address(0));
  const std::string to = rpc::address_hex(recipient());
  EXPECT_EQ(call("eth_call", {{{"from", dev0}, {"to", to}, {"value", "0x1"}}, "latest"}), "0x");
  EXPECT_EQ(call("eth_call", {{{"to", to}}}), "0x");  // from defaults to the zero address, value 0

  const auto poor = fails("eth_call", {{{"to", to}, {"value", "0x1"}}, "latest"});
  EXPECT_EQ(poor.code, rpc::code::kServerError);
  EXPECT_EQ(poor.message,
            "insufficient funds for gas * price + value: address 0x" + std::string(40, '0') + " have 0 want 1");
  const auto creation = fails("eth_call", {{{"from", dev0}, {"data", "0x6000"}}, "latest"});
  EXPECT_EQ(creation.code, rpc::code::kServerError);
  EXPECT_NE(creation.message.find("contract creation is not supported"), std::string::npos);
  EXPECT_EQ(fails("eth_call", {{{"from", dev0}, {"to", to}, {"gas", "0x5207"}}}).message,
            "intrinsic gas too low: have 20999, want 21000");
  EXPECT_EQ(fails("eth_call", {{{"to", to}, {"gasPrice", "0x1"}, {"maxFeePerGas", "0x1"}}}).code,
            rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_call", {{{"to", to}, {"data", "0x01"}, {"input", "0x02"}}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_call", {{{"to", to}}, "latest", {{"0x00", {}}}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_call", {"0x1"}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_call", {{{"to", to}}, "0x99"}).message, "header not found");
}

TEST_F(EthNodeTest, EstimateGasIsTheIntrinsicGas) {
  const std::string dev0 = rpc::address_hex(dev_address(0));
  const std::string to = rpc::address_hex(recipient());
  EXPECT_EQ(call("eth_estimateGas", {{{"from", dev0}, {"to", to}, {"value", "0x1"}}}), "0x5208");
  // A zero and a non-zero data byte: 21000 + 4 + 16.
  EXPECT_EQ(call("eth_estimateGas", {{{"from", dev0}, {"to", to}, {"input", "0x0001"}}}), "0x521c");
  Json entry = Json::object();
  entry["address"] = to;
  entry["storageKeys"] = Json::array({"0x" + std::string(64, '0')});
  Json with_list = Json::object();
  with_list["from"] = dev0;
  with_list["to"] = to;
  with_list["accessList"] = Json::array({entry});
  EXPECT_EQ(call("eth_estimateGas", Json::array({with_list})), rpc::quantity(std::uint64_t{21'000 + 2'400 + 1'900}));

  const auto poor = fails("eth_estimateGas", {{{"to", to}, {"value", "0x1"}}});
  EXPECT_EQ(poor.code, rpc::code::kServerError);
  EXPECT_EQ(poor.message, "insufficient funds for transfer");
  EXPECT_NE(fails("eth_estimateGas", {{{"from", dev0}}}).message.find("contract creation is not supported"),
            std::string::npos);
  EXPECT_EQ(fails("eth_estimateGas", {{{"from", dev0}, {"to", to}, {"input", "0x01"}, {"gas", "0x5208"}}}).message,
            "gas required exceeds allowance (21000)");
  // The balance after the value pays for less gas than needed.
  const std::string rich = "0x21e19e0c9bab2400000";
  EXPECT_EQ(fails("eth_estimateGas", {{{"from", dev0}, {"to", to}, {"value", rich}, {"gasPrice", "0x1"}}}).message,
            "gas required exceeds allowance (0)");
}

TEST_F(EthNodeTest, GetLogsValidatesTheFilterAndFindsNothing) {
  mine({});
  const std::string topic = "0x" + std::string(64, 'c');
  const std::string address = rpc::address_hex(recipient());
  EXPECT_EQ(call("eth_getLogs", Json::array({Json::object()})), Json::array());
  EXPECT_EQ(call("eth_getLogs", {{{"fromBlock", "0x0"},
                                  {"toBlock", "latest"},
                                  {"address", {address}},
                                  {"topics", {topic, nullptr, {topic, nullptr}}}}}),
            Json::array());
  EXPECT_EQ(call("eth_getLogs", {{{"blockHash", rpc::hash_hex(chain_->head().hash)}, {"address", address}}}),
            Json::array());

  EXPECT_EQ(fails("eth_getLogs", {{{"fromBlock", "0x1"}, {"toBlock", "0x0"}}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_getLogs", {{{"topics", {topic, topic, topic, topic, topic}}}}).message,
            "invalid argument 0: exceed max topics (4)");
  EXPECT_EQ(fails("eth_getLogs", {{{"blockHash", topic}, {"fromBlock", "0x0"}}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_getLogs", {{{"blockHash", topic}}}).message, "unknown block");
  EXPECT_EQ(fails("eth_getLogs", {{{"address", "0x12"}}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_getLogs", {{{"topics", {"0x12"}}}}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_getLogs", {"latest"}).code, rpc::code::kInvalidParams);
}

TEST_F(EthNodeTest, SendRawTransactionGoesToThePool) {
  const auto tx = transfer(0, recipient(), 1, 0);
  const std::string raw = to_hex_prefixed(chain::encode(tx));
  EXPECT_EQ(call("eth_sendRawTransaction", {raw}), rpc::hash_hex(chain::tx_hash(tx)));
  ASSERT_EQ(pool_.pending.size(), 1U);

  pool_.refusal = "nonce too low: next nonce 1, tx nonce 0";
  const auto refused = fails("eth_sendRawTransaction", {raw});
  EXPECT_EQ(refused.code, rpc::code::kServerError);
  EXPECT_EQ(refused.message, "nonce too low: next nonce 1, tx nonce 0");
  EXPECT_EQ(fails("eth_sendRawTransaction", {"0x123"}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_sendRawTransaction", {"0x" + std::string(2 * (128 * 1024 + 1), 'a')}).code,
            rpc::code::kInvalidParams);
}

TEST_F(EthNodeTest, TxpoolStatusAndContentUseGethsShape) {
  const auto a = transfer(0, recipient(), 1, 0);
  const auto b = transfer(0, recipient(), 1, 2);
  pool_.add(a, dev_address(0), true);
  pool_.add(b, dev_address(0), false);
  EXPECT_EQ(call("txpool_status"), (Json{{"pending", "0x1"}, {"queued", "0x1"}}));
  const Json content = call("txpool_content");
  const std::string key = crypto::to_checksum_address(dev_address(0));
  ASSERT_TRUE(content["pending"].contains(key)) << content.dump();
  EXPECT_EQ(content["pending"][key]["0"]["hash"], rpc::hash_hex(chain::tx_hash(a)));
  EXPECT_EQ(content["pending"][key]["0"]["blockHash"], nullptr);
  EXPECT_EQ(content["queued"][key]["2"]["nonce"], "0x2");
  EXPECT_EQ(content["pending"].size(), 1U);
}

TEST_F(EthNodeTest, RemoteMiningWork) {
  const auto none = fails("eth_getWork", Json::array());
  EXPECT_EQ(none.code, rpc::code::kServerError);
  EXPECT_NE(none.message.find("no etherbase"), std::string::npos);
  const std::string beneficiary = rpc::address_hex(recipient());
  const Json work = call("eth_getWork", {beneficiary});
  ASSERT_EQ(work.size(), 4U);
  EXPECT_EQ(work[0], "0x5e" + std::string(62, '0'));
  EXPECT_EQ(work[1], "0x" + std::string(64, '0'));
  EXPECT_EQ(work[2], "0x000f" + std::string(60, '0'));
  EXPECT_EQ(work[3], "0x1");
  EXPECT_EQ(miner_->last_work_beneficiary, recipient());

  const std::string seal = "0x5e" + std::string(62, '0');
  const std::string mix = "0x" + std::string(64, '0');
  EXPECT_EQ(call("eth_submitWork", {"0x000000000000002a", seal, mix}), true);
  EXPECT_EQ(call("eth_submitWork", {"0x000000000000002b", seal, mix}), false);
  EXPECT_EQ(miner_->last_nonce, 0x2bU);
  EXPECT_EQ(fails("eth_submitWork", {"0x2a", seal, mix}).message,
            "invalid argument 0: hex string has length 2, want 16 for nonce");
  EXPECT_EQ(fails("eth_submitWork", {"0x000000000000002a", seal}).code, rpc::code::kInvalidParams);
}

TEST_F(EthNodeTest, MinerControl) {
  EXPECT_EQ(call("eth_mining"), false);
  EXPECT_EQ(call("miner_start", {2}), nullptr);
  EXPECT_EQ(miner_->started_threads, 2U);
  EXPECT_EQ(call("eth_mining"), true);
  EXPECT_EQ(call("miner_stop"), nullptr);
  EXPECT_EQ(call("eth_mining"), false);
  EXPECT_EQ(call("eth_hashrate"), "0x4d2");
  EXPECT_EQ(fails("eth_coinbase", Json::array()).code, rpc::code::kServerError);
  EXPECT_EQ(call("miner_setEtherbase", {rpc::address_hex(recipient())}), true);
  EXPECT_EQ(call("eth_coinbase"), rpc::address_hex(recipient()));
  EXPECT_EQ(fails("miner_setEtherbase", {"0x11"}).code, rpc::code::kInvalidParams);
}

TEST_F(EthNodeTest, InstantMiningAndItsAliases) {
  const auto none = fails("tally_mine", Json::array());
  EXPECT_NE(none.message.find("no etherbase"), std::string::npos);
  const Json hashes = call("tally_mine", {"0x2", rpc::address_hex(recipient())});
  ASSERT_EQ(hashes.size(), 2U);
  EXPECT_EQ(hashes[1], rpc::hash_hex(chain_->head().hash));
  EXPECT_EQ(chain_->head().number, 2U);
  EXPECT_EQ(call("eth_getBlockByNumber", {"0x1", false})["miner"], rpc::address_hex(recipient()));

  (void)call("miner_setEtherbase", {rpc::address_hex(recipient())});
  const Json one = call("tally_mine");
  EXPECT_EQ(one, Json::array({rpc::hash_hex(chain_->head().hash)}));
  EXPECT_EQ(call("anvil_mine", {"0x2", "0x1"}), nullptr);  // interval accepted, ignored
  EXPECT_EQ(chain_->head().number, 5U);
  EXPECT_EQ(call("hardhat_mine", {"0x1"}), true);
  EXPECT_EQ(call("evm_mine"), "0x0");
  EXPECT_EQ(call("evm_mine", {{{"timestamp", 100}, {"blocks", 2}}}), "0x0");
  EXPECT_EQ(chain_->head().number, 9U);

  EXPECT_EQ(fails("tally_mine", {"0x0"}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("tally_mine", {"0x3e9"}).code, rpc::code::kInvalidParams);  // above max_mine_count
  EXPECT_EQ(fails("tally_mine", {"0x1", "0x12"}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("anvil_mine", {"0x1", "0x1", "0x1"}).code, rpc::code::kInvalidParams);
}

TEST_F(EthNodeTest, AdminAndConsensusStatus) {
  info_.peer_list.push_back(rpc::PeerInfo{"0xab", "tally/x", "10.0.0.1:30303", true, 7});
  const Json node_info = call("admin_nodeInfo");
  EXPECT_EQ(node_info["id"], "0x01");
  EXPECT_EQ(node_info["listenAddr"], "127.0.0.1:30303");
  EXPECT_EQ(node_info["protocols"]["tally"]["genesis"], rpc::hash_hex(chain_->genesis_hash()));
  EXPECT_EQ(node_info["protocols"]["tally"]["network"], 1337);
  EXPECT_EQ(call("admin_peers"), Json::array({{{"id", "0xab"},
                                               {"name", "tally/x"},
                                               {"network", {{"remoteAddress", "10.0.0.1:30303"}, {"inbound", true}}},
                                               {"protocols", {{"tally", {{"headNumber", "0x7"}}}}}}}));
  EXPECT_EQ(call("admin_addPeer", {"10.0.0.2:30303"}), true);
  EXPECT_EQ(info_.added, std::vector<std::string>{"10.0.0.2:30303"});
  EXPECT_EQ(fails("admin_addPeer", {"nocolon"}).code, rpc::code::kServerError);
  EXPECT_EQ(fails("admin_addPeer", {7}).code, rpc::code::kInvalidParams);
  EXPECT_EQ(call("tally_consensusStatus"), (Json{{"engine", "pow"},
                                                 {"height", "0x5"},
                                                 {"view", "0x0"},
                                                 {"validators", {"0xaa" + std::string(38, '0')}},
                                                 {"lastFinal", "0x2"}}));
}

TEST_F(EthNodeTest, AdminMethodsAreRefusedWithoutAdminRights) {
  for (const char* method : {"admin_nodeInfo", "admin_peers", "admin_addPeer", "miner_start", "miner_stop",
                             "miner_setEtherbase", "tally_mine", "anvil_mine", "evm_mine", "hardhat_mine"}) {
    const rpc::Method* found = table_.find(method);
    ASSERT_NE(found, nullptr) << method;
    EXPECT_EQ(found->access, rpc::Access::admin) << method;
  }
  for (const char* method : {"eth_blockNumber", "eth_getWork", "eth_submitWork", "tally_consensusStatus",
                             "eth_sendRawTransaction", "txpool_content"}) {
    const rpc::Method* found = table_.find(method);
    ASSERT_NE(found, nullptr) << method;
    EXPECT_EQ(found->access, rpc::Access::open) << method;
  }
  // Through the JSON-RPC dispatcher, as the server calls it.
  rpc::CallContext outsider;
  const auto body =
      rpc::process_request(R"({"jsonrpc":"2.0","id":1,"method":"tally_mine","params":[]})", outsider, table_);
  ASSERT_TRUE(body.has_value());
  const Json response = Json::parse(*body);
  EXPECT_EQ(response["error"]["code"], rpc::code::kUnauthorized);
  EXPECT_EQ(chain_->head().number, 0U);
}

}  // namespace
}  // namespace tally::test
