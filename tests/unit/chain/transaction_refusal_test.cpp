// Every way a transaction is refused: by decode() (structure, named field),
// by validate_static() (typed reason), by recover_sender() (signature).

#include <gtest/gtest.h>

#include "chain/transaction.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using test::hex;
using test::hex_fixed;
using test::mentions;

const U256 kCurveOrder("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

crypto::PrivateKey test_key() {
  auto key = crypto::private_key_from_bytes(hex("0707070707070707070707070707070707070707070707070707070707070707"));
  EXPECT_TRUE(key.ok());
  return *key;
}

Transaction signed_tx(TxType type, std::uint64_t chain_id = 1) {
  Transaction tx;
  tx.type = type;
  tx.chain_id = chain_id;
  tx.nonce = 1;
  tx.gas_limit = 21'000;
  tx.to = hex_fixed<20>("3535353535353535353535353535353535353535");
  tx.value = 1000;
  tx.gas_price = 10;
  tx.max_fee_per_gas = 10;
  tx.max_priority_fee_per_gas = 1;
  sign(tx, test_key());
  return tx;
}

// The encoded items of a raw transaction's field list, to mutate one field.
std::vector<Bytes> fields_of(const Bytes& raw) {
  const bool typed = raw[0] < 0x80;
  auto list = rlp::decode(BytesView(raw).subspan(typed ? 1 : 0));
  EXPECT_TRUE(list.ok());
  std::vector<Bytes> fields;
  rlp::ListReader reader(list->payload);
  while (!reader.at_end()) fields.push_back(to_bytes(reader.next()->encoded));
  return fields;
}

Bytes rebuild(const std::vector<Bytes>& fields, std::optional<std::uint8_t> type) {
  Bytes out;
  if (type) out.push_back(*type);
  rlp::Encoder e(out);
  const auto marker = e.begin_list();
  for (const auto& field : fields) e.raw(field);
  e.end_list(marker);
  return out;
}

// Replaces field `index` of a freshly signed transaction and returns the decode error.
std::string error_with_field(TxType type, std::size_t index, const Bytes& encoded_field) {
  const Bytes raw = encode(signed_tx(type));
  auto fields = fields_of(raw);
  fields.at(index) = encoded_field;
  const auto type_byte = type == TxType::legacy ? std::nullopt : std::optional(static_cast<std::uint8_t>(type));
  auto result = decode(rebuild(fields, type_byte));
  EXPECT_FALSE(result.ok()) << "field " << index << " = " << to_hex(encoded_field) << " was accepted";
  return result ? std::string() : result.error().message;
}

std::string decode_error(const Bytes& raw, const DecodeOptions& options = {}) {
  auto result = decode(raw, options);
  EXPECT_FALSE(result.ok()) << "accepted " << to_hex(raw);
  return result ? std::string() : result.error().message;
}

TxCheckResult check(const Transaction& tx, std::uint64_t chain_id = 1) {
  return validate_static(tx, TxRules{.chain_id = chain_id});
}

// ------------------------------------------------------------ signature values

TEST(TxRefusal, HighSIsRefused) {
  for (auto type : {TxType::legacy, TxType::dynamic_fee}) {
    Transaction tx = signed_tx(type);
    ASSERT_TRUE(check(tx).ok());
    U256 s;
    boost::multiprecision::import_bits(s, tx.s.begin(), tx.s.end(), 8, true);
    tx.s = u256_to_be32(kCurveOrder - s);  // the same signature's high-s twin
    tx.y_parity = static_cast<std::uint8_t>(tx.y_parity ^ 1U);
    auto decoded = decode(encode(tx));
    ASSERT_TRUE(decoded.ok()) << "high s is a validity rule, not a decoding one";
    const auto result = check(*decoded);
    EXPECT_EQ(result.check, TxCheck::invalid_signature);
    EXPECT_TRUE(mentions(result.message, "EIP-2"));
    auto sender = recover_sender(*decoded);
    ASSERT_FALSE(sender.ok());
    EXPECT_TRUE(mentions(sender.error().message, "above n/2"));
  }
}

TEST(TxRefusal, ROrSOutOfRange) {
  const Hash256 zero{};
  const Hash256 order = u256_to_be32(kCurveOrder);
  for (auto [r_bad, s_bad, what] : {std::tuple{true, false, "r"}, std::tuple{false, true, "s"}}) {
    for (const Hash256& bad : {zero, order}) {
      Transaction tx = signed_tx(TxType::dynamic_fee);
      (r_bad ? tx.r : tx.s) = bad;
      const auto result = check(tx);
      EXPECT_EQ(result.check, TxCheck::invalid_signature) << what;
      EXPECT_TRUE(mentions(result.message, "[1, n-1]"));
      auto sender = recover_sender(tx);
      ASSERT_FALSE(sender.ok());
      EXPECT_TRUE(mentions(sender.error().message, std::string(what) + " must be in [1, n-1]"));
    }
  }
}

TEST(TxRefusal, YParityMustBeZeroOrOne) {
  const std::string error = error_with_field(TxType::dynamic_fee, 9, rlp::encode_uint(2));
  EXPECT_TRUE(mentions(error, "'y_parity'"));
  EXPECT_TRUE(mentions(error, "must be 0 or 1, got 2"));
  Transaction tx = signed_tx(TxType::access_list);
  tx.y_parity = 2;  // only reachable by building a struct by hand
  EXPECT_EQ(check(tx).check, TxCheck::invalid_signature);
  EXPECT_FALSE(recover_sender(tx).ok());
}

TEST(TxRefusal, LegacyVThatNoChainCanUse) {
  for (std::uint64_t v : {0U, 1U, 26U, 29U, 30U, 34U}) {
    const std::string error = error_with_field(TxType::legacy, 6, rlp::encode_uint(v));
    EXPECT_TRUE(mentions(error, "'v'")) << v;
    EXPECT_TRUE(mentions(error, "chainId * 2 + 35/36 (EIP-155)")) << v;
  }
  // A chain id that does not fit 64 bits.
  const std::string error = error_with_field(TxType::legacy, 6, rlp::encode_u256(U256(1) << 70));
  EXPECT_TRUE(mentions(error, "chain id wider than 64 bits"));
}

TEST(TxRefusal, LegacyVForAnotherChain) {
  const Transaction tx = signed_tx(TxType::legacy, 5);  // v = 5 * 2 + 35 + parity
  auto decoded = decode(encode(tx));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->chain_id, std::optional<std::uint64_t>(5));
  EXPECT_TRUE(check(*decoded, 5).ok());
  const auto result = check(*decoded, 1);
  EXPECT_EQ(result.check, TxCheck::wrong_chain_id);
  EXPECT_TRUE(mentions(result.message, "invalid chain id for signer: have 5, want 1"));
}

