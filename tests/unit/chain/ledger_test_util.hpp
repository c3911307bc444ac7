#pragma once
// Helpers for the ledger tests (blocks, genesis, execution): a trivial
// consensus engine, an in-memory header reader, dev keys and signed transfers.

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "chain/engine.hpp"
#include "chain/transaction.hpp"
#include "crypto/address.hpp"
#include "crypto/hd.hpp"

namespace tally::test {

// Accepts every header unless told to refuse; every block weighs 1.
class TestEngine final : public chain::Engine {
 public:
  std::string_view name() const override { return "test"; }
  Result<void> verify_header(const chain::Header& /*header*/, const chain::Header& /*parent*/,
                             const chain::HeaderReader& /*chain*/, std::uint64_t /*now_seconds*/) const override {
    if (refuse) return fail("test engine: seal refused");
    return {};
  }
  U256 weight(const chain::Header& /*header*/) const override { return 1; }
  U256 block_reward(std::uint64_t /*number*/) const override { return reward; }
  bool has_finality() const override { return false; }
  Result<void> verify_finality(const chain::Header& /*header*/, BytesView /*certificate*/) const override {
    return fail("test engine: no finality");
  }

  bool refuse = false;
  U256 reward = 0;
};

class MapHeaderReader final : public chain::HeaderReader {
 public:
  std::optional<chain::Header> header_by_hash(const Hash256& hash) const override {
    auto it = headers.find(hash);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
  std::map<Hash256, chain::Header> headers;
};

inline crypto::PrivateKey dev_key(std::uint32_t index) {
  auto key = crypto::dev_account_key(crypto::kDevMnemonic, index);
  EXPECT_TRUE(key.ok());
  return *key;
}

inline Address dev_address(std::uint32_t index) {
  return crypto::address_of(crypto::public_key_of(dev_key(index)));
}

inline const U256& gwei() {
  static const U256 kGwei = 1'000'000'000;
  return kGwei;
}
inline const U256& ether() {
  static const U256 kEther("1000000000000000000");
  return kEther;
}

// A signed EIP-1559 transfer of `value` from dev account `from` to `to`.
inline chain::Transaction transfer(std::uint32_t from, const Address& to, const U256& value, std::uint64_t nonce,
                                   std::uint64_t chain_id = 1337) {
  chain::Transaction tx;
  tx.type = chain::TxType::dynamic_fee;
  tx.chain_id = chain_id;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = gwei();
  tx.max_fee_per_gas = 2 * gwei();
  tx.gas_limit = 21'000;
  tx.to = to;
  tx.value = value;
  chain::sign(tx, dev_key(from));
  return tx;
}

}  // namespace tally::test
