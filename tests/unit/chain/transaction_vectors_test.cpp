// The ethereum/tests TransactionTests, every file (schema and quirks:
// tests/vectors README). For each test the "Cancun" result is used, else the
// latest fork present. Valid: decode, canonical re-encode, hash, sender,
// intrinsic gas. Invalid: refused, and at a stage that fits the exception's
// name (decode error naming the field, validate_static reason, or recovery).

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "chain/transaction.hpp"
#include "crypto/keccak.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using nlohmann::json;
using test::hex;

const std::filesystem::path kTxDir = test::vectors_dir() / "ethereum-tests" / "TransactionTests";

// Latest first. No stored file has Prague results.
const std::vector<std::string> kForks = {"Cancun",   "Shanghai",          "Paris",          "London",    "Berlin",
                                         "Istanbul", "ConstantinopleFix", "Constantinople", "Byzantium", "EIP158",
                                         "EIP150",   "Homestead",         "Frontier"};

// The vectors' chain is mainnet; some legacy vectors are pre-EIP-155 and
// some valid ones create contracts, so the vectors run with both allowed.
const TxRules kVectorRules{.chain_id = 1, .allow_unprotected_legacy = true, .allow_contract_creation = true};

enum class Stage { decode, validate, recover };

// One acceptable way to refuse: a decode error mentioning `keyword`, a
// validate_static reason, or a failed recovery.
struct Refusal {
  Stage stage;
  TxCheck check = TxCheck::ok;
  std::string keyword;
};

Refusal by_decode(std::string keyword) {
  return {Stage::decode, TxCheck::ok, std::move(keyword)};
}
Refusal by_check(TxCheck check) {
  return {Stage::validate, check, {}};
}
Refusal by_recovery() {
  return {Stage::recover, TxCheck::ok, {}};
}