TEST(TxRefusal, TypedWrongChainId) {
  for (auto type : {TxType::access_list, TxType::dynamic_fee}) {
    const auto result = check(signed_tx(type, 7), 1);
    EXPECT_EQ(result.check, TxCheck::wrong_chain_id);
    EXPECT_TRUE(mentions(result.message, "have 7, want 1"));
  }
  Transaction tx = signed_tx(TxType::dynamic_fee);
  tx.chain_id.reset();
  EXPECT_EQ(check(tx).check, TxCheck::wrong_chain_id);
}

TEST(TxRefusal, UnprotectedLegacyRefusedByDefault) {
  Transaction tx = signed_tx(TxType::legacy);
  tx.chain_id.reset();
  sign(tx, test_key());
  auto decoded = decode(encode(tx));
  ASSERT_TRUE(decoded.ok());
  const auto result = check(*decoded);
  EXPECT_EQ(result.check, TxCheck::unprotected_legacy);
  EXPECT_TRUE(mentions(result.message, "replay-protected (EIP-155)"));
  EXPECT_TRUE(validate_static(*decoded, TxRules{.chain_id = 1, .allow_unprotected_legacy = true}).ok());
}

// ------------------------------------------------------------ types and framing

TEST(TxRefusal, UnknownTypes) {
  const Bytes typed = encode(signed_tx(TxType::dynamic_fee));
  for (const int type : {0x00, 0x03, 0x04, 0x7f}) {
    Bytes raw = typed;
    raw[0] = static_cast<std::uint8_t>(type);
    EXPECT_TRUE(mentions(decode_error(raw), "transaction type not supported")) << type;
  }
  // A typed transaction wrapped in an RLP string (the block-body form).
  const Bytes wrapped = rlp::encode_string(typed);
  const std::string error = decode_error(wrapped);
  EXPECT_TRUE(mentions(error, "transaction type not supported"));
  EXPECT_TRUE(mentions(error, "RLP string"));
  // ...and a legacy list wrapped in a string inside a block body.
  const Bytes wrapped_legacy = rlp::encode_string(encode(signed_tx(TxType::legacy)));
  auto item = rlp::decode(wrapped_legacy);
  ASSERT_TRUE(item.ok());
  auto in_list = decode_in_list(*item);
  ASSERT_FALSE(in_list.ok());
  EXPECT_TRUE(mentions(in_list.error().message, "must hold a typed transaction"));
  // A typed object that is not a valid struct value is refused by validation.
  Transaction tx = signed_tx(TxType::dynamic_fee);
  tx.type = static_cast<TxType>(3);
  EXPECT_EQ(check(tx).check, TxCheck::unsupported_type);
}

