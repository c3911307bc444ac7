#include "wallet/miner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "crypto/hex.hpp"
#include "crypto/sha256.hpp"
#include "wallet/errors.hpp"
#include "wallet_test_util.hpp"

namespace tally::wallet {
namespace {

using test::FakeNode;
using ::testing::HasSubstr;

Hash256 filled(std::uint8_t first, std::uint8_t rest) {
  Hash256 h;
  h.fill(rest);
  h[0] = first;
  return h;
}

const Hash256 kEasyTarget = filled(0x00, 0xff);  // about 1 nonce in 256
const Hash256 kImpossibleTarget{};               // only a zero hash would do
const Address kPayee{0xaa, 0xbb};

bool seal_valid(const Hash256& seal, std::uint64_t nonce, const Hash256& target) {
  Bytes input(seal.begin(), seal.end());
  for (int i = 7; i >= 0; --i) input.push_back(static_cast<std::uint8_t>(nonce >> (8 * i)));
  const Hash256 pow = crypto::sha256d(input);
  return std::memcmp(pow.data(), target.data(), 32) <= 0;
}

Json work_json(const Hash256& seal, const Hash256& target, std::uint64_t number) {
  return Json::array(
      {to_hex_prefixed(seal), to_hex_prefixed(Hash256{}), to_hex_prefixed(target), u256_to_quantity(U256(number))});
}

// A PoW node whose work is `seal` with `target`, verifying submissions.
struct PowNode {
  FakeNode node;
  Hash256 seal = filled(0x11, 0x22);
  Hash256 target = kEasyTarget;
  std::uint64_t head = 10;
  std::vector<std::uint64_t> accepted_nonces;

