#include "node/miner_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "chain/execution.hpp"
#include "consensus/pow/miner.hpp"
#include "consensus/pow/seal.hpp"
#include "crypto/hex.hpp"
#include "node/clock.hpp"

namespace tally::node {

namespace pow = consensus::pow;

namespace {

// Nonces per grind step: between steps the loop checks whether a better
// template is due. About half a second on one core.
constexpr std::uint64_t kNoncesPerStepPerThread = 4U << 20U;
// Instant mining refuses chains this hard: it would not be instant.
const U256 kMaxInstantDifficulty = U256(1) << 28U;
constexpr unsigned kMaxThreads = 256;
constexpr std::chrono::milliseconds kIdleWait{1'000};

std::string short_hex(const Hash256& hash) {
  return to_hex(hash).substr(0, 12);
}

}  // namespace

unsigned default_miner_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 1;
}

MinerService::MinerService(chain::ChainManager& chain, const pow::PowEngine* engine, chain::Mempool& pool,
                           Importer& importer, MiningConfig config, bool dev)
    : chain_(chain),
      engine_(engine),
      pool_(pool),
      importer_(importer),
      config_(std::move(config)),
      dev_(dev),
      etherbase_(config_.beneficiary),
      threads_(std::min(config_.threads == 0 ? default_miner_threads() : config_.threads, kMaxThreads)),
      rate_since_(std::chrono::steady_clock::now()) {}

MinerService::~MinerService() {
  shutdown();
}

Result<void> MinerService::launch() {
  if (engine_ == nullptr) {
    if (config_.enabled) return fail("--mine: this chain's blocks come from its validators (PBFT), not from mining");
    return {};
  }
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
  if (config_.enabled) return start(std::nullopt);
  return {};
}

void MinerService::shutdown() {
  mining_ = false;
  shutdown_.request_stop();
  if (thread_.joinable()) thread_.request_stop();
  cancel_round();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> MinerService::require_pow() const {
  if (engine_ == nullptr) return fail("this chain runs PBFT: validators produce the blocks, there is nothing to mine");
  return {};
}

bool MinerService::mines_empty_blocks() const {
  switch (config_.empty_blocks) {
    case EmptyBlocks::always:
      return true;
    case EmptyBlocks::never:
      return false;
    case EmptyBlocks::automatic:
      break;
  }
  return !dev_;
}

// A development chain mines only while transactions wait, so after the
// block holding a client's transaction nothing would follow it. Clients
// that learn of inclusion from the next block number (ethers v6 tx.wait()
// polls receipts on new blocks) could then wait forever if the block landed
// between their first receipt check and their first block-number poll. One
// empty block a second later closes that gap; the chain then goes idle.
bool MinerService::closing_block_due() const {
  if (!dev_ || config_.empty_blocks != EmptyBlocks::automatic) return false;
  const chain::Header head = chain_.head_header();
  return head.gas_used > 0 && unix_seconds() > head.timestamp;
}

// ---------------------------------------------------------------- templates

Result<MinerService::Template> MinerService::make_template(const Address& beneficiary) const {
  const chain::Header parent = chain_.head_header();
  chain::Header sealed;
  pow::write_seal(sealed, pow::PowSeal{engine_->next_difficulty(parent), 0});
  chain::BlockTemplate block_template;
  block_template.beneficiary = beneficiary;
  block_template.timestamp = std::max(unix_seconds(), parent.timestamp + 1);
  block_template.seal = std::move(sealed.seal);
  block_template.block_reward = engine_->block_reward(parent.number + 1);
  const auto candidates = pool_.best(chain::next_base_fee(parent), chain_.config().gas_limit);
  auto built = chain::build_block(chain_.config(), chain_.store(), parent, block_template, candidates);
  if (!built) return Unexpected{built.error()};
  Template work{std::move(*built), {}, std::chrono::steady_clock::now()};
  work.seal_hash = pow::seal_hash(work.built.block.header);
  return work;
}

Result<Hash256> MinerService::import_found(const Template& work, const char* source) {
  const chain::Block& block = work.built.block;
  auto result = importer_.submit(block, work.built.senders, work.built.execution).get();
  if (result.status != chain::ImportStatus::new_head) {
    const std::string why = result.ok() ? std::string(chain::to_string(result.status)) : result.error;
    return fail("block " + std::to_string(block.header.number) + " was not accepted as the new head: " + why);
  }
  blocks_mined_.fetch_add(1);
  spdlog::info("{}: mined block {} {} with {} transactions", source, block.header.number, short_hex(result.hash),
               block.transactions.size());
  return result.hash;
}

// ---------------------------------------------------------------- the loop

void MinerService::loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    try {
      mine_round(stop);
    } catch (const std::exception& e) {
      spdlog::error("miner: {}", e.what());
      wait_for_event(stop, events_.load(), kIdleWait);
    }
  }
}

