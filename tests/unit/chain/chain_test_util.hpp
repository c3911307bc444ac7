#pragma once
// Helpers for chain manager tests: a temporary datadir, a dev genesis, and a
// builder that makes valid blocks on any stored parent.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "chain/chain_manager.hpp"
#include "chain/execution.hpp"
#include "chain/genesis.hpp"
#include "ledger_test_util.hpp"

namespace tally::test {

class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() / ("tally-" + tag + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline chain::Genesis dev_genesis() {
  auto genesis = chain::parse_genesis(chain::dev_genesis_json());
  EXPECT_TRUE(genesis.ok()) << (genesis.ok() ? "" : genesis.error().message);
  return std::move(genesis).value();
}

// Builds a valid child of `parent` from the chain's stored state: executes
// `txs` and fills gas used and the three roots. `salt` goes in extra data so
// siblings with the same transactions differ.
inline chain::Block build_block(const chain::ChainManager& chain, const chain::Header& parent,
                                const std::vector<chain::Transaction>& txs, std::uint8_t salt = 0,
                                const Address& beneficiary = Address{0xbe}) {
  chain::Block block;
  chain::Header& h = block.header;
  h.parent_hash = chain::header_hash(parent);
  h.number = parent.number + 1;
  h.timestamp = parent.timestamp + 2;
  h.beneficiary = beneficiary;
  h.gas_limit = chain.config().gas_limit;
  h.base_fee = chain::next_base_fee(parent);
  h.extra_data = {salt};
  block.transactions = txs;
  std::vector<Address> senders;
  for (const auto& tx : txs) senders.push_back(*chain::recover_sender(tx));
  chain::StateDB state(chain.store(), parent.state_root);
  auto result =
      chain::execute_block(chain.config(), parent, block, senders, state, chain.engine().block_reward(h.number));
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return block;
  h.gas_used = result->gas_used;
  h.state_root = result->state_root;
  h.transactions_root = result->transactions_root;
  h.receipts_root = result->receipts_root;
  return block;
}

// A fixture with a chain on a fresh temporary datadir; open() (re)opens it,
// so tests can check what survives a restart.
class ChainTest : public ::testing::Test {
 protected:
  explicit ChainTest(const std::string& tag) : dir_(tag), genesis_(dev_genesis()) {}
  void SetUp() override { open(); }

  void open() {
    chain_.reset();
    db_.reset();
    auto db = chain::Database::open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto chain = chain::ChainManager::open(*db_, genesis_, engine_);
    ASSERT_TRUE(chain.ok()) << chain.error().message;
    chain_ = std::move(chain).value();
  }

  TempDir dir_;
  chain::Genesis genesis_;
  TestEngine engine_;
  std::unique_ptr<chain::Database> db_;
  std::unique_ptr<chain::ChainManager> chain_;
};

}  // namespace tally::test