  PowNode() {
    node.on_value("tally_consensusStatus", Json{{"engine", "pow"}});
    node.on("eth_blockNumber", [this](const Json&) { return Json(u256_to_quantity(U256(head))); });
    node.on("eth_getWork", [this](const Json&) { return work_json(seal, target, head + 1); });
    node.on("eth_submitWork", [this](const Json& params) {
      auto bytes = from_hex(params[0].get<std::string>(), HexPrefix::required);
      EXPECT_EQ(bytes->size(), 8U);
      std::uint64_t value = 0;
      for (auto b : *bytes) value = (value << 8) | b;
      EXPECT_EQ(params[1], to_hex_prefixed(seal));
      EXPECT_EQ(params[2], to_hex_prefixed(Hash256{}));
      if (!seal_valid(seal, value, target)) return Json(false);
      accepted_nonces.push_back(value);
      ++head;
      seal[1] = static_cast<std::uint8_t>(seal[1] + 1);  // new work on the new head
      return Json(true);
    });
  }
};

MineOptions options(std::uint64_t blocks, unsigned threads, const std::atomic<bool>* stop = nullptr) {
  MineOptions out;
  out.blocks = blocks;
  out.threads = threads;
  out.beneficiary = kPayee;
  out.poll_interval = std::chrono::milliseconds(1);
  out.interrupted = stop;
  return out;
}

TEST(NonceGrinder, AgreesWithSha256d) {
  const Hash256 seal = filled(0x42, 0x07);
  for (std::uint64_t nonce : {0ULL, 1ULL, 0x0102030405060708ULL, ~0ULL}) {
    for (const Hash256& target : {kEasyTarget, filled(0x7f, 0xff), kImpossibleTarget}) {
      NonceGrinder grinder(seal, target);
      EXPECT_EQ(grinder.try_nonce(nonce), seal_valid(seal, nonce, target)) << nonce;
    }
  }
  NonceGrinder anything(seal, filled(0xff, 0xff));
  EXPECT_TRUE(anything.try_nonce(12345));
}

TEST(ParseWork, ReadsSealTargetAndNumber) {
  const Work work = parse_work(work_json(filled(1, 2), kEasyTarget, 77));
  EXPECT_EQ(work.seal_hash, filled(1, 2));
  EXPECT_EQ(work.target, kEasyTarget);
  EXPECT_EQ(work.block_number, 77U);
  EXPECT_THROW((void)parse_work(Json::array({"0x00"})), WalletError);
  EXPECT_THROW((void)parse_work(Json::array({"0x00", "0x00", "0x00"})), WalletError);
}

TEST(Mine, FindsBlocksThatVerifyAndPaysTheBeneficiary) {
  PowNode pow;
  std::size_t reports = 0;
  const MineProgress result = mine(pow.node, options(3, 2), [&](const MineProgress&) { ++reports; });
  EXPECT_EQ(result.found, 3U);
  EXPECT_EQ(result.rejected, 0U);
  EXPECT_FALSE(result.interrupted);
  EXPECT_EQ(result.block_numbers, (std::vector<std::uint64_t>{11, 12, 13}));
  EXPECT_EQ(pow.accepted_nonces.size(), 3U);
  EXPECT_GT(result.hashes, 0U);
  EXPECT_GE(reports, 3U);
  for (const Json& params : pow.node.params_of("eth_getWork")) {
    EXPECT_EQ(params, Json::array({to_hex_prefixed(kPayee)}));
  }
}

TEST(Mine, RefreshesWorkWhenTheHeadChanges) {
  PowNode pow;
  pow.target = kImpossibleTarget;
  int head_polls = 0;
  pow.node.on("eth_blockNumber", [&](const Json&) {
    // Another miner extends the chain while this work is being ground.
    if (++head_polls == 3) {
      ++pow.head;
      pow.target = kEasyTarget;
      pow.seal = filled(0x33, 0x44);
    }
    return Json(u256_to_quantity(U256(pow.head)));
  });
  const MineProgress result = mine(pow.node, options(1, 2));
  EXPECT_EQ(result.found, 1U);
  EXPECT_EQ(pow.node.count("eth_getWork"), 2U);
  ASSERT_EQ(pow.node.count("eth_submitWork"), 1U);
  EXPECT_EQ(pow.node.params_of("eth_submitWork")[0][1], to_hex_prefixed(filled(0x33, 0x44)));
}

TEST(Mine, StopsCleanlyOnInterrupt) {
  PowNode pow;
  pow.target = kImpossibleTarget;
  std::atomic<bool> interrupted{false};
  int head_polls = 0;
  pow.node.on("eth_blockNumber", [&](const Json&) {
    if (++head_polls == 5) interrupted = true;
    return Json(u256_to_quantity(U256(pow.head)));
  });
  const MineProgress result = mine(pow.node, options(1, 3, &interrupted));
  EXPECT_TRUE(result.interrupted);
  EXPECT_EQ(result.found, 0U);
  EXPECT_EQ(pow.node.count("eth_submitWork"), 0U);
}

TEST(Mine, CountsRefusedSolutionsAndGoesOn) {
  PowNode pow;
  int submissions = 0;
  pow.node.on("eth_submitWork", [&](const Json&) {
    if (++submissions == 1) return Json(false);  // stale
    ++pow.head;
    return Json(true);
  });
  const MineProgress result = mine(pow.node, options(1, 1));
  EXPECT_EQ(result.found, 1U);
  EXPECT_EQ(result.rejected, 1U);
}

TEST(Mine, PbftChainIsExplained) {
  PowNode pow;
  pow.node.on_value("tally_consensusStatus", Json{{"engine", "pbft"}});
  try {
    (void)mine(pow.node, options(1, 1));
    FAIL() << "mined on a PBFT chain";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("validators produce the blocks"));
  }
  EXPECT_EQ(pow.node.count("eth_getWork"), 0U);
}

TEST(Mine, NodeWithoutGetWorkIsExplained) {
  FakeNode node;  // no tally_ namespace, no eth_getWork
  node.on_value("eth_blockNumber", "0x1");
  try {
    (void)mine(node, options(1, 1));
    FAIL() << "mined without work";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("does not serve eth_getWork"));
    EXPECT_EQ(e.code(), ExitCode::refused);
  }
}

TEST(Mine, NodeRefusingWorkPassesItsReason) {
  PowNode pow;
  pow.node.on("eth_getWork", [](const Json&) -> Json {
    throw NodeRefused("eth_getWork", -32000, "this chain uses PBFT: validators produce the blocks");
  });
  try {
    (void)mine(pow.node, options(1, 1));
    FAIL() << "no error";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("validators produce the blocks"));
  }
}

}  // namespace
}  // namespace tally::wallet
