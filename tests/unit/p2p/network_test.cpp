// Several in-process hosts on 127.0.0.1: gossip of transactions, blocks and
// consensus payloads, certificates, and transaction announcements.

#include <gtest/gtest.h>

#include <algorithm>

#include "net_test_util.hpp"

namespace tally::p2p::test {
namespace {

// A line n0 - n1 - ... : each node dials the previous one and nobody dials
// anyone else (one outbound slot each, the first none), so peer exchange
// cannot turn the line into a mesh.
class LineTest : public ::testing::Test {
 protected:
  void make_line(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      auto options = test_options();
      options.max_outbound = i == 0 ? 0 : 1;
      if (i > 0) options.bootstrap = {nodes_.back()->address()};
      nodes_.push_back(std::make_unique<TestNode>(options));
      ASSERT_TRUE(nodes_.back()->start());
    }
    ASSERT_TRUE(wait_until([&] {
      for (std::size_t i = 1; i < count; ++i) {
        if (!nodes_[i]->connected_to(*nodes_[i - 1]) || !nodes_[i - 1]->connected_to(*nodes_[i])) return false;
      }
      return true;
    }));
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_EQ(nodes_[i]->host->peer_count(), (i == 0 || i + 1 == count) ? 1U : 2U) << i;
    }
  }
  std::vector<std::unique_ptr<TestNode>> nodes_;
};

TEST_F(LineTest, TransactionReachesEveryNodeAndEachRelaysItOnce) {
  make_line(6);
  const auto tx = make_tx(5);
  nodes_[0]->chain.add_local_tx(tx);
  ASSERT_TRUE(wait_until([&] {
    for (const auto& node : nodes_) {
      if (!node->chain.pool_has(chain::tx_hash(tx))) return false;
    }
    return true;
  }));
  // Each node announced it once, to the one neighbour that lacked it; each
  // fetched it once.
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(nodes_[i]->sent(MessageType::new_tx_hashes), i < 5 ? 1U : 0U) << i;
    EXPECT_EQ(nodes_[i]->received(MessageType::txs), i > 0 ? 1U : 0U) << i;
    EXPECT_EQ(nodes_[i]->sent(MessageType::get_txs), i > 0 ? 1U : 0U) << i;
  }
}

TEST_F(LineTest, InvalidTransactionIsNotRelayed) {
  make_line(3);
  const auto bad = make_tx(6, kBadMarker);
  nodes_[0]->chain.add_local_tx(bad);
  ASSERT_TRUE(wait_until([&] { return nodes_[1]->received(MessageType::txs) == 1; }));
  EXPECT_FALSE(nodes_[1]->chain.pool_has(chain::tx_hash(bad)));
  EXPECT_EQ(nodes_[1]->sent(MessageType::new_tx_hashes), 0U);
  EXPECT_TRUE(nodes_[1]->logged("invalid transaction"));
}

TEST_F(LineTest, BlockReachesEveryNodeOnce) {
  make_line(4);
  const auto genesis = *nodes_[0]->chain.block_by_hash(nodes_[0]->chain.head_hash());
  const auto block = child_of(genesis, {make_tx(1)});
  nodes_[0]->chain.produce(block);
  ASSERT_TRUE(wait_until([&] {
    for (const auto& node : nodes_) {
      if (node->chain.head_hash() != chain::block_hash(block)) return false;
    }
    return true;
  }));
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(nodes_[i]->chain.submitted_blocks(), 1U) << i;
  // With one peer lacking it, sqrt(1) = 1: it is pushed, and whole, as a
  // block of one small transaction is barely bigger than its compact form.
  EXPECT_EQ(nodes_[0]->sent(MessageType::new_block), 1U);
  EXPECT_EQ(nodes_[0]->sent(MessageType::compact_block), 0U);
}

