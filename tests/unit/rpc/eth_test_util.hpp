#pragma once
// A real chain behind the Ethereum methods: ChainTest's datadir and dev
// genesis, read through node::ChainView, with fakes for the pool, the miner
// and the node info. Handlers are called through the MethodTable with a
// CallContext, as the server would (no sockets).

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chain_test_util.hpp"
#include "node/chain_view.hpp"
#include "rpc/eth_api.hpp"

namespace tally::test {

// A pool that keeps what it is given; submit_raw decodes and recovers like
// the real one, and refuses with `refusal` when set.
class FakePool final : public rpc::TxPoolApi {
 public:
  Result<Hash256> submit_raw(BytesView raw) override {
    if (refusal) return fail(*refusal);
    auto tx = chain::decode(raw);
    if (!tx) return fail(tx.error().message);
    auto sender = chain::recover_sender(*tx);
    if (!sender) return fail(sender.error().message);
    add(*tx, *sender, true);
    return chain::tx_hash(*tx);
  }
  chain::PooledTxPtr pooled(const Hash256& hash) const override {
    for (const auto& p : pending) {
      if (p->hash == hash) return p;
    }
    for (const auto& p : queued) {
      if (p->hash == hash) return p;
    }
    return nullptr;
  }
  std::uint64_t pending_nonce(const Address& sender) const override {
    auto it = pending_nonces.find(sender);
    return it == pending_nonces.end() ? 0 : it->second;
  }
  chain::MempoolStatus status() const override {
    chain::MempoolStatus s;
    s.pending = pending.size();
    s.queued = queued.size();
    return s;
  }
  std::vector<chain::SenderContent> content() const override {
    std::map<Address, chain::SenderContent> by_sender;
    for (const auto& p : pending) by_sender[p->sender].pending.push_back(p);
    for (const auto& p : queued) by_sender[p->sender].queued.push_back(p);
    std::vector<chain::SenderContent> out;
    for (auto& [address, content] : by_sender) {
      content.sender = address;
      out.push_back(std::move(content));
    }
    return out;
  }

  chain::PooledTxPtr add(const chain::Transaction& tx, const Address& sender, bool is_pending) {
    auto p = std::make_shared<chain::PooledTx>();
    p->tx = tx;
    p->hash = chain::tx_hash(tx);
    p->sender = sender;
    p->size = chain::encode(tx).size();
    (is_pending ? pending : queued).push_back(p);
    return p;
  }

  std::vector<chain::PooledTxPtr> pending;
  std::vector<chain::PooledTxPtr> queued;
  std::map<Address, std::uint64_t> pending_nonces;
  std::optional<std::string> refusal;
};

// A miner whose instant mining builds real blocks on the test chain from the
// pool's pending transactions.
class FakeMiner final : public rpc::MinerApi {
 public:
  FakeMiner(chain::ChainManager& chain, FakePool& pool) : chain_(chain), pool_(pool) {}

  Result<Work> get_work(const std::optional<Address>& beneficiary) override {
    last_work_beneficiary = beneficiary;
    if (!beneficiary && !etherbase_) return fail("no etherbase: pass a beneficiary or set one");
    Work work;
    work.seal_hash = Hash256{0x5e};
    work.target = Hash256{0x00, 0x0f};
    work.number = chain_.head().number + 1;
    return work;
  }
  bool submit_work(std::uint64_t nonce, const Hash256& seal_hash) override {
    last_nonce = nonce;
    return seal_hash == Hash256{0x5e} && nonce == 42;
  }
  Result<void> start(std::optional<unsigned> threads) override {
    started_threads = threads;
    mining_ = true;
    return {};
  }
  void stop() override { mining_ = false; }
  bool mining() const override { return mining_; }
  std::uint64_t hashrate() const override { return 1234; }
  Result<void> set_etherbase(const Address& address) override {
    etherbase_ = address;
    return {};
  }
  std::optional<Address> etherbase() const override { return etherbase_; }
  Result<std::vector<Hash256>> mine_now(std::uint64_t count, const std::optional<Address>& beneficiary) override {
    if (!beneficiary && !etherbase_) return fail("no etherbase: pass a beneficiary or set one");
    std::vector<Hash256> hashes;
    for (std::uint64_t i = 0; i < count; ++i) {
      std::vector<chain::Transaction> txs;
      for (const auto& p : pool_.pending) txs.push_back(p->tx);
      pool_.pending.clear();
      auto block = build_block(chain_, chain_.head_header(), txs, 0, beneficiary.value_or(*etherbase_));
      auto result = chain_.import_block(block, block.header.timestamp);
      if (result.status != chain::ImportStatus::new_head) return fail("import failed: " + result.error);
      if (on_head_change && result.head_change) on_head_change(*result.head_change);
      hashes.push_back(result.hash);
    }
    return hashes;
  }

