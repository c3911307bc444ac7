#include "consensus/pbft/engine.hpp"

#include <gtest/gtest.h>

#include "../chain/ledger_test_util.hpp"
#include "chain/genesis.hpp"
#include "consensus/pbft/seal.hpp"
#include "pbft_test_util.hpp"

namespace tally::consensus::pbft {
namespace {

chain::Genesis pbft_genesis() {
  std::string validators;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i > 0) validators += ",";
    validators += "\"" + crypto::to_checksum_address(test::address_of(i)) + "\"";
  }
  auto g = chain::parse_genesis(R"({"chainId": 1337, "gasLimit": 30000000, "timestamp": 100,
      "consensus": {"type": "pbft", "validators": [)" +
                                validators + R"(], "timeoutMs": 1500, "blockReward": "7"}})");
  EXPECT_TRUE(g.ok()) << g.error().message;
  return *g;
}

std::string message(const Result<void>& r) {
  return r.ok() ? std::string("ok") : r.error().message;
}

class PbftEngineTest : public ::testing::Test {
 protected:
  chain::Header child(std::size_t signer, std::uint64_t view) const {
    chain::Header h;
    h.parent_hash = genesis_.hash;
    h.number = 1;
    h.timestamp = 101;
    h.gas_limit = 30'000'000;
    seal_header(h, view, engine_.domain(), test::key_of(signer));
    return h;
  }
  std::string verify(const chain::Header& h, std::uint64_t now = 101) const {
    return message(engine_.verify_header(h, genesis_.block.header, reader_, now));
  }

  chain::Genesis genesis_ = pbft_genesis();
  PbftEngine engine_{genesis_};
  tally::test::MapHeaderReader reader_;
};

TEST_F(PbftEngineTest, Basics) {
  EXPECT_EQ(engine_.name(), "pbft");
  EXPECT_EQ(engine_.weight(genesis_.block.header), 1);
  EXPECT_EQ(engine_.block_reward(5), 7);
  EXPECT_TRUE(engine_.has_finality());
  EXPECT_EQ(engine_.domain().chain_id, 1337U);
  EXPECT_EQ(engine_.domain().genesis_hash, genesis_.hash);
  EXPECT_EQ(engine_.validators().size(), 4U);
  EXPECT_EQ(engine_.validators().quorum(), 3U);
  // The genesis seal stays parse_genesis's [config commitment].
  EXPECT_EQ(genesis_.block.header.seal.size(), 1U);
}

TEST_F(PbftEngineTest, AcceptsABlockSealedByThePrimaryOfItsView) {
  // Primary of (1, v) = validators[(1 + v) mod 4].
  EXPECT_EQ(verify(child(1, 0)), "ok");
  EXPECT_EQ(verify(child(2, 1)), "ok");
  EXPECT_EQ(verify(child(1, 4)), "ok");
  EXPECT_EQ(read_seal(child(2, 1))->view, 1U);
  EXPECT_EQ(*seal_proposer(child(3, 2), engine_.domain()), test::address_of(3));
}

TEST_F(PbftEngineTest, RefusesOtherProposersAndBadSeals) {
  EXPECT_NE(verify(child(2, 0)).find("primary of view 0"), std::string::npos) << verify(child(2, 0));
  EXPECT_NE(verify(child(4, 0)), "ok");  // not a validator at all

  chain::Header tampered = child(1, 0);
  tampered.beneficiary[0] ^= 1U;  // the seal no longer signs this header
  EXPECT_NE(verify(tampered), "ok");

  chain::Header short_seal = child(1, 0);
  short_seal.seal.pop_back();
  EXPECT_NE(verify(short_seal).find("expected 2"), std::string::npos);

  chain::Header garbage = child(1, 0);
  garbage.seal[1] = rlp::encode_string(Bytes(64, 1));
  EXPECT_NE(verify(garbage), "ok");

  chain::Header other_chain = child(1, 0);
  Domain elsewhere = engine_.domain();
  elsewhere.chain_id = 1;
  seal_header(other_chain, 0, elsewhere, test::key_of(1));
  EXPECT_NE(verify(other_chain), "ok");
}

TEST_F(PbftEngineTest, RefusesTimestampsFarInTheFuture) {
  chain::Header h = child(1, 0);
  h.timestamp = 200;
  seal_header(h, 0, engine_.domain(), test::key_of(1));
  EXPECT_EQ(verify(h, 200 - kMaxFutureSeconds), "ok");
  EXPECT_NE(verify(h, 200 - kMaxFutureSeconds - 1).find("in the future"), std::string::npos);
}

TEST_F(PbftEngineTest, VerifiesFinalityCertificates) {
  const chain::Header h = child(1, 0);
  const Hash256 hash = chain::header_hash(h);
  std::vector<Vote> commits;
  for (std::size_t i : {0U, 2U, 3U}) {
    Vote c{MessageType::commit, 0, 1, hash, {}};
    sign(c, engine_.domain(), test::key_of(i));
    commits.push_back(c);
  }
  const Bytes cert = encode_certificate(make_commit_certificate(commits));
  EXPECT_EQ(message(engine_.verify_finality(h, cert)), "ok");

  chain::Header other = h;
  other.timestamp += 1;
  EXPECT_NE(message(engine_.verify_finality(other, cert)), "ok");
  commits.pop_back();
  EXPECT_NE(message(engine_.verify_finality(h, encode_certificate(make_commit_certificate(commits)))).find("quorum"),
            std::string::npos);
  EXPECT_NE(message(engine_.verify_finality(h, as_bytes("junk"))), "ok");
}

TEST(PbftEngine, RefusesAPowGenesis) {
  auto pow = chain::parse_genesis(chain::dev_genesis_json());
  ASSERT_TRUE(pow.ok());
  EXPECT_THROW(PbftEngine{*pow}, std::invalid_argument);
}

}  // namespace
}  // namespace tally::consensus::pbft