// A block consensus committed (note_local_block) goes by hash only: the
// other validators hold it, and a node that lacks it fetches it. Past the
// first hop, where nobody noted it, it is pushed as usual.
TEST_F(LineTest, CommittedBlockIsAnnouncedNotPushed) {
  make_line(3);
  const auto genesis = *nodes_[0]->chain.block_by_hash(nodes_[0]->chain.head_hash());
  const auto block = child_of(genesis, {make_tx(1)});
  nodes_[0]->host->note_local_block(chain::block_hash(block));
  nodes_[0]->chain.produce(block);
  ASSERT_TRUE(wait_until([&] {
    return std::all_of(nodes_.begin(), nodes_.end(),
                       [&](const auto& node) { return node->chain.head_hash() == chain::block_hash(block); });
  }));
  EXPECT_EQ(nodes_[0]->sent(MessageType::new_block), 0U);
  EXPECT_EQ(nodes_[0]->sent(MessageType::compact_block), 1U);  // only as the answer to n1's fetch
  EXPECT_EQ(nodes_[0]->sent(MessageType::new_block_hashes), 1U);
  EXPECT_EQ(nodes_[1]->sent(MessageType::get_compact_block), 1U);
  EXPECT_EQ(nodes_[1]->sent(MessageType::new_block), 1U);  // n1 did not commit it: it pushes
  for (std::size_t i = 1; i < 3; ++i) EXPECT_EQ(nodes_[i]->chain.submitted_blocks(), 1U) << i;
}

TEST_F(LineTest, ConsensusPayloadIsDeliveredOnceEverywhere) {
  make_line(4);
  const Bytes vote = {1, 2, 3, 4};
  nodes_[0]->host->broadcast_consensus(vote);
  ASSERT_TRUE(wait_until([&] { return nodes_[3]->chain.consensus_count(vote) == 1; }));
  nodes_[0]->host->broadcast_consensus(vote);  // again: deduplicated
  const Bytes marker = {9};
  nodes_[0]->host->broadcast_consensus(marker);
  ASSERT_TRUE(wait_until([&] { return nodes_[3]->chain.consensus_count(marker) == 1; }));
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(nodes_[i]->chain.consensus_count(vote), 1U) << i;
    EXPECT_EQ(nodes_[i]->received(MessageType::consensus), 2U) << i;
  }
  EXPECT_EQ(nodes_[0]->chain.consensus_count(vote), 0U);
}

// A payload past lazy_consensus_relay_bytes (a proposal) still crosses a
// line: each node says it holds it, then pushes it to the next one, which
// had not said so.
TEST_F(LineTest, LargeConsensusPayloadCrossesTheLineOnce) {
  make_line(4);
  const Bytes proposal(8U << 10U, 0x5a);
  nodes_[0]->host->broadcast_consensus(proposal);
  ASSERT_TRUE(wait_until([&] { return nodes_[3]->chain.consensus_count(proposal) == 1; }));
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(nodes_[i]->chain.consensus_count(proposal), 1U) << i;
    EXPECT_EQ(nodes_[i]->received(MessageType::consensus), 1U) << i;
  }
  EXPECT_EQ(nodes_[1]->sent(MessageType::consensus_hashes), 1U);  // to n2, not back to n0
  EXPECT_EQ(nodes_[3]->sent(MessageType::consensus_hashes), 0U);  // nobody else to tell
}

