// PBFT fault scenarios with real processes: four validators, one killed
// with SIGKILL under load and restarted; a 1 | 3 partition that heals.
// Safety is checked throughout: no height ever has two different final
// blocks, on any node, before or after the faults.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "cluster.hpp"

namespace tally::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kAlice = "0x00000000000000000000000000000000000a11ce";

std::vector<NodeSpec> validators(std::size_t n) {
  return std::vector<NodeSpec>(n, NodeSpec{false, false, true});
}

// Every final block any node has reported, by height: a second hash at one
// height is a safety violation.
class FinalityLedger {
 public:
  // Reads the final blocks above what was already recorded for node i.
  std::optional<std::string> record(Cluster& cluster, std::size_t i) {
    const auto final_number = cluster.finalized_number(i);
    auto& seen = checked_[i];
    for (std::uint64_t n = seen + 1; n <= final_number; ++n) {
      const auto hash = cluster.hash_at(i, n);
      if (hash.empty()) return "node" + std::to_string(i) + " has no block at final height " + std::to_string(n);
      auto [it, fresh] = finals_.emplace(n, hash);
      if (!fresh && it->second != hash) {
        return "two final blocks at height " + std::to_string(n) + ": " + it->second + " and " + hash + " (node" +
               std::to_string(i) + ")";
      }
      seen = n;
    }
    return std::nullopt;
  }
  std::optional<std::string> record_all(Cluster& cluster) {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (!cluster.running(i)) continue;
      if (auto conflict = record(cluster, i)) return conflict;
    }
    return std::nullopt;
  }

 private:
  std::map<std::uint64_t, std::string> finals_;
  std::map<std::size_t, std::uint64_t> checked_;
};

bool meshed(Cluster& cluster) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.running(i) && cluster.peer_count(i) < cluster.size() - 1) return false;
  }
  return true;
}

bool included(Cluster& cluster, std::size_t node, const std::string& tx) {
  const Json receipt = cluster.call(node, "eth_getTransactionReceipt", Json::array({tx}));
  return !receipt.is_null();
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

  // Nothing acknowledged may exist only on the node about to die (a lost
  // nonce would stall the sender): pause the load until node 0 has it all.
  hold = true;
  ASSERT_TRUE(wait_until([&] { return holding.load(); }, 10s));
  std::string last_acked;
  {
    std::lock_guard lock(acked_mutex);
    if (!acked.empty()) last_acked = acked.back();
  }
  if (!last_acked.empty()) {
    ASSERT_TRUE(wait_until(
        [&] { return !cluster.call(0, "eth_getTransactionByHash", Json::array({last_acked})).is_null(); }, 30s));
  }
  down = 2;
  cluster.kill9(2);
  hold = false;
  const auto at_kill = cluster.finalized_number(0);
  // Three of four are a quorum: the chain goes on.
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(0) >= at_kill + 4; }, 60s)) << cluster.log_tail(0);
  ASSERT_EQ(ledger.record_all(cluster), std::nullopt);

  cluster.start(2);
  const auto at_restart = cluster.finalized_number(0);
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(2) >= at_restart; }, 60s)) << cluster.log_tail(2);
  down = SIZE_MAX;  // caught up: it takes transactions again
  // It takes part again: the chain keeps finalizing with all four.
  ASSERT_TRUE(wait_until([&] { return cluster.finalized_number(2) >= at_restart + 3; }, 60s)) << cluster.log_tail(2);
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

}  // namespace
}  // namespace tally::e2e
