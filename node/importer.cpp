#include "node/importer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "chain/pool_sync.hpp"
#include "node/clock.hpp"

namespace tally::node {

namespace {
// How often queued transactions are checked for expiry.
constexpr std::chrono::seconds kExpiryInterval{60};
}  // namespace

Importer::Importer(chain::ChainManager& chain, chain::Mempool& pool) : chain_(chain), pool_(pool) {}

Importer::~Importer() {
  stop();
}

void Importer::add_head_listener(HeadListener listener) {
  listeners_.push_back(std::move(listener));
}

void Importer::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Importer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Tasks left behind are destroyed: their promises report broken_promise.
  std::lock_guard lock(mutex_);
  tasks_.clear();
}

std::size_t Importer::queued() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

std::uint64_t Importer::imports(chain::ImportStatus status) const {
  const auto index = static_cast<std::size_t>(status);
  return index < imports_.size() ? imports_[index].load(std::memory_order_relaxed) : 0;
}

namespace {
chain::ImportResult refused(const chain::Block& block, std::string why) {
  chain::ImportResult result;
  result.status = chain::ImportStatus::invalid;
  result.hash = chain::block_hash(block);
  result.error = std::move(why);
  return result;
}
}  // namespace

bool Importer::enqueue(std::function<void()> task, std::string& why) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      why = "node is stopping";
      return false;
    }
    if (tasks_.size() >= kMaxQueued) {
      why = "import queue full";
      return false;
    }
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

std::future<chain::ImportResult> Importer::submit(chain::Block block, std::vector<Address> senders, Prepared prepared) {
  auto promise = std::make_shared<std::promise<chain::ImportResult>>();
  auto future = promise->get_future();
  auto shared_block = std::make_shared<chain::Block>(std::move(block));
  std::string why;
  const bool queued =
      enqueue([this, promise, shared_block, senders = std::move(senders),
               prepared = std::move(prepared)] { promise->set_value(import(*shared_block, senders, prepared)); },
              why);
  if (!queued) promise->set_value(refused(*shared_block, why));
  return future;
}

void Importer::submit_async(chain::Block block, ImportCallback done, std::vector<Address> senders, Prepared prepared) {
  auto shared_block = std::make_shared<chain::Block>(std::move(block));
  auto shared_done = std::make_shared<ImportCallback>(std::move(done));
  std::string why;
  const bool queued =
      enqueue([this, shared_block, shared_done, senders = std::move(senders),
               prepared = std::move(prepared)] { (*shared_done)(import(*shared_block, senders, prepared)); },
              why);
  if (!queued) (*shared_done)(refused(*shared_block, why));
}

void Importer::post(std::function<void()> task) {
  std::string ignored;
  (void)enqueue(std::move(task), ignored);
}

void Importer::run() {
  auto next_expiry = std::chrono::steady_clock::now() + kExpiryInterval;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, next_expiry, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_) break;
    if (tasks_.empty()) {
      lock.unlock();
      if (const auto dropped = pool_.expire(unix_ms()); dropped > 0) {
        spdlog::info("mempool: dropped {} queued transactions older than the lifetime", dropped);
      }
      next_expiry = std::chrono::steady_clock::now() + kExpiryInterval;
      lock.lock();
      continue;
    }
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

chain::ImportResult Importer::import(const chain::Block& block, const std::vector<Address>& senders,
                                     const Prepared& prepared) {
  chain::ImportResult result;
  try {
    result = chain_.import_block(block, unix_seconds(), senders, prepared);
  } catch (const std::exception& e) {
    // A storage failure: the import did not happen (one atomic batch).
    spdlog::critical("import of block {} failed: {}", block.header.number, e.what());
    imports_[static_cast<std::size_t>(chain::ImportStatus::invalid)].fetch_add(1, std::memory_order_relaxed);
    return refused(block, std::string("storage failure: ") + e.what());
  }
  const auto index = static_cast<std::size_t>(result.status);
  if (index < imports_.size()) imports_[index].fetch_add(1, std::memory_order_relaxed);
  if (result.head_change) {
    chain::sync_pool(pool_, chain_, *result.head_change, unix_ms());
    for (const auto& listener : listeners_) {
      try {
        listener(*result.head_change);
      } catch (const std::exception& e) {
        spdlog::error("head listener failed: {}", e.what());
      }
    }
  }
  return result;
}

}  // namespace tally::node
