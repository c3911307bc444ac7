// Handshake accept and refusal paths, keep-alive, and misbehaving peers, on
// 127.0.0.1 with ephemeral ports.

#include <gtest/gtest.h>

#include "net_test_util.hpp"

namespace tally::p2p::test {
namespace {

TEST(Handshake, TwoNodesConnectAndKnowEachOther) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  ASSERT_NE(a.host->port(), 0);
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b) && b.connected_to(a); }));
  const auto peers = b.host->peers();
  ASSERT_EQ(peers.size(), 1U);
  EXPECT_TRUE(peers[0].outbound);
  EXPECT_EQ(peers[0].listen_address, a.address());
  EXPECT_EQ(peers[0].client_name, "tally");
}

TEST(Handshake, BytesAreCountedBothWays) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b) && b.connected_to(a); }));
  // Once nothing is in flight, what one side wrote the other has read.
  ASSERT_TRUE(wait_until([&] {
    const auto sa = a.host->stats();
    const auto sb = b.host->stats();
    return sa.bytes_sent > 0 && sb.bytes_sent > 0 && sa.bytes_sent == sb.bytes_received &&
           sb.bytes_sent == sa.bytes_received;
  }));
}

TEST(Handshake, WrongChainIdIsRefusedWithAReasonOnBothSides) {
  TestNode a(test_options(), 1);
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}), 2);
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] {
    return a.disconnects_sent(DisconnectReason::wrong_chain_id) > 0 &&
           b.disconnects_sent(DisconnectReason::wrong_chain_id) > 0;
  }));
  EXPECT_TRUE(a.logged("wrong chain id"));
  EXPECT_TRUE(b.logged("wrong chain id"));
  EXPECT_EQ(a.host->peer_count(), 0U);
  EXPECT_EQ(b.host->peer_count(), 0U);
}

TEST(Handshake, WrongGenesisIsRefused) {
  TestNode a(test_options(), 1, genesis_block(0));
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}), 1, genesis_block(9));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] {
    return a.disconnects_sent(DisconnectReason::wrong_genesis) > 0 &&
           b.disconnects_sent(DisconnectReason::wrong_genesis) > 0;
  }));
  EXPECT_TRUE(b.logged("wrong genesis"));
  EXPECT_EQ(a.host->peer_count(), 0U);
}

TEST(Handshake, ForgedNodeIdIsRefused) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  ASSERT_TRUE(raw.connected());
  const auto victim = crypto::public_key_of(crypto::generate_private_key());
  auto hello = raw.handshake(crypto::generate_private_key(), 1, a.chain.genesis_hash(), victim);
  ASSERT_TRUE(hello.has_value());
  auto disconnect = raw.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::bad_signature);
  EXPECT_EQ(a.host->peer_count(), 0U);
}

TEST(Handshake, HostSignatureProvesItsNodeId) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  auto hello = raw.handshake(crypto::generate_private_key(), 1, a.chain.genesis_hash());
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->node_id, a.host->node_id());
  EXPECT_TRUE(crypto::verify(hello_digest(Hash256{0x5a}, hello->node_id), hello->signature, hello->node_id));
  EXPECT_EQ(hello->listen_port, a.host->port());
  ASSERT_TRUE(wait_until([&] { return a.host->peer_count() == 1; }));
}

TEST(Handshake, SelfConnectionIsRefusedAndNotRetried) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  a.host->add_peer(a.address());
  ASSERT_TRUE(wait_until([&] { return a.disconnects_sent(DisconnectReason::self_connection) > 0; }));
  EXPECT_EQ(a.host->peer_count(), 0U);
  EXPECT_TRUE(a.logged("self connection"));
}

TEST(Handshake, SecondConnectionFromTheSameNodeIsRefused) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  const auto key = crypto::generate_private_key();
  RawPeer first(a.host->port());
  ASSERT_TRUE(first.handshake(key, 1, a.chain.genesis_hash()).has_value());
  ASSERT_TRUE(wait_until([&] { return a.host->peer_count() == 1; }));
  RawPeer second(a.host->port());
  ASSERT_TRUE(second.handshake(key, 1, a.chain.genesis_hash()).has_value());
  auto disconnect = second.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::duplicate);
  EXPECT_EQ(a.host->peer_count(), 1U);
}

TEST(Handshake, MessagesBeforeTheHandshakeAreRefused) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  ASSERT_TRUE(raw.read_until<Challenge>().has_value());
  ASSERT_TRUE(raw.send(Ping{1}));
  auto disconnect = raw.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::protocol_error);
}

TEST(Handshake, SilentConnectionTimesOut) {
  auto options = test_options();
  options.handshake_timeout = std::chrono::milliseconds(300);
  TestNode a(options);
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  ASSERT_TRUE(raw.read_until<Challenge>().has_value());
  auto disconnect = raw.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::timeout);
}

TEST(Handshake, InboundLimitRefusesTheExtraPeer) {
  auto options = test_options();
  options.max_inbound = 1;
  TestNode a(options);
  ASSERT_TRUE(a.start());
  RawPeer first(a.host->port());
  ASSERT_TRUE(join_as_new_peer(first, a));
  RawPeer second(a.host->port());
  auto disconnect = second.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::too_many_peers);
}

