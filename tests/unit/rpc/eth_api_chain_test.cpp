// Block, transaction, receipt and state methods over a real chain.

#include "chain/execution.hpp"
#include "crypto/hex.hpp"
#include "eth_test_util.hpp"
#include "rpc/json_format.hpp"

namespace tally::test {
namespace {

using rpc::Json;

const std::string kZeroHash = "0x" + std::string(64, '0');
const std::string kZeroBloom = "0x" + std::string(512, '0');

Address recipient() {
  Address a{};
  a.fill(0x11);
  return a;
}

class EthChainTest : public EthApiTest {};

TEST_F(EthChainTest, GenesisBlockHasTheExactShape) {
  const auto genesis = *chain_->store().block(chain_->genesis_hash());
  const Json block = call("eth_getBlockByNumber", {"0x0", false});
  const Json expected{{"number", "0x0"},
                      {"hash", rpc::hash_hex(chain_->genesis_hash())},
                      {"parentHash", kZeroHash},
                      {"nonce", "0x0000000000000000"},
                      {"mixHash", kZeroHash},
                      {"sha3Uncles", "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"},
                      {"logsBloom", kZeroBloom},
                      {"transactionsRoot", "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"},
                      {"stateRoot", rpc::hash_hex(genesis.header.state_root)},
                      {"receiptsRoot", "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"},
                      {"miner", "0x" + std::string(40, '0')},
                      {"difficulty", "0x100000"},  // the dev genesis' initial difficulty, from its seal
                      {"totalDifficulty", "0x1"},  // the test engine weighs each block 1
                      {"extraData", "0x"},
                      {"size", rpc::quantity(std::uint64_t{chain::encode_block(genesis).size()})},
                      {"gasLimit", "0x1c9c380"},
                      {"gasUsed", "0x0"},
                      {"timestamp", "0x0"},
                      {"baseFeePerGas", "0x3b9aca00"},
                      {"transactions", Json::array()},
                      {"uncles", Json::array()}};
  EXPECT_EQ(block, expected) << block.dump(2);
  EXPECT_EQ(call("eth_getBlockByHash", {rpc::hash_hex(chain_->genesis_hash())}), expected);
  EXPECT_EQ(call("eth_getBlockByNumber", {"earliest"}), expected);
}

TEST_F(EthChainTest, TransferBlockTransactionAndReceiptHaveTheExactShape) {
  const auto tx = transfer(0, recipient(), 1000, 0);
  const auto block = mine({tx});
  const Hash256 block_hash = chain::block_hash(block);
  const Hash256 tx_hash = chain::tx_hash(tx);
  EXPECT_EQ(call("eth_blockNumber"), "0x1");

  const Json tx_json{{"type", "0x2"},
                     {"hash", rpc::hash_hex(tx_hash)},
                     {"from", rpc::address_hex(dev_address(0))},
                     {"to", "0x" + std::string(40, '1')},
                     {"nonce", "0x0"},
                     {"value", "0x3e8"},
                     {"gas", "0x5208"},
                     {"input", "0x"},
                     {"r", rpc::quantity(*u256_from_be(tx.r))},
                     {"s", rpc::quantity(*u256_from_be(tx.s))},
                     {"v", tx.y_parity == 0 ? "0x0" : "0x1"},
                     {"yParity", tx.y_parity == 0 ? "0x0" : "0x1"},
                     {"chainId", "0x539"},
                     {"accessList", Json::array()},
                     {"maxFeePerGas", "0x77359400"},
                     {"maxPriorityFeePerGas", "0x3b9aca00"},
                     {"gasPrice", "0x6fc23ac0"},  // min(2 gwei, base fee 0.875 gwei + 1 gwei tip)
                     {"blockHash", rpc::hash_hex(block_hash)},
                     {"blockNumber", "0x1"},
                     {"transactionIndex", "0x0"}};
  const Json full = call("eth_getBlockByNumber", {"0x1", true});
  ASSERT_EQ(full["transactions"].size(), 1U);
  EXPECT_EQ(full["transactions"][0], tx_json) << full["transactions"][0].dump(2);
  EXPECT_EQ(full["baseFeePerGas"], "0x342770c0");
  EXPECT_EQ(full["gasUsed"], "0x5208");
  EXPECT_EQ(full["miner"], "0xbe" + std::string(38, '0'));
  EXPECT_EQ(full["parentHash"], rpc::hash_hex(chain_->genesis_hash()));
  EXPECT_EQ(full["totalDifficulty"], "0x2");
  EXPECT_EQ(full["difficulty"], "0x0");  // the test engine writes no PoW seal
  EXPECT_EQ(full["extraData"], "0x00");
  EXPECT_EQ(full["timestamp"], "0x2");

  const Json hashes = call("eth_getBlockByHash", {rpc::hash_hex(block_hash), false});
  EXPECT_EQ(hashes["transactions"], Json::array({rpc::hash_hex(tx_hash)}));
  EXPECT_EQ(call("eth_getTransactionByHash", {rpc::hash_hex(tx_hash)}), tx_json);
  EXPECT_EQ(call("eth_getTransactionByBlockNumberAndIndex", {"0x1", "0x0"}), tx_json);
  EXPECT_EQ(call("eth_getTransactionByBlockHashAndIndex", {rpc::hash_hex(block_hash), "0x0"}), tx_json);
  EXPECT_EQ(call("eth_getTransactionByBlockNumberAndIndex", {"0x1", "0x1"}), nullptr);
  EXPECT_EQ(call("eth_getTransactionByBlockNumberAndIndex", {"0x7", "0x0"}), nullptr);

  const Json receipt{{"transactionHash", rpc::hash_hex(tx_hash)},
                     {"transactionIndex", "0x0"},
                     {"blockHash", rpc::hash_hex(block_hash)},
                     {"blockNumber", "0x1"},
                     {"from", rpc::address_hex(dev_address(0))},
                     {"to", "0x" + std::string(40, '1')},
                     {"cumulativeGasUsed", "0x5208"},
                     {"gasUsed", "0x5208"},
                     {"effectiveGasPrice", "0x6fc23ac0"},
                     {"contractAddress", nullptr},
                     {"logs", Json::array()},
                     {"logsBloom", kZeroBloom},
                     {"type", "0x2"},
                     {"status", "0x1"}};
  EXPECT_EQ(call("eth_getTransactionReceipt", {rpc::hash_hex(tx_hash)}), receipt);
  EXPECT_EQ(call("eth_getBlockReceipts", {"0x1"}), Json::array({receipt}));
  EXPECT_EQ(call("eth_getBlockReceipts", {{{"blockHash", rpc::hash_hex(block_hash)}}}), Json::array({receipt}));
  EXPECT_EQ(call("eth_getBlockReceipts", {"0x0"}), Json::array());
  EXPECT_EQ(call("eth_getBlockReceipts", {"0x9"}), nullptr);

  EXPECT_EQ(call("eth_getBlockTransactionCountByNumber", {"latest"}), "0x1");
  EXPECT_EQ(call("eth_getBlockTransactionCountByHash", {rpc::hash_hex(block_hash)}), "0x1");
  EXPECT_EQ(call("eth_getBlockTransactionCountByNumber", {"0x0"}), "0x0");
  EXPECT_EQ(call("eth_getBlockTransactionCountByNumber", {"0x5"}), nullptr);
  EXPECT_EQ(call("eth_getBlockTransactionCountByHash", {kZeroHash}), nullptr);
  EXPECT_EQ(call("eth_getUncleCountByBlockNumber", {"0x1"}), "0x0");
  EXPECT_EQ(call("eth_getUncleCountByBlockHash", {kZeroHash}), nullptr);
  EXPECT_EQ(call("eth_getUncleByBlockNumberAndIndex", {"0x1", "0x0"}), nullptr);
}

TEST_F(EthChainTest, SecondTransactionReceiptCountsItsOwnGas) {
  const auto block = mine({transfer(0, recipient(), 1, 0), transfer(1, recipient(), 1, 0)});
  const Json receipts = call("eth_getBlockReceipts", {"latest"});
  ASSERT_EQ(receipts.size(), 2U);
  EXPECT_EQ(receipts[1]["cumulativeGasUsed"], "0xa410");
  EXPECT_EQ(receipts[1]["gasUsed"], "0x5208");
  EXPECT_EQ(receipts[1]["transactionIndex"], "0x1");
  EXPECT_EQ(receipts[1]["from"], rpc::address_hex(dev_address(1)));
}

TEST_F(EthChainTest, UnknownThingsAreNull) {
  const std::string unknown = "0x" + std::string(64, 'a');
  EXPECT_EQ(call("eth_getBlockByNumber", {"0x1", false}), nullptr);
  EXPECT_EQ(call("eth_getBlockByNumber", {"0xffffffffffffffff", true}), nullptr);
  EXPECT_EQ(call("eth_getBlockByHash", {unknown, false}), nullptr);
  EXPECT_EQ(call("eth_getTransactionByHash", {unknown}), nullptr);
  EXPECT_EQ(call("eth_getTransactionReceipt", {unknown}), nullptr);
  EXPECT_EQ(call("eth_getBlockReceipts", {{{"blockHash", unknown}}}), nullptr);
}

TEST_F(EthChainTest, PendingTransactionHasNullBlockFieldsAndNoReceipt) {
  const auto tx = transfer(2, recipient(), 5, 0);
  pool_.add(tx, dev_address(2), true);
  const Json json = call("eth_getTransactionByHash", {rpc::hash_hex(chain::tx_hash(tx))});
  EXPECT_EQ(json["blockHash"], nullptr);
  EXPECT_EQ(json["blockNumber"], nullptr);
  EXPECT_EQ(json["transactionIndex"], nullptr);
  EXPECT_EQ(json["gasPrice"], "0x77359400");  // pending: the fee cap, as geth
  EXPECT_EQ(json["from"], rpc::address_hex(dev_address(2)));
  EXPECT_EQ(call("eth_getTransactionReceipt", {rpc::hash_hex(chain::tx_hash(tx))}), nullptr);
}

TEST_F(EthChainTest, LegacyAndAccessListTransactionsHaveTheirFields) {
  chain::Transaction legacy;
  legacy.type = chain::TxType::legacy;
  legacy.chain_id = 1337;
  legacy.gas_price = 2 * gwei();
  legacy.gas_limit = 21'000;
  legacy.to = recipient();
  legacy.value = 7;
  chain::sign(legacy, dev_key(3));
  chain::Transaction typed1 = legacy;
  typed1.type = chain::TxType::access_list;
  typed1.nonce = 1;
  typed1.gas_limit = 30'000;
  typed1.access_list = {chain::AccessListEntry{recipient(), {Hash256{0x01}}}};
  chain::sign(typed1, dev_key(3));
  mine({legacy, typed1});

  const Json txs = call("eth_getBlockByNumber", {"latest", true})["transactions"];
  ASSERT_EQ(txs.size(), 2U);
  EXPECT_EQ(txs[0]["type"], "0x0");
  EXPECT_EQ(txs[0]["gasPrice"], "0x77359400");
  EXPECT_EQ(txs[0]["v"], legacy.y_parity == 0 ? "0xa95" : "0xa96");  // 1337 * 2 + 35 + y
  EXPECT_EQ(txs[0]["chainId"], "0x539");
  EXPECT_FALSE(txs[0].contains("accessList"));
  EXPECT_FALSE(txs[0].contains("yParity"));
  EXPECT_FALSE(txs[0].contains("maxFeePerGas"));
  EXPECT_EQ(txs[1]["type"], "0x1");
  EXPECT_EQ(txs[1]["gasPrice"], "0x77359400");
  EXPECT_EQ(txs[1]["accessList"], Json::array({{{"address", "0x" + std::string(40, '1')},
                                                {"storageKeys", Json::array({"0x01" + std::string(62, '0')})}}}));
  EXPECT_FALSE(txs[1].contains("maxFeePerGas"));
  EXPECT_TRUE(txs[1].contains("yParity"));
}

TEST_F(EthChainTest, BalancesNoncesAndStateAtBlocks) {
  const auto tx = transfer(0, recipient(), 1000, 0);
  mine({tx});
  const std::string dev0 = rpc::address_hex(dev_address(0));
  const U256 start = U256("10000000000000000000000");
  const U256 spent = U256{1000} + U256{21'000} * U256{1'875'000'000};
  EXPECT_EQ(call("eth_getBalance", {dev0, "latest"}), rpc::quantity(start - spent));
  EXPECT_EQ(call("eth_getBalance", {dev0}), rpc::quantity(start - spent));  // block defaults to latest
  EXPECT_EQ(call("eth_getBalance", {dev0, "0x0"}), rpc::quantity(start));
  EXPECT_EQ(call("eth_getBalance", {dev0, {{"blockNumber", "0x0"}}}), rpc::quantity(start));
  EXPECT_EQ(call("eth_getBalance", {rpc::address_hex(recipient()), "pending"}), "0x3e8");
  EXPECT_EQ(call("eth_getBalance", {rpc::hash_hex(Hash256{}).substr(0, 42), "latest"}), "0x0");

  EXPECT_EQ(call("eth_getTransactionCount", {dev0, "latest"}), "0x1");
  EXPECT_EQ(call("eth_getTransactionCount", {dev0, "earliest"}), "0x0");
  pool_.pending_nonces[dev_address(0)] = 5;
  EXPECT_EQ(call("eth_getTransactionCount", {dev0, "pending"}), "0x5");

  EXPECT_EQ(call("eth_getCode", {dev0, "latest"}), "0x");
  EXPECT_EQ(call("eth_getStorageAt", {dev0, "0x0", "latest"}), kZeroHash);
  EXPECT_EQ(call("eth_getStorageAt", {dev0, kZeroHash, "latest"}), kZeroHash);

  // geth's answers for a block the node does not have.
  for (const char* method : {"eth_getBalance", "eth_getTransactionCount", "eth_getCode"}) {
    const auto failure = fails(method, {dev0, "0x63"});
    EXPECT_EQ(failure.code, rpc::code::kServerError) << method;
    EXPECT_EQ(failure.message, "header not found") << method;
  }
  EXPECT_EQ(fails("eth_getBalance", {dev0, {{"blockHash", "0x" + std::string(64, 'a')}}}).message,
            "header for hash not found");
  EXPECT_EQ(fails("eth_getStorageAt", {dev0, "0x0", "0x63"}).message, "header not found");
  EXPECT_EQ(fails("eth_getStorageAt", {dev0, "0x" + std::string(65, '1'), "latest"}).code, rpc::code::kInvalidParams);
}

TEST_F(EthChainTest, TagsNameHeadSafeAndFinalized) {
  mine({});
  mine({});
  mine({});
  const auto number_of = [&](const char* tag) { return call("eth_getBlockByNumber", {tag, false})["number"]; };
  EXPECT_EQ(number_of("latest"), "0x3");
  EXPECT_EQ(number_of("pending"), "0x3");  // no pending block: reads as latest
  EXPECT_EQ(number_of("earliest"), "0x0");
  EXPECT_EQ(number_of("safe"), "0x1");  // head - safe depth 2
  EXPECT_EQ(number_of("finalized"), "0x1");
  EXPECT_EQ(call("eth_getBlockByNumber", {"0x2"})["number"], "0x2");  // full flag optional
}

TEST_F(EthChainTest, RequireCanonicalRefusesASideBlock) {
  const auto main_block = mine({});
  const auto side = build_block(*chain_, chain_->store().header(chain_->genesis_hash()).value(), {}, 9);
  EXPECT_EQ(chain_->import_block(side, side.header.timestamp).status, chain::ImportStatus::side_chain);
  const std::string side_hash = rpc::hash_hex(chain::block_hash(side));
  const std::string dev0 = rpc::address_hex(dev_address(0));
  EXPECT_EQ(call("eth_getBalance", {dev0, {{"blockHash", side_hash}}}), "0x21e19e0c9bab2400000");
  const auto failure = fails("eth_getBalance", {dev0, {{"blockHash", side_hash}, {"requireCanonical", true}}});
  EXPECT_EQ(failure.code, rpc::code::kServerError);
  EXPECT_NE(failure.message.find("is not currently canonical"), std::string::npos);
  EXPECT_EQ(call("eth_getBalance",
                 {dev0, {{"blockHash", rpc::hash_hex(chain::block_hash(main_block))}, {"requireCanonical", true}}}),
            "0x21e19e0c9bab2400000");
  // A side block is still readable by hash, with its own chain's total
  // difficulty (here equal to the main block's: one block each on genesis).
  const Json side_block = call("eth_getBlockByHash", {side_hash, false});
  EXPECT_EQ(side_block["totalDifficulty"],
            call("eth_getBlockByHash", {rpc::hash_hex(chain::block_hash(main_block)), false})["totalDifficulty"]);
  EXPECT_NE(side_block["totalDifficulty"], nullptr);
}

TEST_F(EthChainTest, BadParamsAreRefusedWithInvalidParams) {
  const std::string dev0 = rpc::address_hex(dev_address(0));
  struct Case {
    const char* method;
    Json params;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"eth_blockNumber", {1}, "too many arguments, want at most 0"},
      {"eth_getBalance", Json::array(), "missing value for required argument 0"},
      {"eth_getBalance", {"0x12", "latest"}, "invalid argument 0: hex string has length 2, want 40 for address"},
      {"eth_getBalance", {dev0, "0x01"}, "invalid argument 1: hex number with leading zero digits"},
      {"eth_getBalance", {dev0, "newest"}, nullptr},
      {"eth_getBlockByNumber", {"0x1", "yes"}, "invalid argument 1: want true or false, got \"yes\""},
      {"eth_getBlockByNumber", {{{"blockNumber", "0x0"}}, false}, nullptr},
      {"eth_getBlockByNumber", {"0x10000000000000000", false}, "invalid argument 0: hex number > 64 bits"},
      {"eth_getBlockByHash", {"0x1234", false}, "invalid argument 0: hex string has length 4, want 64 for hash"},
      {"eth_getTransactionByHash", {42}, nullptr},
      {"eth_getTransactionByBlockNumberAndIndex", {"0x0", "1"}, "invalid argument 1: hex string without 0x prefix"},
      {"eth_getTransactionCount", {dev0, "latest", "extra"}, "too many arguments, want at most 2"},
      {"web3_sha3", {"0x123"}, "invalid argument 0: hex string of odd length"},
      {"eth_sendRawTransaction", {"zz"}, "invalid argument 0: hex string without 0x prefix"},
      {"eth_chainId", Json::object(), nullptr},
  };
  for (const auto& c : cases) {
    const auto failure = fails(c.method, c.params);
    EXPECT_EQ(failure.code, rpc::code::kInvalidParams) << c.method << " " << c.params.dump();
    if (c.message != nullptr) {
      EXPECT_EQ(failure.message, c.message) << c.method;
    }
  }
}

}  // namespace
}  // namespace tally::test