  std::function<void(const chain::HeadChange&)> on_head_change;
  std::optional<Address> last_work_beneficiary;
  std::optional<unsigned> started_threads;
  std::uint64_t last_nonce = 0;

 private:
  chain::ChainManager& chain_;
  FakePool& pool_;
  bool mining_ = false;
  std::optional<Address> etherbase_;
};

class FakeInfo final : public rpc::NodeInfoApi {
 public:
  std::string client_version() const override { return "tally/v0.1.0/linux-x86_64"; }
  std::string node_id() const override { return "0x01"; }
  std::string listen_address() const override { return listen; }
  std::vector<rpc::PeerInfo> peers() const override { return peer_list; }
  Result<void> add_peer(const std::string& host_port) override {
    if (host_port.find(':') == std::string::npos) return fail("peer address must be host:port");
    added.push_back(host_port);
    return {};
  }
  std::optional<rpc::SyncStatus> syncing() const override { return sync; }
  rpc::ConsensusStatus consensus_status() const override {
    return rpc::ConsensusStatus{"pow", 5, 0, {Address{0xaa}}, 2};
  }

  std::string listen = "127.0.0.1:30303";
  std::vector<rpc::PeerInfo> peer_list;
  std::vector<std::string> added;
  std::optional<rpc::SyncStatus> sync;
};

// Records what the hub pushes to one connection.
class RecordingSink final : public rpc::NotificationSink {
 public:
  explicit RecordingSink(std::uint64_t id) : id_(id) {}
  bool push(const rpc::Json& message) override {
    messages.push_back(message);
    return true;
  }
  std::uint64_t connection_id() const override { return id_; }
  std::vector<rpc::Json> messages;

 private:
  std::uint64_t id_;
};

struct CallFailure {
  int code = 0;
  std::string message;
};

class EthApiTest : public ChainTest {
 protected:
  EthApiTest() : ChainTest("rpc-eth") {}

  void SetUp() override {
    ChainTest::SetUp();
    view_ = std::make_unique<node::ChainView>(*chain_, 2);
    miner_ = std::make_unique<FakeMiner>(*chain_, pool_);
    rpc::NodeApi node{view_.get(), &pool_, miner_.get(), &info_};
    api_ = std::make_unique<rpc::EthApi>(node);
    api_->register_methods(table_);
    miner_->on_head_change = [this](const chain::HeadChange& change) { api_->on_head_change(change); };
    admin_.admin = true;
  }

  rpc::Json call(const std::string& method, const rpc::Json& params = rpc::Json::array()) {
    return call_in(admin_, method, params);
  }
  rpc::Json call_in(rpc::CallContext& context, const std::string& method, const rpc::Json& params) {
    const rpc::Method* found = table_.find(method);
    if (found == nullptr) throw std::runtime_error("no method " + method);
    return found->handler(params, context);
  }
  // The error a call answers with; fails the test if it succeeds.
  CallFailure fails(const std::string& method, const rpc::Json& params, rpc::CallContext* context = nullptr) {
    try {
      const rpc::Json result = call_in(context != nullptr ? *context : admin_, method, params);
      ADD_FAILURE() << method << " " << params.dump() << " succeeded with " << result.dump();
    } catch (const rpc::RpcError& error) {
      return CallFailure{error.code(), error.what()};
    }
    return {};
  }

  // Imports a block with `txs` on the head; returns it.
  chain::Block mine(const std::vector<chain::Transaction>& txs, const Address& beneficiary = Address{0xbe}) {
    auto block = build_block(*chain_, chain_->head_header(), txs, 0, beneficiary);
    auto result = chain_->import_block(block, block.header.timestamp);
    EXPECT_EQ(result.status, chain::ImportStatus::new_head) << result.error;
    return block;
  }

  FakePool pool_;
  FakeInfo info_;
  std::unique_ptr<node::ChainView> view_;
  std::unique_ptr<FakeMiner> miner_;
  std::unique_ptr<rpc::EthApi> api_;
  rpc::MethodTable table_;
  rpc::CallContext admin_;
  rpc::CallContext open_;
};

}  // namespace tally::test
