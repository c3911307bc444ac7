// Transactions: the EIP-155 example, sign/encode/decode/recover round trips
// for all three types, block-body form, gas and fee helpers. Refusals:
// transaction_refusal_test.cpp; ethereum/tests: transaction_vectors_test.cpp.

#include "chain/transaction.hpp"

#include <gtest/gtest.h>

#include "crypto/address.hpp"
#include "crypto/keccak.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using test::hex;
using test::hex_fixed;

const U256 kGwei = 1'000'000'000;

crypto::PrivateKey key_of(std::string_view hex_key) {
  auto key = crypto::private_key_from_bytes(hex(hex_key));
  EXPECT_TRUE(key.ok());
  return *key;
}

Address address_of_key(const crypto::PrivateKey& key) {
  return crypto::address_of(crypto::public_key_of(key));
}

// The example of the EIP-155 text.
Transaction eip155_example() {
  Transaction tx;
  tx.type = TxType::legacy;
  tx.chain_id = 1;
  tx.nonce = 9;
  tx.gas_price = 20 * kGwei;
  tx.gas_limit = 21'000;
  tx.to = hex_fixed<20>("3535353535353535353535353535353535353535");
  tx.value = U256("1000000000000000000");
  return tx;
}

TEST(Transaction, Eip155Example) {
  const auto key = key_of("4646464646464646464646464646464646464646464646464646464646464646");
  Transaction tx = eip155_example();
  EXPECT_EQ(to_hex(signing_hash(tx)), "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
  sign(tx, key);
  const std::string raw =
      "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe"
      "537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
  EXPECT_EQ(to_hex(encode(tx)), raw);
  EXPECT_EQ(encoded_size(tx), raw.size() / 2);
  EXPECT_EQ(tx_hash(tx), crypto::keccak256(hex(raw)));

  auto decoded = decode(hex(raw));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, tx);
  EXPECT_EQ(decoded->chain_id, std::optional<std::uint64_t>(1));
  EXPECT_EQ(decoded->y_parity, 0);
  auto sender = recover_sender(*decoded);
  ASSERT_TRUE(sender.ok()) << sender.error().message;
  EXPECT_EQ(*sender, address_of_key(key));
  EXPECT_EQ(crypto::to_checksum_address(*sender), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
  EXPECT_TRUE(validate_static(*decoded, TxRules{.chain_id = 1}).ok());
}

Transaction sample(TxType type) {
  Transaction tx;
  tx.type = type;
  tx.chain_id = 1337;
  tx.nonce = 42;
  tx.gas_limit = 100'000;
  tx.to = hex_fixed<20>("00000000000000000000000000000000000000ff");
  tx.value = U256("123456789012345678901234567890");
  tx.data = hex("00010203ff");
  if (type == TxType::dynamic_fee) {
    tx.max_priority_fee_per_gas = 2 * kGwei;
    tx.max_fee_per_gas = 30 * kGwei;
  } else {
    tx.gas_price = 7 * kGwei;
  }
  if (type != TxType::legacy) {
    tx.access_list = {
        AccessListEntry{hex_fixed<20>("1111111111111111111111111111111111111111"),
                        {hex_fixed<32>("00000000000000000000000000000000000000000000000000000000000000aa"),
                         hex_fixed<32>("bb00000000000000000000000000000000000000000000000000000000000000")}},
        AccessListEntry{hex_fixed<20>("2222222222222222222222222222222222222222"), {}},
    };
  }
  return tx;
}

class RoundTrip : public ::testing::TestWithParam<TxType> {};

TEST_P(RoundTrip, SignEncodeDecodeRecover) {
  const auto key = key_of("0101010101010101010101010101010101010101010101010101010101010101");
  Transaction tx = sample(GetParam());
  sign(tx, key);
  const Bytes raw = encode(tx);
  EXPECT_EQ(raw.size(), encoded_size(tx));
  if (GetParam() == TxType::legacy) {
    EXPECT_GE(raw[0], 0xc0);
  } else {
    EXPECT_EQ(raw[0], static_cast<std::uint8_t>(GetParam()));
  }
  EXPECT_EQ(tx_hash(tx), crypto::keccak256(raw));

  auto decoded = decode(raw);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, tx);
  EXPECT_EQ(encode(*decoded), raw);
  EXPECT_EQ(signing_hash(*decoded), signing_hash(tx));
  auto sender = recover_sender(*decoded);
  ASSERT_TRUE(sender.ok()) << sender.error().message;
  EXPECT_EQ(*sender, address_of_key(key));
  const auto check = validate_static(*decoded, TxRules{.chain_id = 1337});
  EXPECT_TRUE(check.ok()) << check.message;

  // Any change to a signed field changes the recovered sender.
  Transaction tampered = *decoded;
  tampered.value += 1;
  auto other = recover_sender(tampered);
  EXPECT_TRUE(!other.ok() || *other != *sender);
}

