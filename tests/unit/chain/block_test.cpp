// Headers, blocks, bodies and receipts: exact layout, round trips, hash
// stability, the Ethereum receipts root, and every decoder refusal.

#include "chain/block.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "chain/state.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"
#include "ledger_test_util.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using test::hex;
using test::mentions;

std::string rep(std::string_view byte_hex, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += byte_hex;
  return out;
}

Hash256 filled32(std::uint8_t b) {
  Hash256 h{};
  h.fill(b);
  return h;
}

Header sample_header() {
  Header h;
  h.parent_hash = filled32(0x11);
  h.number = 1;
  h.timestamp = 1000;
  h.beneficiary.fill(0x22);
  h.state_root = filled32(0x33);
  h.transactions_root = filled32(0x44);
  h.receipts_root = filled32(0x55);
  h.gas_limit = 30'000'000;
  h.gas_used = 21'000;
  h.base_fee = 1'000'000'000;
  h.extra_data = to_bytes(as_bytes("tally"));
  h.seal = {rlp::encode_uint(0x100000), rlp::encode_string(hex("0102030405060708"))};
  return h;
}

// The same header written out by hand, field by field.
std::string sample_header_hex() {
  return "f8bd" + ("a0" + rep("11", 32)) + "01" + "8203e8" + ("94" + rep("22", 20)) + ("a0" + rep("33", 32)) +
         ("a0" + rep("44", 32)) + ("a0" + rep("55", 32)) + "8401c9c380" + "825208" + "843b9aca00" + "8574616c6c79" +
         "83100000" + "880102030405060708";
}

std::vector<Transaction> sample_transactions() {
  const Address to = test::dev_address(1);
  Transaction legacy;
  legacy.type = TxType::legacy;
  legacy.chain_id = 1337;
  legacy.gas_price = 2 * test::gwei();
  legacy.gas_limit = 21'000;
  legacy.to = to;
  legacy.value = 1;
  sign(legacy, test::dev_key(0));
  Transaction access = legacy;
  access.type = TxType::access_list;
  access.nonce = 1;
  access.access_list = {AccessListEntry{to, {filled32(7)}}};
  sign(access, test::dev_key(0));
  Transaction dynamic = test::transfer(0, to, test::ether(), 2);
  dynamic.data = hex("cafe");
  sign(dynamic, test::dev_key(0));
  return {legacy, access, dynamic};
}

// ---------------------------------------------------------------- headers

TEST(Header, EncodesFieldsInOrder) {
  EXPECT_EQ(to_hex(encode_header(sample_header())), sample_header_hex());
}

TEST(Header, HashIsKeccakOfEncodingAndStable) {
  const Header h = sample_header();
  EXPECT_EQ(header_hash(h), crypto::keccak256(hex(sample_header_hex())));
  EXPECT_EQ(header_hash(h), header_hash(sample_header()));
  Header other = h;
  other.seal[1] = rlp::encode_string(hex("0102030405060709"));
  EXPECT_NE(header_hash(other), header_hash(h));
}

TEST(Header, RoundTrips) {
  const Header h = sample_header();
  const Bytes encoded = encode_header(h);
  auto decoded = decode_header(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, h);
  EXPECT_EQ(encode_header(*decoded), encoded);
}

TEST(Header, RoundTripsWithoutSealAndWithMaximalSeal) {
  Header h = sample_header();
  h.seal.clear();
  h.extra_data.clear();
  auto none = decode_header(encode_header(h));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(*none, h);
  for (std::size_t i = 0; i < kMaxSealItems; ++i) h.seal.push_back(rlp::encode_uint(i));
  h.seal[3] = hex("c3c10180");  // a nested list is a valid seal item
  auto full = decode_header(encode_header(h));
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(*full, h);
}

TEST(Header, EncodingOmittingSealItemsDropsTheLast) {
  const Header h = sample_header();
  Header without_nonce = h;
  without_nonce.seal.pop_back();
  EXPECT_EQ(encode_header_omitting_seal(h, 1), encode_header(without_nonce));
  EXPECT_EQ(encode_header_omitting_seal(h, 0), encode_header(h));
  Header bare = h;
  bare.seal.clear();
  EXPECT_EQ(encode_header_omitting_seal(h, 2), encode_header(bare));
  EXPECT_THROW((void)encode_header_omitting_seal(h, 3), std::out_of_range);
}

