// Several in-process hosts on 127.0.0.1: gossip of transactions, blocks and
// consensus payloads, header-first sync, peer exchange and the address book.

#include <gtest/gtest.h>

#include "net_test_util.hpp"
#include "p2p/address_book.hpp"

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
  // With one peer lacking it, sqrt(1) = 1: it goes whole.
  EXPECT_EQ(nodes_[0]->sent(MessageType::new_block), 1U);
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

TEST(Gossip, BlockAnnouncedByHashIsFetched) {
  // Five peers lacking the block: ceil(sqrt(5)) = 3 get it whole, 2 by hash.
  TestNode hub(test_options());
  ASSERT_TRUE(hub.start());
  std::vector<std::unique_ptr<TestNode>> leaves;
  for (int i = 0; i < 5; ++i) {
    auto options = test_options({hub.address()});
    options.max_outbound = 1;
    leaves.push_back(std::make_unique<TestNode>(options));
    ASSERT_TRUE(leaves.back()->start());
  }
  ASSERT_TRUE(wait_until([&] { return hub.host->peer_count() == 5; }));
  const auto genesis = *hub.chain.block_by_hash(hub.chain.head_hash());
  const auto block = child_of(genesis, {make_tx(3)});
  hub.chain.produce(block);
  ASSERT_TRUE(wait_until([&] {
    for (const auto& leaf : leaves) {
      if (leaf->chain.head_hash() != chain::block_hash(block)) return false;
    }
    return true;
  }));
  EXPECT_EQ(hub.sent(MessageType::new_block), 3U);
  EXPECT_GE(hub.received(MessageType::get_bodies), 2U);
}

TEST(Sync, NodeBehindSyncsHeadersFirstThenFollowsGossip) {
  const auto chain = make_chain(genesis_block(), 500);
  auto serving = test_options();
  TestNode a(serving);
  a.chain.load(chain);
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}));
  b.chain.load(chain);
  ASSERT_TRUE(b.start());
  auto options = test_options({a.address(), b.address()});
  options.sync_headers_per_request = 64;
  options.sync_bodies_per_request = 16;
  TestNode fresh(options);
  ASSERT_TRUE(fresh.start());
  ASSERT_TRUE(wait_until([&] { return fresh.chain.head_number() == 500; }));
  EXPECT_EQ(fresh.chain.head_hash(), a.chain.head_hash());
  EXPECT_GE(fresh.sent(MessageType::get_headers), 500U / 64U);
  ASSERT_TRUE(wait_until([&] { return !fresh.host->sync_status().syncing; }));
  // Then a new block arrives by gossip.
  const auto next = child_of(chain.back(), {}, Bytes{0x77});
  a.chain.produce(next);
  ASSERT_TRUE(wait_until([&] { return fresh.chain.head_hash() == chain::block_hash(next); }));
}

TEST(Sync, PeerServingBadHeadersIsBannedAndSyncContinuesFromAnother) {
  const auto genesis = genesis_block();
  const auto good = make_chain(genesis, 120, 1);
  auto bad = make_chain(genesis, 130, 2);  // heavier, so tried first
  bad[60] = child_of(bad[59], {}, kBadMarker);
  for (std::size_t i = 61; i < bad.size(); ++i) bad[i] = child_of(bad[i - 1], {}, Bytes{2});
  TestNode liar(test_options());
  liar.chain.load(bad);
  ASSERT_TRUE(liar.start());
  TestNode honest(test_options());
  honest.chain.load(good);
  ASSERT_TRUE(honest.start());
  auto options = test_options({liar.address()});
  options.sync_headers_per_request = 32;
  TestNode fresh(options);
  ASSERT_TRUE(fresh.start());
  ASSERT_TRUE(wait_until([&] { return fresh.host->banned().size() == 1; }));
  EXPECT_EQ(fresh.host->banned()[0], liar.id());
  EXPECT_TRUE(fresh.logged("invalid headers"));
  fresh.host->add_peer(honest.address());
  ASSERT_TRUE(wait_until([&] { return fresh.chain.head_hash() == honest.chain.head_hash(); }));
  EXPECT_FALSE(fresh.connected_to(liar));
}

