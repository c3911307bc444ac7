#include "p2p/frame.hpp"

#include <gtest/gtest.h>

namespace tally::p2p {
namespace {

TEST(Frame, RoundTrip) {
  const Bytes payload = {0xc1, 0x80};
  const auto frame = encode_frame(MessageType::ping, payload);
  ASSERT_EQ(frame.size(), kFrameHeaderBytes + payload.size());
  EXPECT_EQ(frame[0], 0);
  EXPECT_EQ(frame[3], 2);
  EXPECT_EQ(frame[4], static_cast<std::uint8_t>(MessageType::ping));
  auto decoded = decode_frame(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->frame.type, MessageType::ping);
  EXPECT_EQ(Bytes(decoded->frame.payload.begin(), decoded->frame.payload.end()), payload);
  EXPECT_EQ(decoded->consumed, frame.size());
}

TEST(Frame, TwoFramesInARowDecodeOneAtATime) {
  auto stream = encode_frame(MessageType::ping, Bytes{0xc0});
  append(stream, encode_frame(MessageType::pong, Bytes{0xc0}));
  auto first = decode_frame(stream);
  ASSERT_TRUE(first.ok());
  auto second = decode_frame(BytesView(stream).subspan(first->consumed));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->frame.type, MessageType::pong);
}

TEST(Frame, OversizedLengthIsRefusedFromTheHeaderAlone) {
  // Only the 5 header bytes exist: the cap is checked before any payload.
  const Bytes header = {0xff, 0xff, 0xff, 0xff, static_cast<std::uint8_t>(MessageType::new_block)};
  auto decoded = decode_frame_header(header);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("exceeds its limit"), std::string::npos);
  bool incomplete = true;
  EXPECT_FALSE(decode_frame(header, &incomplete).ok());
  EXPECT_FALSE(incomplete);
}

TEST(Frame, CapsArePerType) {
  const auto small = static_cast<std::uint32_t>(kMaxSmallMessageBytes + 1);
  Bytes ping = {0, 0, static_cast<std::uint8_t>(small >> 8U), static_cast<std::uint8_t>(small),
                static_cast<std::uint8_t>(MessageType::ping)};
  EXPECT_FALSE(decode_frame_header(ping).ok());
  ping[4] = static_cast<std::uint8_t>(MessageType::new_block);
  EXPECT_TRUE(decode_frame_header(ping).ok());
  EXPECT_EQ(*max_payload_bytes(static_cast<std::uint8_t>(MessageType::bodies)), kMaxBlockMessageBytes);
  EXPECT_LT(*max_payload_bytes(static_cast<std::uint8_t>(MessageType::hello)), 4096U);
  // Compact block relay.
  EXPECT_EQ(*max_payload_bytes(0x28), kMaxCompactBlockMessageBytes);
  EXPECT_EQ(*max_payload_bytes(0x29), kMaxSmallMessageBytes);
  EXPECT_EQ(*max_payload_bytes(0x2a), kMaxBlockTxsRequestBytes);
  EXPECT_EQ(*max_payload_bytes(0x2b), kMaxBlockMessageBytes);
  EXPECT_EQ(to_string(MessageType::compact_block), "compact_block");
  EXPECT_EQ(to_string(MessageType::block_txs), "block_txs");
  EXPECT_FALSE(max_payload_bytes(0x2c).has_value());
}

TEST(Frame, UnknownTypeIsRefused) {
  const Bytes header = {0, 0, 0, 1, 0x7f};
  auto decoded = decode_frame_header(header);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("unknown message type"), std::string::npos);
}

TEST(Frame, TruncatedInputIsIncomplete) {
  const auto frame = encode_frame(MessageType::ping, Bytes{0xc1, 0x80});
  for (std::size_t n = 0; n < frame.size(); ++n) {
    bool incomplete = false;
    EXPECT_FALSE(decode_frame(BytesView(frame).first(n), &incomplete).ok());
    EXPECT_TRUE(incomplete) << n;
  }
}

}  // namespace
}  // namespace tally::p2p