TEST(KeepAlive, PeerThatStopsAnsweringPingsIsDropped) {
  auto options = test_options();
  options.ping_interval = std::chrono::milliseconds(100);
  options.ping_timeout = std::chrono::milliseconds(300);
  TestNode a(options);
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}));  // answers pings
  ASSERT_TRUE(b.start());
  RawPeer raw(a.host->port());
  ASSERT_TRUE(raw.handshake(crypto::generate_private_key(), 1, a.chain.genesis_hash()).has_value());
  ASSERT_TRUE(raw.read_until<Ping>().has_value());  // and never answers
  auto disconnect = raw.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::timeout);
  // The live peer, pinged as often, stays.
  ASSERT_TRUE(wait_until([&] { return a.received(MessageType::pong) >= 3; }));
  EXPECT_TRUE(a.connected_to(b));
}

TEST(Misbehaviour, MalformedMessageBansThePeerAndOthersStay) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b); }));
  const auto raw_key = crypto::generate_private_key();
  RawPeer raw(a.host->port());
  ASSERT_TRUE(raw.handshake(raw_key, 1, a.chain.genesis_hash()).has_value());
  const Bytes garbage = {0xde, 0xad, 0xbe, 0xef};
  ASSERT_TRUE(raw.send_bytes(encode_frame(MessageType::new_block, garbage)));
  auto disconnect = raw.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::misbehaviour);
  ASSERT_TRUE(wait_until([&] { return a.host->banned().size() == 1; }));
  EXPECT_EQ(a.host->banned()[0], node_id_hex(crypto::public_key_of(raw_key)));
  // Coming back with the same id is refused.
  RawPeer again(a.host->port());
  ASSERT_TRUE(again.handshake(raw_key, 1, a.chain.genesis_hash()).has_value());
  auto refused = again.read_until<Disconnect>();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, DisconnectReason::banned);
  // The well-behaved peer is unaffected, and the host still works for it.
  EXPECT_TRUE(a.connected_to(b));
  const auto tx = make_tx(1);
  a.chain.add_local_tx(tx);
  EXPECT_TRUE(wait_until([&] { return b.chain.pool_has(chain::tx_hash(tx)); }));
}

TEST(Misbehaviour, OversizedFrameAndRandomBytesAreDropped) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  {
    RawPeer raw(a.host->port());
    ASSERT_TRUE(raw.handshake(crypto::generate_private_key(), 1, a.chain.genesis_hash()).has_value());
    const Bytes huge = {0x7f, 0xff, 0xff, 0xff, static_cast<std::uint8_t>(MessageType::ping)};
    ASSERT_TRUE(raw.send_bytes(huge));
    auto disconnect = raw.read_until<Disconnect>();
    ASSERT_TRUE(disconnect.has_value());
    EXPECT_EQ(disconnect->reason, DisconnectReason::misbehaviour);
  }
  {
    RawPeer raw(a.host->port());
    Bytes noise(64);
    for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 37 + 11);
    ASSERT_TRUE(raw.send_bytes(noise));
    EXPECT_TRUE(raw.read_until<Disconnect>().has_value());
  }
  ASSERT_TRUE(wait_until([&] { return a.host->banned().size() == 1; }));
  // The host still accepts good peers.
  TestNode b(test_options({a.address()}));
  ASSERT_TRUE(b.start());
  EXPECT_TRUE(wait_until([&] { return a.connected_to(b); }));
}

TEST(Misbehaviour, UnrequestedDataScoresThePeer) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  ASSERT_TRUE(join_as_new_peer(raw, a));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(raw.send(Txs{{make_tx(static_cast<std::uint64_t>(i))}}));
  auto disconnect = raw.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::misbehaviour);
  EXPECT_FALSE(a.chain.pool_has(chain::tx_hash(make_tx(0))));
}

TEST(Misbehaviour, UnrequestedCertificatesScoreThePeer) {
  TestNode a(test_options());
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  ASSERT_TRUE(join_as_new_peer(raw, a));
  for (std::uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(raw.send(Certificates{i, {CertificateEntry{Hash256{1}, Bytes{1, 2}}}}));
  }
  auto disconnect = raw.read_until<Disconnect>();
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->reason, DisconnectReason::misbehaviour);
  EXPECT_TRUE(a.chain.delivered_certificates().empty());
}

TEST(Limits, FloodOverTheInboundRateIsBanned) {
  auto options = test_options();
  options.max_messages_per_second = 10;  // a burst of 20
  TestNode a(options);
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  ASSERT_TRUE(raw.handshake(crypto::generate_private_key(), 1, a.chain.genesis_hash()).has_value());
  for (std::uint64_t i = 0; i < 200; ++i) {
    if (!raw.send(Ping{i})) break;  // the host may already have closed
  }
  // (The raw peer may not get to read the Disconnect: its unread pings reset the socket.)
  ASSERT_TRUE(wait_until([&] { return a.host->banned().size() == 1; }));
  EXPECT_TRUE(a.logged("over the inbound rate limit"));
  EXPECT_EQ(a.disconnects_sent(DisconnectReason::misbehaviour), 1U);
}

TEST(Limits, PeerThatDoesNotReadIsDroppedAtTheSendQueueBound) {
  auto options = test_options();
  options.max_send_queue_bytes = 256U << 10U;
  TestNode a(options);
  ASSERT_TRUE(a.start());
  RawPeer raw(a.host->port());
  raw.shrink_receive_buffer();
  ASSERT_TRUE(join_as_new_peer(raw, a));
  // The raw peer reads nothing more; the host keeps sending.
  for (int i = 0; i < 200 && a.host->peer_count() == 1; ++i) {
    a.host->broadcast_consensus(Bytes(64U << 10U, static_cast<std::uint8_t>(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(wait_until([&] { return a.disconnects_sent(DisconnectReason::slow_reader) == 1; }));
  EXPECT_EQ(a.host->peer_count(), 0U);
}

}  // namespace
}  // namespace tally::p2p::test
