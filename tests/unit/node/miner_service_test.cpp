// The node's miner: getWork/submitWork, instant mining, the mining loop's
// empty-block policy and abandonment of work on a new head.

#include "consensus/pow/seal.hpp"
#include "node_test_util.hpp"

namespace tally::test {
namespace {

namespace pow = consensus::pow;

const Address kPayee{0xaa};

// Finds a nonce for work handed out by get_work, as an outside miner does.
std::uint64_t solve(const rpc::MinerApi::Work& work) {
  pow::SealChecker checker(work.seal_hash, work.target);
  for (std::uint64_t nonce = 0; nonce < (1ULL << 32U); ++nonce) {
    if (checker.try_nonce(nonce)) return nonce;
  }
  ADD_FAILURE() << "no nonce found";
  return 0;
}

class MinerServiceTest : public NodeTest {
 protected:
  MinerServiceTest() : NodeTest("miner") {}
};

TEST_F(MinerServiceTest, SubmittedWorkBecomesTheHeadAndPaysTheBeneficiary) {
  auto& node = start(base_config());
  auto work = node.miner().get_work(kPayee);
  ASSERT_TRUE(work.ok()) << work.error().message;
  EXPECT_EQ(work->number, 1U);
  EXPECT_EQ(work->seed, Hash256{});
  EXPECT_TRUE(node.miner().submit_work(solve(*work), work->seal_hash));
  EXPECT_EQ(head_number(), 1U);
  EXPECT_EQ(balance(kPayee), 2 * ether());  // the dev genesis reward
  // The same work again: already used, refused without side effects.
  EXPECT_FALSE(node.miner().submit_work(solve(*work), work->seal_hash));
  EXPECT_EQ(head_number(), 1U);
}

TEST_F(MinerServiceTest, WrongNonceAndUnknownWorkAreRefused) {
  auto& node = start(base_config());
  auto work = node.miner().get_work(kPayee);
  ASSERT_TRUE(work.ok());
  pow::SealChecker checker(work->seal_hash, work->target);
  std::uint64_t bad = 0;
  while (checker.try_nonce(bad)) ++bad;
  EXPECT_FALSE(node.miner().submit_work(bad, work->seal_hash));
  Hash256 unknown = work->seal_hash;
  unknown[0] ^= 1U;
  EXPECT_FALSE(node.miner().submit_work(solve(*work), unknown));
  EXPECT_EQ(head_number(), 0U);
}

TEST_F(MinerServiceTest, WorkGoesStaleWhenTheHeadMoves) {
  auto& node = start(base_config());
  auto stale = node.miner().get_work(kPayee);
  ASSERT_TRUE(stale.ok());
  const std::uint64_t nonce = solve(*stale);
  auto mined = node.miner().mine_now(1, Address{0xbb});
  ASSERT_TRUE(mined.ok()) << mined.error().message;
  const auto head = node.chain().head();
  EXPECT_FALSE(node.miner().submit_work(nonce, stale->seal_hash));
  EXPECT_EQ(node.chain().head(), head);
  EXPECT_EQ(balance(kPayee), U256(0));
}

TEST_F(MinerServiceTest, GetWorkNeedsABeneficiary) {
  auto& node = start(base_config());
  auto work = node.miner().get_work(std::nullopt);
  ASSERT_FALSE(work.ok());
  EXPECT_NE(work.error().message.find("miner_setEtherbase"), std::string::npos);
  ASSERT_TRUE(node.miner().set_etherbase(kPayee).ok());
  EXPECT_TRUE(node.miner().get_work(std::nullopt).ok());
  EXPECT_EQ(node.miner().etherbase(), kPayee);
}

TEST_F(MinerServiceTest, InstantMiningIncludesPendingTransactions) {
  auto& node = start(base_config());
  const Address to{0x77};
  ASSERT_TRUE(node.pool_service().submit(transfer(0, to, ether(), 0)).ok());
  ASSERT_TRUE(node.pool_service().submit(transfer(0, to, ether(), 1)).ok());
  auto mined = node.miner().mine_now(3, kPayee);
  ASSERT_TRUE(mined.ok()) << mined.error().message;
  ASSERT_EQ(mined->size(), 3U);
  EXPECT_EQ(head_number(), 3U);
  EXPECT_EQ(node.chain().head().hash, mined->back());
  EXPECT_EQ(balance(to), 2 * ether());
  EXPECT_EQ(node.mempool().pending_count(), 0U);
  const auto first = node.chain().store().block((*mined)[0]);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->transactions.size(), 2U);
}

TEST_F(MinerServiceTest, InstantMiningRefusesBadCountsAndNonDevChains) {
  auto& node = start(base_config());
  EXPECT_FALSE(node.miner().mine_now(0, kPayee).ok());
  EXPECT_FALSE(node.miner().mine_now(node::MinerService::kMaxInstantBlocks + 1, kPayee).ok());
  EXPECT_FALSE(node.miner().mine_now(1, std::nullopt).ok());  // no etherbase
  node_.reset();

  auto config = base_config();
  config.datadir = dir_.path() / "public";
  use_genesis(config, dev_genesis_with([](nlohmann::json& g) { g.erase("devAccounts"); }));
  auto& public_node = start(config);
  auto refused = public_node.miner().mine_now(1, kPayee);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("development"), std::string::npos);
}