TEST(TxRefusal, Oversize) {
  const std::string error = decode_error(Bytes(TxLimits::kMaxEncodedSize + 1, 0xc0));
  EXPECT_TRUE(mentions(error, "131073 bytes exceeds the limit of 131072 bytes"));
  const Bytes raw = encode(signed_tx(TxType::legacy));
  EXPECT_TRUE(mentions(decode_error(raw, DecodeOptions{.max_encoded_size = 50}), "exceeds the limit of 50"));

  Transaction tx = signed_tx(TxType::dynamic_fee);
  tx.data = Bytes(TxLimits::kMaxEncodedSize, 1);
  tx.gas_limit = 30'000'000;
  sign(tx, test_key());
  const auto result = check(tx);
  EXPECT_EQ(result.check, TxCheck::oversized);
  EXPECT_TRUE(mentions(result.message, "oversized data"));
  EXPECT_TRUE(mentions(decode_error(encode(tx)), "exceeds the limit"));
}

TEST(TxRefusal, ContractCreationDecodesButIsRefused) {
  Transaction tx = signed_tx(TxType::dynamic_fee);
  tx.to.reset();
  tx.gas_limit = 60'000;
  sign(tx, test_key());
  auto decoded = decode(encode(tx));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_FALSE(decoded->to.has_value());
  const auto result = check(*decoded);
  EXPECT_EQ(result.check, TxCheck::contract_creation);
  EXPECT_TRUE(mentions(result.message, "contract creation is not supported"));
  EXPECT_TRUE(validate_static(*decoded, TxRules{.chain_id = 1, .allow_contract_creation = true}).ok());
}

TEST(TxRefusal, FieldCountAndFraming) {
  const Bytes legacy = encode(signed_tx(TxType::legacy));
  auto fields = fields_of(legacy);
  auto fewer = fields;
  fewer.pop_back();
  EXPECT_TRUE(mentions(decode_error(rebuild(fewer, {})), "legacy transaction has too few fields: 8, expected 9"));
  auto more = fields;
  more.push_back(rlp::encode_uint(1));
  EXPECT_TRUE(mentions(decode_error(rebuild(more, {})), "legacy transaction has too many fields: 10, expected 9"));
  Bytes trailing = legacy;
  trailing.push_back(0x00);
  EXPECT_TRUE(mentions(decode_error(trailing), "1 trailing bytes after the RLP list"));
  Bytes truncated(legacy.begin(), legacy.end() - 1);
  EXPECT_TRUE(mentions(decode_error(truncated), "exceeds"));
  EXPECT_TRUE(mentions(decode_error({}), "empty input"));

  const Bytes typed = encode(signed_tx(TxType::dynamic_fee));
  auto typed_fields = fields_of(typed);
  typed_fields.pop_back();
  EXPECT_TRUE(mentions(decode_error(rebuild(typed_fields, 2)), "EIP-1559 transaction has too few fields: 11"));
  Bytes typed_trailing = typed;
  typed_trailing.push_back(0x80);
  EXPECT_TRUE(mentions(decode_error(typed_trailing), "trailing bytes"));
  Bytes string_payload = {0x02};
  append(string_payload, rlp::encode_string(BytesView(typed).subspan(1)));
  EXPECT_TRUE(mentions(decode_error(string_payload), "must be an RLP list"));
  EXPECT_TRUE(mentions(decode_error(Bytes{0x01}), "input ends"));
}

TEST(TxRefusal, FieldErrorsNameTheField) {
  const Bytes leading_zero = hex("820001");
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 0, leading_zero), "'nonce': RLP: integer has leading zero"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 1, leading_zero), "'gas_price'"));
  EXPECT_TRUE(
      mentions(error_with_field(TxType::legacy, 2, hex("c0")), "'gas_limit': RLP: expected an integer, found a list"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 4, leading_zero), "'value'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 5, hex("c0")), "'data'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 6, hex("820025")), "'v'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 7, leading_zero), "'r'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 8, leading_zero), "'s'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 0, leading_zero), "'chain_id'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 2, leading_zero), "'max_priority_fee_per_gas'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 3, leading_zero), "'max_fee_per_gas'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::access_list, 2, leading_zero), "'gas_price'"));
  // Widths: 64-bit nonce and gas limit, 256-bit value, fees and r/s.
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 0, hex("89010000000000000000")), "'nonce'"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 2, hex("89010000000000000000")), "wider than 64 bits"));
  const Bytes wide = hex("a101" + std::string(64, '0'));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 4, wide), "'value': RLP: integer of 33 bytes"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 3, wide), "wider than 256 bits"));
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 7, wide), "'r'"));
}

