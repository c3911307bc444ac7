#pragma once
// Helpers for p2p tests: a fake chain behind ChainAccess, simple blocks and
// transactions that decode (they are not valid for a real chain), bounded
// waits, and a temporary directory.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "chain/block.hpp"
#include "chain/transaction.hpp"
#include "p2p/chain_access.hpp"
#include "p2p/host.hpp"

namespace tally::p2p::test {

// Polls `condition` until it holds or `limit` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(20'000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() /
              ("tally-p2p-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  static int& counter() {
    static int value = 0;
    return value;
  }
  std::filesystem::path path_;
};

// Extra data that marks a block or header the fake chain finds invalid.
inline const Bytes kBadMarker = {0xba, 0xd0};

inline chain::Transaction make_tx(std::uint64_t nonce, Bytes data = {}) {
  chain::Transaction tx;
  tx.type = chain::TxType::dynamic_fee;
  tx.chain_id = 1;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = 1;
  tx.max_fee_per_gas = 2;
  tx.gas_limit = 21'000;
  tx.to = Address{0x11};
  tx.value = 1;
  tx.data = std::move(data);
  tx.r[31] = 1;
  tx.s[31] = 1;
  return tx;
}

inline chain::Block genesis_block(std::uint8_t salt = 0) {
  chain::Block block;
  block.header.extra_data = {0x47, salt};
  block.header.transactions_root = chain::transactions_root(block.transactions);
  return block;
}

inline chain::Block child_of(const chain::Block& parent, std::vector<chain::Transaction> txs = {},
                             Bytes extra = {0x01}) {
  chain::Block block;
  block.header.parent_hash = chain::block_hash(parent);
  block.header.number = parent.header.number + 1;
  block.header.timestamp = parent.header.timestamp + 1;
  block.header.gas_limit = 30'000'000;
  block.header.extra_data = std::move(extra);
  block.transactions = std::move(txs);
  block.header.transactions_root = chain::transactions_root(block.transactions);
  return block;
}

// `count` blocks on `genesis`; every 10th carries two transactions. `salt`
// makes a different chain.
inline std::vector<chain::Block> make_chain(const chain::Block& genesis, std::size_t count, std::uint8_t salt = 1) {
  std::vector<chain::Block> blocks{genesis};
  for (std::size_t i = 1; i <= count; ++i) {
    std::vector<chain::Transaction> txs;
    if (i % 10 == 0) {
      txs.push_back(make_tx(i * 2));
      txs.push_back(make_tx(i * 2 + 1));
    }
    blocks.push_back(child_of(blocks.back(), std::move(txs), Bytes{salt}));
  }
  return blocks;
}

// A block tree whose head is the longest chain (weight 1 per block), and a
// transaction pool. Thread-safe: the host calls it on
// its thread, the test reads it on its own.
class FakeChain : public ChainAccess {
 public:
  explicit FakeChain(std::uint64_t id = 1, chain::Block genesis = genesis_block()) : chain_id_(id) {
    add_block(genesis);
  }

  void set_host(Host* host) {
    std::lock_guard lock(mutex_);
    host_ = host;
  }

  // Appends blocks without announcing (a pre-built chain).
  void load(const std::vector<chain::Block>& blocks) {
    std::lock_guard lock(mutex_);
    for (const auto& block : blocks) {
      if (blocks_.count(chain::block_hash(block)) == 0) add_block(block);
    }
  }
  // A locally made block: appended and announced.
  void produce(const chain::Block& block) {
    Host* host = nullptr;
    {
      std::lock_guard lock(mutex_);
      add_block(block);
      host = host_;
    }
    if (host != nullptr) host->announce_block(block, U256(block.header.number + 1));
  }
  // A locally submitted transaction (as from RPC): pooled and announced.
  void add_local_tx(const chain::Transaction& tx) {
    Host* host = nullptr;
    {
      std::lock_guard lock(mutex_);
      pool_[chain::tx_hash(tx)] = tx;
      host = host_;
    }
    if (host != nullptr) host->announce_txs({chain::tx_hash(tx)});
  }

