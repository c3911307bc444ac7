// PBFT fault scenarios with real processes: four validators, one killed
// with SIGKILL under load and restarted; a 1 | 3 partition that heals; two
// killed at once (more than f = 1: finality stops) and restarted; the
// primary of the next height killed (a view change replaces it); a validator
// restarted with an empty datadir. Safety is checked throughout: no height
// ever has two different final blocks, on any node, before or after the
// faults.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "cluster.hpp"
#include "pbft_support.hpp"

namespace tally::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kAlice = "0x00000000000000000000000000000000000a11ce";

std::vector<NodeSpec> validators(std::size_t n) {
  return std::vector<NodeSpec>(n, NodeSpec{false, false, true});
}

// The common start: four validators, all connected, a few final blocks.
void start_meshed(Cluster& cluster) {
  cluster.start_all();
  ASSERT_TRUE(wait_until([&] { return meshed(cluster); }, 30s)) << logs(cluster);
  ASSERT_TRUE(wait_until([&] { return lowest_final(cluster, {0, 1, 2, 3}) >= 2; }, 30s)) << logs(cluster);
}

TEST(PbftFaults, KilledValidatorRestartsAndCatchesUpWithoutTwoFinalBlocksAtAnyHeight) {
  Cluster cluster("pbft-kill9", validators(4));
  cluster.start_all();
  ASSERT_TRUE(wait_until([&] { return meshed(cluster); }, 30s)) << cluster.log_tail(0);
  FinalityLedger ledger;

  // Load: a transfer every 100 ms to a running node, nonces in order.
  std::atomic<bool> loading{true};
  std::mutex acked_mutex;
  std::vector<std::string> acked;
  std::atomic<std::size_t> down{SIZE_MAX};
  std::atomic<bool> hold{false};     // the test asks the load to pause
  std::atomic<bool> holding{false};  // and the load says it has
  std::thread load([&] {
    std::uint64_t nonce = 0;
    for (std::size_t step = 0; loading && step < 3'000; ++step) {
      if (hold) {
        holding = true;
        std::this_thread::sleep_for(20ms);
        continue;
      }
      holding = false;
      const std::size_t target = step % 4 == down.load() ? (step + 1) % 4 : step % 4;
      try {
        const auto hash =
            cluster.call(target, "eth_sendRawTransaction", Json::array({signed_transfer(1, kAlice, 1'000, nonce)}));
        std::lock_guard lock(acked_mutex);
        acked.push_back(hash.get<std::string>());
        ++nonce;
      } catch (const std::exception&) {
        // The node is going down; the same nonce goes to another next time.
      }
      std::this_thread::sleep_for(100ms);
    }
  });

  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(0) >= 3; }, 60s)) << cluster.log_tail(0);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  // TALLY_E2E_SOAK=N: N kill rounds instead of one, each on the next
  // validator (a longer soak, not run by default).
  const int rounds = soak_rounds(1);
  for (int round = 0; round < rounds; ++round) {
    const std::size_t victim = (2 + static_cast<std::size_t>(round)) % 4;
    const std::size_t witness = victim == 0 ? 1 : 0;
    // Nothing acknowledged may exist only on the node about to die (a lost
    // nonce would stall the sender): pause the load until the witness has
    // it all.
    holding = false;  // set again by the load once it sees the hold
    hold = true;
    ASSERT_TRUE(wait_until([&] { return holding.load(); }, 10s));
    std::string last_acked;
    {
      std::lock_guard lock(acked_mutex);
      if (!acked.empty()) last_acked = acked.back();
    }
    if (!last_acked.empty()) {
      ASSERT_TRUE(wait_until(
          [&] { return !cluster.call(witness, "eth_getTransactionByHash", Json::array({last_acked})).is_null(); },
          30s));
    }
    down = victim;
    cluster.kill9(victim);
    hold = false;
    const auto at_kill = cluster.finalized_number(witness);
    // Three of four are a quorum: the chain goes on.
    ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(witness) >= at_kill + 4; }, 60s))
        << "round " << round << "\n"
        << logs(cluster);
    ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

    cluster.start(victim);
    const auto at_restart = cluster.finalized_number(witness);
    ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(victim) >= at_restart; }, 60s))
        << cluster.log_tail(victim);
    down = SIZE_MAX;  // caught up: it takes transactions again
    // It takes part again: the chain keeps finalizing with all four.
    ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(victim) >= at_restart + 3; }, 60s))
        << cluster.log_tail(victim);
  }
  loading = false;
  load.join();

  // Every acknowledged transfer ends up final on every node.
  std::vector<std::string> sent;
  {
    std::lock_guard lock(acked_mutex);
    sent = acked;
  }
  ASSERT_FALSE(sent.empty());
  ASSERT_TRUE(wait_until(
      [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
          if (!included(cluster, i, sent.back())) return false;
        }
        return true;
      },
      60s));
  ASSERT_TRUE(wait_until([&] { return cluster.converged(); }, 30s));
  EXPECT_EQ(ledger.record_all(cluster), std::nullopt);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

