// Proof-of-work fault scenarios with real processes: a partition that heals,
// kill -9 under load, a paused node. Each ends with an audit of every node.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <set>
#include <thread>

#include "cluster.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::e2e {
namespace {

using namespace std::chrono_literals;

std::string receipt_block(Cluster& cluster, std::size_t node, const std::string& hash) {
  const Json receipt = cluster.call(node, "eth_getTransactionReceipt", Json::array({hash}));
  return receipt.is_null() ? std::string() : receipt["blockHash"].get<std::string>();
}

std::string send(Cluster& cluster, std::size_t node, const std::string& raw) {
  return cluster.call(node, "eth_sendRawTransaction", Json::array({raw})).get<std::string>();
}

std::string chain_hash_of(const std::string& raw_hex) {
  return to_hex_prefixed(crypto::keccak256(from_hex(raw_hex, HexPrefix::required).value()));
}

const std::string kAlice = "0x00000000000000000000000000000000000a11ce";
const std::string kBob = "0x0000000000000000000000000000000000000b0b";

TEST(PowFaults, PartitionedHalvesConvergeOnTheHeaviestChainAndLoseNoTransaction) {
  Cluster cluster("partition", {{true, true}, {}, {true, true}, {}});
  cluster.start_all();
  ASSERT_TRUE(wait_until([&] { return cluster.converged() && cluster.block_number(1) >= 2; }, 60s))
      << cluster.log_tail(1);

  cluster.partition({0, 1}, {2, 3});
  const std::uint64_t split = cluster.block_number(0);
  // One transaction per side, and one double spend: the same nonce of dev
  // account 3 pays Alice on one side and Bob on the other.
  const std::string left = send(cluster, 1, signed_transfer(1, kAlice, 1000, 0));
  const std::string right = send(cluster, 3, signed_transfer(2, kBob, 2000, 0));
  const std::string spend_left = send(cluster, 1, signed_transfer(3, kAlice, 5, 0));
  const std::string spend_right = send(cluster, 3, signed_transfer(3, kBob, 5, 0));
  ASSERT_TRUE(wait_until(
      [&] {
        return !receipt_block(cluster, 1, left).empty() && !receipt_block(cluster, 3, right).empty() &&
               !receipt_block(cluster, 1, spend_left).empty() && !receipt_block(cluster, 3, spend_right).empty() &&
               cluster.block_number(1) >= split + 3 && cluster.block_number(3) >= split + 3;
      },
      90s));
  EXPECT_NE(cluster.head_hash(1), cluster.head_hash(3)) << "the halves did not fork";

  cluster.heal();
  ASSERT_TRUE(wait_until([&] { return cluster.converged(); }, 120s)) << cluster.log_tail(1) << cluster.log_tail(3);
  // Both ordinary transfers end up on the one chain, everywhere; exactly one
  // of the double spends does.
  ASSERT_TRUE(wait_until(
      [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
          if (receipt_block(cluster, i, left).empty() || receipt_block(cluster, i, right).empty()) return false;
        }
        return cluster.converged();
      },
      120s));
  const bool alice_paid = !receipt_block(cluster, 0, spend_left).empty();
  const bool bob_paid = !receipt_block(cluster, 0, spend_right).empty();
  EXPECT_NE(alice_paid, bob_paid) << "exactly one double spend must survive";
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

TEST(PowFaults, KilledNodesRecoverAndNoAcknowledgedTransactionIsLost) {
  Cluster cluster("kill9", {{true, false}, {}, {}});
  cluster.start_all();
  ASSERT_TRUE(wait_until([&] { return cluster.peer_count(0) >= 2 && cluster.peer_count(2) >= 2; }, 60s));

  // Load: dev accounts 4 to 9 send to nodes 1 and 2 in turn (six senders
  // keep each under the pool's 64 nonces per sender while nothing is
  // mined, e.g. while the miner is down). A send that
  // fails (its node is down) is retried with the same transaction later; an
  // "already known" answer means it was taken before.
  std::set<std::string> acknowledged;
  constexpr std::size_t kLanes = 6;
  std::array<std::uint64_t, kLanes> nonce{};
  const auto send_some = [&](std::size_t count) {
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t lane = k % kLanes;
      const std::size_t node = 1 + lane % 2;
      const std::string raw = signed_transfer(static_cast<std::uint32_t>(4 + lane), kAlice, 1, nonce[lane]);
      try {
        acknowledged.insert(send(cluster, node, raw));
        ++nonce[lane];
      } catch (const rpc::RpcError& e) {
        // Taken before the node went down: pooled ("already known") or
        // already mined ("nonce too low"; only this test uses the key).
        const std::string why = e.what();
        if (why.find("already known") == std::string::npos && why.find("nonce too low") == std::string::npos) throw;
        acknowledged.insert(chain_hash_of(raw));
        ++nonce[lane];
      } catch (const rpc::TransportError&) {
        // Node down: this nonce is sent again next time.
      }
    }
  };
  // TALLY_E2E_SOAK=N: N rounds instead of 3 (a longer soak, not run by default).
  const int rounds = soak_rounds(3);
  for (int round = 0; round < rounds; ++round) {
    const std::size_t victim = static_cast<std::size_t>(round % 3);  // the miner too
    send_some(30);
    const auto before = cluster.block_number(victim);
    cluster.kill9(victim);
    send_some(20);
    cluster.start(victim);
    EXPECT_GE(cluster.block_number(victim), before) << "node" << victim << " lost its head";
  }
  send_some(10);
  ASSERT_GE(acknowledged.size(), 60U);
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& hash : acknowledged) {
          if (receipt_block(cluster, 0, hash).empty()) return false;
        }
        return cluster.converged();
      },
      180s))
      << cluster.log_tail(0);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

TEST(PowFaults, PausedNodeCatchesUp) {
  Cluster cluster("pause", {{true, true}, {}, {}});
  cluster.start_all();
  ASSERT_TRUE(wait_until([&] { return cluster.converged() && cluster.block_number(1) >= 2; }, 60s));
  const auto paused_at = cluster.block_number(1);
  cluster.pause(1);
  ASSERT_TRUE(wait_until([&] { return cluster.block_number(0) >= paused_at + 5; }, 60s));
  cluster.resume(1);
  ASSERT_TRUE(wait_until([&] { return cluster.block_number(1) >= paused_at + 5 && cluster.converged(); }, 90s))
      << cluster.log_tail(1);
  EXPECT_EQ(cluster.audit(), std::nullopt);
}

}  // namespace
}  // namespace tally::e2e
