// Sync: a chain of transfer blocks is generated in process (real PoW seals at
// difficulty 1, timestamps on the ASERT schedule so the difficulty stays 1)
// into a datadir that a tallyd then serves; a fresh tallyd syncs it over p2p.
// The same blocks are also imported bare, through ChainManager::import_block
// with the node's own options (synced writes), in the same run.
//
// Blocks are filled to the EIP-1559 gas target (half the gas limit), not to
// the limit: a run of full blocks raises the base fee 12.5% per block, which
// would price every transfer out long before 10,000 blocks.

#include <time.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench/net/net_bench.hpp"
#include "bench/net/process.hpp"
#include "chain/chain_manager.hpp"
#include "chain/database.hpp"
#include "chain/execution.hpp"
#include "chain/genesis.hpp"
#include "chain/state.hpp"
#include "chain/transaction.hpp"
#include "consensus/pow/engine.hpp"
#include "consensus/pow/miner.hpp"
#include "consensus/pow/seal.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::bench::net {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kTransferGas = 21'000;
constexpr Address kBeneficiary{0xbe};

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

double process_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// A PoW chain at difficulty 1 (any nonce seals), 1 s blocks, whose genesis
// lies far enough back that every block's timestamp is on schedule and in
// the past; the senders funded.
std::string genesis_text(const SyncOptions& options, const std::vector<Address>& senders) {
  Json genesis = {
      {"chainId", chain::kDevChainId},
      {"consensus",
       {{"type", "pow"},
        {"targetBlockTimeSeconds", 1},
        {"initialDifficulty", "1"},
        {"minimumDifficulty", "1"},
        {"blockReward", "2000000000000000000"}}},
      {"gasLimit", 2 * options.txs_per_block * kTransferGas},
      {"baseFeePerGas", "1000000000"},
      {"timestamp", unix_now() - options.blocks - 600},
      {"alloc", Json::object()},
  };
  for (const auto& sender : senders) {
    genesis["alloc"][crypto::to_checksum_address(sender)] = {{"balance", "1000000000000000000000000"}};
  }
  return genesis.dump(2);
}

// Transfer k of the chain: sender k mod S with nonce k / S, 1 wei to a
// fresh address (so the state grows as a real chain's does).
chain::Transaction transfer(std::uint64_t k, const std::vector<crypto::PrivateKey>& keys) {
  chain::Transaction tx;
  tx.type = chain::TxType::dynamic_fee;
  tx.chain_id = chain::kDevChainId;
  tx.nonce = k / keys.size();
  tx.max_priority_fee_per_gas = 1'000'000'000;
  tx.max_fee_per_gas = U256(100'000'000'000ULL);
  tx.gas_limit = kTransferGas;
  Address to{0x5e};
  for (std::size_t i = 0; i < 8; ++i) to[12 + i] = static_cast<std::uint8_t>(k >> (8 * (7 - i)));
  tx.to = to;
  tx.value = 1;
  chain::sign(tx, keys[k % keys.size()]);
  return tx;
}

// The child of `parent` holding `txs`: executed on the parent's state for
// its roots, then sealed by the miner (one nonce at difficulty 1).
chain::Block make_block(const chain::ChainManager& chain, const consensus::pow::PowEngine& engine,
                        const chain::Header& parent, std::vector<chain::Transaction> txs,
                        const std::vector<Address>& senders) {
  chain::Block block;
  chain::Header& h = block.header;
  h.parent_hash = chain::header_hash(parent);
  h.number = parent.number + 1;
  h.timestamp = parent.timestamp + 1;
  h.beneficiary = kBeneficiary;
  h.gas_limit = chain.config().gas_limit;
  h.base_fee = chain::next_base_fee(parent);
  block.transactions = std::move(txs);
  chain::StateDB state(chain.store(), parent.state_root);
  const auto result =
      chain::execute_block(chain.config(), parent, block, senders, state, engine.block_reward(h.number));
  if (!result) throw std::runtime_error("generator: " + result.error().message);
  h.gas_used = result->gas_used;
  h.state_root = result->state_root;
  h.transactions_root = result->transactions_root;
  h.receipts_root = result->receipts_root;
  consensus::pow::write_seal(h, {engine.next_difficulty(parent), 0});
  const auto mined = consensus::pow::mine(h, {});
  if (!mined || mined->outcome != consensus::pow::MineOutcome::found) throw std::runtime_error("generator: no seal");
  h = mined->header;
  return block;
}

}  // namespace