bool MinerService::mine_round(std::stop_token stop) {
  const std::uint64_t seen = events_.load();
  const auto beneficiary = etherbase();
  if (!mining_ || paused_ || !beneficiary) {
    idle_rounds_.fetch_add(1);
    wait_for_event(stop, seen, kIdleWait);
    return false;
  }
  const bool empty_ok = mines_empty_blocks() || closing_block_due();
  if (!empty_ok && pool_.pending_count() == 0) {
    idle_rounds_.fetch_add(1);
    wait_for_event(stop, seen, kIdleWait);
    return false;
  }
  better_txs_ = false;
  auto work = make_template(*beneficiary);
  if (!work) {
    spdlog::warn("miner: cannot build a block: {}", work.error().message);
    wait_for_event(stop, seen, kIdleWait);
    return false;
  }
  // Pending transactions that cannot go in now (a fee cap below the base
  // fee) do not justify an empty block either.
  if (!empty_ok && work->built.block.transactions.empty()) {
    idle_rounds_.fetch_add(1);
    wait_for_event(stop, seen, kIdleWait);
    return false;
  }
  const std::lock_guard round(round_mutex_);
  templates_built_.fetch_add(1);
  template_empty_ = work->built.block.transactions.empty();
  if (!grind(*work, stop, true)) return false;
  if (auto imported = import_found(*work, "miner"); !imported) {
    spdlog::warn("miner: {}", imported.error().message);
    return false;
  }
  return true;
}

bool MinerService::grind(Template& work, std::stop_token stop, bool allow_recommit) {
  std::stop_source round;
  unsigned threads = 1;
  {
    std::lock_guard lock(mutex_);
    round_stop_ = round;
    threads = threads_;
  }
  // Instant mining sets paused_ (stop() clears mining_) before it cancels
  // the round: checked after publishing ours, the loop never grinds on.
  if (allow_recommit && (paused_ || !mining_)) round.request_stop();
  const std::stop_callback forward_stop(stop, [&round] { round.request_stop(); });
  const std::stop_callback forward_shutdown(shutdown_.get_token(), [&round] { round.request_stop(); });
  const Hash256 parent = work.built.block.header.parent_hash;
  std::uint64_t nonce = std::random_device{}();
  nonce = (nonce << 32U) ^ std::random_device{}();
  pow::MinerOptions options;
  options.threads = threads;
  options.max_attempts = kNoncesPerStepPerThread * threads;
  options.on_progress = [this](std::uint64_t hashes) { count_hashes(hashes); };
  bool found = false;
  while (!round.stop_requested()) {
    options.start_nonce = nonce;
    auto mined = pow::mine(work.built.block.header, options, round.get_token());
    if (!mined) throw std::runtime_error("miner: " + mined.error().message);
    if (mined->outcome == pow::MineOutcome::found) {
      work.built.block.header = mined->header;
      found = true;
      break;
    }
    if (mined->outcome == pow::MineOutcome::cancelled) break;
    nonce += options.max_attempts;
    if (chain_.head().hash != parent) break;
    const auto age = std::chrono::steady_clock::now() - work.made;
    if (allow_recommit && better_txs_ && age >= std::chrono::milliseconds(config_.recommit_ms)) break;
  }
  std::lock_guard lock(mutex_);
  if (round_stop_ == round) round_stop_.reset();
  return found;
}

void MinerService::count_hashes(std::uint64_t hashes) {
  hashes_total_.fetch_add(hashes, std::memory_order_relaxed);
}

void MinerService::cancel_round() {
  std::lock_guard lock(mutex_);
  if (round_stop_) round_stop_->request_stop();
}

void MinerService::wait_for_event(std::stop_token stop, std::uint64_t seen, std::chrono::milliseconds at_most) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_for(lock, stop, at_most, [&] { return events_.load() != seen || shutdown_.stop_requested(); });
}

void MinerService::on_head_change() {
  {
    std::lock_guard lock(mutex_);
    // Work on the old head can only make side blocks now.
    work_.clear();
    work_order_.clear();
    if (round_stop_) round_stop_->request_stop();
  }
  events_.fetch_add(1);
  wake_.notify_all();
}

void MinerService::on_new_transaction() {
  better_txs_ = true;
  if (template_empty_) cancel_round();
  events_.fetch_add(1);
  wake_.notify_all();
}

// ---------------------------------------------------------------- rpc::MinerApi

Result<rpc::MinerApi::Work> MinerService::get_work(const std::optional<Address>& beneficiary) {
  if (auto ok = require_pow(); !ok) return Unexpected{ok.error()};
  const auto payee = beneficiary ? beneficiary : etherbase();
  if (!payee) {
    return fail("no beneficiary for the block: pass an address as eth_getWork's parameter or call miner_setEtherbase");
  }
  auto work = make_template(*payee);
  if (!work) return Unexpected{work.error()};
  const chain::Header& header = work->built.block.header;
  auto difficulty = pow::read_difficulty(header);
  if (!difficulty) return Unexpected{difficulty.error()};
  Work out{work->seal_hash, Hash256{}, pow::target_from_difficulty(*difficulty), header.number};
  std::lock_guard lock(mutex_);
  if (!work_.contains(out.seal_hash)) {
    work_order_.push_back(out.seal_hash);
    work_.emplace(out.seal_hash, std::move(*work));
    while (work_order_.size() > kMaxOutstandingWork) {
      work_.erase(work_order_.front());
      work_order_.pop_front();
    }
  }
  return out;
}

