#pragma once
// rpc::ChainReader over the chain manager: what JSON-RPC reads of the chain.
// Every call reads LevelDB directly (thread-safe), so RPC threads never wait
// for the import strand.

#include <cstdint>

#include "chain/chain_manager.hpp"
#include "rpc/node_api.hpp"

namespace tally::node {

class ChainView final : public rpc::ChainReader {
 public:
  // `safe_depth`: how many blocks below the head the "safe" tag points on a
  // chain without finality (PoW); on a PBFT chain safe = finalized.
  ChainView(const chain::ChainManager& chain, std::uint64_t safe_depth) : chain_(chain), safe_depth_(safe_depth) {}

  const chain::ChainConfig& config() const override { return chain_.config(); }
  Hash256 genesis_hash() const override { return chain_.genesis_hash(); }
  chain::ChainTip head() const override { return chain_.head(); }
  std::optional<chain::Header> header(const Hash256& hash) const override { return chain_.store().header(hash); }
  std::optional<chain::Block> block(const Hash256& hash) const override { return chain_.store().block(hash); }
  std::optional<std::vector<chain::Receipt>> receipts(const Hash256& hash) const override {
    return chain_.store().receipts(hash);
  }
  std::optional<Hash256> canonical_hash(std::uint64_t number) const override {
    return chain_.store().canonical_hash(number);
  }
  std::optional<chain::TxLocation> tx_location(const Hash256& tx_hash) const override {
    return chain_.store().tx_location(tx_hash);
  }
  std::optional<chain::Account> account_at(const Address& address, const Hash256& block_hash) const override {
    return chain_.account_at(address, block_hash);
  }
  std::optional<U256> total_weight(const Hash256& hash) const override { return chain_.store().total_weight(hash); }
  std::uint64_t safe_number() const override;
  std::uint64_t finalized_number() const override;

 private:
  const chain::ChainManager& chain_;
  std::uint64_t safe_depth_;
};

}  // namespace tally::node
