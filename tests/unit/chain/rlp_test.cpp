// RLP encoding and decoding: the ethereum/tests RLPTests vectors, then the
// encoder's own cases. Refusals of malformed input: rlp_refusal_test.cpp.

#include "chain/rlp.hpp"

#include <gtest/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <limits>
#include <vector>

#include "test_util.hpp"

namespace tally::rlp {
namespace {

using nlohmann::json;
using test::hex;

const std::filesystem::path kRlpDir = test::vectors_dir() / "ethereum-tests" / "RLPTests";

// "#<decimal>" in the vectors: a big integer, possibly wider than 256 bits.
Bytes big_integer_bytes(const std::string& decimal) {
  boost::multiprecision::cpp_int value(decimal);
  Bytes out;
  if (value != 0) boost::multiprecision::export_bits(value, std::back_inserter(out), 8);
  return out;
}

void encode_json(Encoder& out, const json& in) {
  if (in.is_array()) {
    const std::size_t marker = out.begin_list();
    for (const auto& element : in) encode_json(out, element);
    out.end_list(marker);
  } else if (in.is_number_unsigned()) {
    out.uint(in.get<std::uint64_t>());
  } else {
    const auto text = in.get<std::string>();
    if (!text.empty() && text[0] == '#') {
      out.uint_be(big_integer_bytes(text.substr(1)));
    } else {
      out.string(as_bytes(text));
    }
  }
}

// Checks a decoded item against the vector's `in`, and re-encodes it.
void expect_matches(const Item& item, const json& in, Encoder& reencoded) {
  if (in.is_array()) {
    ASSERT_TRUE(item.is_list());
    auto reader = read_list(item);
    ASSERT_TRUE(reader.ok());
    auto count = reader->count();
    ASSERT_TRUE(count.ok());
    ASSERT_EQ(*count, in.size());
    const std::size_t marker = reencoded.begin_list();
    for (const auto& element : in) {
      auto child = reader->next();
      ASSERT_TRUE(child.ok()) << child.error().message;
      expect_matches(*child, element, reencoded);
    }
    reencoded.end_list(marker);
    EXPECT_TRUE(reader->at_end());
  } else if (in.is_number_unsigned()) {
    auto value = read_uint64(item);
    ASSERT_TRUE(value.ok()) << value.error().message;
    EXPECT_EQ(*value, in.get<std::uint64_t>());
    auto wide = read_u256(item);
    ASSERT_TRUE(wide.ok());
    EXPECT_EQ(*wide, U256(in.get<std::uint64_t>()));
    reencoded.uint(*value);
  } else {
    const auto text = in.get<std::string>();
    auto bytes = read_bytes(item);
    ASSERT_TRUE(bytes.ok());
    if (!text.empty() && text[0] == '#') {
      const Bytes expected = big_integer_bytes(text.substr(1));
      EXPECT_EQ(to_bytes(*bytes), expected);
      if (expected.size() <= 32) {
        auto value = read_u256(item);
        ASSERT_TRUE(value.ok()) << value.error().message;
        EXPECT_EQ(*value, U256(text.substr(1)));
      } else {
        auto value = read_u256(item);
        ASSERT_FALSE(value.ok());
        EXPECT_TRUE(test::mentions(value.error().message, "wider than 256 bits"));
      }
    } else {
      EXPECT_EQ(to_bytes(*bytes), to_bytes(as_bytes(text)));
    }
    reencoded.string(*bytes);
  }
}

TEST(RlpVectors, EveryValidCaseEncodesAndDecodes) {
  const json cases = test::read_json(kRlpDir / "rlptest.json");
  std::size_t checked = 0;
  for (const auto& [name, body] : cases.items()) {
    // Upstream removed this case (ethereum/tests PR #560): its `out` is a
    // 167-byte list of the first 4 items followed by 153 stray 00 bytes, so no
    // correct encoder reproduces it (see tests/vectors README, RLPTests).
    if (name == "listofbinaries") {
      auto refused = decode(hex(body["out"].get<std::string>()));
      EXPECT_FALSE(refused.ok()) << "trailing bytes must be refused";
      continue;
    }
    SCOPED_TRACE(name);
    const Bytes expected = hex(body["out"].get<std::string>());
    Bytes encoded;
    Encoder encoder(encoded);
    encode_json(encoder, body["in"]);
    EXPECT_EQ(to_hex(encoded), to_hex(expected));

    auto item = decode(expected);
    ASSERT_TRUE(item.ok()) << item.error().message;
    Bytes reencoded;
    Encoder re(reencoded);
    expect_matches(*item, body["in"], re);
    EXPECT_EQ(reencoded, expected);
    ++checked;
  }
  EXPECT_EQ(checked, 28U);  // 29 cases, one documented skip
}

TEST(RlpVectors, EveryInvalidCaseIsRefused) {
  const json cases = test::read_json(kRlpDir / "invalidRLPTest.json");
  std::size_t checked = 0;
  for (const auto& [name, body] : cases.items()) {
    SCOPED_TRACE(name);
    const Bytes input = hex(body["out"].get<std::string>());
    auto result = validate(input);
    EXPECT_FALSE(result.ok());
    if (!result.ok()) {
      EXPECT_TRUE(test::mentions(result.error().message, "RLP: "));
    }
    ++checked;
  }
  EXPECT_EQ(checked, 17U);
}

TEST(RlpEncode, Integers) {
  EXPECT_EQ(to_hex(encode_uint(0)), "80");
  EXPECT_EQ(to_hex(encode_uint(1)), "01");
  EXPECT_EQ(to_hex(encode_uint(0x7f)), "7f");
  EXPECT_EQ(to_hex(encode_uint(0x80)), "8180");
  EXPECT_EQ(to_hex(encode_uint(0xff)), "81ff");
  EXPECT_EQ(to_hex(encode_uint(0x100)), "820100");
  EXPECT_EQ(to_hex(encode_uint(std::numeric_limits<std::uint64_t>::max())), "88ffffffffffffffff");
  EXPECT_EQ(to_hex(encode_u256(0)), "80");
  EXPECT_EQ(to_hex(encode_u256(0x7f)), "7f");
  EXPECT_EQ(to_hex(encode_u256(0x400)), "820400");
  EXPECT_EQ(to_hex(encode_u256(u256_max())), "a0" + std::string(64, 'f'));
}

TEST(RlpEncode, UintBeDropsLeadingZeros) {
  Bytes out;
  Encoder e(out);
  e.uint_be(hex("0000000001"));
  e.uint_be(hex("000000"));
  e.uint_be(hex("00ff"));
  EXPECT_EQ(to_hex(out), "018081ff");
}

TEST(RlpEncode, Strings) {
  EXPECT_EQ(to_hex(encode_string({})), "80");
  EXPECT_EQ(to_hex(encode_string(hex("00"))), "00");
  EXPECT_EQ(to_hex(encode_string(hex("80"))), "8180");
  const Bytes s55(55, 0xaa);
  const Bytes s56(56, 0xaa);
  EXPECT_EQ(encode_string(s55)[0], 0xb7);
  EXPECT_EQ(to_hex(BytesView(encode_string(s56)).first(2)), "b838");
  const Bytes big(0x10000, 0x01);
  EXPECT_EQ(to_hex(BytesView(encode_string(big)).first(4)), "ba010000");
}

TEST(RlpEncode, NestedListsPatchLongHeaders) {
  Bytes out;
  Encoder e(out);
  const auto outer = e.begin_list();
  const auto inner = e.begin_list();
  for (int i = 0; i < 60; ++i) e.uint(1);  // 60-byte payload: long form
  e.end_list(inner);
  e.string(as_bytes("dog"));
  e.end_list(outer);
  // inner: f83c + 60 bytes = 62; outer payload 62 + 4 = 66 -> f842
  ASSERT_EQ(out.size(), 2U + 66U);
  EXPECT_EQ(to_hex(BytesView(out).first(4)), "f842f83c");
  auto item = decode(out);
  ASSERT_TRUE(item.ok()) << item.error().message;
  auto reader = read_list(*item);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*reader->count(), 2U);
}

TEST(RlpEncode, LengthHelpersMatchTheEncoding) {
  const std::vector<std::uint64_t> ints = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, ~0ULL};
  for (auto v : ints) EXPECT_EQ(length_of_uint(v), encode_uint(v).size()) << v;
  for (auto v : ints) EXPECT_EQ(length_of_u256(U256(v)), encode_u256(U256(v)).size()) << v;
  EXPECT_EQ(length_of_u256(u256_max()), 33U);
  for (std::size_t n : {0UL, 1UL, 55UL, 56UL, 255UL, 256UL, 70000UL}) {
    const Bytes s(n, 0x90);
    EXPECT_EQ(length_of_string(s), encode_string(s).size()) << n;
  }
  EXPECT_EQ(length_of_string(hex("05")), 1U);
  EXPECT_EQ(length_of_uint_be(hex("000005")), 1U);
  EXPECT_EQ(length_of_uint_be(hex("0000")), 1U);
  EXPECT_EQ(length_of_header(55), 1U);
  EXPECT_EQ(length_of_header(56), 2U);
  EXPECT_EQ(length_of_header(0x10000), 4U);
}

