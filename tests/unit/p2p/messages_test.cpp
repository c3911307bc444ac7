#include "p2p/messages.hpp"

#include <gtest/gtest.h>

#include "crypto/keccak.hpp"
#include "p2p_test_util.hpp"

namespace tally::p2p {
namespace {

using test::make_tx;

void expect_round_trip(const Message& message) {
  const auto payload = encode_payload(message);
  auto decoded = decode_message(type_of(message), payload);
  ASSERT_TRUE(decoded.ok()) << to_string(type_of(message)) << ": " << decoded.error().message;
  EXPECT_TRUE(*decoded == message) << to_string(type_of(message));
  EXPECT_EQ(encode_payload(*decoded), payload);
  // And through a frame.
  const auto frame = encode_message(message);
  auto framed = decode_frame(frame);
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(framed->frame.type, type_of(message));
}

Hello sample_hello() {
  const auto key = crypto::generate_private_key();
  Hello hello;
  hello.chain_id = 1337;
  hello.genesis_hash = crypto::keccak256(as_bytes("genesis"));
  hello.head_number = 42;
  hello.head_hash = crypto::keccak256(as_bytes("head"));
  hello.total_weight = U256(1) << 200U;
  hello.final_height = 40;
  hello.node_id = crypto::public_key_of(key);
  hello.signature = crypto::sign(hello_digest(Hash256{1}, hello.node_id), key);
  hello.listen_port = 30333;
  hello.client_name = "tally/0.1";
  return hello;
}

TEST(Messages, EveryTypeRoundTrips) {
  const auto genesis = test::genesis_block();
  const auto blocks = test::make_chain(genesis, 10);
  expect_round_trip(Challenge{crypto::keccak256(as_bytes("nonce"))});
  expect_round_trip(sample_hello());
  expect_round_trip(Disconnect{DisconnectReason::wrong_chain_id, "chain id 5, this node is on 1"});
  expect_round_trip(Ping{0});
  expect_round_trip(Pong{~std::uint64_t{0}});
  expect_round_trip(GetPeers{});
  expect_round_trip(Peers{{PeerAddress{"127.0.0.1", 30333}, PeerAddress{"::1", 1}, PeerAddress{"node.example", 9}}});
  expect_round_trip(Peers{});
  expect_round_trip(NewTxHashes{{Hash256{1}, Hash256{2}}});
  expect_round_trip(GetTxs{{Hash256{3}}});
  expect_round_trip(ConsensusHashes{{Hash256{4}, Hash256{5}}});
  chain::Transaction legacy = make_tx(7);
  legacy.type = chain::TxType::legacy;
  legacy.gas_price = 5;
  legacy.max_priority_fee_per_gas = 0;  // not part of a legacy transaction
  legacy.max_fee_per_gas = 0;
  expect_round_trip(Txs{{make_tx(1), legacy, make_tx(2, Bytes{1, 2, 3})}});
  expect_round_trip(NewBlockHashes{{BlockAnnouncement{Hash256{9}, 12}, BlockAnnouncement{Hash256{8}, 0}}});
  expect_round_trip(NewBlock{blocks[10], 11});
  expect_round_trip(GetHeaders{7, std::nullopt, 100, 192, 0});
  expect_round_trip(GetHeaders{8, Hash256{4}, 0, 1, 0});
  std::vector<chain::Header> headers;
  for (const auto& block : blocks) headers.push_back(block.header);
  expect_round_trip(Headers{7, headers});
  expect_round_trip(GetBodies{3, {Hash256{5}, Hash256{6}}});
  expect_round_trip(Bodies{3, {chain::BlockBody{blocks[10].transactions}, chain::BlockBody{}}});
  expect_round_trip(Consensus{Bytes(1000, 0xab)});
  expect_round_trip(GetCertificates{4, {Hash256{5}, Hash256{6}}});
  expect_round_trip(
      Certificates{4, {CertificateEntry{Hash256{5}, Bytes(300, 0xcd)}, CertificateEntry{Hash256{6}, {}}}});
  expect_round_trip(Certificates{5, {}});
  expect_round_trip(CompactBlock{0, blocks[10].header, {chain::tx_hash(blocks[10].transactions[0]), Hash256{2}}, 11});
  expect_round_trip(CompactBlock{9, blocks[3].header, {}, 0});
  expect_round_trip(GetCompactBlock{9, Hash256{4}});
  expect_round_trip(GetBlockTxs{10, Hash256{4}, {0, 2, 127, 128, 300, kMaxCompactBlockTxs - 1}});
  expect_round_trip(BlockTxs{10, {make_tx(1), legacy}});
  expect_round_trip(BlockTxs{11, {}});
}

// A payload built field by field, for encodings the encoders never make.
template <class Fill>
Bytes raw_payload(Fill fill) {
  Bytes payload;
  rlp::Encoder out(payload);
  const auto list = out.begin_list();
  fill(out);
  out.end_list(list);
  return payload;
}

TEST(Messages, CompactBlockIsStrict) {
  const auto block = test::child_of(test::genesis_block(), {make_tx(1), make_tx(2)});
  const CompactBlock good{0, block.header, {Hash256{1}, Hash256{2}}, 3};
  const auto payload = encode_payload(good);
  ASSERT_TRUE(decode_message(MessageType::compact_block, payload).ok());
  // Truncated anywhere, or followed by a byte.
  for (std::size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(decode_message(MessageType::compact_block, BytesView(payload).first(n)).ok()) << n;
  }
  auto longer = payload;
  longer.push_back(0x00);
  EXPECT_FALSE(decode_message(MessageType::compact_block, longer).ok());
  const auto header = chain::encode_header(block.header);
  // Three fields, or five.
  EXPECT_FALSE(decode_message(MessageType::compact_block, raw_payload([&](rlp::Encoder& out) {
                                out.uint(0);
                                out.raw(header);
                                out.list_header(0);
                              }))
                   .ok());
  EXPECT_FALSE(decode_message(MessageType::compact_block, raw_payload([&](rlp::Encoder& out) {
                                out.uint(0);
                                out.raw(header);
                                out.list_header(0);
                                out.uint(3);
                                out.uint(4);
                              }))
                   .ok());
  // A non-canonical request id (a leading zero byte).
  EXPECT_FALSE(decode_message(MessageType::compact_block, raw_payload([&](rlp::Encoder& out) {
                                out.string(Bytes{0x00, 0x01});
                                out.raw(header);
                                out.list_header(0);
                                out.uint(3);
                              }))
                   .ok());
  // A 31-byte hash.
  EXPECT_FALSE(decode_message(MessageType::compact_block, raw_payload([&](rlp::Encoder& out) {
                                out.uint(0);
                                out.raw(header);
                                const auto hashes = out.begin_list();
                                out.string(Bytes(31, 1));
                                out.end_list(hashes);
                                out.uint(3);
                              }))
                   .ok());
  // A header that breaks chain/'s rules (extra data past 32 bytes).
  auto bad_header = block.header;
  bad_header.extra_data.assign(chain::kMaxExtraDataBytes + 1, 1);
  EXPECT_FALSE(decode_message(MessageType::compact_block, encode_payload(CompactBlock{0, bad_header, {}, 0})).ok());
  // The hash count is bounded (checked before the hashes are read), and the
  // largest allowed message fits its frame cap.
  CompactBlock largest{1, block.header, std::vector<Hash256>(kMaxCompactBlockTxs, Hash256{7}), 1};
  const auto frame = encode_message(largest);
  auto framed = decode_frame(frame);
  ASSERT_TRUE(framed.ok()) << framed.error().message;
  EXPECT_TRUE(decode_message(MessageType::compact_block, framed->frame.payload).ok());
  largest.tx_hashes.push_back(Hash256{7});
  auto refused = decode_message(MessageType::compact_block, encode_payload(largest));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("limit"), std::string::npos) << refused.error().message;
  // Past the frame cap.
  EXPECT_FALSE(decode_message(MessageType::compact_block, Bytes(kMaxCompactBlockMessageBytes + 1, 0)).ok());
}

TEST(Messages, GetCompactBlockIsStrict) {
  const auto payload = encode_payload(GetCompactBlock{5, Hash256{1}});
  auto longer = payload;
  longer.push_back(0x00);
  EXPECT_FALSE(decode_message(MessageType::get_compact_block, longer).ok());
  EXPECT_FALSE(decode_message(MessageType::get_compact_block, BytesView(payload).first(payload.size() - 1)).ok());
  EXPECT_FALSE(decode_message(MessageType::get_compact_block, raw_payload([](rlp::Encoder& out) {
                                out.uint(5);
                                out.string(Bytes(33, 1));
                              }))
                   .ok());
  EXPECT_FALSE(decode_message(MessageType::get_compact_block, raw_payload([](rlp::Encoder& out) {
                                out.uint(5);
                                out.string(Bytes(32, 1));
                                out.uint(0);
                              }))
                   .ok());
  EXPECT_FALSE(decode_message(MessageType::get_compact_block, raw_payload([](rlp::Encoder& out) {
                                out.string(Bytes{0x00, 0x05});
                                out.string(Bytes(32, 1));
                              }))
                   .ok());
}

TEST(Messages, GetBlockTxsIndexesAreStrictlyIncreasingAndBounded) {
  const auto refused = [](std::vector<std::uint32_t> indexes) {
    return !decode_message(MessageType::get_block_txs, encode_payload(GetBlockTxs{1, Hash256{1}, std::move(indexes)}))
                .ok();
  };
  EXPECT_FALSE(refused({0}));
  EXPECT_TRUE(refused({}));                                      // asks for nothing
  EXPECT_TRUE(refused({3, 3}));                                  // repeated
  EXPECT_TRUE(refused({4, 2}));                                  // decreasing
  EXPECT_TRUE(refused({1, kMaxCompactBlockTxs}));                // past the largest block
  std::vector<std::uint32_t> too_many(kMaxCompactBlockTxs + 1);  // the count is checked first
  for (std::size_t i = 0; i < too_many.size(); ++i) too_many[i] = static_cast<std::uint32_t>(i);
  auto over = decode_message(MessageType::get_block_txs, encode_payload(GetBlockTxs{1, Hash256{1}, too_many}));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("limit"), std::string::npos) << over.error().message;
  // The most indexes a request can carry fit its frame cap.
  too_many.pop_back();
  const auto frame = encode_message(GetBlockTxs{~std::uint64_t{0}, Hash256{1}, too_many});
  auto framed = decode_frame(frame);
  ASSERT_TRUE(framed.ok()) << framed.error().message;
  EXPECT_TRUE(decode_message(MessageType::get_block_txs, framed->frame.payload).ok());
  // A non-canonical index, an index that is not an integer, a short hash, trailing bytes.
  EXPECT_FALSE(decode_message(MessageType::get_block_txs, raw_payload([](rlp::Encoder& out) {
                                out.uint(1);
                                out.string(Bytes(32, 1));
                                const auto list = out.begin_list();
                                out.string(Bytes{0x00, 0x01});
                                out.end_list(list);
                              }))
                   .ok());
  EXPECT_FALSE(decode_message(MessageType::get_block_txs, raw_payload([](rlp::Encoder& out) {
                                out.uint(1);
                                out.string(Bytes(32, 1));
                                const auto list = out.begin_list();
                                out.list_header(0);
                                out.end_list(list);
                              }))
                   .ok());
  EXPECT_FALSE(decode_message(MessageType::get_block_txs, raw_payload([](rlp::Encoder& out) {
                                out.uint(1);
                                out.string(Bytes(31, 1));
                                const auto list = out.begin_list();
                                out.uint(1);
                                out.end_list(list);
                              }))
                   .ok());
  auto longer = encode_payload(GetBlockTxs{1, Hash256{1}, {1}});
  longer.push_back(0x80);
  EXPECT_FALSE(decode_message(MessageType::get_block_txs, longer).ok());
}

