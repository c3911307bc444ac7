#include "consensus/pbft/replica.hpp"

#include <gtest/gtest.h>

#include "pbft_test_util.hpp"

namespace tally::consensus::pbft {
namespace {

using test::actions_of;
using test::broadcasts_of;

// Four validators; at height 1 the primary of view v is validator (1 + v) mod 4.
class PbftReplicaTest : public ::testing::Test {
 protected:
  PbftReplicaTest() {
    options_.base_timeout_ms = 1'000;
    options_.max_timeout_ms = 8'000;
    options_.idle_block_ms = 5'000;
    options_.checkpoint_interval = 2;
  }

  std::unique_ptr<Replica> make(std::size_t i) const {
    return std::make_unique<Replica>(test::test_domain(), ValidatorSet(test::addresses(4)), test::key_of(i),
                                     test::fake_hash, options_);
  }

  // Validator 2 (a backup at height 1) has accepted the primary's block,
  // validated it and prepared it; returns the actions of the last step.
  Actions prepare_at_backup(Replica& r) {
    (void)r.start(1, std::nullopt);
    (void)r.on_message(test::pre_prepare(1, 0, 1, block_));
    Actions a = r.on_block_validated(1, hash_, true);
    test::expect_persisted_before_sent(a);
    return a;
  }

