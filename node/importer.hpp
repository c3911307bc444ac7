#pragma once
// The one writer of the ledger: a thread that imports blocks in the order
// they are submitted and runs the node's chores (keeping the mempool in step
// with the head, expiring old queued transactions). Whoever has a block
// (miner, RPC, p2p) submits it and gets a future; listeners hear of every
// head change on this thread, after the pool has been updated.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "chain/chain_manager.hpp"
#include "chain/mempool.hpp"

namespace tally::node {

class Importer {
 public:
  using HeadListener = std::function<void(const chain::HeadChange&)>;

  // Bound on blocks waiting for import; submit() refuses beyond it, so a
  // flood of blocks cannot grow memory.
  static constexpr std::size_t kMaxQueued = 1'024;

  Importer(chain::ChainManager& chain, chain::Mempool& pool);
  ~Importer();
  Importer(const Importer&) = delete;
  Importer& operator=(const Importer&) = delete;

  // Register before start().
  void add_head_listener(HeadListener listener);
  void start();
  // Finishes the block being imported, refuses the rest, joins the thread.
  void stop();

  // Queues a block. `senders` (optional) are its transactions' recovered
  // senders; `prepared` (optional) its execution, when this node built it
  // (ChainManager::import_block). The future is ready once the block is
  // imported or refused.
  using Prepared = std::shared_ptr<const chain::BlockExecution>;
  std::future<chain::ImportResult> submit(chain::Block block, std::vector<Address> senders = {},
                                          Prepared prepared = nullptr);
  // The same, for callers that must not wait (p2p): `done` runs on the
  // import thread with the result (or at once, on the caller's thread, when
  // the queue is full or the importer stopped).
  using ImportCallback = std::function<void(const chain::ImportResult&)>;
  void submit_async(chain::Block block, ImportCallback done, std::vector<Address> senders = {},
                    Prepared prepared = nullptr);
  // Runs `task` on the import thread (for writers other than imports, e.g.
  // PBFT finalization). Dropped when the importer is stopped or full.
  void post(std::function<void()> task);

  std::size_t queued() const;
  // Blocks that reached the chain (queue refusals are not counted), by the
  // import's result. Any thread.
  std::uint64_t imports(chain::ImportStatus status) const;

 private:
  void run();
  chain::ImportResult import(const chain::Block& block, const std::vector<Address>& senders, const Prepared& prepared);
  // Queues `task`; false (and nothing queued) when stopping or full.
  bool enqueue(std::function<void()> task, std::string& why);

  chain::ChainManager& chain_;
  chain::Mempool& pool_;
  std::vector<HeadListener> listeners_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(chain::ImportStatus::invalid) + 1> imports_{};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tally::node