TEST(Messages, BlockTxsIsStrict) {
  const auto payload = encode_payload(BlockTxs{2, {make_tx(1), make_tx(2)}});
  for (std::size_t n = 0; n < payload.size(); n += 5) {
    EXPECT_FALSE(decode_message(MessageType::block_txs, BytesView(payload).first(n)).ok()) << n;
  }
  auto longer = payload;
  longer.push_back(0x00);
  EXPECT_FALSE(decode_message(MessageType::block_txs, longer).ok());
  // A transaction that does not decode.
  EXPECT_FALSE(decode_message(MessageType::block_txs, raw_payload([](rlp::Encoder& out) {
                                out.uint(2);
                                const auto list = out.begin_list();
                                out.string(Bytes{0x02, 0xc0});
                                out.end_list(list);
                              }))
                   .ok());
  // More items than a block may hold: refused on the count alone.
  auto over = decode_message(MessageType::block_txs, raw_payload([](rlp::Encoder& out) {
                               out.uint(2);
                               out.list_header(kMaxCompactBlockTxs + 1);
                               for (std::size_t i = 0; i <= kMaxCompactBlockTxs; ++i) out.string(BytesView{});
                             }));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("limit"), std::string::npos) << over.error().message;
  EXPECT_FALSE(decode_message(MessageType::block_txs, Bytes(kMaxBlockMessageBytes + 1, 0)).ok());
}

