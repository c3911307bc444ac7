#include "wallet/send.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "wallet/errors.hpp"
#include "wallet_test_util.hpp"

namespace tally::wallet {
namespace {

using test::FakeNode;
using ::testing::HasSubstr;

constexpr std::uint64_t kChainId = 1337;
const U256 kGwei = 1'000'000'000;

const crypto::PrivateKey& sender_key() {
  static const crypto::PrivateKey key =
      *crypto::private_key_from_bytes(*from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
  return key;
}
Address sender() {
  return crypto::address_of(crypto::public_key_of(sender_key()));
}
Address recipient() {
  return *crypto::parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
}

// A node with a base fee of 7 gwei for the next block (2 gwei now), a 1 gwei
// tip, nonce 5 pending, and an eth_sendRawTransaction that decodes like a node.
void answer_like_a_node(FakeNode& node) {
  node.on_value("eth_chainId", "0x539");
  node.on_value("eth_getTransactionCount", "0x5");
  node.on_value("eth_maxPriorityFeePerGas", u256_to_quantity(kGwei));
  node.on_value("eth_feeHistory", Json{{"oldestBlock", "0x10"},
                                       {"baseFeePerGas", {u256_to_quantity(2 * kGwei), u256_to_quantity(7 * kGwei)}},
                                       {"gasUsedRatio", {0.5}}});
  node.on_value("eth_estimateGas", "0x5208");
  node.on_value("eth_gasPrice", u256_to_quantity(20 * kGwei));
  node.on("eth_sendRawTransaction", [](const Json& params) -> Json {
    auto raw = from_hex(params.at(0).get<std::string>(), HexPrefix::required);
    auto tx = chain::decode(*raw);
    if (!tx) throw NodeRefused("eth_sendRawTransaction", -32602, tx.error().message);
    return to_hex_prefixed(chain::tx_hash(*tx));
  });
}

SendRequest basic_request() {
  SendRequest request;
  request.from = sender();
  request.to = recipient();
  request.value = *u256_from_decimal("1500000000000000000");
  return request;
}

TEST(PrepareSend, Eip1559FromTheNode) {
  FakeNode node;
  answer_like_a_node(node);
  const PreparedSend prepared = prepare_send(node, basic_request());
  const chain::Transaction& tx = prepared.tx;
  EXPECT_EQ(tx.type, chain::TxType::dynamic_fee);
  EXPECT_EQ(tx.chain_id, kChainId);
  EXPECT_EQ(tx.nonce, 5U);
  EXPECT_EQ(tx.gas_limit, 21000U);
  EXPECT_EQ(tx.max_priority_fee_per_gas, kGwei);
  EXPECT_EQ(tx.max_fee_per_gas, 2 * 7 * kGwei + kGwei);  // 2 * next base fee + tip
  ASSERT_TRUE(prepared.base_fee.has_value());
  EXPECT_EQ(*prepared.base_fee, 7 * kGwei);
  EXPECT_EQ(*tx.to, recipient());
  EXPECT_EQ(prepared.max_cost(), basic_request().value + U256(21000) * (15 * kGwei));
  // The nonce comes from the pending count; the estimate from the transfer itself.
  EXPECT_EQ(node.params_of("eth_getTransactionCount").at(0)[1], "pending");
  const Json estimate = node.params_of("eth_estimateGas").at(0)[0];
  EXPECT_EQ(estimate["to"], to_hex_prefixed(recipient()));
  EXPECT_EQ(estimate["value"], "0x14d1120d7b160000");
}

TEST(PrepareSend, LegacyUsesGasPrice) {
  FakeNode node;
  answer_like_a_node(node);
  SendRequest request = basic_request();
  request.legacy = true;
  const chain::Transaction tx = prepare_send(node, request).tx;
  EXPECT_EQ(tx.type, chain::TxType::legacy);
  EXPECT_EQ(tx.gas_price, 20 * kGwei);
  EXPECT_EQ(tx.chain_id, kChainId);
  EXPECT_EQ(node.count("eth_feeHistory"), 0U);
}

TEST(PrepareSend, OverridesSkipTheNode) {
  FakeNode node;
  node.on_value("eth_chainId", "0x539");
  SendRequest request = basic_request();
  request.nonce = 9;
  request.gas_limit = 30000;
  request.max_fee = 50 * kGwei;
  request.priority_fee = 3 * kGwei;
  const chain::Transaction tx = prepare_send(node, request).tx;
  EXPECT_EQ(tx.nonce, 9U);
  EXPECT_EQ(tx.gas_limit, 30000U);
  EXPECT_EQ(tx.max_fee_per_gas, 50 * kGwei);
  EXPECT_EQ(tx.max_priority_fee_per_gas, 3 * kGwei);
}

TEST(PrepareSend, DataIsChargedAndEstimated) {
  FakeNode node;
  answer_like_a_node(node);
  SendRequest request = basic_request();
  request.data = *parse_data("hello");
  request.gas_limit = 21000;  // below 21000 + 5 * 16
  try {
    (void)prepare_send(node, request);
    FAIL() << "accepted a gas limit below intrinsic gas";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("below the 21080"));
  }
  request.gas_limit.reset();
  node.on_value("eth_estimateGas", "0x5258");
  EXPECT_EQ(prepare_send(node, request).tx.data, to_bytes(as_bytes("hello")));
  EXPECT_EQ(node.params_of("eth_estimateGas").back()[0]["data"], "0x68656c6c6f");
}

TEST(PrepareSend, BadCombinationsAndChainIdMismatch) {
  FakeNode node;
  answer_like_a_node(node);
  SendRequest legacy_with_tip = basic_request();
  legacy_with_tip.legacy = true;
  legacy_with_tip.priority_fee = kGwei;
  EXPECT_THROW((void)prepare_send(node, legacy_with_tip), WalletError);
  SendRequest price_without_legacy = basic_request();
  price_without_legacy.gas_price = kGwei;
  EXPECT_THROW((void)prepare_send(node, price_without_legacy), WalletError);
  SendRequest tip_above_cap = basic_request();
  tip_above_cap.max_fee = kGwei;
  tip_above_cap.priority_fee = 2 * kGwei;
  EXPECT_THROW((void)prepare_send(node, tip_above_cap), WalletError);
  SendRequest other_chain = basic_request();
  other_chain.expected_chain_id = 1;
  try {
    (void)prepare_send(node, other_chain);
    FAIL() << "sent to the wrong chain";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("chain id 1337, not 1"));
  }
}

TEST(PrepareSend, MalformedNodeAnswerIsAnError) {
  FakeNode node;
  answer_like_a_node(node);
  node.on_value("eth_getTransactionCount", 5);  // a number, not a quantity
  try {
    (void)prepare_send(node, basic_request());
    FAIL() << "accepted a malformed answer";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("eth_getTransactionCount is malformed"));
    EXPECT_EQ(e.code(), ExitCode::unreachable);
  }
}

