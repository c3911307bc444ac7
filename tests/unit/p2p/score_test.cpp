// Misbehaviour scores fade with time, so only sustained misbehaviour bans.

#include <gtest/gtest.h>

#include "p2p/host.hpp"

namespace tally::p2p {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ScoreDecay, FadesByTheRatePerMinute) {
  EXPECT_EQ(decayed_score(50, minutes(1), 10), 40);
  EXPECT_EQ(decayed_score(50, seconds(30), 10), 45);
  EXPECT_EQ(decayed_score(50, minutes(3), 10), 20);
}

TEST(ScoreDecay, NeverGoesBelowZero) {
  EXPECT_EQ(decayed_score(30, minutes(10), 10), 0);
  EXPECT_EQ(decayed_score(0, minutes(1), 10), 0);
  EXPECT_EQ(decayed_score(-5, minutes(1), 10), 0);
}

TEST(ScoreDecay, PartialPointsAndDisabledDecayKeepTheScore) {
  EXPECT_EQ(decayed_score(50, milliseconds(5'999), 10), 50);
  EXPECT_EQ(decayed_score(50, minutes(5), 0), 50);
  EXPECT_EQ(decayed_score(50, milliseconds(-1'000), 10), 50);
}

TEST(ScoreDecay, SustainedMisbehaviourStillReachesTheThreshold) {
  // An invalid transaction every second outpaces the default decay; one a
  // minute never bans.
  const HostOptions options;
  std::int32_t every_second = 0;
  std::int32_t every_minute = 0;
  for (int i = 0; i < 60 && every_second < options.ban_threshold; ++i) {
    every_second = decayed_score(every_second, seconds(1), options.score_decay_per_minute) + kScoreInvalidTx;
  }
  for (int i = 0; i < 1'000; ++i) {
    every_minute = decayed_score(every_minute, minutes(1), options.score_decay_per_minute) + kScoreInvalidTx;
  }
  EXPECT_GE(every_second, options.ban_threshold);
  EXPECT_LT(every_minute, options.ban_threshold);
}

}  // namespace
}  // namespace tally::p2p
