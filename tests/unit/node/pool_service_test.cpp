// Transaction intake: raw bytes to pooled transactions, with Ethereum's
// refusal messages; and the importer as the one writer.

#include "chain/transaction.hpp"
#include "node_test_util.hpp"

namespace tally::test {
namespace {

class PoolServiceTest : public NodeTest {
 protected:
  PoolServiceTest() : NodeTest("pool") {}
};

std::string message_of(const Result<Hash256>& result) {
  return result.ok() ? std::string("ok") : result.error().message;
}

TEST_F(PoolServiceTest, RawTransactionIsPooledWithItsHash) {
  auto& node = start(base_config());
  const auto tx = transfer(0, Address{0x11}, ether(), 0);
  auto added = node.pool_service().submit_raw(chain::encode(tx));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(*added, chain::tx_hash(tx));
  ASSERT_NE(node.pool_service().pooled(*added), nullptr);
  EXPECT_EQ(node.pool_service().pending_nonce(dev_address(0)), 1U);
  EXPECT_EQ(message_of(node.pool_service().submit_raw(chain::encode(tx))), "already known");
}

TEST_F(PoolServiceTest, PoolSizeComesFromTheConfig) {
  auto config = base_config();
  config.txpool_max_txs = 2;
  auto& node = start(config);
  auto& pool = node.pool_service();
  ASSERT_TRUE(pool.submit(transfer(0, Address{0x11}, ether(), 0)).ok());
  ASSERT_TRUE(pool.submit(transfer(1, Address{0x11}, ether(), 0)).ok());
  const auto third = pool.submit(transfer(2, Address{0x11}, ether(), 0));
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().message.find("txpool is full"), std::string::npos) << third.error().message;
  EXPECT_EQ(node.mempool().status().pending, 2U);
}

TEST_F(PoolServiceTest, RefusalsUseEthereumWording) {
  auto& node = start(base_config());
  auto& pool = node.pool_service();
  EXPECT_NE(message_of(pool.submit_raw(Bytes{0x02, 0xc0})).find("invalid transaction"), std::string::npos);
  EXPECT_NE(message_of(pool.submit_raw(Bytes{})).find("invalid transaction"), std::string::npos);
  EXPECT_NE(message_of(pool.submit_raw(Bytes(200'000, 0x01))).find("oversized data"), std::string::npos);
  EXPECT_NE(message_of(pool.submit(transfer(0, Address{1}, ether(), 0, 1))).find("chain"), std::string::npos);
  const U256 too_much = U256(20'000) * ether();
  EXPECT_NE(message_of(pool.submit(transfer(0, Address{1}, too_much, 0))).find("insufficient funds"),
            std::string::npos);
  ASSERT_TRUE(pool.submit(transfer(0, Address{1}, ether(), 0)).ok());
  ASSERT_TRUE(node.miner().mine_now(1, Address{0xaa}).ok());
  EXPECT_EQ(message_of(pool.submit(transfer(0, Address{1}, 2 * ether(), 0))).rfind("nonce too low", 0), 0U);
  EXPECT_EQ(pool.status().pending, 0U);
}

TEST_F(PoolServiceTest, ListenersHearOfAddedTransactionsOnly) {
  auto config = base_config();
  auto opened = node::Node::open(config);
  ASSERT_TRUE(opened.ok());
  node_ = std::move(*opened);
  std::vector<Hash256> heard;
  node_->pool_service().add_listener([&](const chain::PooledTxPtr& tx) { heard.push_back(tx->hash); });
  ASSERT_TRUE(node_->start().ok());
  const auto tx = transfer(2, Address{3}, ether(), 0);
  ASSERT_TRUE(node_->pool_service().submit(tx).ok());
  EXPECT_FALSE(node_->pool_service().submit(tx).ok());
  ASSERT_EQ(heard.size(), 1U);
  EXPECT_EQ(heard[0], chain::tx_hash(tx));
}

TEST_F(PoolServiceTest, PeerBatchGetsOneVerdictPerTransactionInOrder) {
  auto& node = start(base_config());
  auto& pool = node.pool_service();
  const auto pooled = transfer(0, Address{0x11}, ether(), 0);
  ASSERT_TRUE(pool.submit(pooled).ok());
  auto bad_signature = transfer(1, Address{0x11}, ether(), 0);
  bad_signature.s = Hash256{};
  const U256 too_much = U256(20'000) * ether();
  const std::vector<chain::Transaction> batch{
      transfer(0, Address{0x11}, ether(), 1),  // the pooled one's successor
      bad_signature,
      pooled,
      transfer(2, Address{0x11}, too_much, 0),    // unaffordable: refused, not the peer's fault
      transfer(3, Address{0x11}, ether(), 0, 1),  // another chain
      transfer(4, Address{0x12}, ether(), 0),
  };
  using V = node::PoolService::Verdict;
  const std::vector<V> expected{V::accepted, V::invalid, V::known, V::refused, V::invalid, V::accepted};
  EXPECT_EQ(pool.submit_from_peer(batch), expected);
  EXPECT_NE(pool.pooled(chain::tx_hash(batch[0])), nullptr);
  EXPECT_NE(pool.pooled(chain::tx_hash(batch[5])), nullptr);
  EXPECT_EQ(pool.pooled(chain::tx_hash(batch[1])), nullptr);
  EXPECT_EQ(pool.status().pending, 3U);
  EXPECT_TRUE(pool.submit_from_peer({}).empty());
}

// The p2p host passes the hashes it computed; the pool keys by them and
// does not hash again. A batch with the wrong number of hashes is refused
// whole, before anything enters the pool.
TEST_F(PoolServiceTest, PeerBatchWithHashesIsPooledUnderThem) {
  auto& node = start(base_config());
  auto& pool = node.pool_service();
  const std::vector<chain::Transaction> batch{transfer(0, Address{0x11}, ether(), 0),
                                              transfer(1, Address{0x11}, ether(), 0)};
  const std::vector<Hash256> hashes{chain::tx_hash(batch[0]), chain::tx_hash(batch[1])};
  EXPECT_THROW(pool.submit_from_peer(batch, std::span(hashes).first(1)), std::invalid_argument);
  EXPECT_EQ(pool.status().pending, 0U);
  using V = node::PoolService::Verdict;
  EXPECT_EQ(pool.submit_from_peer(batch, hashes), (std::vector<V>{V::accepted, V::accepted}));
  for (const auto& hash : hashes) {
    const auto pooled = pool.pooled(hash);
    ASSERT_NE(pooled, nullptr);
    EXPECT_EQ(pooled->hash, hash);
  }
  EXPECT_EQ(pool.submit_from_peer(batch, hashes), (std::vector<V>{V::known, V::known}));
}

TEST_F(PoolServiceTest, ImporterRefusesWorkAfterStop) {
  auto& node = start(base_config());
  node.importer().stop();
  chain::Block block;
  block.header.number = 1;
  auto result = node.importer().submit(block).get();
  EXPECT_EQ(result.status, chain::ImportStatus::invalid);
  EXPECT_EQ(result.error, "node is stopping");
}

TEST_F(PoolServiceTest, ImporterReportsInvalidBlocks) {
  auto& node = start(base_config());
  chain::Block block;
  block.header.parent_hash = node.chain().head().hash;
  block.header.number = 1;
  block.header.timestamp = 1;
  auto result = node.importer().submit(block).get();
  EXPECT_EQ(result.status, chain::ImportStatus::invalid);
  EXPECT_FALSE(result.error.empty());
  EXPECT_EQ(head_number(), 0U);
}

TEST_F(PoolServiceTest, OpeningAnotherGenesisDatadirIsRefused) {
  start(base_config());
  node_.reset();
  auto config = base_config();
  use_genesis(config, dev_genesis_with([](nlohmann::json& g) { g["chainId"] = 4242; }));
  auto opened = node::Node::open(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("genesis"), std::string::npos);
}

}  // namespace
}  // namespace tally::test