// Replaces the `index`-th field of the sample header with `item_hex`.
Bytes header_with_field(std::size_t index, const std::string& item_hex) {
  const Header h = sample_header();
  Bytes fields;
  rlp::Encoder enc(fields);
  const Bytes full = encode_header(h);
  auto top = rlp::decode(full);
  EXPECT_TRUE(top.ok());
  rlp::ListReader reader(top->payload);
  for (std::size_t i = 0; !reader.at_end(); ++i) {
    auto item = reader.next();
    EXPECT_TRUE(item.ok());
    enc.raw(i == index ? hex(item_hex) : to_bytes(item->encoded));
  }
  Bytes out;
  rlp::Encoder wrap(out);
  wrap.list_header(fields.size());
  append(out, fields);
  return out;
}

void expect_header_refused(const Bytes& encoded, std::string_view why) {
  auto decoded = decode_header(encoded);
  ASSERT_FALSE(decoded.ok()) << "accepted " << to_hex(encoded);
  EXPECT_TRUE(mentions(decoded.error().message, why));
}

TEST(HeaderRefusal, FieldShapes) {
  expect_header_refused(header_with_field(0, "9f" + rep("11", 31)), "'parentHash'");
  expect_header_refused(header_with_field(1, "820001"), "'number'");                // leading zero
  expect_header_refused(header_with_field(1, "89010000000000000000"), "'number'");  // > 64 bits
  expect_header_refused(header_with_field(2, "c0"), "'timestamp'");                 // a list
  expect_header_refused(header_with_field(3, "93" + rep("22", 19)), "'beneficiary'");
  expect_header_refused(header_with_field(4, "80"), "'stateRoot'");
  expect_header_refused(header_with_field(5, "a1" + rep("44", 33)), "'transactionsRoot'");
  expect_header_refused(header_with_field(6, "c0"), "'receiptsRoot'");
  expect_header_refused(header_with_field(7, "8900" + rep("01", 8)), "'gasLimit'");
  expect_header_refused(header_with_field(8, "c0"), "'gasUsed'");
  expect_header_refused(header_with_field(9, "a1" + rep("01", 33)), "'baseFeePerGas'");
  expect_header_refused(header_with_field(10, "a1" + rep("61", 33)), "'extraData'");
}

TEST(HeaderRefusal, ExtraDataAboveLimit) {
  expect_header_refused(header_with_field(10, "a1" + rep("61", 33)), "exceed the limit of 32");
  // exactly 32 bytes is fine
  EXPECT_TRUE(decode_header(header_with_field(10, "a0" + rep("61", 32))).ok());
}

TEST(HeaderRefusal, FieldCounts) {
  Header h = sample_header();
  for (std::size_t i = 0; i <= kMaxSealItems; ++i) h.seal.push_back(rlp::encode_uint(1));
  h.seal.resize(kMaxSealItems + 1);
  expect_header_refused(encode_header(h), "seal items exceed the limit of 8");
  // ten fields: extraData missing
  Bytes fields;
  rlp::Encoder enc(fields);
  const Bytes full = encode_header(Header{});
  auto top = rlp::decode(full);
  ASSERT_TRUE(top.ok());
  rlp::ListReader reader(top->payload);
  for (int i = 0; i < 10; ++i) enc.raw((*reader.next()).encoded);
  Bytes ten;
  rlp::Encoder wrap(ten);
  wrap.list_header(fields.size());
  append(ten, fields);
  expect_header_refused(ten, "expected at least 11 fields, got 10");
}

TEST(HeaderRefusal, Framing) {
  expect_header_refused({}, "header");
  expect_header_refused(hex("80"), "header");  // a string, not a list
  Bytes trailing = encode_header(sample_header());
  trailing.push_back(0x00);
  expect_header_refused(trailing, "header");
  Bytes truncated = encode_header(sample_header());
  truncated.pop_back();
  expect_header_refused(truncated, "header");
  BlockLimits small;
  small.max_header_bytes = 100;
  auto oversize = decode_header(encode_header(sample_header()), small);
  ASSERT_FALSE(oversize.ok());
  EXPECT_TRUE(mentions(oversize.error().message, "exceeds the limit of 100 bytes"));
}

TEST(HeaderRefusal, NonCanonicalSealItem) {
  Header h = sample_header();
  h.seal[0] = hex("8105");  // 0x05 written as a one-byte string
  expect_header_refused(encode_header(h), "header");
}

