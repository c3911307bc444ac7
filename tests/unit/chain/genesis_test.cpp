// Genesis: the dev network, PoW and PBFT files, the state and block it
// builds, and each refusal (the error names the field).

#include "chain/genesis.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "chain/state.hpp"
#include "crypto/address.hpp"
#include "ledger_test_util.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using nlohmann::json;
using test::mentions;

Address addr(std::string_view text) {
  auto a = crypto::parse_address(text);
  EXPECT_TRUE(a.ok()) << text;
  return a ? *a : Address{};
}

json pow_doc() {
  return json::parse(R"({
    "chainId": 4242,
    "consensus": {"type": "pow", "targetBlockTimeSeconds": 10, "initialDifficulty": "0x20000",
                  "minimumDifficulty": 1000, "blockReward": "2000000000000000000"},
    "gasLimit": 8000000,
    "baseFeePerGas": "0x3b9aca00",
    "timestamp": 1700000000,
    "extraData": "0x74616c6c79",
    "alloc": {
      "0x8A8eAFb1cf62BfBeb1741769DAE1a9dd47996192": {"balance": "1000"},
      "a94f5374fce5edbc8e2a8697c15331677e6ebf0b": {"balance": "0x5ffd4878be161d74", "nonce": "0xac"},
      "0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b": {"balance": 42}
    }
  })");
}

json pbft_doc() {
  return json::parse(R"({
    "chainId": 7,
    "consensus": {"type": "pbft", "validators": [
      "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x90F79bf6EB2c4f870365E785982E1f101E93b906"]},
    "gasLimit": 30000000
  })");
}

Genesis parse_ok(const json& doc) {
  auto g = parse_genesis(doc.dump());
  EXPECT_TRUE(g.ok()) << (g ? "" : g.error().message);
  return g ? std::move(*g) : Genesis{};
}

Account account_at(const Genesis& g, const Address& address) {
  MemoryNodeStore store;
  store.put(g.state);
  StateDB state(store, g.block.header.state_root);
  return state.get(address);
}

void expect_refused(const json& doc, std::string_view why) {
  auto g = parse_genesis(doc.dump());
  ASSERT_FALSE(g.ok()) << "accepted " << doc.dump();
  EXPECT_TRUE(mentions(g.error().message, why));
}

// ---------------------------------------------------------------- good files