// In a full mesh the origin reaches everyone: a large payload is not
// relayed at all, only announced, and a vote is relayed at once as before.
TEST(Gossip, LargeConsensusPayloadIsNotRelayedInAFullMesh) {
  // The delay is long enough for every announcement to arrive first even
  // on a loaded machine: what it tests is that announced peers are skipped.
  const auto mesh_options = [] {
    auto options = test_options();
    options.consensus_relay_delay = std::chrono::milliseconds(1'000);
    return options;
  };
  std::vector<std::unique_ptr<TestNode>> nodes;
  nodes.push_back(std::make_unique<TestNode>(mesh_options()));
  ASSERT_TRUE(nodes[0]->start());
  for (int i = 1; i < 4; ++i) {
    auto options = mesh_options();
    for (const auto& earlier : nodes) options.bootstrap.push_back(earlier->address());
    nodes.push_back(std::make_unique<TestNode>(options));
    ASSERT_TRUE(nodes.back()->start());
  }
  ASSERT_TRUE(wait_until([&] {
    return std::all_of(nodes.begin(), nodes.end(), [](const auto& node) { return node->host->peer_count() == 3; });
  }));
  const Bytes proposal(8U << 10U, 0x5a);
  nodes[0]->host->broadcast_consensus(proposal);
  // Each receiver's delayed relay has run, and found every peer holding it.
  ASSERT_TRUE(wait_until([&] {
    return std::all_of(nodes.begin() + 1, nodes.end(),
                       [](const auto& node) { return node->host->stats().lazy_consensus_relays == 1; });
  }));
  EXPECT_EQ(nodes[0]->sent(MessageType::consensus), 3U);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(nodes[i]->chain.consensus_count(proposal), 1U) << i;
    EXPECT_EQ(nodes[i]->received(MessageType::consensus), 1U) << i;
    EXPECT_EQ(nodes[i]->sent(MessageType::consensus), 0U) << i;
    EXPECT_EQ(nodes[i]->sent(MessageType::consensus_hashes), 2U) << i;  // to the other two receivers
  }
  const Bytes vote = {1, 2, 3};
  nodes[1]->host->broadcast_consensus(vote);
  ASSERT_TRUE(wait_until([&] {
    return std::all_of(nodes.begin(), nodes.end(), [&](const auto& node) {
      return node.get() == nodes[1].get() || node->chain.consensus_count(vote) == 1;
    });
  }));
}

TEST(Certificates, RequestedCertificatesAreServedAndDelivered) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.host->peer_count() == 1 && b.host->peer_count() == 1; }));
  const Hash256 known{0x11};
  const Hash256 unknown{0x22};
  a.chain.set_certificate(known, Bytes(200, 0xce));
  b.host->request_certificates(0, {unknown, known});  // 0: any peer
  ASSERT_TRUE(wait_until([&] { return !b.chain.delivered_certificates().empty(); }));
  const auto delivered = b.chain.delivered_certificates();
  ASSERT_EQ(delivered.size(), 1U);  // only the one a holds
  EXPECT_EQ(delivered[0].block_hash, known);
  EXPECT_EQ(delivered[0].certificate, Bytes(200, 0xce));
  EXPECT_EQ(a.received(MessageType::get_certificates), 1U);
  EXPECT_EQ(b.received(MessageType::certificates), 1U);
}

TEST(Gossip, InvalidBlockReportedByTheNodeBansTheSender) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b); }));
  const auto genesis = *a.chain.block_by_hash(a.chain.head_hash());
  // a's fake chain accepts any block it makes itself; b's finds it invalid.
  a.chain.produce(child_of(genesis, {}, kBadMarker));
  ASSERT_TRUE(wait_until([&] { return b.host->banned().size() == 1; }));
  EXPECT_EQ(b.host->banned()[0], a.id());
  EXPECT_TRUE(wait_until([&] { return b.host->peer_count() == 0; }));
}

TEST(Gossip, PooledTransactionsAreAnnouncedToANewPeer) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  const auto tx = make_tx(7);
  a.chain.add_local_tx(tx);  // no peer yet: nobody hears of it
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return b.chain.pool_has(chain::tx_hash(tx)); }));
  EXPECT_EQ(b.received(MessageType::txs), 1U);
}