TEST(PbftFaults, IsolatedValidatorStopsWithoutForkingAndRejoinsAfterHeal) {
  Cluster cluster("pbft-partition", validators(4));
  cluster.start_all();
  ASSERT_TRUE(wait_until([&] { return meshed(cluster); }, 30s)) << cluster.log_tail(0);
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(0) >= 1; }, 30s)) << cluster.log_tail(0);
  FinalityLedger ledger;
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  cluster.partition({3}, {0, 1, 2});
  ASSERT_TRUE(wait_until([&] { return cluster.peer_count(3) == 0; }, 30s));
  const auto minority_at_cut = cluster.finalized_number(3);
  const auto majority_at_cut = cluster.finalized_number(0);

  // The majority keeps finalizing, transactions included.
  std::vector<std::string> sent;
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    sent.push_back(
        cluster.call(nonce % 3, "eth_sendRawTransaction", Json::array({signed_transfer(2, kAlice, 500, nonce)}))
            .get<std::string>());
  }
  ASSERT_TRUE(wait_until(
      [&] { return included(cluster, 0, sent.back()) && cluster.finalized_number(0) >= majority_at_cut + 3; }, 60s))
      << cluster.log_tail(0);
  // The isolated validator finalizes nothing on its own: it cannot reach a
  // quorum (at most a commit already in flight at the cut lands).
  EXPECT_LE(cluster.finalized_number(3), minority_at_cut + 1);
  EXPECT_EQ(cluster.block_number(3), cluster.finalized_number(3));
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  cluster.heal();
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(3) >= cluster.finalized_number(0); }, 60s))
      << cluster.log_tail(3);
  ASSERT_TRUE(wait_until([&] { return included(cluster, 3, sent.back()); }, 30s));
  // And it votes again: with it, the four go on finalizing.
  const auto healed = cluster.finalized_number(3);
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(3) >= healed + 2; }, 60s)) << cluster.log_tail(3);
  ASSERT_TRUE(wait_until([&] { return cluster.converged(); }, 30s));
  EXPECT_EQ(ledger.record_all(cluster), std::nullopt);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

TEST(PbftFaults, TwoKilledValidatorsStopFinalityWithoutForkingAndItResumesWhenBothReturn) {
  Cluster cluster("pbft-two-down", validators(4));
  start_meshed(cluster);
  if (HasFatalFailure()) return;
  FinalityLedger ledger;
  const std::vector<std::size_t> all{0, 1, 2, 3};
  const std::vector<std::size_t> survivors{0, 3};
  const auto before = send(cluster, 0, signed_transfer(3, kAlice, 700, 0));
  ASSERT_TRUE(wait_until([&] { return included_on(cluster, all, before); }, 30s)) << logs(cluster);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  // Two of four down: the two left are not a quorum (3).
  cluster.kill9(1);
  cluster.kill9(2);
  // A commit already in flight may still land; wait until both survivors
  // agree on the final height and it has not moved for a second.
  std::uint64_t settled = UINT64_MAX;
  auto since = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto low = lowest_final(cluster, survivors);
        const auto high = highest_final(cluster, survivors);
        const auto now = std::chrono::steady_clock::now();
        if (low != high || low != settled) {
          settled = low == high ? low : UINT64_MAX;
          since = now;
          return false;
        }
        return now - since >= 1s;
      },
      20s))
      << logs(cluster);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  // A transfer waits, and for 5 s nothing becomes final, it included.
  const auto stalled = send(cluster, 3, signed_transfer(3, kAlice, 700, 1));
  EXPECT_FALSE(wait_until(
      [&] {
        return highest_final(cluster, survivors) > settled || included(cluster, 0, stalled) ||
               included(cluster, 3, stalled);
      },
      5s))
      << "a block became final with two of four validators down (final height was " << settled << ")\n"
      << logs(cluster);
  for (std::size_t i : survivors) {
    EXPECT_EQ(cluster.block_number(i), cluster.finalized_number(i)) << "node" << i << " has a head that is not final";
  }
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  // Both back: finality resumes, the waiting transfer is final everywhere.
  cluster.start(1);
  cluster.start(2);
  ASSERT_TRUE(wait_until([&] { return included_on(cluster, all, stalled); }, 60s))
      << "no progress after the two validators returned (final height was " << settled << ")\n"
      << logs(cluster);
  ASSERT_GT(lowest_final(cluster, all), settled);
  ASSERT_TRUE(wait_until([&] { return cluster.converged(); }, 30s)) << logs(cluster);
  EXPECT_EQ(ledger.record_all(cluster), std::nullopt);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