  ReplicaOptions options_;
  Bytes block_ = test::fake_block(1, 1);
  Hash256 hash_ = test::hash_of(block_);
};

TEST_F(PbftReplicaTest, StartsIdleAndProposesWhenTransactionsWait) {
  auto primary = make(1);
  Actions a = primary->start(1, std::nullopt);
  EXPECT_TRUE(actions_of<RequestProposal>(a).empty());
  ASSERT_EQ(actions_of<SetTimer>(a).size(), 1U);
  EXPECT_EQ(actions_of<SetTimer>(a)[0].id.kind, TimerKind::idle);
  EXPECT_EQ(actions_of<SetTimer>(a)[0].duration_ms, 5'000U);

  a = primary->on_transactions_pending();
  ASSERT_EQ(actions_of<RequestProposal>(a).size(), 1U);
  EXPECT_EQ(actions_of<RequestProposal>(a)[0].height, 1U);
  EXPECT_EQ(actions_of<SetTimer>(a)[0].id, (TimerId{TimerKind::round, 1, 0}));
  EXPECT_TRUE(primary->on_transactions_pending().empty());  // asked once

  a = primary->on_proposal_ready(1, 0, hash_, block_);
  test::expect_persisted_before_sent(a);
  ASSERT_EQ(a.size(), 2U);
  EXPECT_TRUE(std::holds_alternative<Persist>(a[0]));
  const auto pps = broadcasts_of<PrePrepare>(a);
  ASSERT_EQ(pps.size(), 1U);
  EXPECT_EQ(pps[0].block, block_);
  EXPECT_EQ(pps[0].signer.sender, test::address_of(1));
  // A second, different proposal for the same view is never signed.
  EXPECT_TRUE(primary->on_proposal_ready(1, 0, test::hash_of(test::fake_block(1, 2)), test::fake_block(1, 2)).empty());
}

TEST_F(PbftReplicaTest, IdleNetworkMakesNoBlocksWithoutAnIdlePeriod) {
  options_.idle_block_ms = 0;
  auto primary = make(1);
  const Actions a = primary->start(1, std::nullopt);
  EXPECT_TRUE(actions_of<SetTimer>(a).empty());
  EXPECT_TRUE(actions_of<RequestProposal>(a).empty());
  EXPECT_FALSE(primary->active());
}

TEST_F(PbftReplicaTest, IdleTimerStartsARound) {
  auto primary = make(1);
  (void)primary->start(1, std::nullopt);
  const Actions a = primary->on_timer(TimerId{TimerKind::idle, 1, 0});
  EXPECT_EQ(actions_of<RequestProposal>(a).size(), 1U);
  EXPECT_TRUE(primary->on_timer(TimerId{TimerKind::idle, 0, 0}).empty());  // stale height
}

TEST_F(PbftReplicaTest, NormalCaseAtABackup) {
  auto r = make(2);
  (void)r->start(1, std::nullopt);
  Actions a = r->on_message(test::pre_prepare(1, 0, 1, block_));
  ASSERT_EQ(actions_of<RequestValidation>(a).size(), 1U);
  EXPECT_EQ(actions_of<RequestValidation>(a)[0].block, block_);
  EXPECT_TRUE(broadcasts_of<Vote>(a).empty());  // no vote before validation

  a = r->on_block_validated(1, hash_, true);
  test::expect_persisted_before_sent(a);
  auto votes = broadcasts_of<Vote>(a);
  ASSERT_EQ(votes.size(), 1U);
  EXPECT_EQ(votes[0].type, MessageType::prepare);
  EXPECT_EQ(votes[0].block_hash, hash_);

  // Prepared with the pre-prepare, its own prepare and one more: commit.
  a = r->on_message(test::vote(MessageType::prepare, 3, 0, 1, hash_));
  test::expect_persisted_before_sent(a);
  votes = broadcasts_of<Vote>(a);
  ASSERT_EQ(votes.size(), 1U);
  EXPECT_EQ(votes[0].type, MessageType::commit);
  ASSERT_TRUE(r->prepared().has_value());
  EXPECT_TRUE(check_prepared(*r->prepared(), ValidatorSet(test::addresses(4)), 1).ok());
  EXPECT_EQ(actions_of<Persist>(a)[0].state.prepared, r->prepared());

  EXPECT_TRUE(actions_of<CommitBlock>(r->on_message(test::vote(MessageType::commit, 1, 0, 1, hash_))).empty());
  a = r->on_message(test::vote(MessageType::commit, 3, 0, 1, hash_));
  const auto commits = actions_of<CommitBlock>(a);
  ASSERT_EQ(commits.size(), 1U);
  EXPECT_EQ(commits[0].block, block_);
  EXPECT_TRUE(
      verify_certificate(commits[0].certificate, test::test_domain(), ValidatorSet(test::addresses(4)), 1, hash_).ok());
  EXPECT_TRUE(r->decided());

  (void)r->on_block_committed(1, hash_);
  EXPECT_EQ(r->height(), 2U);
  EXPECT_EQ(r->view(), 0U);
  EXPECT_FALSE(r->decided());
}

TEST_F(PbftReplicaTest, DropsDuplicatesOutsidersOldHeightsAndWrongPrimaries) {
  auto r = make(2);
  (void)prepare_at_backup(*r);
  const Vote p3 = test::vote(MessageType::prepare, 3, 0, 1, hash_);
  EXPECT_FALSE(r->on_message(p3).empty());
  EXPECT_TRUE(r->on_message(p3).empty());  // duplicate
  auto fresh = make(2);
  (void)fresh->start(1, std::nullopt);
  EXPECT_TRUE(fresh->on_message(test::vote(MessageType::prepare, 7, 0, 1, hash_)).empty());  // not a validator
  EXPECT_TRUE(fresh->on_message(test::pre_prepare(3, 0, 1, block_)).empty());                // not the primary
  EXPECT_TRUE(fresh->on_message(test::pre_prepare(1, 1, 1, block_)).empty());                // later view, no NEW-VIEW
  Bytes wrong = block_;
  PrePrepare bad = test::pre_prepare(1, 0, 1, block_);
  bad.block = test::fake_block(1, 9);  // bytes that do not hash to block_hash
  EXPECT_TRUE(fresh->on_message(bad).empty());
  (void)fresh->on_block_committed(1, hash_);
  EXPECT_TRUE(fresh->on_message(test::pre_prepare(1, 0, 1, block_)).empty());  // old height
}

TEST_F(PbftReplicaTest, AnEquivocatingPrimaryGetsOnePrepareAtMost) {
  auto r = make(2);
  (void)prepare_at_backup(*r);
  const Bytes other = test::fake_block(1, 2);
  const Actions a = r->on_message(test::pre_prepare(1, 0, 1, other));
  EXPECT_TRUE(actions_of<RequestValidation>(a).empty());
  EXPECT_TRUE(broadcasts_of<Vote>(a).empty());
  // Votes for another hash never make it prepared.
  EXPECT_TRUE(
      broadcasts_of<Vote>(r->on_message(test::vote(MessageType::prepare, 3, 0, 1, test::hash_of(other)))).empty());
}

TEST_F(PbftReplicaTest, InvalidBlockStartsAViewChangeAtOnce) {
  auto r = make(2);
  (void)r->start(1, std::nullopt);
  (void)r->on_message(test::pre_prepare(1, 0, 1, block_));
  const Actions a = r->on_block_validated(1, hash_, false);
  test::expect_persisted_before_sent(a);
  ASSERT_EQ(broadcasts_of<ViewChange>(a).size(), 1U);
  EXPECT_TRUE(broadcasts_of<Vote>(a).empty());
  EXPECT_EQ(r->view(), 1U);
}

TEST_F(PbftReplicaTest, TimeoutSendsAViewChangeWithThePreparedCertificate) {
  auto r = make(2);
  (void)prepare_at_backup(*r);
  (void)r->on_message(test::vote(MessageType::prepare, 3, 0, 1, hash_));  // prepared, committed
  const Actions a = r->on_timer(TimerId{TimerKind::round, 1, 0});
  test::expect_persisted_before_sent(a);
  const auto vcs = broadcasts_of<ViewChange>(a);
  ASSERT_EQ(vcs.size(), 1U);
  EXPECT_EQ(vcs[0].new_view, 1U);
  ASSERT_TRUE(vcs[0].prepared.has_value());
  EXPECT_EQ(vcs[0].prepared->pre_prepare.block, block_);  // the new primary may not have it
  EXPECT_TRUE(r->in_view_change());
  // The next timeout doubles, and a failed view change moves on.
  EXPECT_EQ(actions_of<SetTimer>(a).back().duration_ms, 2'000U);
  const Actions next = r->on_timer(TimerId{TimerKind::round, 1, 1});
  EXPECT_EQ(broadcasts_of<ViewChange>(next).at(0).new_view, 2U);
  EXPECT_EQ(actions_of<SetTimer>(next).back().duration_ms, 4'000U);
  EXPECT_TRUE(r->on_timer(TimerId{TimerKind::round, 1, 1}).empty());  // stale
  EXPECT_EQ(r->timeout_ms(10), 8'000U);                               // capped
  EXPECT_EQ(r->timeout_ms(UINT64_MAX), 8'000U);                       // no overflow, no long loop
}

TEST_F(PbftReplicaTest, NewPrimaryReproposesThePreparedBlock) {
  // Validator 2 is the primary of view 1.
  auto r = make(2);
  (void)prepare_at_backup(*r);
  (void)r->on_message(test::vote(MessageType::prepare, 3, 0, 1, hash_));
  (void)r->on_timer(TimerId{TimerKind::round, 1, 0});
  EXPECT_TRUE(r->on_message(test::view_change(0, 1, 1)).empty());
  const Actions a = r->on_message(test::view_change(3, 1, 1));
  test::expect_persisted_before_sent(a);
  const auto nvs = broadcasts_of<NewView>(a);
  ASSERT_EQ(nvs.size(), 1U);
  EXPECT_EQ(nvs[0].pre_prepare.block_hash, hash_);
  EXPECT_EQ(nvs[0].pre_prepare.block, block_);
  EXPECT_TRUE(check_new_view(nvs[0], ValidatorSet(test::addresses(4))).ok());
  EXPECT_TRUE(actions_of<RequestProposal>(a).empty());
  EXPECT_FALSE(r->in_view_change());
}

TEST_F(PbftReplicaTest, NewPrimaryAsksForABlockWhenNothingWasPrepared) {
  auto r = make(2);
  (void)r->start(1, std::nullopt);
  (void)r->on_timer(TimerId{TimerKind::idle, 1, 0});
  (void)r->on_timer(TimerId{TimerKind::round, 1, 0});
  (void)r->on_message(test::view_change(0, 1, 1));
  Actions a = r->on_message(test::view_change(1, 1, 1));
  ASSERT_EQ(actions_of<RequestProposal>(a).size(), 1U);
  EXPECT_EQ(actions_of<RequestProposal>(a)[0].view, 1U);
  const Bytes fresh = test::fake_block(1, 5);
  a = r->on_proposal_ready(1, 1, test::hash_of(fresh), fresh);
  test::expect_persisted_before_sent(a);
  const auto nvs = broadcasts_of<NewView>(a);
  ASSERT_EQ(nvs.size(), 1U);
  EXPECT_EQ(nvs[0].pre_prepare.block, fresh);
  EXPECT_TRUE(check_new_view(nvs[0], ValidatorSet(test::addresses(4))).ok());
}

TEST_F(PbftReplicaTest, BackupFollowsANewViewAndPreparesItsBlock) {
  auto r = make(3);
  (void)r->start(1, std::nullopt);
  std::vector<ViewChange> vcs{test::view_change(0, 1, 1), test::view_change(1, 1, 1), test::view_change(2, 1, 1)};
  NewView nv{1, 1, vcs, test::pre_prepare(2, 1, 1, block_), {}};
  sign(nv, test::test_domain(), test::key_of(2));
  Actions a = r->on_message(nv);
  EXPECT_EQ(r->view(), 1U);
  ASSERT_EQ(actions_of<RequestValidation>(a).size(), 1U);
  a = r->on_block_validated(1, hash_, true);
  test::expect_persisted_before_sent(a);
  ASSERT_EQ(broadcasts_of<Vote>(a).size(), 1U);
  EXPECT_EQ(broadcasts_of<Vote>(a)[0].view, 1U);
}

TEST_F(PbftReplicaTest, JoinsAViewChangeAfterFPlusOneOthers) {
  auto r = make(0);
  (void)r->start(1, std::nullopt);
  EXPECT_TRUE(broadcasts_of<ViewChange>(r->on_message(test::view_change(1, 2, 1))).empty());
  const Actions a = r->on_message(test::view_change(3, 3, 1));
  test::expect_persisted_before_sent(a);
  const auto vcs = broadcasts_of<ViewChange>(a);
  ASSERT_EQ(vcs.size(), 1U);
  EXPECT_EQ(vcs[0].new_view, 2U);  // the highest view f + 1 of them reached
  EXPECT_EQ(r->view(), 2U);
}

TEST_F(PbftReplicaTest, RestartNeverEquivocates) {
  auto r = make(2);
  const Actions prepared = prepare_at_backup(*r);
  const PersistedState disk = actions_of<Persist>(prepared).back().state;
  const Vote sent = broadcasts_of<Vote>(prepared).at(0);

  // Restart from disk; the primary now equivocates with another block.
  auto again = make(2);
  (void)again->start(1, disk);
  EXPECT_EQ(again->view(), 0U);
  const Bytes other = test::fake_block(1, 2);
  (void)again->on_message(test::pre_prepare(1, 0, 1, other));
  const Actions a = again->on_block_validated(1, test::hash_of(other), true);
  EXPECT_TRUE(broadcasts_of<Vote>(a).empty());

  // The original block gets the very same prepare again.
  auto third = make(2);
  (void)third->start(1, disk);
  (void)third->on_message(test::pre_prepare(1, 0, 1, block_));
  const auto resent = broadcasts_of<Vote>(third->on_block_validated(1, hash_, true));
  ASSERT_EQ(resent.size(), 1U);
  EXPECT_EQ(resent[0], sent);
}

TEST_F(PbftReplicaTest, RestartInAViewChangeStaysInIt) {
  auto r = make(2);
  (void)prepare_at_backup(*r);
  (void)r->on_message(test::vote(MessageType::prepare, 3, 0, 1, hash_));
  const Actions vc = r->on_timer(TimerId{TimerKind::round, 1, 0});
  const PersistedState disk = actions_of<Persist>(vc).back().state;
  auto again = make(2);
  const Actions a = again->start(1, disk);
  EXPECT_TRUE(again->in_view_change());
  EXPECT_EQ(again->view(), 1U);
  ASSERT_EQ(broadcasts_of<ViewChange>(a).size(), 1U);
  EXPECT_EQ(broadcasts_of<ViewChange>(a)[0], broadcasts_of<ViewChange>(vc)[0]);  // same promise, same bytes
  // No vote in the abandoned view.
  EXPECT_TRUE(broadcasts_of<Vote>(again->on_message(test::pre_prepare(1, 0, 1, block_))).empty());
  // A persisted state for another height is ignored.
  auto later = make(2);
  (void)later->start(2, disk);
  EXPECT_EQ(later->view(), 0U);
}

TEST_F(PbftReplicaTest, BuffersTheNextHeightWithinTheWindow) {
  options_.height_window = 2;
  auto r = make(3);  // primary of (2, 1) is 3; of (2, 0) is 2
  (void)r->start(1, std::nullopt);
  const Bytes next = test::fake_block(2, 1);
  EXPECT_TRUE(r->on_message(test::pre_prepare(2, 0, 2, next)).empty());
  EXPECT_TRUE(r->on_message(test::pre_prepare(2, 0, 4, test::fake_block(4))).empty());  // beyond the window
  EXPECT_EQ(r->buffered(), 1U);
  const Actions a = r->on_block_committed(1, hash_);
  ASSERT_EQ(actions_of<RequestValidation>(a).size(), 1U);
  EXPECT_EQ(actions_of<RequestValidation>(a)[0].height, 2U);
  EXPECT_EQ(r->buffered(), 0U);
}

TEST_F(PbftReplicaTest, AsksToSyncWhenFPlusOneWorkAhead) {
  auto r = make(0);
  (void)r->start(1, std::nullopt);
  EXPECT_TRUE(actions_of<RequestSync>(r->on_message(test::vote(MessageType::prepare, 1, 0, 6, hash_))).empty());
  const Actions a = r->on_message(test::vote(MessageType::prepare, 2, 0, 5, hash_));
  ASSERT_EQ(actions_of<RequestSync>(a).size(), 1U);
  EXPECT_EQ(actions_of<RequestSync>(a)[0].height, 4U);
}

TEST_F(PbftReplicaTest, CheckpointsBecomeStableWithAQuorum) {
  auto r = make(0);
  (void)r->start(1, std::nullopt);
  (void)r->on_block_committed(1, hash_);
  const Hash256 h2 = crypto::keccak256(as_bytes("block 2"));
  const Actions mine = r->on_block_committed(2, h2);  // K = 2
  ASSERT_EQ(broadcasts_of<Checkpoint>(mine).size(), 1U);
  EXPECT_EQ(broadcasts_of<Checkpoint>(mine)[0].height, 2U);
  Checkpoint c1{2, h2, {}};
  sign(c1, test::test_domain(), test::key_of(1));
  (void)r->on_message(c1);
  EXPECT_EQ(r->stable_checkpoint(), 0U);
  Checkpoint wrong{2, hash_, {}};
  sign(wrong, test::test_domain(), test::key_of(2));
  (void)r->on_message(wrong);
  EXPECT_EQ(r->stable_checkpoint(), 0U);
  Checkpoint c3{2, h2, {}};
  sign(c3, test::test_domain(), test::key_of(3));
  EXPECT_TRUE(actions_of<RequestSync>(r->on_message(c3)).empty());  // not behind it
  EXPECT_EQ(r->stable_checkpoint(), 2U);

  // A lagging replica learns from a stable checkpoint ahead that it must sync.
  auto lagging = make(0);
  (void)lagging->start(1, std::nullopt);
  Actions a;
  for (std::size_t i : {1U, 2U, 3U}) {
    Checkpoint c{4, h2, {}};
    sign(c, test::test_domain(), test::key_of(i));
    a = lagging->on_message(c);
  }
  ASSERT_EQ(actions_of<RequestSync>(a).size(), 1U);
  EXPECT_EQ(actions_of<RequestSync>(a)[0].height, 4U);
}

TEST(PbftReplica, RefusesAKeyOutsideTheSet) {
  EXPECT_THROW(Replica(test::test_domain(), ValidatorSet(test::addresses(4)), test::key_of(9), test::fake_hash),
               std::invalid_argument);
}

TEST(PbftValidatorSet, QuorumsAndPrimaries) {
  EXPECT_EQ(ValidatorSet(test::addresses(1)).quorum(), 1U);
  EXPECT_EQ(ValidatorSet(test::addresses(4)).quorum(), 3U);
  EXPECT_EQ(ValidatorSet(test::addresses(5)).quorum(), 4U);  // 2q - n > f
  EXPECT_EQ(ValidatorSet(test::addresses(7)).quorum(), 5U);
  EXPECT_EQ(ValidatorSet(test::addresses(7)).weak_quorum(), 3U);
  const ValidatorSet set(test::addresses(4));
  EXPECT_EQ(set.primary(1, 0), test::address_of(1));
  EXPECT_EQ(set.primary(1, 3), test::address_of(0));
  EXPECT_EQ(set.primary(UINT64_MAX, UINT64_MAX), test::address_of(2));  // no overflow: (3 + 3) mod 4
  EXPECT_THROW(ValidatorSet({}), std::invalid_argument);
  EXPECT_THROW(ValidatorSet({test::address_of(0), test::address_of(0)}), std::invalid_argument);
}

}  // namespace
}  // namespace tally::consensus::pbft