  std::uint64_t head_number() const {
    std::lock_guard lock(mutex_);
    return canonical_.size() - 1;
  }
  Hash256 head_hash() const {
    std::lock_guard lock(mutex_);
    return canonical_.back();
  }
  bool pool_has(const Hash256& hash) const {
    std::lock_guard lock(mutex_);
    return pool_.count(hash) != 0;
  }
  std::size_t consensus_count(const Bytes& payload) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& p : consensus_) n += p == payload ? 1U : 0U;
    return n;
  }
  std::size_t submitted_blocks() const {
    std::lock_guard lock(mutex_);
    return submitted_;
  }

  // ---- ChainAccess
  std::uint64_t chain_id() const override { return chain_id_; }
  Hash256 genesis_hash() const override {
    std::lock_guard lock(mutex_);
    return canonical_.front();
  }
  ChainStatus status() const override {
    std::lock_guard lock(mutex_);
    const auto number = canonical_.size() - 1;
    return ChainStatus{chain::ChainTip{canonical_.back(), number, U256(number + 1)}, 0};
  }
  std::vector<chain::Header> headers_from(std::uint64_t first, std::size_t count, std::uint64_t skip) const override {
    std::lock_guard lock(mutex_);
    std::vector<chain::Header> out;
    for (std::uint64_t n = first; n < canonical_.size() && out.size() < count; n += skip + 1) {
      out.push_back(blocks_.at(canonical_[n]).header);
    }
    return out;
  }
  std::optional<std::uint64_t> canonical_number(const Hash256& hash) const override {
    std::lock_guard lock(mutex_);
    auto it = blocks_.find(hash);
    if (it == blocks_.end()) return std::nullopt;
    const auto n = it->second.header.number;
    if (n < canonical_.size() && canonical_[n] == hash) return n;
    return std::nullopt;
  }
  std::optional<chain::Block> block_by_hash(const Hash256& hash) const override {
    std::lock_guard lock(mutex_);
    auto it = blocks_.find(hash);
    if (it == blocks_.end()) return std::nullopt;
    auto block = it->second;
    // A lying server: bodies that do not match their headers.
    if (corrupt_bodies_) {
      if (block.transactions.empty()) {
        block.transactions.push_back(make_tx(999'999));
      } else {
        block.transactions.pop_back();
      }
    }
    return block;
  }
  void corrupt_bodies() {
    std::lock_guard lock(mutex_);
    corrupt_bodies_ = true;
  }
  bool has_block(const Hash256& hash) const override {
    std::lock_guard lock(mutex_);
    return blocks_.count(hash) != 0;
  }
  bool has_tx(const Hash256& hash) const override { return pool_has(hash); }
  std::optional<chain::Transaction> pooled_tx(const Hash256& hash) const override {
    std::lock_guard lock(mutex_);
    auto it = pool_.find(hash);
    if (it == pool_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<Hash256> pooled_hashes(std::size_t max_count) const override {
    std::lock_guard lock(mutex_);
    std::vector<Hash256> hashes;
    for (const auto& entry : pool_) {
      if (hashes.size() == max_count) break;
      hashes.push_back(entry.first);
    }
    return hashes;
  }
  std::vector<TxVerdict> submit_txs(PeerId, std::vector<chain::Transaction> txs,
                                    std::span<const Hash256> hashes) override {
    std::lock_guard lock(mutex_);
    std::vector<TxVerdict> verdicts;
    EXPECT_EQ(hashes.size(), txs.size());
    for (std::size_t i = 0; i < txs.size(); ++i) {
      auto& tx = txs[i];
      const auto hash = chain::tx_hash(tx);
      if (i < hashes.size()) {
        EXPECT_EQ(hashes[i], hash) << "the host passes each transaction's own hash";
      }
      if (tx.data == kBadMarker) {
        verdicts.push_back(TxVerdict::invalid);
      } else if (pool_.count(hash) != 0) {
        verdicts.push_back(TxVerdict::known);
      } else {
        pool_[hash] = std::move(tx);
        verdicts.push_back(TxVerdict::accepted);
      }
    }
    return verdicts;
  }
  Result<void> check_headers(const chain::Header&, std::span<const chain::Header> headers) override {
    for (const auto& header : headers) {
      if (header.extra_data == kBadMarker) return fail("bad seal at " + std::to_string(header.number));
    }
    return {};
  }
  // While held, submitted blocks wait (as behind a slow import) until
  // release_imports() imports them in order.
  void hold_imports() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  std::size_t held_blocks() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  void release_imports() {
    std::vector<std::pair<PeerId, chain::Block>> held;
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
      held.swap(held_);
    }
    for (auto& [from, block] : held) import_block(from, std::move(block));
  }
  void submit_block(PeerId from, chain::Block block) override {
    {
      std::lock_guard lock(mutex_);
      ++submitted_;
      if (holding_) {
        held_.emplace_back(from, std::move(block));
        return;
      }
    }
    import_block(from, std::move(block));
  }
  // A real node queues the import on its strand; the fake imports at once.
  void import_block(PeerId from, chain::Block block) {
    Host* host = nullptr;
    bool imported = false;
    bool bad = false;
    {
      std::lock_guard lock(mutex_);
      host = host_;
      bad = block.header.extra_data == kBadMarker;
      if (!bad && blocks_.count(block.header.parent_hash) != 0 && blocks_.count(chain::block_hash(block)) == 0) {
        imported = add_block(block);
      }
    }
    if (host == nullptr) return;
    if (bad) host->report_bad_peer(from, "invalid block " + std::to_string(block.header.number));
    if (imported) host->announce_block(block, U256(block.header.number + 1));
  }
  void deliver_consensus(PeerId, Bytes payload) override {
    std::lock_guard lock(mutex_);
    consensus_.push_back(std::move(payload));
  }
  std::optional<Bytes> certificate(const Hash256& hash) const override {
    std::lock_guard lock(mutex_);
    auto it = certificates_.find(hash);
    if (it == certificates_.end()) return std::nullopt;
    return it->second;
  }
  void deliver_certificates(PeerId, std::vector<CertificateEntry> entries) override {
    std::lock_guard lock(mutex_);
    for (auto& entry : entries) delivered_certificates_.push_back(std::move(entry));
  }
  void set_certificate(const Hash256& hash, Bytes certificate) {
    std::lock_guard lock(mutex_);
    certificates_[hash] = std::move(certificate);
  }
  std::vector<CertificateEntry> delivered_certificates() const {
    std::lock_guard lock(mutex_);
    return delivered_certificates_;
  }

 private:
  // Stores the block; true if it became the head (the longest chain wins,
  // the first seen on a tie).
  bool add_block(const chain::Block& block) {
    const auto hash = chain::block_hash(block);
    blocks_[hash] = block;
    if (block.header.number < canonical_.size()) return false;
    canonical_.resize(block.header.number + 1);
    Hash256 at = hash;
    for (std::uint64_t n = block.header.number + 1; n-- > 0;) {
      if (canonical_[n] == at) break;
      canonical_[n] = at;
      if (n == 0) break;
      at = blocks_.at(at).header.parent_hash;
    }
    return true;
  }

  const std::uint64_t chain_id_;
  mutable std::mutex mutex_;
  Host* host_ = nullptr;
  std::unordered_map<Hash256, chain::Block, FixedBytesHasher, FixedBytesEqual> blocks_;
  std::vector<Hash256> canonical_;
  std::unordered_map<Hash256, chain::Transaction, FixedBytesHasher, FixedBytesEqual> pool_;
  std::vector<Bytes> consensus_;
  std::unordered_map<Hash256, Bytes, FixedBytesHasher, FixedBytesEqual> certificates_;
  std::vector<CertificateEntry> delivered_certificates_;
  bool holding_ = false;
  std::vector<std::pair<PeerId, chain::Block>> held_;
  std::size_t submitted_ = 0;
  bool corrupt_bodies_ = false;
};

// Options for fast tests on 127.0.0.1 with an ephemeral port.
inline HostOptions test_options(std::vector<std::string> bootstrap = {}) {
  HostOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.bootstrap = std::move(bootstrap);
  options.tick_interval = std::chrono::milliseconds(20);
  options.backoff_base = std::chrono::milliseconds(100);
  options.backoff_max = std::chrono::milliseconds(1'000);
  options.handshake_timeout = std::chrono::milliseconds(3'000);
  return options;
}

inline std::string local_address(const Host& host) {
  return "127.0.0.1:" + std::to_string(host.port());
}

}  // namespace tally::p2p::test