TEST_P(RoundTrip, LongDataUsesLongHeaders) {
  const auto key = key_of("0202020202020202020202020202020202020202020202020202020202020202");
  Transaction tx = sample(GetParam());
  tx.data = Bytes(70'000, 0x5a);
  tx.gas_limit = 2'000'000;
  sign(tx, key);
  const Bytes raw = encode(tx);
  EXPECT_EQ(raw.size(), encoded_size(tx));
  auto decoded = decode(raw);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, tx);
  EXPECT_EQ(*recover_sender(*decoded), address_of_key(key));
}

std::string type_name(const ::testing::TestParamInfo<TxType>& param) {
  switch (param.param) {
    case TxType::legacy:
      return "Legacy";
    case TxType::access_list:
      return "AccessList";
    case TxType::dynamic_fee:
      return "DynamicFee";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RoundTrip,
                         ::testing::Values(TxType::legacy, TxType::access_list, TxType::dynamic_fee), type_name);

TEST(Transaction, UnprotectedLegacySignsWithV27Or28) {
  const auto key = key_of("0303030303030303030303030303030303030303030303030303030303030303");
  Transaction tx = sample(TxType::legacy);
  tx.chain_id.reset();
  sign(tx, key);
  const Bytes raw = encode(tx);
  auto decoded = decode(raw);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_FALSE(decoded->chain_id.has_value());
  EXPECT_EQ(*decoded, tx);
  EXPECT_EQ(*recover_sender(*decoded), address_of_key(key));
  // v is the 7th field: 27 or 28.
  auto list = rlp::decode(raw);
  ASSERT_TRUE(list.ok());
  auto fields = rlp::read_list(*list);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fields->next().ok());
  auto v = fields->next();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*rlp::read_uint64(*v), 27U + tx.y_parity);
}

TEST(Transaction, SigningHashCommitsToTheChainId) {
  Transaction a = sample(TxType::legacy);
  Transaction b = a;
  b.chain_id = 1338;
  EXPECT_NE(signing_hash(a), signing_hash(b));
  b.chain_id.reset();
  EXPECT_NE(signing_hash(a), signing_hash(b));
  Transaction c = sample(TxType::dynamic_fee);
  Transaction d = c;
  d.chain_id = 1;
  EXPECT_NE(signing_hash(c), signing_hash(d));
  // The signature is not part of the signing hash.
  d = c;
  d.r[5] ^= 1;
  EXPECT_EQ(signing_hash(c), signing_hash(d));
  EXPECT_NE(tx_hash(c), tx_hash(d));
}

