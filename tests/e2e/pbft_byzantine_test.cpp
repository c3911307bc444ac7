// PBFT with a byzantine validator: one of four validators (f = 1) is not a
// tallyd but byzantine_validator (a test program holding a real validator
// key, joined through the p2p library). It equivocates as primary and
// votes twice, or floods the others with garbage, far-future and replayed
// messages. The honest three must keep finalising, replace it by view
// changes, stay up, and never finalise two blocks at one height.

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cluster.hpp"
#include "pbft_support.hpp"

namespace tally::e2e {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kByzantine = 0;  // validators[0]: the view-0 primary of heights 4, 8, 12, ...
const std::vector<std::size_t> kHonest{1, 2, 3};

std::vector<NodeSpec> with_byzantine(const std::string& behaviour) {
  std::vector<NodeSpec> specs(4, NodeSpec{false, false, true});
  specs[kByzantine].program = BYZANTINE_VALIDATOR_PATH;
  specs[kByzantine].program_args = {"--behaviour", behaviour};
  return specs;
}

// The byzantine program's stdout lines that start with `prefix`, split
// into "key=value" fields.
std::vector<std::map<std::string, std::string>> reports(const Cluster& cluster, const std::string& prefix) {
  std::vector<std::map<std::string, std::string>> out;
  std::istringstream lines(cluster.log(kByzantine));
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(prefix + " ")) continue;
    std::map<std::string, std::string> fields;
    std::istringstream words(line.substr(prefix.size() + 1));
    for (std::string word; words >> word;) {
      const auto eq = word.find('=');
      if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    out.push_back(std::move(fields));
  }
  return out;
}

std::uint64_t height_of(const std::map<std::string, std::string>& report) {
  return std::stoull(report.at("height"));
}

// Starts the cluster and waits until each honest validator has its two
// honest peers and the byzantine one.
void start_meshed(Cluster& cluster) {
  cluster.start_all();
  ASSERT_TRUE(wait_until([&] { return meshed(cluster); }, 30s)) << logs(cluster);
}

// Waits until the byzantine program has reported `rounds` lines of
// `prefix` and the honest three have all finalised past the last one's
// height, checking for two final blocks at a height all along.
void wait_for_rounds(Cluster& cluster, FinalityLedger& ledger, const std::string& prefix, std::size_t rounds) {
  std::optional<std::string> conflict;
  std::vector<std::map<std::string, std::string>> seen;
  const bool done = wait_until(
      [&] {
        conflict = ledger.record_all(cluster);
        if (conflict) return true;
        seen = reports(cluster, prefix);
        return seen.size() >= rounds && lowest_final(cluster, kHonest) > height_of(seen[rounds - 1]);
      },
      std::chrono::seconds(30 + 15 * rounds));
  ASSERT_EQ(conflict, std::nullopt);
  ASSERT_TRUE(done) << seen.size() << " of " << rounds << " rounds of \"" << prefix << "\" seen, final height "
                    << lowest_final(cluster, kHonest) << "\n"
                    << logs(cluster, 25);
}