bool MinerService::submit_work(std::uint64_t nonce, const Hash256& seal_hash) {
  if (engine_ == nullptr) return false;
  std::optional<Template> work;
  {
    std::lock_guard lock(mutex_);
    auto it = work_.find(seal_hash);
    if (it == work_.end()) return false;  // unknown or stale
    work = it->second;
  }
  pow::set_nonce(work->built.block.header, nonce);
  if (!pow::check_seal(work->built.block.header)) return false;
  auto imported = import_found(*work, "eth_submitWork");
  if (!imported) {
    spdlog::info("eth_submitWork: {}", imported.error().message);
    return false;
  }
  return true;
}

Result<void> MinerService::start(std::optional<unsigned> threads) {
  if (auto ok = require_pow(); !ok) return ok;
  if (!etherbase()) {
    return fail("no etherbase to pay: start tallyd with --miner-address or call miner_setEtherbase first");
  }
  if (threads && *threads > 0) {
    std::lock_guard lock(mutex_);
    threads_ = std::min(*threads, kMaxThreads);
  }
  if (!mining_.exchange(true)) spdlog::info("miner: started on {} threads", threads_);
  events_.fetch_add(1);
  wake_.notify_all();
  return {};
}

void MinerService::stop() {
  if (mining_.exchange(false)) spdlog::info("miner: stopped");
  cancel_round();
  // A block found just before the cancel is imported before stop() returns,
  // so a caller that reads the head next sees the last block mined.
  { const std::lock_guard round(round_mutex_); }
  events_.fetch_add(1);
  wake_.notify_all();
}

std::uint64_t MinerService::hashrate() const {
  std::lock_guard lock(rate_mutex_);
  const auto now = std::chrono::steady_clock::now();
  const auto elapsed = std::chrono::duration<double>(now - rate_since_).count();
  if (elapsed >= 1.0) {
    const std::uint64_t total = hashes_total_.load();
    rate_ = static_cast<std::uint64_t>(static_cast<double>(total - rate_hashes_) / elapsed);
    rate_hashes_ = total;
    rate_since_ = now;
  }
  return mining_ ? rate_ : 0;
}

Result<void> MinerService::set_etherbase(const Address& address) {
  if (auto ok = require_pow(); !ok) return ok;
  std::lock_guard lock(mutex_);
  etherbase_ = address;
  return {};
}

std::optional<Address> MinerService::etherbase() const {
  std::lock_guard lock(mutex_);
  return etherbase_;
}

Result<std::vector<Hash256>> MinerService::mine_now(std::uint64_t count, const std::optional<Address>& beneficiary) {
  if (auto ok = require_pow(); !ok) return Unexpected{ok.error()};
  if (!dev_) {
    return fail(
        "instant mining is for development chains (a genesis with devAccounts); use miner_start or eth_getWork");
  }
  if (count == 0 || count > kMaxInstantBlocks) {
    return fail("block count must be between 1 and " + std::to_string(kMaxInstantBlocks));
  }
  const auto payee = beneficiary ? beneficiary : etherbase();
  if (!payee) return fail("no beneficiary: pass an address or call miner_setEtherbase first");

  std::lock_guard instant(instant_mutex_);
  paused_ = true;
  cancel_round();
  struct Resume {
    MinerService& miner;
    ~Resume() {
      miner.paused_ = false;
      miner.events_.fetch_add(1);
      miner.wake_.notify_all();
    }
  } resume{*this};

  std::vector<Hash256> hashes;
  for (std::uint64_t i = 0; i < count; ++i) {
    // Timestamps rise by at least a second per block; a peer refuses one
    // more than kMaxFutureSeconds ahead of its clock, so wait for ours.
    const auto parent = chain_.head_header();
    for (int waited = 0; parent.timestamp + 1 > unix_seconds() + pow::kMaxFutureSeconds; ++waited) {
      if (waited > 200 || shutdown_.stop_requested())
        return fail("instant mining: stopped while waiting for the clock");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (engine_->next_difficulty(parent) > kMaxInstantDifficulty) {
      return fail("difficulty " + u256_to_decimal(engine_->next_difficulty(parent)) +
                  " is too high for instant mining; use miner_start");
    }
    auto work = make_template(*payee);
    if (!work) return Unexpected{work.error()};
    if (!grind(*work, shutdown_.get_token(), false)) return fail("instant mining: node is stopping");
    auto imported = import_found(*work, "tally_mine");
    if (!imported) return Unexpected{imported.error()};
    hashes.push_back(*imported);
  }
  return hashes;
}

}  // namespace tally::node
