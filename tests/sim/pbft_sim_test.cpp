// Seeded PBFT simulations (pbft_sim.hpp). Each test runs many schedules;
// a failure names its seed. Replay one seed of every test:
//   PBFT_SIM_SEED=1234 ./pbft_sim_test
// Soak with more seeds per test (not part of the suite):
//   PBFT_SIM_SOAK=20000 ./pbft_sim_test

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "pbft_sim.hpp"

namespace tally::sim {
namespace {

std::optional<std::uint64_t> env_number(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread starts
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::stoull(text);
}

// Runs `count` seeds starting at `first` (or the replay/soak override) and
// stops at the first failure.
void run_seeds(SimConfig config, std::uint64_t first, std::uint64_t count) {
  if (auto seed = env_number("PBFT_SIM_SEED")) {
    first = *seed;
    count = 1;
  } else if (auto soak = env_number("PBFT_SIM_SOAK")) {
    count = *soak;
  }
  std::uint64_t commits = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    config.seed = first + i;
    const SimResult r = run_simulation(config);
    ASSERT_TRUE(r.ok) << r.failure;
    EXPECT_GT(r.final_height, 0U) << "seed " << config.seed;
    commits += r.commits;
  }
  EXPECT_GT(commits, count);  // blocks were made, not just survived
}

TEST(PbftSim, FourReplicasWithLossPartitionsAndCrashes) {
  SimConfig c;
  c.validators = 4;
  run_seeds(c, 1'000, 400);
}

TEST(PbftSim, FourReplicasOneByzantine) {
  SimConfig c;
  c.validators = 4;
  c.byzantine = 1;
  run_seeds(c, 2'000, 400);
}

TEST(PbftSim, SevenReplicasTwoByzantine) {
  SimConfig c;
  c.validators = 7;
  c.byzantine = 2;
  run_seeds(c, 3'000, 60);
}

TEST(PbftSim, SevenReplicasWithLossPartitionsAndCrashes) {
  SimConfig c;
  c.validators = 7;
  run_seeds(c, 4'000, 80);
}

TEST(PbftSim, EveryHonestMessageThroughTheWire) {
  SimConfig c;
  c.validators = 4;
  c.byzantine = 1;
  c.wire_fraction = 1.0;
  run_seeds(c, 5'000, 60);
}

TEST(PbftSim, SameSeedSameOutcome) {
  SimConfig c;
  c.validators = 4;
  c.byzantine = 1;
  c.seed = 77;
  const SimResult a = run_simulation(c);
  const SimResult b = run_simulation(c);
  ASSERT_TRUE(a.ok) << a.failure;
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.commits, b.commits);
  EXPECT_EQ(a.final_height, b.final_height);
}

}  // namespace
}  // namespace tally::sim