TEST(Messages, CertificateLimitsAreEnforced) {
  GetCertificates many;
  many.hashes.assign(kMaxCertificatesPerMessage + 1, Hash256{7});
  EXPECT_FALSE(decode_message(MessageType::get_certificates, encode_payload(many)).ok());
  Certificates big{1, {CertificateEntry{Hash256{1}, Bytes(kMaxCertificateBytes + 1, 1)}}};
  const auto refused = decode_message(MessageType::certificates, encode_payload(big));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("certificate"), std::string::npos) << refused.error().message;
  Certificates too_many;
  too_many.certificates.assign(kMaxCertificatesPerMessage + 1, CertificateEntry{Hash256{1}, Bytes{1}});
  EXPECT_FALSE(decode_message(MessageType::certificates, encode_payload(too_many)).ok());
  // An entry must be exactly [32-byte hash, bytes].
  Bytes payload;
  rlp::Encoder out(payload);
  const auto list = out.begin_list();
  out.uint(1);
  const auto inner = out.begin_list();
  const auto entry = out.begin_list();
  out.string(Bytes(31, 1));
  out.string(Bytes{1});
  out.end_list(entry);
  out.end_list(inner);
  out.end_list(list);
  EXPECT_FALSE(decode_message(MessageType::certificates, payload).ok());
}

