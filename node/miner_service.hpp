#pragma once
// Proof-of-work block production inside the node (rpc::MinerApi):
//   - the mining loop (tallyd --mine, miner_start): builds a template from
//     the pool's best transactions, grinds it on N threads, abandons it at
//     once on a new head, rebuilds it when better transactions have waited
//     `recommit_ms`, and imports what it finds (the importer announces it);
//   - work for outside miners (eth_getWork / eth_submitWork);
//   - instant mining of N blocks on development chains (tally_mine).
// All three build templates the same way and import through the importer.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <unordered_map>

#include "chain/block_builder.hpp"
#include "chain/chain_manager.hpp"
#include "chain/mempool.hpp"
#include "consensus/pow/engine.hpp"
#include "node/config.hpp"
#include "node/importer.hpp"
#include "rpc/node_api.hpp"

namespace tally::node {

class MinerService final : public rpc::MinerApi {
 public:
  // Work handed out by eth_getWork that submit_work still accepts.
  static constexpr std::size_t kMaxOutstandingWork = 64;
  // Instant mining refuses more blocks than this per call.
  static constexpr std::uint64_t kMaxInstantBlocks = 1'000;

  // `engine` is null on chains that are not PoW: every call then explains
  // that validators produce the blocks. `dev`: the genesis is a development
  // network (instant mining allowed; by default empty blocks only to close
  // a block that carried transactions, see closing_block_due()).
  MinerService(chain::ChainManager& chain, const consensus::pow::PowEngine* engine, chain::Mempool& pool,
               Importer& importer, MiningConfig config, bool dev);
  ~MinerService() override;
  MinerService(const MinerService&) = delete;
  MinerService& operator=(const MinerService&) = delete;

  // Starts the loop thread; mines at once when config.enabled.
  Result<void> launch();
  // Stops mining for good and joins every thread.
  void shutdown();

  // Events (any thread).
  void on_head_change();
  void on_new_transaction();

  // rpc::MinerApi
  Result<Work> get_work(const std::optional<Address>& beneficiary) override;
  bool submit_work(std::uint64_t nonce, const Hash256& seal_hash) override;
  Result<void> start(std::optional<unsigned> threads) override;
  void stop() override;
  bool mining() const override { return mining_.load(); }
  std::uint64_t hashrate() const override;
  Result<void> set_etherbase(const Address& address) override;
  std::optional<Address> etherbase() const override;
  Result<std::vector<Hash256>> mine_now(std::uint64_t count, const std::optional<Address>& beneficiary) override;

  // Counters, for status displays and tests.
  std::uint64_t blocks_mined() const { return blocks_mined_.load(); }
  std::uint64_t templates_built() const { return templates_built_.load(); }  // by the mining loop
  std::uint64_t idle_rounds() const { return idle_rounds_.load(); }          // loop waited: stopped or nothing to mine
  std::uint64_t hashes_done() const { return hashes_total_.load(); }

 private:
  struct Template {
    chain::BuiltBlock built;
    Hash256 seal_hash{};
    std::chrono::steady_clock::time_point made;
  };

  Result<void> require_pow() const;
  bool mines_empty_blocks() const;
  bool closing_block_due() const;
  Result<Template> make_template(const Address& beneficiary) const;
  void loop(std::stop_token stop);
  // One round of the loop: build, grind, import. False: nothing to do now.
  bool mine_round(std::stop_token stop);
  // Grinds `work` until found (true), cancelled or `stop` (false).
  bool grind(Template& work, std::stop_token stop, bool allow_recommit);
  Result<Hash256> import_found(const Template& work, const char* source);
  void count_hashes(std::uint64_t hashes);
  void wait_for_event(std::stop_token stop, std::uint64_t seen, std::chrono::milliseconds at_most);
  void cancel_round();

  chain::ChainManager& chain_;
  const consensus::pow::PowEngine* engine_;
  chain::Mempool& pool_;
  Importer& importer_;
  MiningConfig config_;
  bool dev_;

  mutable std::mutex mutex_;  // guards etherbase_, threads_, work_, work_order_, the stop sources
  std::optional<Address> etherbase_;
  unsigned threads_;
  std::unordered_map<Hash256, Template, FixedBytesHasher, FixedBytesEqual> work_;
  std::deque<Hash256> work_order_;
  std::optional<std::stop_source> round_stop_;  // cancels the loop's current grind
  std::stop_source shutdown_;                   // cancels everything, for good

  std::atomic<bool> mining_{false};
  std::atomic<bool> paused_{false};  // instant mining holds the loop
  std::atomic<bool> better_txs_{false};
  std::atomic<bool> template_empty_{false};  // the loop grinds a block without transactions
  std::atomic<std::uint64_t> events_{0};
  std::condition_variable_any wake_;
  std::mutex wake_mutex_;
  std::mutex instant_mutex_;  // one instant-mining call at a time
  std::mutex round_mutex_;    // held by the loop while it grinds and imports; stop() waits on it

  std::atomic<std::uint64_t> blocks_mined_{0};
  std::atomic<std::uint64_t> templates_built_{0};
  std::atomic<std::uint64_t> idle_rounds_{0};
  std::atomic<std::uint64_t> hashes_total_{0};
  mutable std::mutex rate_mutex_;
  mutable std::uint64_t rate_hashes_ = 0;
  mutable std::chrono::steady_clock::time_point rate_since_;
  mutable std::uint64_t rate_ = 0;

  std::jthread thread_;
};

}  // namespace tally::node