TEST(Transaction, BlockBodyFormWrapsTypedTransactions) {
  const auto key = key_of("0404040404040404040404040404040404040404040404040404040404040404");
  std::vector<Transaction> txs = {sample(TxType::legacy), sample(TxType::access_list), sample(TxType::dynamic_fee)};
  for (auto& tx : txs) sign(tx, key);
  Bytes body;
  rlp::Encoder out(body);
  const auto marker = out.begin_list();
  for (const auto& tx : txs) append_in_list(out, tx);
  out.end_list(marker);

  auto list = rlp::decode(body);
  ASSERT_TRUE(list.ok()) << list.error().message;
  auto reader = rlp::read_list(*list);
  ASSERT_TRUE(reader.ok());
  for (const auto& tx : txs) {
    auto item = reader->next();
    ASSERT_TRUE(item.ok());
    EXPECT_EQ(item->is_list(), tx.type == TxType::legacy);
    if (item->is_string()) {
      EXPECT_EQ(to_bytes(item->payload), encode(tx));
    }
    auto decoded = decode_in_list(*item);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, tx);
  }
  EXPECT_TRUE(reader->at_end());
}

TEST(Transaction, IntrinsicGas) {
  Transaction tx = sample(TxType::dynamic_fee);
  tx.data.clear();
  tx.access_list.clear();
  EXPECT_EQ(intrinsic_gas(tx), 21'000U);
  tx.data = hex("0000ff01");  // 2 zero, 2 non-zero bytes (EIP-2028)
  EXPECT_EQ(intrinsic_gas(tx), 21'000U + 2 * 4 + 2 * 16);
  tx.access_list = sample(TxType::dynamic_fee).access_list;  // 2 addresses, 2 keys
  EXPECT_EQ(intrinsic_gas(tx), 21'000U + 40 + 2 * 2'400 + 2 * 1'900);
  tx.access_list.clear();
  tx.to.reset();  // creation: 32000 more and 2 per init-code word (EIP-3860)
  tx.data = Bytes(33, 1);
  EXPECT_EQ(intrinsic_gas(tx), 53'000U + 33 * 16 + 2 * 2);
}

TEST(Transaction, EffectiveGasPriceAndTip) {
  Transaction tx = sample(TxType::dynamic_fee);
  tx.max_fee_per_gas = 100;
  tx.max_priority_fee_per_gas = 10;
  EXPECT_EQ(effective_gas_price(tx, 50), U256(60));
  EXPECT_EQ(effective_tip(tx, 50), U256(10));
  EXPECT_EQ(effective_gas_price(tx, 95), U256(100));
  EXPECT_EQ(effective_tip(tx, 95), U256(5));
  EXPECT_EQ(effective_gas_price(tx, 100), U256(100));
  EXPECT_EQ(effective_tip(tx, 100), U256(0));
  EXPECT_FALSE(effective_gas_price(tx, 101).has_value());
  EXPECT_FALSE(effective_tip(tx, 101).has_value());
  tx.max_fee_per_gas = u256_max();
  tx.max_priority_fee_per_gas = u256_max();
  EXPECT_EQ(effective_gas_price(tx, 7), u256_max());
  EXPECT_EQ(effective_tip(tx, 7), u256_max() - 7);

  Transaction legacy = sample(TxType::legacy);
  legacy.gas_price = 30;
  EXPECT_EQ(fee_cap(legacy), U256(30));
  EXPECT_EQ(tip_cap(legacy), U256(30));
  EXPECT_EQ(effective_gas_price(legacy, 20), U256(30));
  EXPECT_EQ(effective_tip(legacy, 20), U256(10));
  EXPECT_FALSE(effective_tip(legacy, 31).has_value());
}

TEST(Transaction, CheckNamesAreStable) {
  EXPECT_EQ(to_string(TxCheck::ok), "ok");
  EXPECT_EQ(to_string(TxCheck::intrinsic_gas_too_low), "intrinsic_gas_too_low");
  EXPECT_EQ(to_string(TxCheck::tip_above_fee_cap), "tip_above_fee_cap");
  EXPECT_EQ(to_string(TxCheck::invalid_signature), "invalid_signature");
}

}  // namespace
}  // namespace tally::chain