// Frames that queue up behind a write (300 sends in one turn of the I/O
// thread, before any write completes) go out together, each whole and in
// order.
TEST(Gossip, QueuedFramesArriveWholeAndInOrder) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  RawPeer peer(a.host->port());
  ASSERT_TRUE(join_as_new_peer(peer, a));
  const auto payload = [](int i) {  // sizes from 100 bytes to past 4 KiB; all distinct
    return Bytes(static_cast<std::size_t>(100 + (i % 7) * 700), static_cast<std::uint8_t>(i));
  };
  constexpr int kPayloads = 300;
  for (int i = 0; i < kPayloads; ++i) a.host->broadcast_consensus(payload(i));
  for (int i = 0; i < kPayloads; ++i) {
    auto got = peer.read_until<Consensus>();
    ASSERT_TRUE(got.has_value()) << i;
    ASSERT_EQ(got->payload, payload(i)) << i;
  }
  EXPECT_EQ(a.sent(MessageType::consensus), static_cast<std::uint64_t>(kPayloads));
}

TEST(Gossip, UnansweredTransactionRequestIsScoredAndAskedOfAnother) {
  auto options = test_options();
  options.request_timeout = std::chrono::milliseconds(300);
  TestNode a(options);
  ASSERT_TRUE(a.start());
  RawPeer mute(a.host->port());
  ASSERT_TRUE(join_as_new_peer(mute, a));
  const auto tx = make_tx(11);
  ASSERT_TRUE(mute.send(NewTxHashes{{chain::tx_hash(tx)}}));
  ASSERT_TRUE(mute.read_until<GetTxs>().has_value());
  // It never answers: scored once for the request, and the hash is free to
  // be asked of the next peer that announces it.
  ASSERT_TRUE(wait_until([&] { return a.logged("a transaction request timed out"); }));
  const auto peers = a.host->peers();
  ASSERT_EQ(peers.size(), 1U);
  EXPECT_EQ(peers[0].score, kScoreRequestTimeout);
  TestNode b(test_options({a.address()}));
  b.chain.add_local_tx(tx);
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.chain.pool_has(chain::tx_hash(tx)); }));
  // A late answer to the expired request is still an answer, not unrequested data.
  ASSERT_TRUE(mute.send(Txs{{tx}}));
  ASSERT_TRUE(mute.send(Ping{1}));
  ASSERT_TRUE(mute.read_until<Pong>().has_value());
  for (const auto& peer : a.host->peers()) {
    if (peer.node_id != b.id()) {
      EXPECT_EQ(peer.score, kScoreRequestTimeout);
    }
  }
}

TEST(Gossip, AnnouncementsBehindAFullRequestWindowAreAskedForLater) {
  auto options = test_options();
  options.max_requests_in_flight = 1;
  TestNode a(options);
  ASSERT_TRUE(a.start());
  RawPeer peer(a.host->port());
  ASSERT_TRUE(join_as_new_peer(peer, a));
  const auto first = make_tx(21);
  const auto second = make_tx(22);
  ASSERT_TRUE(peer.send(NewTxHashes{{chain::tx_hash(first)}}));
  auto asked = peer.read_until<GetTxs>();
  ASSERT_TRUE(asked.has_value());
  EXPECT_EQ(asked->hashes, std::vector<Hash256>{chain::tx_hash(first)});
  // The window (one request) is full: this announcement waits...
  ASSERT_TRUE(peer.send(NewTxHashes{{chain::tx_hash(second)}}));
  // ...until the answer frees the slot.
  ASSERT_TRUE(peer.send(Txs{{first}}));
  asked = peer.read_until<GetTxs>();
  ASSERT_TRUE(asked.has_value());
  EXPECT_EQ(asked->hashes, std::vector<Hash256>{chain::tx_hash(second)});
  ASSERT_TRUE(peer.send(Txs{{second}}));
  ASSERT_TRUE(wait_until([&] { return a.chain.pool_has(chain::tx_hash(second)); }));
  EXPECT_TRUE(a.chain.pool_has(chain::tx_hash(first)));
}
}  // namespace
}  // namespace tally::p2p::test