TEST(Messages, HelloDigestBindsChallengeAndNodeId) {
  const auto hello = sample_hello();
  EXPECT_TRUE(crypto::verify(hello_digest(Hash256{1}, hello.node_id), hello.signature, hello.node_id));
  EXPECT_FALSE(crypto::verify(hello_digest(Hash256{2}, hello.node_id), hello.signature, hello.node_id));
}

TEST(Messages, WrongFieldCountIsRefused) {
  Bytes payload;
  rlp::Encoder out(payload);
  const auto list = out.begin_list();
  out.uint(1);
  out.uint(2);
  out.end_list(list);
  auto ping = decode_message(MessageType::ping, payload);
  ASSERT_FALSE(ping.ok());
  EXPECT_NE(ping.error().message.find("ping"), std::string::npos);
  EXPECT_FALSE(decode_message(MessageType::challenge, payload).ok());
}

TEST(Messages, TruncatedAndTrailingBytesAreRefused) {
  const auto payload = encode_payload(sample_hello());
  for (std::size_t n = 0; n < payload.size(); n += 7) {
    EXPECT_FALSE(decode_message(MessageType::hello, BytesView(payload).first(n)).ok()) << n;
  }
  auto longer = payload;
  longer.push_back(0x00);
  EXPECT_FALSE(decode_message(MessageType::hello, longer).ok());
}