// TransactionException.<NAME> -> how Tally refuses it.
const std::map<std::string, std::vector<Refusal>>& refusals() {
  static const std::map<std::string, std::vector<Refusal>> kMap = {
      {"ADDRESS_TOO_SHORT", {by_decode("'to': address must be 20 bytes")}},
      {"ADDRESS_TOO_LONG", {by_decode("'to': address must be 20 bytes")}},
      {"INTRINSIC_GAS_TOO_LOW", {by_check(TxCheck::intrinsic_gas_too_low)}},
      {"GASLIMIT_PRICE_PRODUCT_OVERFLOW", {by_check(TxCheck::fee_cap_overflow)}},
      {"GASLIMIT_OVERFLOW", {by_decode("'gas_limit'")}},
      {"GASPRICE_OVERFLOW", {by_decode("wider than 256 bits")}},
      {"PRIORITY_OVERFLOW", {by_decode("'max_priority_fee_per_gas': RLP: integer of 33 bytes")}},
      {"PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2", {by_check(TxCheck::tip_above_fee_cap)}},
      {"NONCE_OVERFLOW", {by_decode("'nonce'")}},
      {"NONCE_TOO_BIG", {by_check(TxCheck::nonce_max)}},
      {"VALUE_OVERFLOW", {by_decode("'value': RLP: integer of 33 bytes")}},
      {"INVALID_CHAINID", {by_check(TxCheck::wrong_chain_id), by_decode("'v'")}},
      {"INVALID_SIGNATURE_VRS",
       {by_check(TxCheck::invalid_signature), by_decode("'v'"), by_decode("'r'"), by_decode("'s'")}},
      {"EC_RECOVERY_FAIL", {by_recovery()}},
      {"TYPE_NOT_SUPPORTED", {by_decode("transaction type not supported")}},
      {"RLP_LEADING_ZEROS_NONCE", {by_decode("'nonce': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_GASPRICE", {by_decode("'gas_price': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_GASLIMIT", {by_decode("'gas_limit': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_VALUE", {by_decode("'value': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_BASEFEE", {by_decode("'max_fee_per_gas': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_PRIORITY_FEE", {by_decode("'max_priority_fee_per_gas': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_V", {by_decode("'v': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_R", {by_decode("'r': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_S", {by_decode("'s': RLP: integer has leading zero")}},
      {"RLP_LEADING_ZEROS_NONCE_SIZE", {by_decode("'nonce': RLP: single byte")}},
      {"RLP_LEADING_ZEROS_DATA_SIZE", {by_decode("length of length has a leading zero")}},
      {"RLP_ERROR_SIZE_LEADING_ZEROS", {by_decode("length of length has a leading zero")}},
      {"RLP_ERROR_SIZE", {by_decode("trailing bytes"), by_decode("exceeds"), by_decode("too many fields")}},
      {"RLP_ERROR_EOF", {by_decode("input ends"), by_decode("is an RLP string")}},
      {"RLP_TOO_FEW_ELEMENTS", {by_decode("too few fields")}},
      {"RLP_TOO_MANY_ELEMENTS", {by_decode("too many fields")}},
      {"RLP_INVALID_GASLIMIT", {by_decode("'gas_limit': RLP: expected an integer, found a list")}},
      {"RLP_INVALID_DATA", {by_decode("'data': RLP: expected a string, found a list")}},
      {"RLP_INVALID_ACCESS_LIST_ADDRESS_TOO_SHORT", {by_decode("address must be 20 bytes")}},
      {"RLP_INVALID_ACCESS_LIST_ADDRESS_TOO_LONG", {by_decode("address must be 20 bytes")}},
      {"RLP_INVALID_ACCESS_LIST_STORAGE_TOO_SHORT", {by_decode("storage key must be 32 bytes")}},
      {"RLP_INVALID_ACCESS_LIST_STORAGE_TOO_LONG", {by_decode("storage key must be 32 bytes")}},
  };
  return kMap;
}

std::uint64_t parse_quantity(const std::string& text) {
  return std::stoull(text, nullptr, 16);
}

struct Tally {
  std::size_t files = 0;
  std::size_t valid = 0;
  std::size_t invalid = 0;
  std::size_t refused_by_decode = 0;
  std::size_t refused_by_validate = 0;
  std::size_t refused_by_recovery = 0;
};

void check_valid(const json& expected, const Bytes& raw, Tally& tally) {
  ++tally.valid;
  auto tx = decode(raw);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_EQ(encode(*tx), raw) << "decode must accept canonical encodings only";
  EXPECT_EQ(to_hex_prefixed(tx_hash(*tx)), expected["hash"].get<std::string>());
  EXPECT_EQ(to_hex_prefixed(crypto::keccak256(raw)), expected["hash"].get<std::string>());
  EXPECT_EQ(intrinsic_gas(*tx), parse_quantity(expected["intrinsicGas"].get<std::string>()));
  const auto check = validate_static(*tx, kVectorRules);
  EXPECT_TRUE(check.ok()) << to_string(check.check) << ": " << check.message;
  auto sender = recover_sender(*tx);
  ASSERT_TRUE(sender.ok()) << sender.error().message;
  EXPECT_EQ(to_hex_prefixed(*sender), expected["sender"].get<std::string>());
}

void check_invalid(const json& expected, const Bytes& raw, Tally& tally) {
  ++tally.invalid;
  const std::string exception = expected["exception"].get<std::string>();
  const std::string prefix = "TransactionException.";
  ASSERT_EQ(exception.rfind(prefix, 0), 0U) << exception;
  const auto found = refusals().find(exception.substr(prefix.size()));
  ASSERT_NE(found, refusals().end()) << "no mapping for " << exception;

  Stage stage = Stage::decode;
  std::string message;
  TxCheck check = TxCheck::ok;
  auto tx = decode(raw);
  if (!tx.ok()) {
    message = tx.error().message;
    ++tally.refused_by_decode;
  } else {
    EXPECT_EQ(encode(*tx), raw) << "a decoded transaction must re-encode to its input";
    const std::uint64_t gas = parse_quantity(expected["intrinsicGas"].get<std::string>());
    if (gas != 0) {
      EXPECT_EQ(intrinsic_gas(*tx), gas);
    }
    const auto result = validate_static(*tx, kVectorRules);
    if (!result.ok()) {
      stage = Stage::validate;
      check = result.check;
      message = result.message;
      ++tally.refused_by_validate;
    } else {
      auto sender = recover_sender(*tx);
      ASSERT_FALSE(sender.ok()) << exception << " was accepted, sender " << to_hex(*sender);
      stage = Stage::recover;
      message = sender.error().message;
      ++tally.refused_by_recovery;
    }
  }
  bool matched = false;
  for (const auto& refusal : found->second) {
    if (refusal.stage != stage) continue;
    if (stage == Stage::decode && message.find(refusal.keyword) == std::string::npos) continue;
    if (stage == Stage::validate && refusal.check != check) continue;
    matched = true;
  }
  EXPECT_TRUE(matched) << exception << " refused at stage " << static_cast<int>(stage) << " (" << to_string(check)
                       << "): " << message;
}

TEST(TransactionVectors, EveryFileRuns) {
  Tally tally;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kTxDir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    SCOPED_TRACE(std::filesystem::relative(path, kTxDir).string());
    const json file = test::read_json(path);
    ASSERT_EQ(file.size(), 1U);
    const json& test_case = file.begin().value();
    const Bytes raw = hex(test_case["txbytes"].get<std::string>());
    const json& results = test_case["result"];
    const auto fork = std::find_if(kForks.begin(), kForks.end(), [&](const auto& f) { return results.contains(f); });
    ASSERT_NE(fork, kForks.end()) << "no known fork in the results";
    const json& expected = results[*fork];
    ++tally.files;
    if (expected.contains("exception")) {
      check_invalid(expected, raw, tally);
    } else {
      check_valid(expected, raw, tally);
    }
  }
  // 159 files (README table); none skipped.
  EXPECT_EQ(tally.files, 159U);
  EXPECT_EQ(tally.valid, 40U);
  EXPECT_EQ(tally.invalid, 119U);
  EXPECT_EQ(tally.refused_by_decode + tally.refused_by_validate + tally.refused_by_recovery, tally.invalid);
  std::printf(
      "[ vectors  ] %zu files: %zu valid, %zu invalid (refused by decode %zu, validate_static %zu, recovery %zu)\n",
      tally.files, tally.valid, tally.invalid, tally.refused_by_decode, tally.refused_by_validate,
      tally.refused_by_recovery);
}

}  // namespace
}  // namespace tally::chain
