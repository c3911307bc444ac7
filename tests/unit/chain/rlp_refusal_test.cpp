// Every way the RLP decoder refuses input, each checked for an error that
// names the cause.

#include <gtest/gtest.h>

#include "chain/rlp.hpp"
#include "test_util.hpp"

namespace tally::rlp {
namespace {

using test::hex;
using test::mentions;

std::string decode_error(const Bytes& input) {
  auto item = decode(input);
  EXPECT_FALSE(item.ok()) << "accepted " << to_hex(input);
  return item ? std::string() : item.error().message;
}

template <class Reader>
std::string reader_error(const Bytes& input, Reader reader) {
  auto item = decode(input);
  EXPECT_TRUE(item.ok()) << to_hex(input) << ": " << (item ? "" : item.error().message);
  if (!item) return {};
  auto value = reader(*item);
  EXPECT_FALSE(value.ok()) << "reader accepted " << to_hex(input);
  return value ? std::string() : value.error().message;
}

TEST(RlpRefusal, EmptyInput) {
  EXPECT_TRUE(mentions(decode_error({}), "input ends"));
}

TEST(RlpRefusal, IntegerWithLeadingZeros) {
  EXPECT_TRUE(mentions(reader_error(hex("820001"), read_uint64), "leading zero"));
  EXPECT_TRUE(mentions(reader_error(hex("820001"), read_u256), "leading zero"));
  EXPECT_TRUE(mentions(reader_error(hex("820001"), read_u256_be), "leading zero"));
  // Zero is the empty string, not a 0x00 byte.
  EXPECT_TRUE(mentions(reader_error(hex("00"), read_uint64), "leading zero"));
  // A byte string may start with zeros: only integers refuse them.
  const Bytes input = hex("820001");
  auto item = decode(input);
  ASSERT_TRUE(item.ok());
  EXPECT_TRUE(read_bytes(*item).ok());
}

TEST(RlpRefusal, SingleByteBelow0x80InLongForm) {
  for (const char* input : {"8100", "8101", "817f"}) {
    const std::string error = decode_error(hex(input));
    EXPECT_TRUE(mentions(error, "must be encoded as itself")) << input;
    EXPECT_TRUE(mentions(error, "0x81")) << input;
  }
  EXPECT_TRUE(decode(hex("8180")).ok());
}

TEST(RlpRefusal, LongFormForShortPayload) {
  EXPECT_TRUE(mentions(decode_error(hex("b801ff")), "long form used for a payload of 1 bytes"));
  EXPECT_TRUE(mentions(decode_error(hex("b837" + std::string(110, '1'))), "long form"));
  EXPECT_TRUE(mentions(decode_error(hex("f803112233")), "long form"));
  EXPECT_TRUE(mentions(decode_error(hex("f800")), "leading zero"));
  EXPECT_TRUE(decode(hex("b838" + std::string(112, '1'))).ok());
}

TEST(RlpRefusal, LengthOfLengthWithLeadingZero) {
  EXPECT_TRUE(mentions(decode_error(hex("b9003800" + std::string(110, '1'))), "length of length has a leading zero"));
  EXPECT_TRUE(mentions(decode_error(hex("fb00000040" + std::string(128, '1'))), "length of length has a leading zero"));
  EXPECT_TRUE(mentions(decode_error(hex("b800")), "leading zero"));
}

TEST(RlpRefusal, DeclaredLengthBeyondInput) {
  EXPECT_TRUE(mentions(decode_error(hex("836162")), "declared length 3 exceeds the 2 bytes remaining"));
  EXPECT_TRUE(mentions(decode_error(hex("c30102")), "exceeds"));
  EXPECT_TRUE(mentions(decode_error(hex("b9ffff00")), "declared length 65535 exceeds"));
  // A list whose item runs past the list's own end.
  EXPECT_TRUE(mentions(decode_error(hex("c28361")), "declared length 3 exceeds the 1 bytes remaining"));
}

TEST(RlpRefusal, HugeLengthsOnATinyInput) {
  // 8-byte lengths claiming up to 2^64-1 bytes: refused without allocating
  // or reading past the input.
  EXPECT_TRUE(mentions(decode_error(hex("bfffffffffffffffff00")), "exceeds"));
  EXPECT_TRUE(mentions(decode_error(hex("ffffffffffffffffff")), "exceeds"));
  EXPECT_TRUE(mentions(decode_error(hex("bb40000000")), "declared length 1073741824 exceeds the 0 bytes"));
  EXPECT_TRUE(mentions(decode_error(hex("fb4000000000")), "exceeds"));
  // The ethereum/tests int32Overflow cases.
  EXPECT_FALSE(decode(hex("bf0f000000000000021111")).ok());
  EXPECT_FALSE(decode(hex("ff0f000000000000021111")).ok());
}

TEST(RlpRefusal, InputEndsInsideTheLengthField) {
  EXPECT_TRUE(mentions(decode_error(hex("b9")), "inside a 2-byte length field"));
  EXPECT_TRUE(mentions(decode_error(hex("bf0102")), "inside a 8-byte length field"));
  EXPECT_TRUE(mentions(decode_error(hex("f9")), "inside"));
}

TEST(RlpRefusal, TrailingBytesAfterTheTopItem) {
  EXPECT_TRUE(mentions(decode_error(hex("0102")), "1 trailing bytes"));
  EXPECT_TRUE(mentions(decode_error(hex("c0c0c0")), "2 trailing bytes"));
}

TEST(RlpRefusal, IntegerWiderThanItsType) {
  EXPECT_TRUE(mentions(reader_error(hex("89010000000000000000"), read_uint64), "9 bytes is wider than 64 bits"));
  const std::string wide = "a101" + std::string(64, '0');
  EXPECT_TRUE(mentions(reader_error(hex(wide), read_u256), "33 bytes is wider than 256 bits"));
  EXPECT_TRUE(mentions(reader_error(hex(wide), read_u256_be), "wider than 256 bits"));
}

TEST(RlpRefusal, WrongKind) {
  EXPECT_TRUE(mentions(reader_error(hex("c0"), read_uint64), "expected an integer, found a list"));
  EXPECT_TRUE(mentions(reader_error(hex("c0"), read_u256), "found a list"));
  EXPECT_TRUE(mentions(reader_error(hex("c0"), read_bytes), "expected a string, found a list"));
  EXPECT_TRUE(mentions(reader_error(hex("80"), read_list), "expected a list, found a string"));
}

TEST(RlpRefusal, FixedSizeMismatch) {
  const auto read_address = [](const Item& item) { return read_fixed<20>(item); };
  EXPECT_TRUE(mentions(reader_error(encode_string(Bytes(19, 1)), read_address), "20 bytes, got 19"));
  EXPECT_TRUE(mentions(reader_error(encode_string(Bytes(21, 1)), read_address), "20 bytes, got 21"));
  EXPECT_TRUE(mentions(reader_error(hex("c0"), read_address), "found a list"));
}

TEST(RlpRefusal, ListReaderPastTheEnd) {
  const Bytes input = hex("c101");
  auto item = decode(input);
  ASSERT_TRUE(item.ok());
  auto reader = read_list(*item);
  ASSERT_TRUE(reader->next().ok());
  auto past = reader->next();
  ASSERT_FALSE(past.ok());
  EXPECT_TRUE(mentions(past.error().message, "fewer items"));
}

Bytes nested_lists(std::size_t depth) {
  Bytes out;
  Encoder e(out);
  std::vector<std::size_t> markers;
  for (std::size_t i = 0; i < depth; ++i) markers.push_back(e.begin_list());
  for (auto it = markers.rbegin(); it != markers.rend(); ++it) e.end_list(*it);
  return out;
}

TEST(RlpRefusal, NestingDepthIsBounded) {
  EXPECT_TRUE(decode(nested_lists(kMaxDepth)).ok());
  EXPECT_TRUE(mentions(decode_error(nested_lists(kMaxDepth + 1)), "nested deeper than the limit of 64"));
  EXPECT_FALSE(validate(nested_lists(5), 4).ok());
  EXPECT_TRUE(validate(nested_lists(4), 4).ok());
  // Nesting far beyond the limit is refused without deep recursion.
  EXPECT_FALSE(decode(nested_lists(10'000)).ok());
}

TEST(RlpRefusal, MalformedItemInsideAListIsFoundByDecode) {
  // The ethereum/tests randomRLP case: a bad length two levels down.
  EXPECT_TRUE(mentions(decode_error(hex("c4c3b90001")), "RLP: "));
  EXPECT_TRUE(mentions(decode_error(hex("c3c28100")), "must be encoded as itself"));
  // read_item alone checks only the top header.
  EXPECT_TRUE(read_item(hex("c3c28100")).ok());
}

}  // namespace
}  // namespace tally::rlp