TEST(PbftFaults, KilledPrimaryOfTheNextHeightIsReplacedByAViewChange) {
  Cluster cluster("pbft-view-change", validators(4));
  start_meshed(cluster);
  if (HasFatalFailure()) return;
  FinalityLedger ledger;
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);
  std::map<std::size_t, std::uint64_t> changes_before;
  for (std::size_t i = 0; i < cluster.size(); ++i) changes_before[i] = view_changes(cluster, i);

  // Right after height h becomes final (the pool is empty, so the next
  // primary waits for its idle timer, 2 s, before it proposes), kill the
  // primary of h + 1 in view 0, then give the others a transaction.
  const auto seen = cluster.finalized_number(0);
  std::uint64_t h = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        h = cluster.finalized_number(0);
        return h > seen;
      },
      30s))
      << logs(cluster);
  const std::size_t primary = cluster.primary_node(h + 1, 0);
  cluster.kill9(primary);
  std::vector<std::size_t> survivors;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (i != primary) survivors.push_back(i);
  }
  const auto tx = send(cluster, survivors[0], signed_transfer(4, kAlice, 900, 0));

  // The three finalise h + 1 (and the transaction) in a later view.
  ASSERT_TRUE(
      wait_until([&] { return lowest_final(cluster, survivors) >= h + 1 && included_on(cluster, survivors, tx); }, 45s))
      << "killed primary node" << primary << " at height " << h << "\n"
      << logs(cluster);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);
  const auto dead = cluster.validator_address(primary);
  std::uint64_t replaced = h + 1;
  if (miner_at(cluster, survivors[0], h + 1) == dead) {
    // It proposed before the kill (a very slow poll): the next height it
    // is the view-0 primary of, h + 5, is one it cannot have proposed.
    replaced = h + 1 + cluster.validator_nodes().size();
    ASSERT_TRUE(wait_until([&] { return lowest_final(cluster, survivors) >= replaced; }, 45s)) << logs(cluster);
  }
  const auto proposer = miner_at(cluster, survivors[0], replaced);
  EXPECT_NE(proposer, dead) << "height " << replaced;
  EXPECT_TRUE(proposer == cluster.validator_address(cluster.primary_node(replaced, 1)) ||
              proposer == cluster.validator_address(cluster.primary_node(replaced, 2)) ||
              proposer == cluster.validator_address(cluster.primary_node(replaced, 3)))
      << "height " << replaced << " proposed by " << proposer << ", not a primary of a later view";
  // Each survivor moved to a higher view (a NEW-VIEW needs all three).
  for (std::size_t i : survivors) {
    EXPECT_GT(view_changes(cluster, i), changes_before[i]) << "node" << i << " counted no view change";
  }

  // The killed primary returns, catches up and takes part again.
  cluster.start(primary);
  const auto at_restart = highest_final(cluster, survivors);
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(primary) >= at_restart + 2; }, 45s)) << logs(cluster);
  ASSERT_TRUE(wait_until([&] { return cluster.converged(); }, 30s)) << logs(cluster);
  EXPECT_EQ(ledger.record_all(cluster), std::nullopt);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

TEST(PbftFaults, ValidatorRestartedWithAnEmptyDatadirCatchesUpAndVotesAgain) {
  Cluster cluster("pbft-wiped", validators(4));
  start_meshed(cluster);
  if (HasFatalFailure()) return;
  FinalityLedger ledger;
  const std::vector<std::size_t> all{0, 1, 2, 3};
  std::vector<std::string> sent;
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    sent.push_back(send(cluster, nonce % 4, signed_transfer(5, kAlice, 300, nonce)));
  }
  ASSERT_TRUE(wait_until([&] { return included_on(cluster, all, sent.back()); }, 30s)) << logs(cluster);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  // Node 3 goes down and loses its datadir (chain, pool, PBFT state); its
  // validator key is kept. The three go on without it.
  cluster.stop(3);
  cluster.wipe_datadir(3);
  const std::vector<std::size_t> others{0, 1, 2};
  const auto at_stop = lowest_final(cluster, others);
  sent.push_back(send(cluster, 1, signed_transfer(5, kAlice, 300, 3)));
  ASSERT_TRUE(wait_until(
      [&] { return lowest_final(cluster, others) >= at_stop + 2 && included_on(cluster, others, sent.back()); }, 45s))
      << logs(cluster);

  // It starts from genesis and catches up from its peers.
  cluster.start(3);
  const auto target = highest_final(cluster, others);
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(3) >= target; }, 45s))
      << "node3 did not catch up to " << target << "\n"
      << logs(cluster);
  ASSERT_TRUE(wait_until([&] { return included_on(cluster, all, sent.back()); }, 30s)) << logs(cluster);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);
  EXPECT_EQ(cluster.audit(), std::nullopt);

  // It votes again: with node 0 down, {1, 2, 3} are exactly a quorum, so
  // nothing becomes final without node 3.
  cluster.stop(0);
  const std::vector<std::size_t> quorum{1, 2, 3};
  const auto at_second_stop = highest_final(cluster, quorum);
  sent.push_back(send(cluster, 3, signed_transfer(5, kAlice, 300, 4)));
  ASSERT_TRUE(wait_until(
      [&] { return lowest_final(cluster, quorum) >= at_second_stop + 2 && included_on(cluster, quorum, sent.back()); },
      45s))
      << "no finality with node3 as the third of a quorum\n"
      << logs(cluster);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  cluster.start(0);
  ASSERT_TRUE(wait_until([&] { return included_on(cluster, all, sent.back()) && cluster.converged(); }, 45s))
      << logs(cluster);
  EXPECT_EQ(ledger.record_all(cluster), std::nullopt);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

}  // namespace
}  // namespace tally::e2e
