// Two whole nodes on 127.0.0.1: a late node syncs, transactions travel to
// the miner, mined blocks come back, and a restarted node catches up.

#include "chain/transaction.hpp"
#include "node_test_util.hpp"

namespace tally::test {
namespace {

class NodeP2pTest : public ::testing::Test {
 protected:
  NodeP2pTest() : dir_("node-p2p") {}

  std::unique_ptr<node::Node> open_node(const std::string& name, const std::vector<std::string>& peers,
                                        std::size_t sync_headers_per_request = 192) {
    node::NodeConfig config;
    config.p2p.sync_headers_per_request = sync_headers_per_request;
    config.datadir = dir_.path() / name;
    config.rpc.enabled = false;
    config.p2p.port = 0;
    config.p2p.peers = peers;
    config.mining.threads = 1;
    auto node = node::Node::open(config);
    EXPECT_TRUE(node.ok()) << (node.ok() ? "" : node.error().message);
    if (!node.ok()) return nullptr;
    auto started = (*node)->start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    return std::move(*node);
  }

  static std::string address_of(const node::Node& node) { return "127.0.0.1:" + std::to_string(node.p2p_port()); }

  TempDir dir_;
};

TEST_F(NodeP2pTest, LateNodeSyncsAndTransactionsAndBlocksTravel) {
  auto miner = open_node("miner", {});
  ASSERT_TRUE(miner);
  ASSERT_TRUE(miner->miner().mine_now(3, Address{0xaa}).ok());

  auto follower = open_node("follower", {address_of(*miner)});
  ASSERT_TRUE(follower);
  ASSERT_TRUE(wait_until([&] { return follower->chain().head() == miner->chain().head(); }))
      << "follower at " << follower->chain().head().number;

  // A transaction sent to the follower reaches the miner's pool...
  const auto tx = transfer(0, Address{0x42}, ether(), 0);
  ASSERT_TRUE(follower->pool_service().submit(tx).ok());
  const Hash256 hash = chain::tx_hash(tx);
  ASSERT_TRUE(wait_until([&] { return miner->mempool().contains(hash); }));
  // ...and the block that mines it comes back.
  ASSERT_TRUE(miner->miner().mine_now(1, Address{0xaa}).ok());
  ASSERT_TRUE(wait_until([&] { return follower->chain().store().tx_location(hash).has_value(); }));
  EXPECT_EQ(follower->chain().head(), miner->chain().head());
  ASSERT_TRUE(wait_until([&] { return !follower->mempool().contains(hash); }));

  // A restarted follower keeps its chain and catches up with what it missed.
  const auto before_restart = follower->chain().head();
  follower.reset();
  ASSERT_TRUE(miner->miner().mine_now(2, Address{0xaa}).ok());
  follower = open_node("follower", {address_of(*miner)});
  ASSERT_TRUE(follower);
  EXPECT_GE(follower->chain().head().number, before_restart.number);
  ASSERT_TRUE(wait_until([&] { return follower->chain().head() == miner->chain().head(); }));
}

// Each sync batch starts on the last header of the one before, whose
// ancestors (read by the median-time-past rule) are checked but not stored
// yet: the node keeps the tail of what it checked for the next batch.
TEST_F(NodeP2pTest, SyncSpansManyHeaderBatches) {
  auto miner = open_node("miner", {});
  ASSERT_TRUE(miner);
  ASSERT_TRUE(miner->miner().mine_now(20, Address{0xaa}).ok());
  auto follower = open_node("follower", {address_of(*miner)}, 4);
  ASSERT_TRUE(follower);
  ASSERT_TRUE(wait_until([&] { return follower->chain().head() == miner->chain().head(); }))
      << "follower at " << follower->chain().head().number << " of " << miner->chain().head().number;
}

}  // namespace
}  // namespace tally::test