TEST(SignAndSend, SignedTransactionDecodesAndRecoversTheSender) {
  for (const bool legacy : {false, true}) {
    FakeNode node;
    answer_like_a_node(node);
    SendRequest request = basic_request();
    request.legacy = legacy;
    request.data = *parse_data("0xdeadbeef");
    request.gas_limit = 30000;
    PreparedSend prepared = prepare_send(node, request);
    const Hash256 hash = sign_and_send(node, prepared.tx, sender_key());
    const std::string raw_hex = node.params_of("eth_sendRawTransaction").at(0)[0].get<std::string>();
    auto decoded = chain::decode(*from_hex(raw_hex, HexPrefix::required));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->type, legacy ? chain::TxType::legacy : chain::TxType::dynamic_fee);
    EXPECT_EQ(decoded->chain_id, kChainId);
    EXPECT_EQ(decoded->nonce, 5U);
    EXPECT_EQ(decoded->value, request.value);
    EXPECT_EQ(decoded->data, (Bytes{0xde, 0xad, 0xbe, 0xef}));
    EXPECT_EQ(*recover_sender(*decoded), sender());
    EXPECT_EQ(chain::tx_hash(*decoded), hash);
    chain::TxRules rules;
    rules.chain_id = kChainId;
    EXPECT_TRUE(chain::validate_static(*decoded, rules).ok());
  }
}

TEST(SignAndSend, NodeRefusalCarriesTheNodesMessage) {
  FakeNode node;
  answer_like_a_node(node);
  node.on("eth_sendRawTransaction", [](const Json&) -> Json {
    throw NodeRefused("eth_sendRawTransaction", -32000, "insufficient funds for gas * price + value");
  });
  PreparedSend prepared = prepare_send(node, basic_request());
  try {
    (void)sign_and_send(node, prepared.tx, sender_key());
    FAIL() << "refusal not reported";
  } catch (const NodeRefused& e) {
    EXPECT_THAT(e.what(), HasSubstr("insufficient funds"));
    EXPECT_EQ(e.code(), ExitCode::refused);
  }
}