// Builds the chain into `datadir`/chaindata (unsynced writes: generation is
// not timed) and keeps its blocks for the bare import.
GeneratedChain generate(const SyncOptions& options, const fs::path& datadir, const fs::path& genesis_file) {
  const auto start = Clock::now();
  std::vector<crypto::PrivateKey> keys;
  std::vector<Address> senders;
  for (std::size_t i = 0; i < options.senders; ++i) {
    keys.push_back(crypto::generate_private_key());
    senders.push_back(crypto::address_of(crypto::public_key_of(keys.back())));
  }
  const std::string text = genesis_text(options, senders);
  std::ofstream(genesis_file) << text;
  GeneratedChain out;
  auto genesis = chain::parse_genesis(text);
  if (!genesis) throw std::runtime_error("generator genesis: " + genesis.error().message);
  out.genesis = std::move(*genesis);
  out.engine = std::make_unique<consensus::pow::PowEngine>(std::get<chain::PowParams>(out.genesis.config.consensus),
                                                           out.genesis.block.header);
  auto db = chain::Database::open(datadir / "chaindata");
  if (!db) throw std::runtime_error("generator datadir: " + db.error().message);
  chain::ChainOptions unsynced;
  unsynced.sync_writes = false;
  auto manager = chain::ChainManager::open(**db, out.genesis, *out.engine, unsynced);
  if (!manager) throw std::runtime_error("generator chain: " + manager.error().message);
  auto& chain = **manager;
  for (std::uint64_t b = 0; b < options.blocks; ++b) {
    std::vector<chain::Transaction> txs;
    std::vector<Address> block_senders;
    for (std::uint64_t i = 0; i < options.txs_per_block; ++i) {
      const std::uint64_t k = b * options.txs_per_block + i;
      txs.push_back(transfer(k, keys));
      block_senders.push_back(senders[k % senders.size()]);
    }
    auto block = make_block(chain, *out.engine, chain.head_header(), std::move(txs), block_senders);
    const auto imported = chain.import_block(block, unix_now(), block_senders);
    if (imported.status != chain::ImportStatus::new_head) throw std::runtime_error("generator: " + imported.error);
    out.transactions += block.transactions.size();
    out.bytes += chain::encode_block(block).size();
    out.blocks.push_back(std::move(block));
  }
  out.seconds = seconds_between(start, Clock::now());
  return out;
}

