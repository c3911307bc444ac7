#include "consensus/pow/miner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>

#include "consensus/pow/seal.hpp"
#include "pow_test_util.hpp"

namespace tally::consensus::pow {
namespace {

chain::Header template_with(const U256& difficulty, std::uint8_t salt = 0) {
  chain::Header h;
  h.number = 1;
  h.timestamp = 2;
  h.gas_limit = 30'000'000;
  h.extra_data = {salt};
  write_seal(h, {difficulty, 0});
  return h;
}

TEST(Miner, TwoThreadsFindValidSeals) {
  for (std::uint8_t salt = 0; salt < 8; ++salt) {
    const chain::Header t = template_with(1 << 14, salt);
    auto r = mine(t, test::miner_options(2));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->outcome, MineOutcome::found);
    EXPECT_TRUE(check_seal(r->header).ok());
    EXPECT_EQ(read_seal(r->header)->nonce, r->nonce);
    EXPECT_GE(r->hashes, 1U);
    // Only the nonce changed.
    chain::Header back = r->header;
    set_nonce(back, 0);
    EXPECT_EQ(back, t);
  }
}

TEST(Miner, OneThreadFindsTheFirstSealingNonce) {
  const chain::Header t = template_with(1 << 10, 3);
  auto r = mine(t, test::miner_options(1, 1'000));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->outcome, MineOutcome::found);
  SealChecker checker(seal_hash(t), target_from_difficulty(1 << 10));
  for (std::uint64_t n = 1'000; n < r->nonce; ++n) EXPECT_FALSE(checker.try_nonce(n)) << n;
  EXPECT_EQ(r->hashes, r->nonce - 1'000 + 1);
}

TEST(Miner, BoundedAttemptsAreSplitAcrossThreads) {
  const chain::Header t = template_with(u256_max());  // target 1: never found
  for (unsigned threads : {1U, 2U, 3U}) {
    std::mutex m;
    std::uint64_t reported = 0;
    MinerOptions options = test::miner_options(threads, UINT64_MAX - 5, 10'001);
    options.on_progress = [&](std::uint64_t n) {
      std::lock_guard lock(m);
      reported += n;
    };
    auto r = mine(t, options);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->outcome, MineOutcome::exhausted);
    EXPECT_EQ(r->hashes, 10'001U) << threads << " threads";
    EXPECT_EQ(reported, 10'001U);
  }
}

TEST(Miner, RefusesBadTemplates) {
  chain::Header t = template_with(16);
  t.seal.pop_back();
  auto r = mine(t, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("seal must have 2 items"), std::string::npos);
  EXPECT_FALSE(mine(template_with(16), test::miner_options(0)).ok());
}

TEST(Miner, AlreadyStoppedTokenDoesNoWork) {
  std::stop_source source;
  source.request_stop();
  auto r = mine(template_with(u256_max()), test::miner_options(2), source.get_token());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, MineOutcome::cancelled);
  EXPECT_EQ(r->hashes, 0U);
}

TEST(Miner, CancelStopsARunningMinerPromptly) {
  for (unsigned threads : {1U, 2U}) {
    std::stop_source source;
    std::promise<void> started;
    std::atomic<bool> signalled{false};
    MinerOptions options = test::miner_options(threads);  // unbounded, impossible target
    options.on_progress = [&](std::uint64_t) {
      if (!signalled.exchange(true)) started.set_value();
    };
    auto started_future = started.get_future();
    auto result =
        std::async(std::launch::async, [&] { return mine(template_with(u256_max()), options, source.get_token()); });
    // Destroyed before `result` (whose destructor joins): a failed assertion
    // below still stops the miner instead of hanging the test.
    struct StopOnExit {
      std::stop_source& s;
      ~StopOnExit() { s.request_stop(); }
    } guard{source};
    // Wait (bounded) until the workers are grinding, then cancel.
    ASSERT_EQ(started_future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    source.request_stop();
    // One batch is ~0.1 ms; a generous bound guards against a hang only.
    ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "miner ignored the cancel";
    auto r = result.get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->outcome, MineOutcome::cancelled);
    EXPECT_GE(r->hashes, kMinerBatch);
  }
}

}  // namespace
}  // namespace tally::consensus::pow