TEST(Genesis, DevNetwork) {
  auto g = parse_genesis(dev_genesis_json());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->config.chain_id, kDevChainId);
  EXPECT_EQ(g->config.chain_id, 1337U);
  ASSERT_TRUE(g->config.is_pow());
  const auto& pow = std::get<PowParams>(g->config.consensus);
  EXPECT_EQ(pow.block_reward, 2 * test::ether());
  EXPECT_GT(pow.initial_difficulty, 0);
  EXPECT_EQ(g->config.gas_limit, 30'000'000U);
  EXPECT_EQ(g->config.initial_base_fee, test::gwei());
  // The well-known dev accounts, funded with 10,000 ETH each.
  EXPECT_EQ(crypto::to_checksum_address(test::dev_address(0)), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  EXPECT_EQ(account_at(*g, addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")).balance, 10'000 * test::ether());
  EXPECT_EQ(account_at(*g, addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")).balance, 10'000 * test::ether());
  EXPECT_EQ(account_at(*g, addr("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")).balance, 10'000 * test::ether());
  EXPECT_EQ(account_at(*g, test::dev_address(10)).balance, 0);  // only 10 accounts
}

TEST(Genesis, DevNetworkHashIsStable) {
  auto a = parse_genesis(dev_genesis_json());
  auto b = parse_genesis(dev_genesis_json());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->hash, b->hash);
  EXPECT_EQ(a->hash, header_hash(a->block.header));
}

TEST(Genesis, PowFileBuildsBlockZero) {
  const Genesis g = parse_ok(pow_doc());
  EXPECT_EQ(g.config.chain_id, 4242U);
  const auto& pow = std::get<PowParams>(g.config.consensus);
  EXPECT_EQ(pow.target_block_time_seconds, 10U);
  EXPECT_EQ(pow.initial_difficulty, 0x20000);
  EXPECT_EQ(pow.minimum_difficulty, 1000);
  const Header& h = g.block.header;
  EXPECT_EQ(h.number, 0U);
  EXPECT_EQ(h.parent_hash, Hash256{});
  EXPECT_EQ(h.beneficiary, Address{});
  EXPECT_EQ(h.timestamp, 1'700'000'000U);
  EXPECT_EQ(h.gas_limit, 8'000'000U);
  EXPECT_EQ(h.gas_used, 0U);
  EXPECT_EQ(h.base_fee, test::gwei());
  EXPECT_EQ(h.extra_data, to_bytes(as_bytes("tally")));
  EXPECT_EQ(h.transactions_root, empty_trie_root());
  EXPECT_EQ(h.receipts_root, empty_trie_root());
  ASSERT_EQ(h.seal.size(), 3U);
  EXPECT_EQ(h.seal[0], rlp::encode_uint(0x20000));
  EXPECT_EQ(h.seal[1], test::hex("880000000000000000"));
  EXPECT_EQ(h.seal[2], rlp::encode_string(config_commitment(g.config)));
  EXPECT_TRUE(g.block.transactions.empty());
  EXPECT_EQ(g.hash, header_hash(h));
  EXPECT_FALSE(g.state.empty());
  EXPECT_EQ(account_at(g, addr("0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192")).balance, 1000);
  EXPECT_EQ(account_at(g, addr("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b")),
            (Account{0xac, U256("0x5ffd4878be161d74")}));
  EXPECT_EQ(account_at(g, addr("0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b")).balance, 42);
}

// The post-state of geth's t8n example (cmd/evm/testdata/1/exp.json): three
// accounts whose state root geth reports as 0x84208a19...4e13.
TEST(Genesis, StateRootMatchesGeth) {
  json doc = pow_doc();
  doc["alloc"] = json::parse(R"({
    "0x8a8eafb1cf62bfbeb1741769dae1a9dd47996192": {"balance": "0xfeed1a9d", "nonce": "0x1"},
    "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b": {"balance": "0x5ffd4878be161d74", "nonce": "0xac"},
    "0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b": {"balance": "0xa410"}
  })");
  const Genesis g = parse_ok(doc);
  EXPECT_EQ(to_hex(g.block.header.state_root), "84208a19bc2b46ada7445180c1db162be5b39b9abc8c0a54b05d32943eae4e13");
}

TEST(Genesis, PbftFile) {
  const Genesis g = parse_ok(pbft_doc());
  ASSERT_TRUE(g.config.is_pbft());
  const auto& pbft = std::get<PbftParams>(g.config.consensus);
  ASSERT_EQ(pbft.validators.size(), 4U);
  EXPECT_EQ(pbft.validators[0], test::dev_address(0));
  EXPECT_EQ(pbft.validators[3], test::dev_address(3));
  EXPECT_EQ(pbft.timeout_ms, kDefaultPbftTimeoutMs);
  EXPECT_EQ(pbft.block_reward, 0);
  EXPECT_EQ(g.config.block_reward(), 0);
  ASSERT_EQ(g.block.header.seal.size(), 1U);
  EXPECT_EQ(g.block.header.seal[0], rlp::encode_string(config_commitment(g.config)));
  EXPECT_EQ(g.block.header.state_root, empty_trie_root());  // no accounts
  EXPECT_EQ(g.config.initial_base_fee, kDefaultInitialBaseFee);
  EXPECT_EQ(g.block.header.timestamp, 0U);
}

// The genesis hash is the network's identity: it must change with every
// config field, not only with what the header holds.
TEST(Genesis, HashCommitsToChainIdConsensusAndValidators) {
  const Genesis base = parse_ok(pbft_doc());
  json other_chain = pbft_doc();
  other_chain["chainId"] = 4242;
  EXPECT_NE(parse_ok(other_chain).hash, base.hash);
  json fewer_validators = pbft_doc();
  fewer_validators["consensus"]["validators"].erase(fewer_validators["consensus"]["validators"].size() - 1);
  EXPECT_NE(parse_ok(fewer_validators).hash, base.hash);
  json other_timeout = pbft_doc();
  other_timeout["consensus"]["timeoutMs"] = 3000;
  EXPECT_NE(parse_ok(other_timeout).hash, base.hash);
  const Genesis pow = parse_ok(pow_doc());
  json other_reward = pow_doc();
  other_reward["consensus"]["blockReward"] = "7";
  EXPECT_NE(parse_ok(other_reward).hash, pow.hash);
  EXPECT_EQ(parse_ok(pbft_doc()).hash, base.hash);  // and is stable
}

TEST(Genesis, CustomMnemonicAndCount) {
  json doc = pbft_doc();
  doc["devAccounts"] = {{"mnemonic",
                         "abandon abandon abandon abandon abandon abandon abandon abandon abandon "
                         "abandon abandon about"},
                        {"count", 2},
                        {"balance", "5"}};
  const Genesis g = parse_ok(doc);
  // m/44'/60'/0'/0/0 of the BIP-39 "abandon ... about" mnemonic
  EXPECT_EQ(account_at(g, addr("0x9858EfFD232B4033E47d90003D41EC34EcaEda94")).balance, 5);
  EXPECT_EQ(account_at(g, test::dev_address(0)).balance, 0);
}

TEST(Genesis, DifferentContentDifferentHash) {
  const Genesis a = parse_ok(pow_doc());
  json doc = pow_doc();
  doc["alloc"]["0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b"]["balance"] = 43;
  EXPECT_NE(parse_ok(doc).hash, a.hash);
  doc = pow_doc();
  doc["consensus"]["initialDifficulty"] = "0x20001";
  EXPECT_NE(parse_ok(doc).hash, a.hash);
}

TEST(Genesis, LoadsFile) {
  const auto path = std::filesystem::temp_directory_path() / "tally_genesis_test.json";
  {
    std::ofstream out(path);
    out << dev_genesis_json();
  }
  auto g = load_genesis_file(path);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->hash, parse_ok(json::parse(dev_genesis_json())).hash);
  std::filesystem::remove(path);
  auto missing = load_genesis_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(mentions(missing.error().message, "tally_genesis_test.json"));
}

// ---------------------------------------------------------------- refusals

TEST(GenesisRefusal, Json) {
  auto bad = parse_genesis("{\"chainId\": 1,");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(mentions(bad.error().message, "invalid JSON"));
  auto dup = parse_genesis(R"({"chainId": 1, "chainId": 2})");
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(mentions(dup.error().message, "duplicate key \"chainId\""));
  auto array = parse_genesis("[]");
  ASSERT_FALSE(array.ok());
  EXPECT_TRUE(mentions(array.error().message, "must be a JSON object"));
}

TEST(GenesisRefusal, UnknownFields) {
  json doc = pow_doc();
  doc["gaslimit"] = 1;
  expect_refused(doc, "gaslimit: unknown field");
  doc = pow_doc();
  doc["consensus"]["difficulty"] = 1;
  expect_refused(doc, "consensus.difficulty: unknown field");
  doc = pow_doc();
  doc["alloc"]["0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b"]["balanse"] = 1;
  expect_refused(doc, "balanse: unknown field");
}

TEST(GenesisRefusal, MissingFields) {
  for (const char* field : {"chainId", "consensus", "gasLimit"}) {
    json doc = pow_doc();
    doc.erase(field);
    expect_refused(doc, std::string(field) + ": missing required field");
  }
  for (const char* field : {"targetBlockTimeSeconds", "initialDifficulty", "minimumDifficulty", "blockReward"}) {
    json doc = pow_doc();
    doc["consensus"].erase(field);
    expect_refused(doc, "consensus." + std::string(field) + ": missing required field");
  }
  json doc = pow_doc();
  doc["consensus"].erase("type");
  expect_refused(doc, "consensus.type: missing required field");
  doc = pbft_doc();
  doc["consensus"].erase("validators");
  expect_refused(doc, "consensus.validators: missing required field");
  doc = pow_doc();
  doc["alloc"]["0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b"].erase("balance");
  expect_refused(doc, "balance: missing required field");
}

TEST(GenesisRefusal, UnknownConsensusType) {
  json doc = pow_doc();
  doc["consensus"]["type"] = "poa";
  expect_refused(doc, "unknown consensus type \"poa\"");
  doc["consensus"]["type"] = 1;
  expect_refused(doc, "consensus.type: must be a string");
}

TEST(GenesisRefusal, Numbers) {
  json doc = pow_doc();
  doc["chainId"] = -1;
  expect_refused(doc, "chainId: must not be negative");
  doc["chainId"] = 1.5;
  expect_refused(doc, "chainId: must be an unsigned integer");
  doc["chainId"] = "18446744073709551616";
  expect_refused(doc, "chainId: does not fit 64 bits");
  doc["chainId"] = 0;
  expect_refused(doc, "chainId: must be at least 1");
  doc["chainId"] = true;
  expect_refused(doc, "chainId: must be a number");
  doc["chainId"] = "12a";
  expect_refused(doc, "chainId: invalid decimal digit");
  doc["chainId"] = "0xzz";
  expect_refused(doc, "chainId: invalid hex digit");
  doc = pow_doc();
  doc["consensus"]["blockReward"] = "-5";
  expect_refused(doc, "consensus.blockReward: must not be negative");
  doc["consensus"]["blockReward"] = "0x1" + std::string(64, '0');
  expect_refused(doc, "consensus.blockReward: hex number longer than 64 digits");
  doc = pow_doc();
  doc["consensus"]["initialDifficulty"] = 0;
  expect_refused(doc, "consensus.initialDifficulty: must be at least 1");
  doc = pow_doc();
  doc["consensus"]["minimumDifficulty"] = "0x20001";
  expect_refused(doc, "consensus.minimumDifficulty: must not exceed initialDifficulty");
  doc = pow_doc();
  doc["consensus"]["targetBlockTimeSeconds"] = 0;
  expect_refused(doc, "consensus.targetBlockTimeSeconds: must be at least 1");
  doc = pow_doc();
  doc["gasLimit"] = 20999;
  expect_refused(doc, "gasLimit: must be at least 21000");
  doc = pow_doc();
  doc["timestamp"] = -3;
  expect_refused(doc, "timestamp: must not be negative");
}

TEST(GenesisRefusal, Addresses) {
  json doc = pow_doc();
  doc["alloc"] = {{"0x8a8eAFb1cf62BfBeb1741769DAE1a9dd47996192", {{"balance", "1"}}}};  // bad checksum
  expect_refused(doc, "alloc.0x8a8eAFb1cf62BfBeb1741769DAE1a9dd47996192");
  doc["alloc"] = {{"0x1234", {{"balance", "1"}}}};
  expect_refused(doc, "alloc.0x1234");
  doc = pbft_doc();
  doc["consensus"]["validators"][2] = "0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC";  // bad checksum
  expect_refused(doc, "consensus.validators[2]");
  doc = pbft_doc();
  doc["consensus"]["validators"][3] = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
  expect_refused(doc, "consensus.validators[3]: duplicate validator");
  doc["consensus"]["validators"] = json::array();
  expect_refused(doc, "consensus.validators: needs at least one validator");
  doc["consensus"]["validators"] = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
  expect_refused(doc, "consensus.validators: must be an array");
  doc = pbft_doc();
  doc["consensus"]["timeoutMs"] = 0;
  expect_refused(doc, "consensus.timeoutMs: must be at least 1");
}

TEST(GenesisRefusal, Alloc) {
  json doc = pow_doc();
  doc["alloc"]["0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b"]["code"] = "0x6000";
  expect_refused(doc, "contract code and storage are not supported");
  doc = pow_doc();
  doc["alloc"]["0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b"]["balance"] = "1" + std::string(78, '0');
  expect_refused(doc, "too large for 256 bits");
  doc = pow_doc();
  doc["alloc"] = {{"0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b", {{"balance", "0x" + std::string(64, 'f')}}},
                  {"0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b", {{"balance", "1"}}}};
  expect_refused(doc, "add up to more than 2^256 - 1");
  doc = pow_doc();
  doc["alloc"] = {{"0xc94f5374fce5edbc8e2a8697c15331677e6ebf0b", {{"balance", "1"}}},
                  {"c94f5374fce5edbc8e2a8697c15331677e6ebf0b", {{"balance", "2"}}}};
  expect_refused(doc, "is funded twice");
  doc = pow_doc();
  doc["alloc"] = json::array();
  expect_refused(doc, "alloc: must be a JSON object");
}

TEST(GenesisRefusal, DevAccounts) {
  json doc = pow_doc();
  doc["devAccounts"] = {
      {"mnemonic", "test test test test test test test test test test test test"}, {"count", 1}, {"balance", "1"}};
  expect_refused(doc, "devAccounts.mnemonic");
  doc["devAccounts"] = {{"count", 1001}, {"balance", "1"}};
  expect_refused(doc, "devAccounts.count: at most 1000");
  doc["devAccounts"] = {{"count", 1}};
  expect_refused(doc, "devAccounts.balance: missing required field");
  doc["devAccounts"] = {{"count", 2}, {"balance", "1"}, {"password", "x"}};
  expect_refused(doc, "devAccounts.password: unknown field");
  doc = pow_doc();
  doc["alloc"] = {{"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", {{"balance", "1"}}}};
  doc["devAccounts"] = {{"count", 1}, {"balance", "1"}};
  expect_refused(doc, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 is funded twice");
}

TEST(GenesisRefusal, ExtraData) {
  json doc = pow_doc();
  doc["extraData"] = std::string("0x").append(66, 'a');
  expect_refused(doc, "extraData: 33 bytes exceed the limit of 32");
  doc["extraData"] = "0xabc";
  expect_refused(doc, "extraData");
  doc["extraData"] = "abcd";
  expect_refused(doc, "extraData");
  doc["extraData"] = 5;
  expect_refused(doc, "extraData: must be a 0x hex string");
}

}  // namespace
}  // namespace tally::chain