// ---------------------------------------------------------------- blocks

TEST(Block, RoundTripsAllTransactionTypes) {
  Block block{sample_header(), sample_transactions()};
  const Bytes encoded = encode_block(block);
  auto decoded = decode_block(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, block);
  EXPECT_EQ(encode_block(*decoded), encoded);
  EXPECT_EQ(block_hash(*decoded), header_hash(block.header));
}

TEST(Block, TypedTransactionsAreWrappedInStrings) {
  const auto txs = sample_transactions();
  Block block{sample_header(), {txs[2]}};
  const Bytes raw = encode(txs[2]);
  Bytes wrapped = rlp::encode_string(raw);
  const Bytes encoded = encode_block(block);
  // the transaction list is the block's last item: [string(0x02 || rlp)]
  Bytes list;
  rlp::Encoder enc(list);
  enc.list_header(wrapped.size());
  append(list, wrapped);
  ASSERT_GE(encoded.size(), list.size());
  EXPECT_TRUE(std::equal(list.begin(), list.end(), encoded.end() - static_cast<std::ptrdiff_t>(list.size())));
}

TEST(Block, EmptyBlockRoundTrips) {
  Block block{sample_header(), {}};
  auto decoded = decode_block(encode_block(block));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, block);
}

TEST(Body, RoundTrips) {
  BlockBody body{sample_transactions()};
  const Bytes encoded = encode_body(body);
  auto decoded = decode_body(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, body);
  EXPECT_EQ(encode_body(*decoded), encoded);
  EXPECT_EQ(to_hex(encode_body(BlockBody{})), "c1c0");
}

Bytes list_of(std::initializer_list<Bytes> items) {
  Bytes payload;
  for (const auto& item : items) append(payload, item);
  Bytes out;
  rlp::Encoder enc(out);
  enc.list_header(payload.size());
  append(out, payload);
  return out;
}

TEST(Block, HeaderAloneDecodesWithoutTheTransactions) {
  Block block{sample_header(), sample_transactions()};
  const Bytes encoded = encode_block(block);
  auto header = decode_block_header(encoded);
  ASSERT_TRUE(header.ok()) << header.error().message;
  EXPECT_EQ(header_hash(*header), block_hash(block));
  // Transactions that do not decode are left for decode_block to refuse.
  const Bytes bad_txs = list_of({encode_header(sample_header()), list_of({hex("80")})});
  EXPECT_TRUE(decode_block_header(bad_txs).ok());
  EXPECT_FALSE(decode_block(bad_txs).ok());
  // The block's shape and its header are still checked.
  EXPECT_FALSE(decode_block_header(list_of({encode_header(sample_header())})).ok());
  EXPECT_FALSE(decode_block_header(list_of({hex("c0"), list_of({})})).ok());
  BlockLimits tiny;
  tiny.max_block_bytes = 16;
  EXPECT_FALSE(decode_block_header(encoded, tiny).ok());
}

void expect_block_refused(const Bytes& encoded, std::string_view why, const BlockLimits& limits = {}) {
  auto decoded = decode_block(encoded, limits);
  ASSERT_FALSE(decoded.ok()) << "accepted " << to_hex(encoded);
  EXPECT_TRUE(mentions(decoded.error().message, why));
}

TEST(BlockRefusal, Shape) {
  const Bytes header = encode_header(sample_header());
  const Bytes txs = list_of({});
  expect_block_refused({}, "block");
  expect_block_refused(hex("80"), "block");
  expect_block_refused(list_of({header}), "expected 2 items");
  expect_block_refused(list_of({header, txs, txs}), "expected 2 items");
  expect_block_refused(list_of({header, hex("80")}), "transaction list");
  expect_block_refused(list_of({hex("c0"), txs}), "header");
  Bytes trailing = list_of({header, txs});
  trailing.push_back(0x01);
  expect_block_refused(trailing, "block");
}

TEST(BlockRefusal, BadTransactions) {
  const Bytes header = encode_header(sample_header());
  const auto txs = sample_transactions();
  // a typed transaction placed raw in the list (not wrapped in a string)
  expect_block_refused(list_of({header, list_of({encode(txs[0]), encode(txs[2])})}), "transaction 1");
  // a legacy transaction wrapped in a string
  expect_block_refused(list_of({header, list_of({rlp::encode_string(encode(txs[0]))})}), "transaction 0");
  // an unknown type
  Bytes unknown = encode(txs[2]);
  unknown[0] = 0x05;
  expect_block_refused(list_of({header, list_of({rlp::encode_string(unknown)})}), "transaction 0");
}

