// Peer discovery between in-process hosts on 127.0.0.1: peer exchange, the
// address book across restarts, and redialling.

#include <gtest/gtest.h>

#include "net_test_util.hpp"
#include "p2p/address_book.hpp"

namespace tally::p2p::test {
namespace {

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