TEST(TxRefusal, AddressAndStorageKeySizes) {
  EXPECT_TRUE(mentions(error_with_field(TxType::legacy, 3, rlp::encode_string(Bytes(19, 1))),
                       "'to': address must be 20 bytes (or empty for contract creation), got 19"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 5, rlp::encode_string(Bytes(21, 0))), "got 21"));

  const auto access_list = [](const Bytes& address, const std::vector<Bytes>& keys, bool extra = false) {
    Bytes out;
    rlp::Encoder e(out);
    const auto list = e.begin_list();
    const auto entry = e.begin_list();
    e.string(address);
    const auto key_list = e.begin_list();
    for (const auto& key : keys) e.string(key);
    e.end_list(key_list);
    if (extra) e.uint(1);
    e.end_list(entry);
    e.end_list(list);
    return out;
  };
  const Bytes address(20, 0x11);
  const Bytes key(32, 0x22);
  EXPECT_TRUE(mentions(error_with_field(TxType::access_list, 7, access_list(Bytes(21, 0x11), {key})),
                       "'access_list': entry 0: address must be 20 bytes, got 21"));
  EXPECT_TRUE(mentions(error_with_field(TxType::access_list, 7, access_list(Bytes(19, 0x11), {key})), "got 19"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 8, access_list(address, {key, Bytes(2, 1)})),
                       "storage key must be 32 bytes, got 2"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 8, access_list(address, {Bytes(33, 0)})), "got 33"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 8, access_list(address, {key}, true)),
                       "must be [address, storage keys], got 3 items"));
  EXPECT_TRUE(mentions(error_with_field(TxType::dynamic_fee, 8, hex("80")), "'access_list': RLP: expected a list"));
  // A well-formed list decodes.
  const Bytes raw = encode(signed_tx(TxType::dynamic_fee));
  auto fields = fields_of(raw);
  fields.at(8) = access_list(address, {key, key});
  auto decoded = decode(rebuild(fields, 2));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->access_list.size(), 1U);
  EXPECT_EQ(decoded->access_list[0].storage_keys.size(), 2U);
}

// ------------------------------------------------------------ fees and gas

TEST(TxRefusal, TipAboveFeeCap) {
  Transaction tx = signed_tx(TxType::dynamic_fee);
  tx.max_priority_fee_per_gas = 11;
  const auto result = check(tx);
  EXPECT_EQ(result.check, TxCheck::tip_above_fee_cap);
  EXPECT_TRUE(mentions(result.message, "max priority fee per gas higher than max fee per gas: 11 > 10"));
}

TEST(TxRefusal, FeeCapTimesGasOverflows) {
  Transaction tx = signed_tx(TxType::dynamic_fee);
  tx.max_fee_per_gas = u256_max() / 21'000 + 1;
  const auto result = check(tx);
  EXPECT_EQ(result.check, TxCheck::fee_cap_overflow);
  EXPECT_TRUE(mentions(result.message, "overflows 256 bits"));
  tx.max_fee_per_gas -= 1;
  EXPECT_NE(check(tx).check, TxCheck::fee_cap_overflow);
}

TEST(TxRefusal, IntrinsicGasTooLow) {
  Transaction tx = signed_tx(TxType::legacy);
  tx.data = hex("01");
  const auto result = check(tx);
  EXPECT_EQ(result.check, TxCheck::intrinsic_gas_too_low);
  EXPECT_TRUE(mentions(result.message, "intrinsic gas too low: have 21000, want 21016"));
  tx.gas_limit = 21'016;
  EXPECT_NE(check(tx).check, TxCheck::intrinsic_gas_too_low);
}

TEST(TxRefusal, NonceAtMaximum) {
  Transaction tx = signed_tx(TxType::dynamic_fee);
  tx.nonce = ~0ULL;
  const auto result = check(tx);
  EXPECT_EQ(result.check, TxCheck::nonce_max);
  EXPECT_TRUE(mentions(result.message, "EIP-2681"));
  tx.nonce = ~0ULL - 1;
  EXPECT_NE(check(tx).check, TxCheck::nonce_max);
}

}  // namespace
}  // namespace tally::chain