namespace {

// The node's import core alone: a fresh datadir, ChainManager with the
// options tallyd uses, every block through import_block (senders recovered
// there, as on the node's p2p path).
Json bare_import(const GeneratedChain& chain, const fs::path& datadir) {
  auto db = chain::Database::open(datadir / "chaindata");
  if (!db) throw std::runtime_error("bare import datadir: " + db.error().message);
  auto manager = chain::ChainManager::open(**db, chain.genesis, *chain.engine);
  if (!manager) throw std::runtime_error("bare import chain: " + manager.error().message);
  const double cpu_before = process_cpu_seconds();
  const auto start = Clock::now();
  for (const auto& block : chain.blocks) {
    const auto imported = (*manager)->import_block(block, unix_now());
    if (imported.status != chain::ImportStatus::new_head) throw std::runtime_error("bare import: " + imported.error);
  }
  const double seconds = seconds_between(start, Clock::now());
  const double cpu = process_cpu_seconds() - cpu_before;
  manager->reset();
  db->reset();
  fs::remove_all(datadir);
  const auto blocks = static_cast<double>(chain.blocks.size());
  return {{"seconds", seconds},
          {"cpu_seconds", cpu},
          {"blocks_per_s", blocks / seconds},
          {"tx_per_s", static_cast<double>(chain.transactions) / seconds}};
}

// A tallyd serving the generated datadir and a fresh one dialing it: time
// from the fresh process's start to its head at the chain's last block.
Json p2p_sync(const SyncOptions& options, const GeneratedChain& chain, const fs::path& genesis,
              const fs::path& source_dir, const fs::path& fresh_dir) {
  Tallyd source({options.tallyd, source_dir, genesis, {"--p2p-no-discovery", "--log-level", "info"}});
  source.spawn();
  source.wait_ready();
  if (source.block_number() != options.blocks) throw std::runtime_error("the serving node lacks the chain");
  Tallyd fresh(
      {options.tallyd,
       fresh_dir,
       genesis,
       {"--peer", source.p2p_address(), "--p2p-no-discovery", "--p2p-backoff-max-ms", "1000", "--log-level", "info"}});
  const auto start = Clock::now();
  fresh.spawn();
  fresh.wait_ready();
  std::optional<Clock::time_point> first_block;
  const auto limit = std::chrono::seconds(60) + std::chrono::milliseconds(50) * options.blocks;
  const bool synced = wait_until(
      [&] {
        const auto number = fresh.block_number();
        if (number > 0 && !first_block) first_block = Clock::now();
        return number >= options.blocks;
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(limit), std::chrono::milliseconds(20));
  const auto done = Clock::now();
  if (!synced) throw std::runtime_error("sync did not finish in time; log:\n" + fresh.log_tail());
  const auto head = fresh.call("eth_getBlockByNumber", Json::array({"latest", false}))["hash"].get<std::string>();
  const Json fresh_stats = to_json(fresh.stats());
  const Json source_stats = to_json(source.stats());
  fresh.stop();
  source.stop();
  fs::remove_all(fresh_dir);
  const double seconds = seconds_between(start, done);
  const double after_first = first_block ? seconds_between(*first_block, done) : seconds;
  const auto blocks = static_cast<double>(chain.blocks.size());
  return {{"seconds", seconds},
          {"seconds_to_first_block", first_block ? seconds_between(start, *first_block) : seconds},
          {"seconds_after_first_block", after_first},
          {"blocks_per_s", blocks / seconds},
          {"tx_per_s", static_cast<double>(chain.transactions) / seconds},
          {"blocks_per_s_after_first_block", blocks / after_first},
          {"head_matches", head == to_hex_prefixed(chain::block_hash(chain.blocks.back()))},
          {"syncing_node", fresh_stats},
          {"serving_node", source_stats}};
}

}  // namespace

Json run_sync(const SyncOptions& options) {
  if (options.txs_per_block > options.senders) throw std::invalid_argument("need a sender per transfer of a block");
  fs::create_directories(options.workdir);
  const auto genesis = options.workdir / "genesis.json";
  const auto source_dir = options.workdir / "source";
  std::cerr << "sync: generating " << options.blocks << " blocks x " << options.txs_per_block << " transfers\n";
  const GeneratedChain chain = generate(options, source_dir, genesis);
  Json runs = Json::array();
  for (std::size_t run = 1; run <= options.runs; ++run) {
    std::cerr << "sync run " << run << "/" << options.runs << ": bare import\n";
    Json bare = bare_import(chain, options.workdir / ("bare-" + std::to_string(run)));
    std::cerr << "sync run " << run << "/" << options.runs << ": p2p sync\n";
    Json synced = p2p_sync(options, chain, genesis, source_dir, options.workdir / ("fresh-" + std::to_string(run)));
    const double ratio = synced["seconds"].get<double>() / bare["seconds"].get<double>();
    runs.push_back({{"run", run}, {"bare_import", bare}, {"p2p_sync", synced}, {"sync_over_bare_time", ratio}});
  }
  const auto blocks = static_cast<double>(chain.blocks.size());
  return {{"kind", "sync"},
          {"blocks", options.blocks},
          {"txs_per_block", options.txs_per_block},
          {"transactions", chain.transactions},
          {"gas_limit", chain.genesis.config.gas_limit},
          {"senders", options.senders},
          {"mean_block_bytes", static_cast<double>(chain.bytes) / blocks},
          {"generation_seconds", chain.seconds},
          {"runs", runs}};
}

}  // namespace tally::bench::net