TEST_F(MinerServiceTest, DevChainMinesOnlyWhenTransactionsWait) {
  auto config = base_config();
  config.mining.enabled = true;
  config.mining.beneficiary = kPayee;
  auto& node = start(config);
  ASSERT_TRUE(wait_until([&] { return node.miner().idle_rounds() >= 2; }));
  EXPECT_EQ(head_number(), 0U);
  EXPECT_EQ(node.miner().templates_built(), 0U);

  ASSERT_TRUE(node.pool_service().submit(transfer(1, Address{0x55}, ether(), 0)).ok());
  ASSERT_TRUE(wait_until([&] { return head_number() >= 1; }));
  EXPECT_EQ(balance(Address{0x55}), ether());
  // One empty block closes the block that carried the transaction (clients
  // waiting for the next block see one); then the miner goes idle.
  ASSERT_TRUE(wait_until([&] { return head_number() >= 2; }));
  EXPECT_EQ(node.chain().head_header().gas_used, 0U);
  const auto idle = node.miner().idle_rounds();
  ASSERT_TRUE(wait_until([&] { return node.miner().idle_rounds() > idle + 1; }));
  EXPECT_EQ(head_number(), 2U);
}

TEST_F(MinerServiceTest, StopReturnsAfterTheLastBlockItMines) {
  auto config = base_config();
  config.mining.enabled = true;
  config.mining.beneficiary = kPayee;
  config.mining.empty_blocks = node::EmptyBlocks::always;
  auto& node = start(config);
  ASSERT_TRUE(wait_until([&] { return head_number() >= 1; }));
  node.miner().stop();
  const auto stopped_at = head_number();
  const auto idle = node.miner().idle_rounds();
  ASSERT_TRUE(wait_until([&] { return node.miner().idle_rounds() > idle + 1; }));
  EXPECT_EQ(head_number(), stopped_at);
}

TEST_F(MinerServiceTest, AlwaysPolicyMinesEmptyBlocks) {
  auto config = base_config();
  config.mining.enabled = true;
  config.mining.beneficiary = kPayee;
  config.mining.empty_blocks = node::EmptyBlocks::always;
  auto& node = start(config);
  ASSERT_TRUE(wait_until([&] { return head_number() >= 2; }));
  // The miner counts a block just after its import makes it the head.
  EXPECT_TRUE(wait_until([&] { return node.miner().blocks_mined() >= 2U; }));
  EXPECT_GE(balance(kPayee), 4 * ether());
}

TEST_F(MinerServiceTest, NewHeadAbandonsTheCurrentTemplate) {
  // A difficulty the loop never solves in a test's time, so the only way to
  // a new template is abandonment.
  auto config = base_config();
  use_genesis(config, dev_genesis_with([](nlohmann::json& g) {
                g["consensus"]["initialDifficulty"] = "1099511627776";  // 2^40
                g["consensus"]["minimumDifficulty"] = "1099511627776";
              }));
  config.mining.enabled = true;
  config.mining.beneficiary = kPayee;
  config.mining.empty_blocks = node::EmptyBlocks::always;
  auto& node = start(config);
  ASSERT_TRUE(wait_until([&] { return node.miner().hashes_done() > 0; }));
  const auto templates = node.miner().templates_built();
  node.miner().on_head_change();
  ASSERT_TRUE(wait_until([&] { return node.miner().templates_built() > templates; }));
  node.miner().stop();
  EXPECT_FALSE(node.miner().mining());
  EXPECT_EQ(node.miner().hashrate(), 0U);
}

TEST_F(MinerServiceTest, StartNeedsAnEtherbase) {
  auto& node = start(base_config());
  auto started = node.miner().start(2);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("--miner-address"), std::string::npos);
  EXPECT_FALSE(node.miner().mining());
}

TEST_F(MinerServiceTest, MinedChainSurvivesARestart) {
  auto& node = start(base_config());
  ASSERT_TRUE(node.miner().mine_now(2, kPayee).ok());
  const auto head = node.chain().head();
  auto& reopened = start(base_config());
  EXPECT_EQ(reopened.chain().head(), head);
  EXPECT_EQ(balance(kPayee), 4 * ether());
}

}  // namespace
}  // namespace tally::test