TEST(Messages, PayloadOfAnotherTypeIsRefused) {
  const auto hello = encode_payload(sample_hello());
  EXPECT_FALSE(decode_message(MessageType::ping, hello).ok());
  EXPECT_FALSE(decode_message(MessageType::new_block, hello).ok());
  EXPECT_FALSE(decode_message(MessageType::headers, encode_payload(Ping{3})).ok());
}

TEST(Messages, ListBoundsAreCheckedBeforeDecoding) {
  NewTxHashes many;
  many.hashes.assign(kMaxHashesPerMessage + 1, Hash256{7});
  auto decoded = decode_message(MessageType::new_tx_hashes, encode_payload(many));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("limit"), std::string::npos);
  ConsensusHashes held;
  held.hashes.assign(kMaxHashesPerMessage + 1, Hash256{7});
  EXPECT_FALSE(decode_message(MessageType::consensus_hashes, encode_payload(held)).ok());
  GetBodies bodies;
  bodies.hashes.assign(kMaxBodiesPerMessage + 1, Hash256{7});
  EXPECT_FALSE(decode_message(MessageType::get_bodies, encode_payload(bodies)).ok());
  Peers peers;
  peers.addresses.assign(kMaxPeerAddresses + 1, PeerAddress{"1.2.3.4", 1});
  EXPECT_FALSE(decode_message(MessageType::peers, encode_payload(peers)).ok());
}

TEST(Messages, BadFieldValuesAreRefused) {
  Disconnect unknown_reason{DisconnectReason::banned, ""};
  auto payload = encode_payload(unknown_reason);
  payload[1] = 0x63;  // reason 99
  EXPECT_FALSE(decode_message(MessageType::disconnect, payload).ok());

  Hello long_name = sample_hello();
  long_name.client_name.assign(kMaxClientNameBytes + 1, 'x');
  EXPECT_FALSE(decode_message(MessageType::hello, encode_payload(long_name)).ok());

  Hello bad_recovery = sample_hello();
  bad_recovery.signature.recovery_id = 4;
  EXPECT_FALSE(decode_message(MessageType::hello, encode_payload(bad_recovery)).ok());

  Peers empty_host{{PeerAddress{"", 1}}};
  EXPECT_FALSE(decode_message(MessageType::peers, encode_payload(empty_host)).ok());

  // get_headers with a 5-byte start hash.
  Bytes headers_request;
  rlp::Encoder out(headers_request);
  const auto list = out.begin_list();
  out.uint(1);
  out.string(Bytes{1, 2, 3, 4, 5});
  out.uint(0);
  out.uint(1);
  out.uint(0);
  out.end_list(list);
  EXPECT_FALSE(decode_message(MessageType::get_headers, headers_request).ok());
}

TEST(Messages, OversizedPayloadIsRefused) {
  const Bytes big(kMaxSmallMessageBytes + 1, 0);
  EXPECT_FALSE(decode_message(MessageType::ping, big).ok());
}

TEST(PeerAddressText, ParsesAndPrints) {
  auto v4 = parse_peer_address("127.0.0.1:30333");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 30333);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:30333");
  auto v6 = parse_peer_address("[::1]:9");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "[::1]:9");
  EXPECT_TRUE(parse_peer_address("node.example:1").ok());
  for (const char* bad : {"", "host", ":1", "host:", "host:0", "host:65536", "host:12x", "::1:9", "[::1:9"}) {
    EXPECT_FALSE(parse_peer_address(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tally::p2p