TEST(SignAndSend, HashMismatchIsReported) {
  FakeNode node;
  answer_like_a_node(node);
  node.on_value("eth_sendRawTransaction", to_hex_prefixed(Hash256{}));
  PreparedSend prepared = prepare_send(node, basic_request());
  EXPECT_THROW((void)sign_and_send(node, prepared.tx, sender_key()), WalletError);
}

TEST(ParseData, HexOrText) {
  EXPECT_EQ(*parse_data("0x0102"), (Bytes{1, 2}));
  EXPECT_EQ(*parse_data("0X0a"), (Bytes{10}));
  EXPECT_EQ(*parse_data("paid invoice 7"), to_bytes(as_bytes("paid invoice 7")));
  EXPECT_EQ(*parse_data("0x"), Bytes{});
  EXPECT_FALSE(parse_data("0xzz").ok());
  EXPECT_FALSE(parse_data("0x123").ok());
}

Json receipt_json(const Hash256& hash, const char* status) {
  return Json{{"transactionHash", to_hex_prefixed(hash)},
              {"blockHash", to_hex_prefixed(Hash256{1})},
              {"blockNumber", "0x2a"},
              {"gasUsed", "0x5208"},
              {"effectiveGasPrice", u256_to_quantity(3 * kGwei)},
              {"status", status}};
}

// A clock that the fake sleep advances: no real waiting.
struct FakeTime {
  std::chrono::steady_clock::time_point now{};
  std::vector<std::chrono::milliseconds> sleeps;
  WaitOptions options(std::chrono::milliseconds timeout) {
    WaitOptions out;
    out.timeout = timeout;
    out.poll_interval = std::chrono::milliseconds(1000);
    out.now = [this] { return now; };
    out.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      now += d;
    };
    return out;
  }
};

TEST(WaitForReceipt, PollsUntilTheReceiptArrives) {
  FakeNode node;
  const Hash256 hash{7};
  int polls = 0;
  node.on("eth_getTransactionReceipt", [&](const Json& params) -> Json {
    EXPECT_EQ(params[0], to_hex_prefixed(hash));
    return ++polls < 3 ? Json() : receipt_json(hash, "0x1");
  });
  FakeTime time;
  std::vector<std::chrono::milliseconds> progress;
  WaitOptions options = time.options(std::chrono::milliseconds(60'000));
  options.progress = [&](std::chrono::milliseconds waited) { progress.push_back(waited); };
  const Receipt receipt = wait_for_receipt(node, hash, options);
  EXPECT_EQ(polls, 3);
  EXPECT_TRUE(receipt.success);
  EXPECT_EQ(receipt.block_number, 42U);
  EXPECT_EQ(receipt.gas_used, 21000U);
  EXPECT_EQ(receipt.fee(), U256(21000) * 3 * kGwei);
  EXPECT_EQ(time.sleeps.size(), 2U);
  ASSERT_EQ(progress.size(), 2U);
  EXPECT_EQ(progress[1], std::chrono::milliseconds(1000));
}

TEST(WaitForReceipt, TimesOutWithAHint) {
  FakeNode node;
  node.on_value("eth_getTransactionReceipt", Json());
  FakeTime time;
  try {
    (void)wait_for_receipt(node, Hash256{9}, time.options(std::chrono::milliseconds(5'000)));
    FAIL() << "did not time out";
  } catch (const WalletError& e) {
    EXPECT_EQ(e.code(), ExitCode::timeout);
    EXPECT_THAT(e.what(), HasSubstr("tally-wallet tx 0x09"));
  }
  EXPECT_EQ(node.count("eth_getTransactionReceipt"), 6U);  // at 0, 1, ..., 5 s
}

TEST(WaitForReceipt, BoundedEvenIfTheClockStands) {
  FakeNode node;
  node.on_value("eth_getTransactionReceipt", Json());
  WaitOptions options;
  options.timeout = std::chrono::milliseconds(3'000);
  options.poll_interval = std::chrono::milliseconds(1'000);
  const auto frozen = std::chrono::steady_clock::time_point{};
  options.now = [frozen] { return frozen; };
  options.sleep = [](std::chrono::milliseconds) {};
  EXPECT_THROW((void)wait_for_receipt(node, Hash256{}, options), WalletError);
  EXPECT_LE(node.count("eth_getTransactionReceipt"), 5U);
}

TEST(ParseReceipt, FailedStatusAndMalformed) {
  EXPECT_FALSE(parse_receipt(receipt_json(Hash256{}, "0x0")).success);
  Json broken = receipt_json(Hash256{}, "0x1");
  broken.erase("gasUsed");
  EXPECT_THROW((void)parse_receipt(broken), WalletError);
}

}  // namespace
}  // namespace tally::wallet
