// Header-first sync between in-process hosts on 127.0.0.1: headers from one
// peer, bodies from several, bad data banned, and no sync for a block that
// is already being imported.

#include <gtest/gtest.h>

#include "net_test_util.hpp"

namespace tally::p2p::test {
namespace {

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

// A block handed to the node raises its sender's claimed weight before the
// import raises the node's own. Sync must not take that gap for a chain to
// fetch: it would fetch the block being imported a second time.
TEST(Sync, BlockWaitingForImportDoesNotStartASync) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b) && b.connected_to(a); }));
  b.chain.hold_imports();
  const auto genesis = *a.chain.block_by_hash(a.chain.head_hash());
  const auto block = child_of(genesis, {}, Bytes{0x42});
  a.chain.produce(block);
  ASSERT_TRUE(wait_until([&] { return b.chain.held_blocks() == 1; }));
  // Five sync rounds run while the import waits.
  const auto ticks = b.host->stats().ticks;
  ASSERT_TRUE(wait_until([&] { return b.host->stats().ticks >= ticks + 5; }));
  EXPECT_FALSE(b.host->sync_status().syncing);
  EXPECT_EQ(b.sent(MessageType::get_headers), 0U);
  b.chain.release_imports();
  ASSERT_TRUE(wait_until([&] { return b.chain.head_hash() == chain::block_hash(block); }));
  EXPECT_EQ(b.sent(MessageType::get_headers), 0U);
  EXPECT_EQ(b.sent(MessageType::get_bodies), 0U);
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
}  // namespace
}  // namespace tally::p2p::test