TEST(BlockRefusal, Limits) {
  Block block{sample_header(), sample_transactions()};
  BlockLimits few;
  few.max_transactions = 2;
  expect_block_refused(encode_block(block), "more than 2 transactions", few);
  BlockLimits small;
  small.max_block_bytes = 200;
  expect_block_refused(encode_block(block), "exceeds the limit of 200 bytes", small);
  auto body = decode_body(encode_body(BlockBody{block.transactions}), few);
  ASSERT_FALSE(body.ok());
  EXPECT_TRUE(mentions(body.error().message, "more than 2 transactions"));
}

TEST(BodyRefusal, Shape) {
  for (const char* bad : {"", "80", "c0", "c2c0c0", "c180", "c1c180"}) {
    auto decoded = decode_body(hex(bad));
    EXPECT_FALSE(decoded.ok()) << bad;
  }
}

// ---------------------------------------------------------------- receipts

TEST(Receipt, LegacyConsensusEncoding) {
  const Receipt r{TxType::legacy, 1, 21'000};
  EXPECT_EQ(to_hex(encode_receipt(r)), "f9010801825208b90100" + rep("00", 256) + "c0");
}

TEST(Receipt, TypedConsensusEncodingHasTypePrefix) {
  const Receipt legacy{TxType::legacy, 1, 21'000};
  const Receipt typed{TxType::dynamic_fee, 1, 21'000};
  const Bytes l = encode_receipt(legacy);
  const Bytes t = encode_receipt(typed);
  ASSERT_EQ(t.size(), l.size() + 1);
  EXPECT_EQ(t[0], 0x02);
  EXPECT_TRUE(std::equal(l.begin(), l.end(), t.begin() + 1));
}

TEST(Receipt, RoundTripsEachTypeAndStatus) {
  for (const TxType type : {TxType::legacy, TxType::access_list, TxType::dynamic_fee}) {
    for (const std::uint8_t status : {std::uint8_t{0}, std::uint8_t{1}}) {
      const Receipt r{type, status, 123'456};
      auto decoded = decode_receipt(encode_receipt(r));
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      EXPECT_EQ(*decoded, r);
    }
  }
}

TEST(Receipt, ListRoundTrips) {
  const std::vector<Receipt> receipts = {
      {TxType::legacy, 1, 21'000}, {TxType::access_list, 1, 42'000}, {TxType::dynamic_fee, 1, 63'000}};
  const Bytes encoded = encode_receipts(receipts);
  auto decoded = decode_receipts(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, receipts);
  EXPECT_EQ(encode_receipts(*decoded), encoded);
  EXPECT_EQ(to_hex(encode_receipts({})), "c0");
}

void expect_receipt_refused(const std::string& encoded_hex, std::string_view why) {
  auto decoded = decode_receipt(hex(encoded_hex));
  ASSERT_FALSE(decoded.ok()) << "accepted " << encoded_hex;
  EXPECT_TRUE(mentions(decoded.error().message, why));
}

TEST(ReceiptRefusal, Fields) {
  const std::string bloom = "b90100" + rep("00", 256);
  const std::string tail = bloom + "c0";
  // payload lengths: status 1 + gas 3 + bloom 259 + logs 1 = 264 = 0x108
  expect_receipt_refused("f9010802825208" + tail, "must be 0 or 1");
  expect_receipt_refused("f9010801825208b90100" + rep("00", 255) + "01c0", "must be zero");
  expect_receipt_refused("f9010601825208b8ff" + rep("00", 255) + "c0", "expected 256 bytes");
  expect_receipt_refused("f9010901825208" + bloom + "c180", "must be an empty list");
  expect_receipt_refused("f9010801825208" + bloom + "80", "must be an empty list");
  expect_receipt_refused("f9010701825208" + bloom, "expected 4 fields, got 3");
  expect_receipt_refused("f901090183005208" + tail, "'cumulativeGasUsed'");  // leading zero
  expect_receipt_refused("", "empty input");
  expect_receipt_refused("8180", "RLP string");
  expect_receipt_refused("03f9010801825208" + tail, "receipt type not supported");
  expect_receipt_refused("02f9010801825208" + tail + "00", "receipt");  // trailing byte
}

TEST(ReceiptRefusal, ListShapes) {
  const Bytes legacy = encode_receipt(Receipt{TxType::legacy, 1, 1});
  const Bytes typed = encode_receipt(Receipt{TxType::dynamic_fee, 1, 1});
  // a typed receipt placed raw in the list
  EXPECT_FALSE(decode_receipts(list_of({typed})).ok());
  // a legacy receipt wrapped in a string
  auto wrapped = decode_receipts(list_of({rlp::encode_string(legacy)}));
  ASSERT_FALSE(wrapped.ok());
  EXPECT_TRUE(mentions(wrapped.error().message, "receipt 0"));
  EXPECT_FALSE(decode_receipts(hex("80")).ok());
  BlockLimits few;
  few.max_transactions = 1;
  auto many = decode_receipts(list_of({legacy, legacy}), few);
  ASSERT_FALSE(many.ok());
  EXPECT_TRUE(mentions(many.error().message, "more than 1 receipts"));
  BlockLimits small;
  small.max_receipt_list_bytes = 10;
  EXPECT_FALSE(decode_receipts(list_of({legacy}), small).ok());
}

TEST(ReceiptRefusal, CumulativeGasThatDecreases) {
  const std::vector<Receipt> falling = {{TxType::dynamic_fee, 1, 42'000}, {TxType::legacy, 1, 21'000}};
  auto decoded = decode_receipts(encode_receipts(falling));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message,
            "receipt 1: receipt field 'cumulativeGasUsed': 21000 is below the previous receipt's 42000");
  // Only a fall is refused (every transaction uses gas, but that is the
  // importer's rule, not the decoder's).
  const std::vector<Receipt> level = {{TxType::dynamic_fee, 1, 21'000}, {TxType::dynamic_fee, 0, 21'000}};
  auto kept = decode_receipts(encode_receipts(level));
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ(*kept, level);
}

// ---------------------------------------------------------------- roots

TEST(Roots, EmptyListsHaveTheEmptyTrieRoot) {
  EXPECT_EQ(transactions_root({}), empty_trie_root());
  EXPECT_EQ(receipts_root({}), empty_trie_root());
  EXPECT_EQ(to_hex(empty_trie_root()), "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
}

// One successful legacy transfer (21000 gas, no logs): the receipts root
// geth's t8n reports in cmd/evm/testdata/1/exp.json, and that Hardhat and
// Anvil show for a block with one transfer.
TEST(Roots, SingleTransferReceiptsRootMatchesEthereum) {
  const std::vector<Receipt> receipts = {{TxType::legacy, 1, 21'000}};
  EXPECT_EQ(to_hex(receipts_root(receipts)), "056b23fbba480696b65fe5a59b8f2148a1299103c4f57df839233af2cf4ca2d2");
}

// The transaction of the same geth t8n example (cmd/evm/testdata/1): an
// unprotected legacy transfer; geth reports its hash and txRoot.
TEST(Roots, TransactionsRootMatchesGeth) {
  Transaction tx;
  tx.type = TxType::legacy;
  tx.chain_id = std::nullopt;
  tx.nonce = 0;
  tx.gas_price = 2;
  tx.gas_limit = 21'000;
  tx.to = test::hex_fixed<20>("8a8eafb1cf62bfbeb1741769dae1a9dd47996192");
  tx.value = 1;
  tx.y_parity = 0;  // v = 0x1b
  tx.r = test::hex_fixed<32>("9500e8ba27d3c33ca7764e107410f44cbd8c19794bde214d694683a7aa998cdb");
  tx.s = test::hex_fixed<32>("7235ae07e4bd6e0206d102b1f8979d6adab280466b6a82d2208ee08951f1f600");
  EXPECT_EQ(to_hex(tx_hash(tx)), "0557bacce3375c98d806609b8d5043072f0b6a8bae45ae5a67a00d3a1a18d673");
  const std::vector<Transaction> txs = {tx};
  EXPECT_EQ(to_hex(transactions_root(txs)), "c4761fd7b87ff2364c7c60b6c5c8d02e522e815328aaea3f20e3b7b7ef52c42d");
}

TEST(Roots, TransactionsRootDependsOnOrderAndContent) {
  auto txs = sample_transactions();
  const Hash256 root = transactions_root(txs);
  std::swap(txs[0], txs[1]);
  EXPECT_NE(transactions_root(txs), root);
}

}  // namespace
}  // namespace tally::chain
