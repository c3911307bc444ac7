// Compact blocks between in-process hosts on 127.0.0.1: announced blocks
// fetched compact, rebuilt from the pool, missing transactions asked for by
// index, and peers that answer wrongly scored or banned.

#include <gtest/gtest.h>

#include "net_test_util.hpp"

namespace tally::p2p::test {
namespace {

TEST(Gossip, BlockAnnouncedByHashIsFetchedAsACompactBlock) {
  // Five peers lacking the block: ceil(sqrt(5)) = 3 get it pushed (compact),
  // 2 by hash, and those ask for its compact form. A star: the hub dials
  // nobody. It would otherwise dial the leaves it learns of, and a second
  // connection to a leaf, live until the duplicate is refused, can make a
  // sixth target (seen once in CI: ceil(sqrt(6)) = 3 pushed, 3 asked).
  auto hub_options = test_options();
  hub_options.max_outbound = 0;
  TestNode hub(hub_options);
  ASSERT_TRUE(hub.start());
  std::vector<std::unique_ptr<TestNode>> leaves;
  for (int i = 0; i < 5; ++i) {
    auto options = test_options({hub.address()});
    options.max_outbound = 1;
    leaves.push_back(std::make_unique<TestNode>(options));
    ASSERT_TRUE(leaves.back()->start());
  }
  ASSERT_TRUE(wait_until([&] { return hub.host->peer_count() == 5; }));
  const auto tx = make_tx(3, Bytes(4'000, 0x33));
  hub.chain.add_local_tx(tx);
  ASSERT_TRUE(wait_until([&] {
    for (const auto& leaf : leaves) {
      if (!leaf->chain.pool_has(chain::tx_hash(tx))) return false;
    }
    return true;
  }));
  const auto genesis = *hub.chain.block_by_hash(hub.chain.head_hash());
  const auto block = child_of(genesis, {tx});
  hub.chain.produce(block);
  ASSERT_TRUE(wait_until([&] {
    for (const auto& leaf : leaves) {
      if (leaf->chain.head_hash() != chain::block_hash(block)) return false;
    }
    return true;
  }));
  // Three pushes and two answers; nothing whole, no headers or bodies.
  EXPECT_EQ(hub.received(MessageType::get_compact_block), 2U);
  EXPECT_EQ(hub.sent(MessageType::compact_block), 5U);
  EXPECT_EQ(hub.sent(MessageType::new_block), 0U);
  EXPECT_EQ(hub.received(MessageType::get_bodies), 0U);
  EXPECT_EQ(hub.received(MessageType::get_block_txs), 0U);
  std::size_t announced = 0;
  for (const auto& leaf : leaves) {
    EXPECT_EQ(leaf->received(MessageType::compact_block), 1U);
    announced += leaf->sent(MessageType::get_compact_block);
  }
  EXPECT_EQ(announced, 2U);
}

// Two connected nodes, `a` the block's producer.
class CompactBlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::make_unique<TestNode>(test_options());
    ASSERT_TRUE(a_->start());
    b_ = std::make_unique<TestNode>(test_options({a_->address()}));
    ASSERT_TRUE(b_->start());
    ASSERT_TRUE(wait_until([&] { return a_->connected_to(*b_) && b_->connected_to(*a_); }));
  }
  chain::Block genesis() const { return *a_->chain.block_by_hash(a_->chain.genesis_hash()); }
  // Gossips `txs` from a and waits until b holds them.
  void gossip(const std::vector<chain::Transaction>& txs) {
    for (const auto& tx : txs) a_->chain.add_local_tx(tx);
    ASSERT_TRUE(wait_until([&] {
      for (const auto& tx : txs) {
        if (!b_->chain.pool_has(chain::tx_hash(tx))) return false;
      }
      return true;
    }));
  }
  std::unique_ptr<TestNode> a_;
  std::unique_ptr<TestNode> b_;
};

// Transfers with some calldata: a block of them is far bigger than its hashes.
std::vector<chain::Transaction> fat_txs(std::uint64_t first, std::size_t count) {
  std::vector<chain::Transaction> txs;
  for (std::size_t i = 0; i < count; ++i) txs.push_back(make_tx(first + i, Bytes(2'000, static_cast<std::uint8_t>(i))));
  return txs;
}

TEST_F(CompactBlockTest, BlockOfPooledTransactionsTravelsAsHashesAndIsRebuilt) {
  const auto txs = fat_txs(100, 20);
  gossip(txs);
  const auto block = child_of(genesis(), txs);
  const auto block_bytes = chain::encode_block(block).size();
  const auto before = b_->host->stats().bytes_received;
  a_->chain.produce(block);
  ASSERT_TRUE(wait_until([&] { return b_->chain.head_hash() == chain::block_hash(block); }));
  const auto received = b_->host->stats().bytes_received - before;
  EXPECT_EQ(b_->received(MessageType::compact_block), 1U);
  EXPECT_EQ(b_->received(MessageType::new_block), 0U);
  EXPECT_EQ(b_->sent(MessageType::get_block_txs), 0U);
  EXPECT_EQ(b_->received(MessageType::block_txs), 0U);
  EXPECT_EQ(b_->chain.submitted_blocks(), 1U);
  // The header and 20 hashes, not 40 KB of transactions.
  EXPECT_GT(block_bytes, 40'000U);
  EXPECT_LT(received, 2'000U);
  for (const auto& peer : b_->host->peers()) EXPECT_EQ(peer.score, 0);
}

TEST_F(CompactBlockTest, BlockTheNodeImportsItselfIsNotRebuiltFromACompactBlock) {
  const auto txs = fat_txs(150, 5);
  gossip(txs);
  const auto block = child_of(genesis(), txs);
  b_->host->note_local_block(chain::block_hash(block));
  a_->chain.produce(block);
  ASSERT_TRUE(wait_until([&] { return b_->received(MessageType::compact_block) == 1U; }));
  // A later message on the same connection is handled after the compact block.
  const auto after = make_tx(160, Bytes(100, 0x16));
  gossip({after});
  EXPECT_EQ(b_->chain.submitted_blocks(), 0U);
  EXPECT_EQ(b_->sent(MessageType::get_block_txs), 0U);
  EXPECT_EQ(b_->sent(MessageType::get_compact_block), 0U);
  for (const auto& peer : b_->host->peers()) EXPECT_EQ(peer.score, 0);
}

TEST_F(CompactBlockTest, TransactionsMissingFromThePoolAreFetchedOnce) {
  const auto pooled = fat_txs(200, 10);
  gossip(pooled);
  // Three transactions b never heard of, among the pooled ones.
  auto txs = pooled;
  const auto unseen = fat_txs(300, 3);
  txs.insert(txs.begin() + 2, unseen[0]);
  txs.insert(txs.begin() + 7, unseen[1]);
  txs.push_back(unseen[2]);
  const auto block = child_of(genesis(), txs);
  const auto before = b_->host->stats().bytes_received;
  a_->chain.produce(block);
  ASSERT_TRUE(wait_until([&] { return b_->chain.head_hash() == chain::block_hash(block); }));
  const auto received = b_->host->stats().bytes_received - before;
  EXPECT_EQ(b_->received(MessageType::compact_block), 1U);
  EXPECT_EQ(b_->sent(MessageType::get_block_txs), 1U);
  EXPECT_EQ(a_->received(MessageType::get_block_txs), 1U);
  EXPECT_EQ(b_->received(MessageType::block_txs), 1U);
  EXPECT_EQ(b_->received(MessageType::new_block), 0U);
  // About three transactions' worth, not thirteen.
  EXPECT_LT(received, 4U * 2'100U);
  for (const auto& peer : b_->host->peers()) EXPECT_EQ(peer.score, 0);
}

// A raw peer speaks for the sender, so the exact request can be read.
class RawCompactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto options = test_options();
    options.request_timeout = std::chrono::milliseconds(400);
    node_ = std::make_unique<TestNode>(options);
    ASSERT_TRUE(node_->start());
  }
  std::unique_ptr<RawPeer> connect(const crypto::PrivateKey& key) {
    auto raw = std::make_unique<RawPeer>(node_->host->port());
    EXPECT_TRUE(raw->handshake(key, 1, node_->chain.genesis_hash()).has_value());
    const auto id = node_id_hex(crypto::public_key_of(key));
    EXPECT_TRUE(wait_until([&] {
      for (const auto& peer : node_->host->peers()) {
        if (peer.node_id == id) return true;
      }
      return false;
    }));
    return raw;
  }
  chain::Block genesis() const { return *node_->chain.block_by_hash(node_->chain.genesis_hash()); }
  // No weight by default: a raw peer that claims to be ahead is asked for
  // headers by sync, which it never answers.
  static CompactBlock compact(const chain::Block& block, std::uint64_t request_id = 0, U256 weight = 0) {
    CompactBlock message{request_id, block.header, {}, weight};
    for (const auto& tx : block.transactions) message.tx_hashes.push_back(chain::tx_hash(tx));
    return message;
  }
  std::int32_t score_of(const crypto::PrivateKey& key) const {
    const auto id = node_id_hex(crypto::public_key_of(key));
    for (const auto& peer : node_->host->peers()) {
      if (peer.node_id == id) return peer.score;
    }
    return -1;
  }
  // Reads up to the Pong answering a Ping: everything the node sent before.
  static std::vector<Message> read_to_barrier(RawPeer& raw, std::uint64_t nonce) {
    std::vector<Message> messages;
    if (!raw.send(Ping{nonce})) return messages;
    for (int i = 0; i < 1000; ++i) {
      auto message = raw.read();
      if (!message) break;
      if (const auto* pong = std::get_if<Pong>(&*message); pong != nullptr && pong->nonce == nonce) break;
      messages.push_back(std::move(*message));
    }
    return messages;
  }
  std::unique_ptr<TestNode> node_;
};

TEST_F(RawCompactTest, OnlyTheMissingTransactionsAreAskedForByIndex) {
  const auto key = crypto::generate_private_key();
  auto raw = connect(key);
  const auto pooled = fat_txs(400, 3);
  for (const auto& tx : pooled) node_->chain.add_local_tx(tx);
  const auto unseen = fat_txs(500, 2);
  const auto block = child_of(genesis(), {pooled[0], unseen[0], pooled[1], pooled[2], unseen[1]});
  ASSERT_TRUE(raw->send(compact(block)));
  auto ask = raw->read_until<GetBlockTxs>();
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->block_hash, chain::block_hash(block));
  EXPECT_EQ(ask->indexes, (std::vector<std::uint32_t>{1, 4}));
  ASSERT_TRUE(raw->send(BlockTxs{ask->request_id, {unseen[0], unseen[1]}}));
  ASSERT_TRUE(wait_until([&] { return node_->chain.head_hash() == chain::block_hash(block); }));
  EXPECT_EQ(score_of(key), 0);
}

TEST_F(RawCompactTest, HashesThatDoNotMatchTheHeaderBanTheSender) {
  const auto key = crypto::generate_private_key();
  auto liar = connect(key);
  const auto txs = fat_txs(600, 3);
  for (const auto& tx : txs) node_->chain.add_local_tx(tx);
  const auto block = child_of(genesis(), txs);
  // The true header with the hashes in another order: all pooled, wrong root.
  auto lie = compact(block);
  std::swap(lie.tx_hashes[0], lie.tx_hashes[2]);
  ASSERT_TRUE(liar->send(lie));
  ASSERT_TRUE(wait_until([&] { return node_->host->banned().size() == 1; }));
  EXPECT_EQ(node_->host->banned()[0], node_id_hex(crypto::public_key_of(key)));
  EXPECT_TRUE(node_->logged("a compact block whose transactions do not match its header"));
  EXPECT_NE(node_->chain.head_hash(), chain::block_hash(block));
  // The lie did not spoil the block: the truth from another peer is taken.
  const auto honest_key = crypto::generate_private_key();
  auto honest = connect(honest_key);
  ASSERT_TRUE(honest->send(compact(block)));
  ASSERT_TRUE(wait_until([&] { return node_->chain.head_hash() == chain::block_hash(block); }));
  EXPECT_EQ(score_of(honest_key), 0);
}

TEST_F(RawCompactTest, WrongBlockTransactionsBanTheSender) {
  const auto pooled = fat_txs(700, 2);
  for (const auto& tx : pooled) node_->chain.add_local_tx(tx);
  const auto unseen = fat_txs(800, 2);
  const auto block = child_of(genesis(), {pooled[0], unseen[0], pooled[1], unseen[1]});
  // One liar answers with another transaction, one with too few.
  const auto other_key = crypto::generate_private_key();
  auto other = connect(other_key);
  ASSERT_TRUE(other->send(compact(block)));
  auto ask = other->read_until<GetBlockTxs>();
  ASSERT_TRUE(ask.has_value());
  ASSERT_TRUE(other->send(BlockTxs{ask->request_id, {unseen[0], make_tx(999)}}));
  ASSERT_TRUE(wait_until([&] { return node_->host->banned().size() == 1; }));
  EXPECT_TRUE(node_->logged("a block transaction that is not the one asked for"));
  const auto short_key = crypto::generate_private_key();
  auto shorter = connect(short_key);
  ASSERT_TRUE(shorter->send(compact(block)));
  ask = shorter->read_until<GetBlockTxs>();
  ASSERT_TRUE(ask.has_value());
  ASSERT_TRUE(shorter->send(BlockTxs{ask->request_id, {unseen[0]}}));
  ASSERT_TRUE(wait_until([&] { return node_->host->banned().size() == 2; }));
  EXPECT_TRUE(node_->logged("block transactions: 1 for 2 asked"));
  EXPECT_NE(node_->chain.head_hash(), chain::block_hash(block));
  // An honest peer still gets the block in.
  const auto honest_key = crypto::generate_private_key();
  auto honest = connect(honest_key);
  ASSERT_TRUE(honest->send(compact(block)));
  ask = honest->read_until<GetBlockTxs>();
  ASSERT_TRUE(ask.has_value());
  ASSERT_TRUE(honest->send(BlockTxs{ask->request_id, {unseen[0], unseen[1]}}));
  ASSERT_TRUE(wait_until([&] { return node_->chain.head_hash() == chain::block_hash(block); }));
  EXPECT_EQ(score_of(honest_key), 0);
}

TEST_F(RawCompactTest, UnrequestedAnswersAreScored) {
  const auto key = crypto::generate_private_key();
  auto raw = connect(key);
  const auto block = child_of(genesis(), fat_txs(900, 2));
  ASSERT_TRUE(raw->send(compact(block, 77)));  // answers nothing
  ASSERT_TRUE(raw->send(BlockTxs{78, {}}));
  read_to_barrier(*raw, 1);
  ASSERT_TRUE(wait_until([&] { return score_of(key) == 2 * kScoreUnrequested; }));
  EXPECT_TRUE(node_->logged("a compact block nobody asked for"));
  EXPECT_TRUE(node_->logged("block transactions nobody asked for"));
  EXPECT_NE(node_->chain.head_hash(), chain::block_hash(block));
}

TEST_F(RawCompactTest, PendingCompactBlocksAreBoundedAndFreedOnTimeout) {
  const auto key = crypto::generate_private_key();
  auto raw = connect(key);
  // Six siblings on genesis, each with a transaction the node lacks.
  std::vector<chain::Block> blocks;
  for (std::uint8_t i = 0; i < 6; ++i) blocks.push_back(child_of(genesis(), fat_txs(1'000 + i, 1), Bytes{0x40, i}));
  for (const auto& block : blocks) ASSERT_TRUE(raw->send(compact(block)));
  std::size_t asked = 0;
  for (const auto& message : read_to_barrier(*raw, 1)) asked += std::holds_alternative<GetBlockTxs>(message) ? 1U : 0U;
  EXPECT_EQ(asked, 4U);  // four per peer wait for transactions; the rest are left to sync
  // Unanswered: each request times out (scored) and frees its slot.
  ASSERT_TRUE(wait_until([&] { return score_of(key) == 4 * kScoreRequestTimeout; }));
  ASSERT_TRUE(raw->send(compact(blocks[5])));
  auto ask = raw->read_until<GetBlockTxs>();
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->block_hash, chain::block_hash(blocks[5]));
}

TEST_F(RawCompactTest, CompactBlockAndItsTransactionsAreServed) {
  const auto key = crypto::generate_private_key();
  auto raw = connect(key);
  const auto txs = fat_txs(1'100, 3);
  const auto block = child_of(genesis(), txs);
  node_->chain.load({block});
  ASSERT_TRUE(raw->send(GetCompactBlock{5, chain::block_hash(block)}));
  auto served = raw->read_until<CompactBlock>();
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(*served, compact(block, 5, U256(2)));  // the head: its weight is known
  ASSERT_TRUE(raw->send(GetBlockTxs{6, chain::block_hash(block), {0, 2}}));
  auto got = raw->read_until<BlockTxs>();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->request_id, 6U);
  EXPECT_EQ(got->transactions, (std::vector<chain::Transaction>{txs[0], txs[2]}));
  // A block it does not hold: an empty answer to either request.
  ASSERT_TRUE(raw->send(GetCompactBlock{7, Hash256{0x99}}));
  got = raw->read_until<BlockTxs>();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->request_id, 7U);
  EXPECT_TRUE(got->transactions.empty());
  ASSERT_TRUE(raw->send(GetBlockTxs{8, Hash256{0x99}, {0}}));
  got = raw->read_until<BlockTxs>();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->request_id, 8U);
  EXPECT_TRUE(got->transactions.empty());
  EXPECT_EQ(score_of(key), 0);
  // Past the block's end: only a peer that never saw its hashes asks that.
  ASSERT_TRUE(raw->send(GetBlockTxs{9, chain::block_hash(block), {1, 3}}));
  ASSERT_TRUE(wait_until([&] { return node_->host->banned().size() == 1; }));
}

TEST_F(RawCompactTest, NodeThatLacksAnAnnouncedBlockSaysSo) {
  // The node hears a hash, asks for the compact block, and takes an empty
  // answer as "not held" without scoring the peer.
  const auto key = crypto::generate_private_key();
  auto raw = connect(key);
  const auto block = child_of(genesis(), fat_txs(1'200, 2));
  ASSERT_TRUE(raw->send(NewBlockHashes{{BlockAnnouncement{chain::block_hash(block), 1}}}));
  auto ask = raw->read_until<GetCompactBlock>();
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->block_hash, chain::block_hash(block));
  ASSERT_TRUE(raw->send(BlockTxs{ask->request_id, {}}));
  // Announced again: asked again (the first fetch is over), and answered.
  ASSERT_TRUE(raw->send(NewBlockHashes{{BlockAnnouncement{chain::block_hash(block), 1}}}));
  ask = raw->read_until<GetCompactBlock>();
  ASSERT_TRUE(ask.has_value());
  ASSERT_TRUE(raw->send(compact(block, ask->request_id)));
  auto txs = raw->read_until<GetBlockTxs>();
  ASSERT_TRUE(txs.has_value());
  EXPECT_EQ(txs->indexes, (std::vector<std::uint32_t>{0, 1}));
  ASSERT_TRUE(raw->send(BlockTxs{txs->request_id, block.transactions}));
  ASSERT_TRUE(wait_until([&] { return node_->chain.head_hash() == chain::block_hash(block); }));
  EXPECT_EQ(score_of(key), 0);
}
}  // namespace
}  // namespace tally::p2p::test
