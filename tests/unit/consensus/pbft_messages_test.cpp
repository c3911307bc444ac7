#include <gtest/gtest.h>

#include "chain/rlp.hpp"
#include "consensus/pbft/certificate.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/persisted.hpp"
#include "pbft_test_util.hpp"

namespace tally::consensus::pbft {
namespace {

using test::key_of;

Message round_trip(const Message& m) {
  const Bytes bytes = encode_message(m);
  auto decoded = decode_message(bytes, test::test_domain());
  EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  if (!decoded) return m;
  EXPECT_EQ(encode_message(*decoded), bytes);
  return *decoded;
}

std::string decode_error(BytesView bytes) {
  auto r = decode_message(bytes, test::test_domain());
  return r.ok() ? std::string("decoded") : r.error().message;
}

TEST(PbftMessages, EveryTypeRoundTripsWithItsSigner) {
  const Bytes block = test::fake_block(5);
  const PrePrepare pp = test::pre_prepare(1, 0, 5, block);
  EXPECT_EQ(pp.signer.sender, test::address_of(1));
  EXPECT_EQ(round_trip(pp), Message{pp});

  const Vote prepare = test::vote(MessageType::prepare, 2, 0, 5, pp.block_hash);
  const Vote commit = test::vote(MessageType::commit, 3, 0, 5, pp.block_hash);
  EXPECT_EQ(round_trip(prepare), Message{prepare});
  EXPECT_EQ(round_trip(commit), Message{commit});

  const ViewChange empty_vc = test::view_change(0, 1, 5);
  EXPECT_EQ(round_trip(empty_vc), Message{empty_vc});
  const ViewChange vc = test::view_change(2, 1, 5, test::prepared_cert(1, 0, 5, block, {2, 3}));
  EXPECT_EQ(round_trip(vc), Message{vc});

  NewView nv{1, 5, {strip_block(vc), empty_vc, test::view_change(3, 1, 5)}, test::pre_prepare(2, 1, 5, block), {}};
  sign(nv, test::test_domain(), key_of(2));
  EXPECT_EQ(round_trip(nv), Message{nv});

  Checkpoint cp{64, pp.block_hash, {}};
  sign(cp, test::test_domain(), key_of(0));
  EXPECT_EQ(round_trip(cp), Message{cp});
}

TEST(PbftMessages, NewViewCarriesTheBlockOnlyOnce) {
  const Bytes block = test::fake_block(5);
  const ViewChange vc = test::view_change(2, 1, 5, test::prepared_cert(1, 0, 5, block, {2, 3}));
  NewView nv{1, 5, {vc}, test::pre_prepare(2, 1, 5, block), {}};
  sign(nv, test::test_domain(), key_of(2));
  auto decoded = decode_message(encode_message(nv), test::test_domain());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const auto& back = std::get<NewView>(*decoded);
  EXPECT_TRUE(back.view_changes[0].prepared->pre_prepare.block.empty());
  EXPECT_EQ(back.view_changes[0].signer.sender, test::address_of(2));  // its signature survives the stripping
  EXPECT_EQ(back.pre_prepare.block, block);
}

TEST(PbftMessages, BadInputGetsAnErrorNotACrash) {
  EXPECT_NE(decode_error({}), "decoded");
  EXPECT_NE(decode_error(as_bytes("garbage")), "decoded");
  const Bytes good = encode_message(test::vote(MessageType::prepare, 0, 0, 1, Hash256{}));
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_NE(decode_error(BytesView(good.data(), cut)), "decoded") << cut;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_NE(decode_error(trailing), "decoded");
  EXPECT_NE(decode_error(test::fake_block(1)), "decoded");
}

TEST(PbftMessages, UnknownTypeIsNamed) {
  Bytes out;
  rlp::Encoder enc(out);
  const std::size_t list = enc.begin_list();
  enc.uint(9);
  const std::size_t payload = enc.begin_list();
  enc.end_list(payload);
  enc.end_list(list);
  EXPECT_NE(decode_error(out).find("unknown message type 9"), std::string::npos) << decode_error(out);
}

TEST(PbftMessages, SizeLimitsAreChecked) {
  const Bytes block = test::fake_block(1);
  const PrePrepare pp = test::pre_prepare(1, 0, 1, block);
  MessageLimits small;
  small.max_block_bytes = block.size() - 1;
  auto r = decode_message(encode_message(pp), test::test_domain(), small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeds the limit"), std::string::npos);
  MessageLimits tiny;
  tiny.max_message_bytes = 10;
  EXPECT_FALSE(decode_message(encode_message(pp), test::test_domain(), tiny).ok());
}

TEST(PbftMessages, TamperingChangesTheSigner) {
  const Vote v = test::vote(MessageType::commit, 1, 0, 3, crypto::keccak256(as_bytes("b")));
  Bytes bytes = encode_message(v);
  bytes[bytes.size() - 70] ^= 1U;  // inside the block hash
  auto tampered = decode_message(bytes, test::test_domain());
  if (tampered.ok()) {
    EXPECT_NE(signer_of(*tampered).sender, test::address_of(1));
  }

  Bytes sig_flip = encode_message(v);
  sig_flip[sig_flip.size() - 10] ^= 0x40U;  // inside s
  auto flipped = decode_message(sig_flip, test::test_domain());
  if (flipped.ok()) {
    EXPECT_NE(signer_of(*flipped).sender, test::address_of(1));
  }

  Bytes bad_v = encode_message(v);
  bad_v.back() = 2;
  EXPECT_NE(decode_error(bad_v).find("recovery id"), std::string::npos) << decode_error(bad_v);
}

TEST(PbftMessages, SignaturesDoNotReplayAcrossChains) {
  const Vote v = test::vote(MessageType::prepare, 1, 0, 3, Hash256{});
  Domain other = test::test_domain();
  other.chain_id = 1338;
  auto elsewhere = decode_message(encode_message(v), other);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_NE(signer_of(*elsewhere).sender, test::address_of(1));
  other = test::test_domain();
  other.genesis_hash[0] ^= 1U;
  EXPECT_NE(signer_of(*decode_message(encode_message(v), other)).sender, test::address_of(1));
  // A prepare and a commit with the same fields are different promises.
  Vote as_commit = v;
  as_commit.type = MessageType::commit;
  EXPECT_NE(signing_digest(test::test_domain(), v), signing_digest(test::test_domain(), as_commit));
}

TEST(PbftMessages, MessageIdIsTheHashOfTheEncoding) {
  const Bytes a = encode_message(test::vote(MessageType::prepare, 1, 0, 3, Hash256{}));
  const Bytes b = encode_message(test::vote(MessageType::prepare, 2, 0, 3, Hash256{}));
  EXPECT_EQ(message_id(a), crypto::keccak256(a));
  EXPECT_NE(message_id(a), message_id(b));
}

// ---------------------------------------------------------------- certificates

class PbftCertificate : public ::testing::Test {
 protected:
  Bytes encoded(const std::vector<std::size_t>& signers, std::uint64_t view = 0) const {
    std::vector<Vote> commits;
    for (std::size_t s : signers) commits.push_back(test::vote(MessageType::commit, s, view, 7, hash_));
    return encode_certificate(make_commit_certificate(std::move(commits)));
  }
  std::string verify(const Bytes& cert, std::uint64_t height = 7) const {
    auto r = verify_certificate(cert, test::test_domain(), set_, height, hash_);
    return r.ok() ? "ok" : r.error().message;
  }
  ValidatorSet set_{test::addresses(4)};
  Hash256 hash_ = crypto::keccak256(as_bytes("block 7"));
};

TEST_F(PbftCertificate, AQuorumOfCommitsVerifiesAndRoundTrips) {
  EXPECT_EQ(verify(encoded({0, 1, 2})), "ok");
  EXPECT_EQ(verify(encoded({3, 1, 2, 0}, 4)), "ok");
  auto cert = decode_certificate(encoded({0, 1, 2}), test::test_domain());
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(cert->commits.size(), 3U);
  EXPECT_EQ(cert->commits[1].signer.sender, test::address_of(1));
  EXPECT_EQ(encode_certificate(*cert), encoded({0, 1, 2}));
}

TEST_F(PbftCertificate, RefusesTooFewDuplicatesOutsidersAndOtherBlocks) {
  EXPECT_NE(verify(encoded({0, 1})).find("quorum is 3"), std::string::npos) << verify(encoded({0, 1}));
  EXPECT_NE(verify(encoded({0, 1, 1})).find("signed twice"), std::string::npos);
  EXPECT_NE(verify(encoded({0, 1, 4})).find("not a validator"), std::string::npos);
  EXPECT_NE(verify(encoded({0, 1, 2}), 8).find("height 7, not 8"), std::string::npos);
  auto other = verify_certificate(encoded({0, 1, 2}), test::test_domain(), set_, 7, Hash256{});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("is for block"), std::string::npos);
  EXPECT_NE(verify(to_bytes(as_bytes("junk"))), "ok");
  EXPECT_NE(verify({}), "ok");
}

TEST_F(PbftCertificate, CommitsFromAnotherViewDoNotCount) {
  // The certificate names one view; a commit signed for another view
  // recovers to a stranger.
  std::vector<Vote> commits{test::vote(MessageType::commit, 0, 0, 7, hash_),
                            test::vote(MessageType::commit, 1, 0, 7, hash_),
                            test::vote(MessageType::commit, 2, 1, 7, hash_)};
  EXPECT_NE(verify(encode_certificate(make_commit_certificate(commits))), "ok");
  auto mixed = make_commit_certificate(commits);
  EXPECT_FALSE(check_certificate(mixed, set_, 7, hash_).ok());
}

TEST_F(PbftCertificate, ReplayInAnotherChainFails) {
  Domain other = test::test_domain();
  other.chain_id = 9;
  EXPECT_FALSE(verify_certificate(encoded({0, 1, 2}), other, set_, 7, hash_).ok());
}

TEST(PbftPrepared, ChecksPrimaryQuorumAndMatchingVotes) {
  const ValidatorSet set(test::addresses(4));
  const Bytes block = test::fake_block(1);
  // Primary of (1, 0) is validator 1.
  EXPECT_TRUE(check_prepared(test::prepared_cert(1, 0, 1, block, {2, 3}), set, 1).ok());
  EXPECT_FALSE(check_prepared(test::prepared_cert(1, 0, 1, block, {2}), set, 1).ok());
  EXPECT_FALSE(check_prepared(test::prepared_cert(1, 0, 1, block, {2, 2}), set, 1).ok());
  EXPECT_FALSE(check_prepared(test::prepared_cert(1, 0, 1, block, {1, 2}), set, 1).ok());
  EXPECT_FALSE(check_prepared(test::prepared_cert(0, 0, 1, block, {2, 3}), set, 1).ok());
  EXPECT_FALSE(check_prepared(test::prepared_cert(1, 0, 1, block, {2, 3}), set, 2).ok());
  auto mismatched = test::prepared_cert(1, 0, 1, block, {2, 3});
  mismatched.prepares[0] = test::vote(MessageType::prepare, 2, 0, 1, Hash256{});
  EXPECT_FALSE(check_prepared(mismatched, set, 1).ok());
}

TEST(PbftNewView, MustReproposeTheHighestPreparedBlock) {
  const ValidatorSet set(test::addresses(4));
  const Bytes old_block = test::fake_block(1, 1);
  const Bytes other = test::fake_block(1, 2);
  // Primary of (1, 1) is validator 2; of (1, 0) validator 1.
  std::vector<ViewChange> vcs{test::view_change(0, 1, 1), test::view_change(2, 1, 1),
                              strip_block(test::view_change(3, 1, 1, test::prepared_cert(1, 0, 1, old_block, {2, 3})))};
  NewView good{1, 1, vcs, test::pre_prepare(2, 1, 1, old_block), {}};
  sign(good, test::test_domain(), key_of(2));
  EXPECT_TRUE(check_new_view(good, set).ok());

  NewView fresh = good;
  fresh.pre_prepare = test::pre_prepare(2, 1, 1, other);
  sign(fresh, test::test_domain(), key_of(2));
  EXPECT_FALSE(check_new_view(fresh, set).ok());

  NewView few = good;
  few.view_changes.pop_back();
  few.pre_prepare = test::pre_prepare(2, 1, 1, other);
  sign(few, test::test_domain(), key_of(2));
  EXPECT_FALSE(check_new_view(few, set).ok());

  NewView duplicate = good;
  duplicate.view_changes[1] = duplicate.view_changes[0];
  sign(duplicate, test::test_domain(), key_of(2));
  EXPECT_FALSE(check_new_view(duplicate, set).ok());

  NewView not_primary = good;
  sign(not_primary, test::test_domain(), key_of(3));
  EXPECT_FALSE(check_new_view(not_primary, set).ok());
}

TEST(PbftPersisted, RoundTripsAndRefusesGarbage) {
  PersistedState s;
  s.height = 9;
  s.view = 2;
  s.in_view_change = true;
  s.prepared = test::prepared_cert(2, 1, 9, test::fake_block(9), {0, 1});  // primary of (9, 1) is 2
  s.commit_sent = crypto::keccak256(as_bytes("x"));
  const Bytes bytes = encode_persisted(s);
  auto back = decode_persisted(bytes, test::test_domain());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(decode_persisted(as_bytes("nonsense"), test::test_domain()).ok());
  for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
    EXPECT_FALSE(decode_persisted(BytesView(bytes.data(), cut), test::test_domain()).ok());
  }
}

}  // namespace
}  // namespace tally::consensus::pbft
