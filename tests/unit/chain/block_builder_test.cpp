// Block production: the builder packs what executes, skips what does not
// (with the same sender's later nonces), and its blocks import as valid.

#include "chain/block_builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "chain/execution.hpp"
#include "chain_test_util.hpp"

namespace tally::test {
namespace {

chain::PooledTxPtr pooled(const chain::Transaction& tx) {
  auto entry = std::make_shared<chain::PooledTx>();
  entry->tx = tx;
  entry->hash = chain::tx_hash(tx);
  entry->sender = *chain::recover_sender(tx);
  return entry;
}

class BlockBuilderTest : public ChainTest {
 protected:
  BlockBuilderTest() : ChainTest("builder") { engine_.reward = 5; }

  chain::BlockTemplate template_at(std::uint64_t timestamp) const {
    chain::BlockTemplate t;
    t.beneficiary = Address{0xbe};
    t.timestamp = timestamp;
    t.block_reward = engine_.block_reward(1);
    return t;
  }
};

TEST_F(BlockBuilderTest, BuiltBlockImportsAsTheNewHead) {
  const auto parent = chain_->head_header();
  std::vector<chain::PooledTxPtr> candidates{pooled(transfer(0, Address{1}, ether(), 0)),
                                             pooled(transfer(1, Address{2}, ether(), 0))};
  auto built =
      chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 2), candidates);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->block.transactions.size(), 2U);
  EXPECT_EQ(built->senders, (std::vector<Address>{dev_address(0), dev_address(1)}));
  EXPECT_TRUE(built->skipped.empty());
  EXPECT_EQ(built->block.header.gas_used, 42'000U);
  EXPECT_EQ(built->tips, U256(42'000) * gwei());
  auto result = chain_->import_block(built->block, parent.timestamp + 2, built->senders);
  ASSERT_EQ(result.status, chain::ImportStatus::new_head) << result.error;
  auto payee = chain_->account_at(Address{0xbe}, result.hash);
  ASSERT_TRUE(payee);
  EXPECT_EQ(payee->balance, U256(42'000) * gwei() + 5);
}

TEST_F(BlockBuilderTest, FailingTransactionIsSkippedWithItsSendersLaterNonces) {
  const auto parent = chain_->head_header();
  std::vector<chain::PooledTxPtr> candidates{
      pooled(transfer(0, Address{1}, ether(), 5)),  // nonce gap: fails
      pooled(transfer(0, Address{1}, ether(), 6)),  // same sender: skipped unseen
      pooled(transfer(2, Address{3}, ether(), 0)),
  };
  auto built =
      chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 1), candidates);
  ASSERT_TRUE(built.ok());
  ASSERT_EQ(built->block.transactions.size(), 1U);
  EXPECT_EQ(built->senders[0], dev_address(2));
  EXPECT_EQ(built->skipped, (std::vector<Hash256>{candidates[0]->hash, candidates[1]->hash}));
  EXPECT_EQ(chain_->import_block(built->block, parent.timestamp + 1).status, chain::ImportStatus::new_head);
}

TEST_F(BlockBuilderTest, EmptyBlockCarriesOnlyTheReward) {
  const auto parent = chain_->head_header();
  auto built = chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 1), {});
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(built->block.transactions.empty());
  EXPECT_EQ(built->block.header.gas_used, 0U);
  EXPECT_EQ(built->block.header.base_fee, chain::next_base_fee(parent));
  EXPECT_EQ(chain_->import_block(built->block, parent.timestamp + 1).status, chain::ImportStatus::new_head);
}

TEST_F(BlockBuilderTest, TemplateBreakingChainRulesIsRefused) {
  const auto parent = chain_->head_header();
  EXPECT_FALSE(chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp), {}).ok());
  auto long_extra = template_at(parent.timestamp + 1);
  long_extra.extra_data = Bytes(chain::kMaxExtraDataBytes + 1, 0);
  EXPECT_FALSE(chain::build_block(chain_->config(), chain_->store(), parent, long_extra, {}).ok());
}

