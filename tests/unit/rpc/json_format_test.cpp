#include "rpc/json_format.hpp"

#include <gtest/gtest.h>

#include "chain/rlp.hpp"

namespace tally::rpc {
namespace {

std::string error_of(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const RpcError& error) {
    EXPECT_EQ(error.code(), code::kInvalidParams);
    return error.what();
  }
  ADD_FAILURE() << "parsed without error";
  return {};
}

TEST(JsonFormat, QuantitiesHaveNoLeadingZeros) {
  EXPECT_EQ(quantity(std::uint64_t{0}), "0x0");
  EXPECT_EQ(quantity(std::uint64_t{1}), "0x1");
  EXPECT_EQ(quantity(std::uint64_t{0x400}), "0x400");
  EXPECT_EQ(quantity(UINT64_MAX), "0xffffffffffffffff");
  EXPECT_EQ(quantity(U256{0}), "0x0");
  EXPECT_EQ(quantity(u256_max()), "0x" + std::string(64, 'f'));
}

TEST(JsonFormat, DataAddressesAndHashesAreLowercaseHex) {
  EXPECT_EQ(data_hex(Bytes{}), "0x");
  EXPECT_EQ(data_hex(Bytes{0x00, 0xAB}), "0x00ab");
  Address address{};
  address[0] = 0xAB;
  address[19] = 0x01;
  EXPECT_EQ(address_hex(address), "0xab" + std::string(36, '0') + "01");
  EXPECT_EQ(hash_hex(Hash256{}), "0x" + std::string(64, '0'));
  EXPECT_EQ(hash_hex(empty_uncles_hash()), "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");
}

TEST(JsonFormat, ParsesStrictQuantities) {
  EXPECT_EQ(parse_quantity("0x0", {}), U256{0});
  EXPECT_EQ(parse_quantity("0x1F", {}), U256{31});
  EXPECT_EQ(parse_quantity("0x" + std::string(64, 'f'), {}), u256_max());
  EXPECT_EQ(parse_quantity_u64("0xffffffffffffffff", {}), UINT64_MAX);

  EXPECT_EQ(error_of([] {
              (void)parse_quantity("0x01", {2, {}});
            }),
            "invalid argument 2: hex number with leading zero digits");
  EXPECT_EQ(error_of([] { (void)parse_quantity("0x00", {}); }),
            "invalid argument 0: hex number with leading zero digits");
  EXPECT_EQ(error_of([] { (void)parse_quantity("12", {}); }), "invalid argument 0: hex string without 0x prefix");
  EXPECT_EQ(error_of([] { (void)parse_quantity("0x", {}); }), "invalid argument 0: hex string \"0x\"");
  EXPECT_EQ(error_of([] { (void)parse_quantity("", {}); }), "invalid argument 0: empty hex string");
  EXPECT_EQ(error_of([] { (void)parse_quantity("0xg", {}); }), "invalid argument 0: invalid hex string");
  // 2^256 needs 65 digits.
  EXPECT_EQ(error_of([] { (void)parse_quantity(std::string("0x1").append(64, '0'), {}); }),
            "invalid argument 0: hex number > 256 bits");
  EXPECT_EQ(error_of([] { (void)parse_quantity_u64("0x10000000000000000", {}); }),
            "invalid argument 0: hex number > 64 bits");
  EXPECT_NE(error_of([] { (void)parse_quantity(Json(5), {}); }).find("must be a 0x-prefixed hex string"),
            std::string::npos);
  EXPECT_EQ(error_of([] {
              (void)parse_quantity("0x01", {1, "value"});
            }),
            "invalid argument 1: field \"value\": hex number with leading zero digits");
}

TEST(JsonFormat, ParsesDataAddressesAndHashes) {
  EXPECT_EQ(parse_data("0x", {}), Bytes{});
  EXPECT_EQ(parse_data("0x00Ff", {}), (Bytes{0x00, 0xff}));
  EXPECT_EQ(error_of([] { (void)parse_data("0x123", {}); }), "invalid argument 0: hex string of odd length");
  EXPECT_EQ(error_of([] { (void)parse_data("1234", {}); }), "invalid argument 0: hex string without 0x prefix");
  EXPECT_EQ(error_of([] { (void)parse_data("0xzz", {}); }), "invalid argument 0: invalid hex string");
  EXPECT_EQ(error_of([] { (void)parse_data("0x" + std::string(10, 'a'), {}, 4); }),
            "invalid argument 0: data longer than 4 bytes");

  Address all_aa{};
  all_aa.fill(0xaa);
  EXPECT_EQ(parse_address("0x" + std::string(40, 'A'), {}), all_aa);
  EXPECT_EQ(error_of([] { (void)parse_address(std::string("0x").append(38, '0'), {}); }),
            "invalid argument 0: hex string has length 38, want 40 for address");
  EXPECT_EQ(error_of([] { (void)parse_hash(std::string("0x").append(62, '0'), {}); }),
            "invalid argument 0: hex string has length 62, want 64 for hash");
  EXPECT_EQ(parse_hash("0x" + std::string(64, '0'), {}), Hash256{});
}

TEST(JsonFormat, ParsesBlockParameters) {
  EXPECT_EQ(std::get<BlockTag>(parse_block_param("latest", {}, false)), BlockTag::latest);
  EXPECT_EQ(std::get<BlockTag>(parse_block_param("earliest", {}, false)), BlockTag::earliest);
  EXPECT_EQ(std::get<BlockTag>(parse_block_param("pending", {}, false)), BlockTag::pending);
  EXPECT_EQ(std::get<BlockTag>(parse_block_param("safe", {}, false)), BlockTag::safe);
  EXPECT_EQ(std::get<BlockTag>(parse_block_param("finalized", {}, false)), BlockTag::finalized);
  EXPECT_EQ(std::get<std::uint64_t>(parse_block_param("0x10", {}, false)), 16U);

  const std::string hash = "0x" + std::string(64, '1');
  const auto by_hash =
      std::get<BlockByHash>(parse_block_param({{"blockHash", hash}, {"requireCanonical", true}}, {}, true));
  EXPECT_TRUE(by_hash.require_canonical);
  EXPECT_EQ(by_hash.hash[0], 0x11);
  EXPECT_EQ(std::get<std::uint64_t>(parse_block_param({{"blockNumber", "0x2"}}, {}, true)), 2U);
  EXPECT_FALSE(std::get<BlockByHash>(parse_block_param(hash, {}, true)).require_canonical);

  EXPECT_NE(error_of([] { (void)parse_block_param("latst", {}, false); }).find("unknown block tag \"latst\""),
            std::string::npos);
  EXPECT_NE(error_of([] {
              (void)parse_block_param(Json::object({{"blockNumber", "0x1"}}), {}, false);
            }).find("got an object"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)parse_block_param({{"blockNumber", "0x1"}, {"blockHash", hash}}, {}, true);
            }).find("cannot specify both"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_block_param(Json::object(), {}, true); }).find("needs blockHash or blockNumber"),
            std::string::npos);
  EXPECT_EQ(error_of([] { (void)parse_block_param("0x01", {}, false); }),
            "invalid argument 0: hex number with leading zero digits");
  EXPECT_NE(error_of([] { (void)parse_block_param(Json(1), {}, false); }).find("want a block number"),
            std::string::npos);
}

