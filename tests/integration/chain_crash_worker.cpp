// Imports blocks into a datadir forever (bounded), printing one line per
// import ("begin N" before, "end N" after), so chain_crash_test can kill it with SIGKILL at random points of
// block import. Every fifth block it also builds a two-block side branch
// from the head's parent, so some kills land inside a reorg's batch.
//
//   chain_crash_worker DATADIR

#include <cstdio>
#include <cstdlib>

#include "../unit/chain/chain_test_util.hpp"

using namespace tally;

namespace {

constexpr int kMaxImports = 5000;
constexpr std::uint64_t kNow = 4'000'000'000;

std::vector<chain::Transaction> transfers_for(const chain::ChainManager& chain, const chain::Header& parent,
                                              std::uint64_t count) {
  std::vector<chain::Transaction> txs;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t from = static_cast<std::uint32_t>((parent.number + i) % 10);
    const auto account = chain.account_at(test::dev_address(from), chain::header_hash(parent));
    txs.push_back(test::transfer(from, test::dev_address((from + 1) % 10), U256(parent.number + 1), account->nonce));
  }
  return txs;
}

// "begin" right before an import lets the test aim its kill inside it.
bool import(chain::ChainManager& chain, const chain::Block& block) {
  std::printf("begin %llu\n", static_cast<unsigned long long>(block.header.number));
  std::fflush(stdout);
  const auto r = chain.import_block(block, kNow);
  if (!r.ok()) {
    std::fprintf(stderr, "import failed: %s\n", r.error.c_str());
    return false;
  }
  std::printf("end %llu\n", static_cast<unsigned long long>(block.header.number));
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: chain_crash_worker DATADIR\n");
    return 2;
  }
  auto db = chain::Database::open(argv[1]);
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message.c_str());
    return 1;
  }
  const chain::Genesis genesis = test::dev_genesis();
  test::TestEngine engine;
  auto chain = chain::ChainManager::open(**db, genesis, engine);
  if (!chain) {
    std::fprintf(stderr, "%s\n", chain.error().message.c_str());
    return 1;
  }
  for (int i = 0; i < kMaxImports; ++i) {
    const chain::Header head = (*chain)->head_header();
    if (head.number % 5 == 4 && head.number > 0) {
      // A heavier side branch from the head's parent: a reorg of depth one.
      const auto parent = (*chain)->store().header(head.parent_hash);
      const chain::Block side1 = test::build_block(**chain, *parent, transfers_for(**chain, *parent, 2), 0xee);
      if (!import(**chain, side1)) return 1;
      const chain::Block side2 =
          test::build_block(**chain, side1.header, transfers_for(**chain, side1.header, 1), 0xee);
      if (!import(**chain, side2)) return 1;
      continue;
    }
    const chain::Block block = test::build_block(**chain, head, transfers_for(**chain, head, 1 + head.number % 4));
    if (!import(**chain, block)) return 1;
  }
  return 0;
}