TEST_F(BlockBuilderTest, FullBlockStillTakesSmallerTransactionsOfOtherSenders) {
  // Each bulky transaction carries 100 kB of data: 21000 + 1.6M gas, so 18
  // fit in 30M gas and the 19th does not; a plain transfer from another
  // sender still fits in what is left.
  const auto bulky = [](std::uint64_t nonce) {
    auto tx = transfer(0, Address{9}, 1, nonce);
    tx.data = Bytes(100'000, 0x01);
    tx.gas_limit = 21'000 + 16 * 100'000;
    chain::sign(tx, dev_key(0));
    return tx;
  };
  const auto parent = chain_->head_header();
  std::vector<chain::PooledTxPtr> candidates;
  for (std::uint64_t n = 0; n < 19; ++n) candidates.push_back(pooled(bulky(n)));
  candidates.push_back(pooled(transfer(1, Address{9}, 1, 0)));
  auto built =
      chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 1), candidates);
  ASSERT_TRUE(built.ok());
  ASSERT_EQ(built->block.transactions.size(), 19U);
  EXPECT_EQ(built->senders.back(), dev_address(1));
  EXPECT_EQ(built->skipped, std::vector<Hash256>{candidates[18]->hash});
  EXPECT_LE(built->block.header.gas_used, chain_->config().gas_limit);
  EXPECT_EQ(chain_->import_block(built->block, parent.timestamp + 1).status, chain::ImportStatus::new_head);
}

// What the builder hands to the import must be exactly what executing the
// block again would produce: the import trusts it instead of re-running.
TEST_F(BlockBuilderTest, BuiltExecutionEqualsAFreshExecutionOfTheBlock) {
  const auto parent = chain_->head_header();
  std::vector<chain::PooledTxPtr> candidates{pooled(transfer(0, Address{1}, ether(), 0)),
                                             pooled(transfer(1, Address{2}, ether(), 0)),
                                             pooled(transfer(0, Address{3}, 7, 1))};
  auto built =
      chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 1), candidates);
  ASSERT_TRUE(built.ok()) << built.error().message;
  ASSERT_TRUE(built->execution);
  chain::StateDB state(chain_->store(), parent.state_root);
  auto fresh = chain::execute_block(chain_->config(), parent, built->block, built->senders, state,
                                    engine_.block_reward(parent.number + 1));
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  chain::NodeBatch fresh_nodes;
  state.commit(fresh_nodes);
  const auto& kept = built->execution->result;
  EXPECT_EQ(kept.receipts, fresh->receipts);
  EXPECT_EQ(kept.gas_used, fresh->gas_used);
  EXPECT_EQ(kept.state_root, fresh->state_root);
  EXPECT_EQ(kept.transactions_root, fresh->transactions_root);
  EXPECT_EQ(kept.receipts_root, fresh->receipts_root);
  EXPECT_EQ(kept.burned, fresh->burned);
  EXPECT_EQ(kept.tips, fresh->tips);
  auto kept_nodes = built->execution->nodes;
  std::sort(kept_nodes.begin(), kept_nodes.end());
  std::sort(fresh_nodes.begin(), fresh_nodes.end());
  EXPECT_EQ(kept_nodes, fresh_nodes);
  EXPECT_TRUE(chain::validate_block_result(built->block.header, kept).ok());
}

TEST_F(BlockBuilderTest, ImportWithTheBuiltExecutionStoresItsReceiptsAndState) {
  const auto parent = chain_->head_header();
  std::vector<chain::PooledTxPtr> candidates{pooled(transfer(0, Address{1}, ether(), 0))};
  auto built =
      chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 1), candidates);
  ASSERT_TRUE(built.ok()) << built.error().message;
  auto result = chain_->import_block(built->block, parent.timestamp + 1, built->senders, built->execution);
  ASSERT_EQ(result.status, chain::ImportStatus::new_head) << result.error;
  EXPECT_EQ(chain_->store().receipts(result.hash), built->execution->result.receipts);
  auto payee = chain_->account_at(Address{1}, result.hash);
  ASSERT_TRUE(payee);
  EXPECT_EQ(payee->balance, ether());
}

TEST_F(BlockBuilderTest, AnExecutionThatDoesNotMatchTheBlockIsNotUsed) {
  const auto parent = chain_->head_header();
  const std::vector<chain::PooledTxPtr> one_transfer{pooled(transfer(0, Address{1}, 5, 0))};
  auto with_transfer =
      chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 1), one_transfer);
  auto empty = chain::build_block(chain_->config(), chain_->store(), parent, template_at(parent.timestamp + 1), {});
  ASSERT_TRUE(with_transfer.ok() && empty.ok());
  // The empty block's execution offered for the block with a transfer: the
  // roots differ, so the import executes the block itself.
  auto result =
      chain_->import_block(with_transfer->block, parent.timestamp + 1, with_transfer->senders, empty->execution);
  ASSERT_EQ(result.status, chain::ImportStatus::new_head) << result.error;
  const auto receipts = chain_->store().receipts(result.hash);
  ASSERT_TRUE(receipts);
  EXPECT_EQ(receipts->size(), 1U);
  auto payee = chain_->account_at(Address{1}, result.hash);
  ASSERT_TRUE(payee);
  EXPECT_EQ(payee->balance, U256(5));
}

}  // namespace
}  // namespace tally::test