TEST(Sync, PeerServingWrongBodiesIsBannedAndOthersServeThem) {
  const auto blocks = make_chain(genesis_block(), 200);
  TestNode honest(test_options());
  honest.chain.load(blocks);
  ASSERT_TRUE(honest.start());
  TestNode liar(test_options());
  liar.chain.load(blocks);
  liar.chain.corrupt_bodies();
  ASSERT_TRUE(liar.start());
  auto options = test_options({honest.address(), liar.address()});
  options.sync_bodies_per_request = 8;
  TestNode fresh(options);
  ASSERT_TRUE(fresh.start());
  // Bodies are spread over both peers, so the liar is asked for some.
  ASSERT_TRUE(wait_until([&] { return fresh.chain.head_number() == 200; }));
  EXPECT_EQ(fresh.chain.head_hash(), honest.chain.head_hash());
  ASSERT_TRUE(wait_until([&] { return fresh.host->banned().size() == 1; }));
  EXPECT_EQ(fresh.host->banned()[0], liar.id());
  EXPECT_TRUE(fresh.logged("a body that does not match its header"));
  // The honest peer was never scored, even for answers to requests that a
  // restarted sync no longer wanted.
  ASSERT_TRUE(wait_until([&] { return fresh.connected_to(honest); }));
  for (const auto& peer : fresh.host->peers()) EXPECT_EQ(peer.score, 0) << peer.node_id;
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

TEST(Discovery, NodeGivenOnePeerFindsTheRest) {
  TestNode c(test_options());
  ASSERT_TRUE(c.start());
  TestNode b(test_options({c.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return b.connected_to(c); }));
  TestNode a(test_options({b.address()}));
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b) && a.connected_to(c); }));
  EXPECT_GE(a.received(MessageType::peers), 1U);
}

TEST(Discovery, WithoutDiscoveryOnlyTheBootstrapPeerIsDialled) {
  TestNode c(test_options());
  ASSERT_TRUE(c.start());
  TestNode b(test_options({c.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return b.connected_to(c); }));
  auto options = test_options({b.address()});
  options.discovery = false;
  TestNode a(options);
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b); }));
  // A node with discovery would have asked b and dialled c within a few
  // ticks; this one never asks.
  TestNode probe(test_options({b.address()}));
  ASSERT_TRUE(probe.start());
  ASSERT_TRUE(wait_until([&] { return probe.connected_to(c); }));
  EXPECT_FALSE(a.connected_to(c));
  EXPECT_EQ(a.sent(MessageType::get_peers), 0U);
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

TEST(Gossip, UnansweredTransactionRequestIsScoredAndAskedOfAnother) {
  auto options = test_options();
  options.request_timeout = std::chrono::milliseconds(300);
  TestNode a(options);
  ASSERT_TRUE(a.start());
  RawPeer mute(a.host->port());
  ASSERT_TRUE(mute.handshake(crypto::generate_private_key(), 1, a.chain.genesis_hash()).has_value());
  ASSERT_TRUE(wait_until([&] { return a.host->peer_count() == 1; }));
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
  ASSERT_TRUE(peer.handshake(crypto::generate_private_key(), 1, a.chain.genesis_hash()).has_value());
  ASSERT_TRUE(wait_until([&] { return a.host->peer_count() == 1; }));
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

TEST(Discovery, AddressBookSurvivesARestart) {
  TempDir dir("restart");
  TestNode b(test_options());
  ASSERT_TRUE(b.start());
  const auto key = crypto::generate_private_key();
  {
    auto options = test_options({b.address()});
    options.datadir = dir.path();
    FakeChain chain;
    Host a(key, chain, options);
    ASSERT_TRUE(a.start().ok());
    ASSERT_TRUE(wait_until([&] { return a.peer_count() == 1; }));
    a.stop();
  }
  const auto file = dir.path() / kAddressBookFileName;
  ASSERT_TRUE(std::filesystem::exists(file));
  AddressBook book;
  ASSERT_TRUE(book.load(file).ok());
  ASSERT_TRUE(book.contains(b.address()));
  EXPECT_GT(book.find(b.address())->last_seen_ms, 0);
  // Restarted without --peer: it finds b from the book.
  auto options = test_options();
  options.datadir = dir.path();
  FakeChain chain;
  Host again(key, chain, options);
  ASSERT_TRUE(again.start().ok());
  EXPECT_TRUE(wait_until([&] { return again.peer_count() == 1; }));
  again.stop();
}

TEST(Discovery, UnreachablePeerIsRetried) {
  TestNode probe(test_options());
  ASSERT_TRUE(probe.start());
  const auto dead = probe.address();
  probe.host->stop();
  auto options = test_options({dead});
  options.backoff_base = std::chrono::milliseconds(200);
  options.backoff_max = std::chrono::milliseconds(400);
  TestNode a(options);
  ASSERT_TRUE(a.start());
  // Retried after each backoff (the backoff arithmetic is tested in AddressBook).
  ASSERT_TRUE(wait_until([&] { return a.log_count("dial " + dead + " failed") >= 3; }));
  EXPECT_EQ(a.host->peer_count(), 0U);
}

}  // namespace
}  // namespace tally::p2p::test