// Every honest node answers, has not halted and agrees with the others.
void expect_honest_three_healthy(Cluster& cluster, FinalityLedger& ledger) {
  for (std::size_t i : kHonest) {
    EXPECT_EQ(cluster.metric(i, "tally_pbft_halted"), 0.0) << "node" << i << " halted\n" << cluster.log_tail(i);
  }
  EXPECT_TRUE(wait_until([&] { return cluster.converged(); }, 30s)) << logs(cluster);
  EXPECT_EQ(ledger.record_all(cluster), std::nullopt);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

bool any_log_has(const Cluster& cluster, const std::string& text) {
  for (std::size_t i : kHonest) {
    if (cluster.log(i).find(text) != std::string::npos) return true;
  }
  return false;
}

// As the primary it proposes two blocks at one height, each to a different
// part of the validators first (then the other to each), with a COMMIT for
// each; at every other height it votes PREPARE and COMMIT for the proposal
// and for a hash no block has. Rounds alternate: two valid blocks (the
// honest majority's first one is final, the other refused everywhere), then
// a valid one and one whose state root is wrong (refused on validation: a
// view change replaces the primary).
TEST(PbftByzantine, EquivocatingPrimaryAndDoubleVotesNeverMakeTwoFinalBlocks) {
  Cluster cluster("pbft-byzantine-equivocate", with_byzantine("equivocate"));
  start_meshed(cluster);
  if (HasFatalFailure()) return;
  FinalityLedger ledger;
  // TALLY_E2E_SOAK=N: 2N heights where it equivocates instead of 2.
  const auto rounds = static_cast<std::size_t>(2 * soak_rounds(1));
  wait_for_rounds(cluster, ledger, "equivocated", rounds);
  if (HasFatalFailure()) return;

  const auto byzantine = cluster.validator_address(kByzantine);
  for (const auto& round : reports(cluster, "equivocated")) {
    const auto height = height_of(round);
    const auto final_hash = ledger.final_at(height);
    if (final_hash.empty()) continue;  // a round still under way at the end
    const auto proposer = miner_at(cluster, kHonest[0], height);
    const bool b_valid = round.at("b_valid") == "1";
    if (b_valid) {
      // Both reached the validators; the first each saw counted, and only
      // one of the two became final, on all three.
      EXPECT_TRUE(final_hash == round.at("a") || final_hash == round.at("b"))
          << "height " << height << ": final " << final_hash << " is neither proposal (" << round.at("a") << ", "
          << round.at("b") << ")\n"
          << logs(cluster, 25);
    } else {
      EXPECT_NE(final_hash, round.at("b")) << "the invalid proposal became final at height " << height;
      if (proposer == byzantine) {
        EXPECT_EQ(final_hash, round.at("a")) << "height " << height;
      }
      // The invalid one reached the validators that heard it first, and
      // they refused it on validation.
      EXPECT_TRUE(any_log_has(cluster, "pbft: proposed block " + std::to_string(height) + " has wrong results"))
          << "no honest validator refused the invalid proposal at height " << height << "\n"
          << logs(cluster, 25);
    }
  }
  expect_honest_three_healthy(cluster, ledger);
}

// It sends undecodable bytes, truncated and mis-signed messages, votes by a
// key that is no validator's, votes for far-future heights and views, view
// changes outside the window or with an old height's prepared certificate,
// a NEW-VIEW without view changes, stray checkpoints and PRE-PREPAREs while
// not the primary; old messages are replayed by a fresh connection. As the
// primary it sends only a PRE-PREPARE whose block does not match its hash.
// The honest three log and drop what does not decode, and each of its
// heights is finalised by a later view's primary.
TEST(PbftByzantine, GarbageFarFutureAndReplayedMessagesAreRefusedAndItsHeightsGoToOthers) {
  Cluster cluster("pbft-byzantine-garbage", with_byzantine("garbage"));
  start_meshed(cluster);
  if (HasFatalFailure()) return;
  FinalityLedger ledger;
  std::map<std::size_t, std::uint64_t> changes_before;
  for (std::size_t i : kHonest) changes_before[i] = view_changes(cluster, i);
  // TALLY_E2E_SOAK=N: N heights where it is the silent primary instead of 2.
  const auto rounds = static_cast<std::size_t>(soak_rounds(2));
  wait_for_rounds(cluster, ledger, "silent primary", rounds);
  if (HasFatalFailure()) return;

  const auto byzantine = cluster.validator_address(kByzantine);
  for (const auto& round : reports(cluster, "silent primary")) {
    const auto height = height_of(round);
    if (ledger.final_at(height).empty()) continue;
    const auto proposer = miner_at(cluster, kHonest[0], height);
    EXPECT_NE(proposer, byzantine) << "height " << height;
    EXPECT_TRUE(proposer == cluster.validator_address(cluster.primary_node(height, 1)) ||
                proposer == cluster.validator_address(cluster.primary_node(height, 2)) ||
                proposer == cluster.validator_address(cluster.primary_node(height, 3)))
        << "height " << height << " proposed by " << proposer << ", not a primary of a later view";
  }
  for (std::size_t i : kHonest) {
    EXPECT_GT(view_changes(cluster, i), changes_before[i]) << "node" << i << " counted no view change";
  }
  // The garbage reached the honest validators and was dropped there; the
  // replay ran.
  EXPECT_FALSE(reports(cluster, "garbage").empty());
  EXPECT_TRUE(any_log_has(cluster, "pbft: undecodable message from peer")) << logs(cluster, 25);
  EXPECT_NE(cluster.log(kByzantine).find("replay messages="), std::string::npos) << cluster.log_tail(kByzantine);
  expect_honest_three_healthy(cluster, ledger);
}

}  // namespace
}  // namespace tally::e2e