TEST(RlpDecode, ZeroCopyViewsIntoTheInput) {
  const Bytes input = hex("c88363617483646f67");  // ["cat", "dog"]
  auto item = decode(input);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->encoded.data(), input.data());
  auto reader = read_list(*item);
  auto cat = reader->next();
  ASSERT_TRUE(cat.ok());
  EXPECT_EQ(cat->payload.data(), input.data() + 2);
  EXPECT_EQ(cat->encoded.size(), 4U);
  auto dog = reader->next();
  ASSERT_TRUE(dog.ok());
  EXPECT_TRUE(reader->at_end());
}

TEST(RlpDecode, TypedReaders) {
  const Bytes thousand = hex("8203e8");
  auto item = decode(thousand);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(*read_uint64(*item), 1000U);
  EXPECT_EQ(*read_u256(*item), U256(1000));
  Hash256 be{};
  be[30] = 0x03;
  be[31] = 0xe8;
  EXPECT_EQ(*read_u256_be(*item), be);

  const Bytes zero = hex("80");
  auto empty = decode(zero);
  EXPECT_EQ(*read_uint64(*empty), 0U);
  EXPECT_EQ(*read_u256_be(*empty), Hash256{});

  const Bytes address(20, 0x35);
  const Bytes encoded_address = encode_string(address);
  auto fixed_item = decode(encoded_address);
  auto fixed = read_fixed<20>(*fixed_item);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(to_bytes(*fixed), address);

  const Bytes encoded_max = encode_u256(u256_max());
  auto max = decode(encoded_max);
  EXPECT_EQ(*read_u256(*max), u256_max());
  const Bytes encoded_max64 = encode_uint(~0ULL);
  auto max64 = decode(encoded_max64);
  EXPECT_EQ(*read_uint64(*max64), ~0ULL);
}

TEST(RlpDecode, ReadItemLeavesTheRestAlone) {
  const Bytes input = hex("8363617401");
  auto item = read_item(input);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->encoded.size(), 4U);
  EXPECT_FALSE(decode(input).ok());
}

}  // namespace
}  // namespace tally::rlp