TEST(JsonFormat, ParamsCheckCounts) {
  const Json two = Json::array({1, 2});
  EXPECT_EQ(Params(two, 1, 2).size(), 2U);
  EXPECT_EQ(Params(Json(nullptr), 0, 1).get(0), nullptr);
  EXPECT_EQ(error_of([&] { Params(two, 0, 1); }), "too many arguments, want at most 1");
  EXPECT_EQ(error_of([] { Params(Json::array(), 1, 1); }), "missing value for required argument 0");
  EXPECT_EQ(error_of([] { Params(Json::array({nullptr}), 1, 1); }), "missing value for required argument 0");
  EXPECT_NE(error_of([] { Params(Json::object(), 0, 1); }).find("non-array params"), std::string::npos);
}

TEST(JsonFormat, ReadsThePowSeal) {
  chain::Header header;
  EXPECT_FALSE(pow_seal_of(header).has_value());
  header.seal.push_back(rlp::encode_u256(U256{0x100000}));
  header.seal.push_back(rlp::encode_string(Bytes{0, 0, 0, 0, 0, 0, 0x01, 0x02}));
  const auto seal = pow_seal_of(header);
  ASSERT_TRUE(seal.has_value());
  EXPECT_EQ(seal->difficulty, U256{0x100000});
  EXPECT_EQ(seal->nonce, 0x0102U);
  const Json json = header_json(header, Hash256{});
  EXPECT_EQ(json["nonce"], "0x0000000000000102");
  EXPECT_EQ(json["difficulty"], "0x100000");

  header.seal[1] = rlp::encode_string(Bytes{1, 2, 3});  // not 8 bytes: not a PoW seal
  EXPECT_FALSE(pow_seal_of(header).has_value());
  EXPECT_EQ(header_json(header, Hash256{})["nonce"], "0x0000000000000000");
}

}  // namespace
}  // namespace tally::rpc
