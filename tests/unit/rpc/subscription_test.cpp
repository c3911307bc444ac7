// eth_subscribe / eth_unsubscribe and the SubscriptionHub.

#include "eth_test_util.hpp"
#include "rpc/json_format.hpp"

namespace tally::test {
namespace {

using rpc::Json;

class SubscriptionTest : public EthApiTest {
 protected:
  void SetUp() override {
    EthApiTest::SetUp();
    sink_ = std::make_shared<RecordingSink>(1);
    ws_.sink = sink_;
    (void)call("miner_setEtherbase", {rpc::address_hex(Address{0xbe})});
  }
  std::string subscribe(const Json& params) { return call_in(ws_, "eth_subscribe", params).get<std::string>(); }

  std::shared_ptr<RecordingSink> sink_;
  rpc::CallContext ws_;
};

TEST_F(SubscriptionTest, NeedsAWebSocketConnection) {
  const auto failure = fails("eth_subscribe", {"newHeads"});
  EXPECT_EQ(failure.code, rpc::code::kMethodNotFound);
  EXPECT_EQ(failure.message, "notifications not supported");
  EXPECT_EQ(fails("eth_unsubscribe", {"0x01"}).message, "notifications not supported");
}

TEST_F(SubscriptionTest, NewHeadsSendsEveryNewBlockInOrder) {
  const std::string id = subscribe({"newHeads"});
  ASSERT_EQ(id.size(), 2U + 32U);
  EXPECT_EQ(id.substr(0, 2), "0x");
  EXPECT_NE(subscribe({"newHeads"}), id);  // a second subscription, another id

  (void)call("tally_mine", {"0x2"});
  // Two subscriptions, two blocks.
  ASSERT_EQ(sink_->messages.size(), 4U);
  const auto first = *chain_->store().block(*chain_->store().canonical_hash(1));
  const Json expected{
      {"jsonrpc", "2.0"},
      {"method", "eth_subscription"},
      {"params", {{"subscription", id}, {"result", rpc::header_json(first.header, chain::block_hash(first))}}}};
  std::vector<std::string> numbers;
  for (const auto& message : sink_->messages) {
    if (message["params"]["subscription"] == id) numbers.push_back(message["params"]["result"]["number"]);
  }
  EXPECT_EQ(numbers, (std::vector<std::string>{"0x1", "0x2"}));
  EXPECT_TRUE(std::find(sink_->messages.begin(), sink_->messages.end(), expected) != sink_->messages.end());
}

TEST_F(SubscriptionTest, AReorgSendsTheNewBranchHeads) {
  const auto genesis = chain_->head_header();
  mine({});  // A1
  const std::string id = subscribe({"newHeads"});
  const auto b1 = build_block(*chain_, genesis, {}, 7);
  ASSERT_EQ(chain_->import_block(b1, b1.header.timestamp).status, chain::ImportStatus::side_chain);
  const auto b2 = build_block(*chain_, b1.header, {}, 7);
  const auto result = chain_->import_block(b2, b2.header.timestamp);
  ASSERT_EQ(result.status, chain::ImportStatus::new_head);
  ASSERT_TRUE(result.head_change && result.head_change->is_reorg());
  api_->on_head_change(*result.head_change);

  ASSERT_EQ(sink_->messages.size(), 2U);
  EXPECT_EQ(sink_->messages[0]["params"]["result"]["hash"], rpc::hash_hex(chain::block_hash(b1)));
  EXPECT_EQ(sink_->messages[0]["params"]["result"]["number"], "0x1");
  EXPECT_EQ(sink_->messages[1]["params"]["result"]["hash"], rpc::hash_hex(chain::block_hash(b2)));
  EXPECT_EQ(sink_->messages[1]["params"]["subscription"], id);
}

TEST_F(SubscriptionTest, PendingTransactionsAsHashesOrObjects) {
  const std::string hashes = subscribe({"newPendingTransactions"});
  const std::string full = subscribe({"newPendingTransactions", true});
  const std::string heads = subscribe({"newHeads"});
  const auto tx = transfer(0, Address{0x11}, 1, 0);
  pool_.add(tx, dev_address(0), true);
  api_->on_pending_transaction(chain::tx_hash(tx));
  ASSERT_EQ(sink_->messages.size(), 2U);
  for (const auto& message : sink_->messages) {
    const Json& result = message["params"]["result"];
    if (message["params"]["subscription"] == hashes) {
      EXPECT_EQ(result, rpc::hash_hex(chain::tx_hash(tx)));
    } else {
      EXPECT_EQ(message["params"]["subscription"], full);
      EXPECT_EQ(result["hash"], rpc::hash_hex(chain::tx_hash(tx)));
      EXPECT_EQ(result["blockHash"], nullptr);
    }
  }
  (void)heads;
}

TEST_F(SubscriptionTest, LogsAreAcceptedAndNeverNotified) {
  (void)subscribe({"logs", {{"address", rpc::address_hex(Address{0x11})}}});
  (void)subscribe({"logs"});
  EXPECT_EQ(fails("eth_subscribe", {"logs", {{"topics", {"0x12"}}}}, &ws_).code, rpc::code::kInvalidParams);
  (void)call("tally_mine", {"0x1"});
  api_->on_pending_transaction(Hash256{1});
  EXPECT_TRUE(sink_->messages.empty());
  EXPECT_EQ(api_->subscriptions().size(), 2U);
}

TEST_F(SubscriptionTest, UnknownKindsAndBadOptionsAreRefused) {
  const auto syncing = fails("eth_subscribe", {"syncing"}, &ws_);
  EXPECT_EQ(syncing.code, rpc::code::kMethodNotFound);
  EXPECT_NE(syncing.message.find("no \"syncing\" subscription in eth namespace"), std::string::npos);
  EXPECT_EQ(fails("eth_subscribe", {42}, &ws_).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_subscribe", Json::array(), &ws_).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_subscribe", {"newHeads", {{"x", 1}}}, &ws_).code, rpc::code::kInvalidParams);
  EXPECT_EQ(fails("eth_subscribe", {"newPendingTransactions", "yes"}, &ws_).code, rpc::code::kInvalidParams);
  EXPECT_EQ(api_->subscriptions().size(), 0U);
}

TEST_F(SubscriptionTest, EachConnectionHasALimit) {
  ws_.max_subscriptions = 2;
  (void)subscribe({"newHeads"});
  (void)subscribe({"newPendingTransactions"});
  const auto failure = fails("eth_subscribe", {"newHeads"}, &ws_);
  EXPECT_EQ(failure.code, rpc::code::kLimitExceeded);
  // Another connection has its own budget.
  rpc::CallContext other;
  auto other_sink = std::make_shared<RecordingSink>(2);
  other.sink = other_sink;
  other.max_subscriptions = 2;
  EXPECT_NO_THROW((void)call_in(other, "eth_subscribe", {"newHeads"}));
  EXPECT_EQ(api_->subscriptions().count_for(1), 2U);
  EXPECT_EQ(api_->subscriptions().count_for(2), 1U);
}

TEST_F(SubscriptionTest, TheApiDefaultLimitAppliesWhenTheServerSetsNone) {
  ws_.max_subscriptions = 0;
  rpc::NodeApi node{view_.get(), &pool_, miner_.get(), &info_};
  rpc::EthApiOptions options;
  options.max_subscriptions_per_connection = 1;
  rpc::EthApi limited(node, options);
  rpc::MethodTable table;
  limited.register_methods(table);
  EXPECT_NO_THROW((void)table.find("eth_subscribe")->handler(Json::array({"newHeads"}), ws_));
  try {
    (void)table.find("eth_subscribe")->handler(Json::array({"newHeads"}), ws_);
    ADD_FAILURE() << "second subscription accepted";
  } catch (const rpc::RpcError& error) {
    EXPECT_EQ(error.code(), rpc::code::kLimitExceeded);
  }
}

TEST_F(SubscriptionTest, UnsubscribeStopsNotifications) {
  const std::string id = subscribe({"newHeads"});
  EXPECT_EQ(call_in(ws_, "eth_unsubscribe", {id}), true);
  (void)call("tally_mine", {"0x1"});
  EXPECT_TRUE(sink_->messages.empty());
  EXPECT_EQ(fails("eth_unsubscribe", {id}, &ws_).message, "subscription not found");
  EXPECT_EQ(fails("eth_unsubscribe", {7}, &ws_).code, rpc::code::kInvalidParams);

  // Only the connection that made a subscription can end it.
  const std::string kept = subscribe({"newHeads"});
  rpc::CallContext other;
  other.sink = std::make_shared<RecordingSink>(2);
  EXPECT_EQ(fails("eth_unsubscribe", {kept}, &other).message, "subscription not found");
  EXPECT_EQ(api_->subscriptions().size(), 1U);
}

TEST_F(SubscriptionTest, ClosedConnectionsArePruned) {
  auto short_lived = std::make_shared<RecordingSink>(3);
  rpc::CallContext closing;
  closing.sink = short_lived;
  (void)call_in(closing, "eth_subscribe", {"newHeads"});
  (void)subscribe({"newHeads"});
  EXPECT_EQ(api_->subscriptions().size(), 2U);
  closing.sink.reset();
  short_lived.reset();  // the connection closed: the server dropped its sink
  (void)call("tally_mine", {"0x1"});
  EXPECT_EQ(sink_->messages.size(), 1U);
  EXPECT_EQ(api_->subscriptions().size(), 1U);
  EXPECT_EQ(api_->subscriptions().count_for(3), 0U);
}

TEST(SubscriptionHub, RefusesANullSink) {
  rpc::SubscriptionHub hub;
  EXPECT_THROW((void)hub.subscribe(nullptr, rpc::SubscriptionKind::new_heads, 0), rpc::RpcError);
  hub.on_head_change(chain::HeadChange{});  // nothing subscribed, nothing added: no effect
  EXPECT_EQ(hub.size(), 0U);
}

}  // namespace
}  // namespace tally::test
