// A whole node behind its JSON-RPC server, driven with the RPC client as a
// wallet or miner would: transactions in, blocks out, work round trips.

#include "../chain/test_util.hpp"
#include "chain/transaction.hpp"
#include "consensus/pow/seal.hpp"
#include "crypto/hex.hpp"
#include "node_test_util.hpp"
#include "rpc/client.hpp"

namespace tally::test {
namespace {

using rpc::Json;

class NodeRpcTest : public NodeTest {
 protected:
  NodeRpcTest() : NodeTest("node-rpc") {}

  void SetUp() override {
    auto config = base_config();
    config.rpc.enabled = true;
    config.rpc.port = 0;
    start(config);
    client_ = std::make_unique<rpc::HttpClient>("http://127.0.0.1:" + std::to_string(node_->rpc_port()));
  }

  std::uint64_t block_number() { return std::stoull(client_->call("eth_blockNumber").get<std::string>(), nullptr, 16); }

  std::unique_ptr<rpc::HttpClient> client_;
};

TEST_F(NodeRpcTest, RawTransactionIsMinedOnRequestWithAReceipt) {
  EXPECT_EQ(client_->call("eth_chainId"), "0x539");
  const auto tx = transfer(0, Address{0x42}, ether(), 0);
  const std::string hash = client_->call("eth_sendRawTransaction", Json::array({to_hex_prefixed(chain::encode(tx))}));
  EXPECT_EQ(hash, to_hex_prefixed(chain::tx_hash(tx)));
  EXPECT_EQ(client_->call("eth_getTransactionCount", Json::array({to_hex_prefixed(dev_address(0)), "pending"})), "0x1");
  EXPECT_TRUE(client_->call("eth_getTransactionReceipt", Json::array({hash})).is_null());

  const Json mined = client_->call("tally_mine", Json::array({"0x1", to_hex_prefixed(Address{0xaa})}));
  ASSERT_TRUE(mined.is_array());
  ASSERT_EQ(mined.size(), 1U);
  EXPECT_EQ(block_number(), 1U);
  const Json receipt = client_->call("eth_getTransactionReceipt", Json::array({hash}));
  ASSERT_TRUE(receipt.is_object());
  EXPECT_EQ(receipt["status"], "0x1");
  EXPECT_EQ(receipt["blockHash"], mined[0]);
  EXPECT_EQ(receipt["gasUsed"], "0x5208");
  EXPECT_EQ(client_->call("eth_getBalance", Json::array({to_hex_prefixed(Address{0x42}), "latest"})),
            "0xde0b6b3a7640000");
}

TEST_F(NodeRpcTest, RefusedTransactionGetsTheEthereumMessage) {
  const auto tx = transfer(0, Address{0x42}, U256(100'000) * ether(), 0);
  try {
    client_->call("eth_sendRawTransaction", Json::array({to_hex_prefixed(chain::encode(tx))}));
    FAIL() << "accepted a transaction its sender cannot pay";
  } catch (const rpc::RpcError& e) {
    EXPECT_EQ(e.code(), rpc::code::kServerError);
    EXPECT_NE(std::string(e.what()).find("insufficient funds for gas * price + value"), std::string::npos);
  }
  EXPECT_EQ(node_->mempool().status().pending, 0U);
}

// Grinds a nonce for [sealHash, seed, target] as an outside miner would.
std::string solve(const Json& work) {
  auto seal_hash = hex_fixed<32>(work[0].get<std::string>());
  auto target = hex_fixed<32>(work[2].get<std::string>());
  consensus::pow::SealChecker checker(seal_hash, target);
  for (std::uint64_t nonce = 0; nonce < (1ULL << 32U); ++nonce) {
    if (checker.try_nonce(nonce)) {
      Bytes be(8);
      for (int i = 7; i >= 0; --i) be[static_cast<std::size_t>(7 - i)] = static_cast<std::uint8_t>(nonce >> (8 * i));
      return to_hex_prefixed(be);
    }
  }
  ADD_FAILURE() << "no nonce";
  return "0x0000000000000000";
}

TEST_F(NodeRpcTest, GetWorkSubmitWorkRoundTripAndStaleWork) {
  const std::string payee = to_hex_prefixed(Address{0xcc});
  const Json zero_mix = to_hex_prefixed(Hash256{});
  Json work = client_->call("eth_getWork", Json::array({payee}));
  ASSERT_EQ(work.size(), 4U);    // geth's shape: the 4th is the block number
  EXPECT_EQ(work[1], zero_mix);  // no epoch seed
  EXPECT_EQ(work[3], "0x1");
  const std::string nonce = solve(work);
  EXPECT_EQ(client_->call("eth_submitWork", Json::array({nonce, work[0], zero_mix})), true);
  EXPECT_EQ(block_number(), 1U);
  EXPECT_EQ(client_->call("eth_submitWork", Json::array({nonce, work[0], zero_mix})), false);

  const Json stale = client_->call("eth_getWork", Json::array({payee}));
  const std::string stale_nonce = solve(stale);
  client_->call("tally_mine", Json::array({"0x1", payee}));
  EXPECT_EQ(client_->call("eth_submitWork", Json::array({stale_nonce, stale[0], zero_mix})), false);
  EXPECT_EQ(block_number(), 2U);
}

TEST_F(NodeRpcTest, MinerStartAndStopOverRpc) {
  EXPECT_EQ(client_->call("eth_mining"), false);
  EXPECT_THROW(client_->call("miner_start"), rpc::RpcError);  // no etherbase yet
  client_->call("miner_setEtherbase", Json::array({to_hex_prefixed(Address{0xdd})}));
  client_->call("miner_start", Json::array({1}));
  EXPECT_EQ(client_->call("eth_mining"), true);
  const auto tx = transfer(3, Address{0x42}, ether(), 0);
  client_->call("eth_sendRawTransaction", Json::array({to_hex_prefixed(chain::encode(tx))}));
  ASSERT_TRUE(wait_until([&] { return block_number() >= 1; }));
  client_->call("miner_stop");
  EXPECT_EQ(client_->call("eth_mining"), false);
}

}  // namespace
}  // namespace tally::test
