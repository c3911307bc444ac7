// Crash suite: a worker process imports blocks (with reorgs) into a datadir
// and is killed with SIGKILL at a random point, over and over. After each
// kill the datadir must open at a consistent head: every canonical index
// agrees with the block links, every transaction index points at its block,
// every state node of the head is present, and replaying the canonical
// chain from genesis in memory reproduces each block's state root.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "../unit/chain/chain_test_util.hpp"
#include "chain/trie.hpp"

namespace tally::chain {
namespace {

constexpr int kRounds = 24;
// Longer than one import takes here (a few ms), so kills spread over all of it.
constexpr unsigned kKillWindowUs = 6000;
constexpr int kPollTimeoutMs = 30'000;

struct Worker {
  pid_t pid = -1;
  int out = -1;  // read end of the worker's stdout
};

Worker start_worker(const std::filesystem::path& datadir) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    const std::string dir = datadir.string();
    ::execl(TALLY_CRASH_WORKER, TALLY_CRASH_WORKER, dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return Worker{pid, fds[0]};
}

// Waits until the worker has begun its `imports`-th import (bounded in time).
bool wait_for_imports(const Worker& w, int imports) {
  int lines = 0;
  char buf[256];
  while (lines < imports) {
    pollfd p{w.out, POLLIN, 0};
    if (::poll(&p, 1, kPollTimeoutMs) <= 0) return false;
    const ssize_t n = ::read(w.out, buf, sizeof buf);
    if (n <= 0) return false;
    for (ssize_t i = 0; i < n; ++i) lines += buf[i] == 'b' ? 1 : 0;  // "begin N"
  }
  return true;
}

void kill_worker(Worker& w) {
  ::kill(w.pid, SIGKILL);
  int status = 0;
  ::waitpid(w.pid, &status, 0);
  ::close(w.out);
}

void check_consistent(const std::filesystem::path& datadir, const Genesis& genesis, int round) {
  SCOPED_TRACE("after kill " + std::to_string(round));
  auto db = Database::open(datadir);
  ASSERT_TRUE(db.ok()) << db.error().message;
  test::TestEngine engine;
  auto opened = ChainManager::open(**db, genesis, engine);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  const ChainManager& chain = **opened;
  const ChainStore& store = chain.store();
  const ChainTip head = chain.head();
  EXPECT_EQ(store.canonical_hash(head.number), head.hash);
  EXPECT_FALSE(store.canonical_hash(head.number + 1).has_value());

  // Every state node of the head is present (visiting loads them all).
  Trie head_state(store, chain.head_header().state_root);
  std::size_t accounts = 0;
  head_state.visit([&](BytesView, BytesView) { ++accounts; });
  EXPECT_GE(accounts, 10U);

  // Replay from genesis in memory: same roots, block after block.
  MemoryNodeStore memory;
  memory.put(genesis.state);
  Header parent = genesis.block.header;
  for (std::uint64_t n = 1; n <= head.number; ++n) {
    const auto hash = store.canonical_hash(n);
    ASSERT_TRUE(hash.has_value()) << "no canonical block at " << n;
    const auto block = store.block(*hash);
    ASSERT_TRUE(block.has_value());
    ASSERT_EQ(block->header.number, n);
    ASSERT_EQ(block->header.parent_hash, header_hash(parent)) << "canonical chain broken at " << n;
    std::vector<Address> senders;
    for (std::size_t i = 0; i < block->transactions.size(); ++i) {
      senders.push_back(*recover_sender(block->transactions[i]));
      const auto location = store.tx_location(tx_hash(block->transactions[i]));
      ASSERT_TRUE(location.has_value()) << "transaction index missing in block " << n;
      EXPECT_EQ(location->block_hash, *hash);
      EXPECT_EQ(location->index, i);
    }
    StateDB state(memory, parent.state_root);
    auto result = execute_block(chain.config(), parent, *block, senders, state, engine.block_reward(n));
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result->state_root, block->header.state_root) << "state root differs at " << n;
    NodeBatch nodes;
    state.commit(nodes);
    memory.put(nodes);
    parent = block->header;
  }
  EXPECT_EQ(header_hash(parent), head.hash);
}

TEST(ChainCrash, KilledAtRandomPointsOfImportAlwaysReopensConsistent) {
  test::TempDir dir("crash");
  const Genesis genesis = test::dev_genesis();
  std::mt19937 rng(20261122);
  std::uint64_t last_height = 0;
  for (int round = 1; round <= kRounds; ++round) {
    Worker w = start_worker(dir.path());
    const int imports = 1 + static_cast<int>(rng() % 12);
    const bool progressed = wait_for_imports(w, imports);
    // A random delay lands the kill somewhere inside that import (or just
    // after it): reading state, executing, or writing the batch.
    ::usleep(static_cast<useconds_t>(rng() % kKillWindowUs));
    kill_worker(w);
    ASSERT_TRUE(progressed) << "worker made no progress in round " << round;
    check_consistent(dir.path(), genesis, round);
    if (::testing::Test::HasFatalFailure()) return;
    auto db = Database::open(dir.path());
    ASSERT_TRUE(db.ok());
    const auto head = ChainStore(**db).head_hash();
    const auto header = ChainStore(**db).header(*head);
    EXPECT_GE(header->number, last_height) << "a restart lost acknowledged blocks";
    last_height = header->number;
  }
  EXPECT_GT(last_height, 10U);
}

}  // namespace
}  // namespace tally::chain
