#pragma once
// Helpers for the mempool tests: a fake account state, real keys and signed
// EIP-1559 transactions (so every sender is a recovered address).

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chain/mempool.hpp"
#include "chain/transaction.hpp"
#include "crypto/address.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::chain::test {

inline constexpr std::uint64_t kChainId = 1337;
inline constexpr std::uint64_t kBlockGas = 30'000'000;

// Account state the test edits between heads.
class FakeAccounts : public AccountReader {
 public:
  AccountInfo account(const Address& address) const override {
    auto it = accounts_.find(address);
    return it == accounts_.end() ? AccountInfo{} : it->second;
  }
  void set(const Address& address, std::uint64_t nonce, const U256& balance) {
    accounts_[address] = AccountInfo{nonce, balance};
  }
  AccountInfo& at(const Address& address) { return accounts_[address]; }

 private:
  std::map<Address, AccountInfo> accounts_;
};

struct Signer {
  crypto::PrivateKey key;
  Address address{};
};

// Deterministic signer number i (key = i + 1).
inline const Signer& signer(std::size_t i) {
  static std::map<std::size_t, Signer> cache;
  auto it = cache.find(i);
  if (it != cache.end()) return it->second;
  Hash256 bytes{};
  const std::size_t k = i + 1;
  for (std::size_t b = 0; b < 8; ++b) bytes[31 - b] = static_cast<std::uint8_t>(k >> (8 * b));
  auto key = crypto::private_key_from_bytes(bytes);
  EXPECT_TRUE(key.ok());
  Signer s{*key, crypto::address_of(crypto::public_key_of(*key))};
  return cache.emplace(i, s).first->second;
}

struct TxSpec {
  std::uint64_t nonce = 0;
  U256 fee_cap = 100;
  U256 tip = 10;
  std::uint64_t gas = 21'000;
  U256 value = 0;
  std::size_t data_bytes = 0;
};

inline Transaction make_tx(const Signer& from, const TxSpec& spec) {
  Transaction tx;
  tx.type = TxType::dynamic_fee;
  tx.chain_id = kChainId;
  tx.nonce = spec.nonce;
  tx.max_fee_per_gas = spec.fee_cap;
  tx.max_priority_fee_per_gas = spec.tip;
  tx.gas_limit = spec.gas + 16 * spec.data_bytes;
  Address to{};
  to[19] = 0x42;
  tx.to = to;
  tx.value = spec.value;
  tx.data = Bytes(spec.data_bytes, 0xab);
  sign(tx, from.key);
  return tx;
}

// Plenty for any test transaction.
inline const U256 kRich = U256(1) << 128;

struct PoolFixture {
  std::shared_ptr<FakeAccounts> accounts = std::make_shared<FakeAccounts>();

  std::unique_ptr<Mempool> pool(const MempoolOptions& options = {}, const U256& base_fee = 0,
                                std::uint64_t gas_limit = kBlockGas) {
    return std::make_unique<Mempool>(options, HeadState{base_fee, gas_limit, accounts});
  }
  HeadState head(const U256& base_fee = 0, std::uint64_t gas_limit = kBlockGas) {
    return HeadState{base_fee, gas_limit, accounts};
  }
  void fund(std::size_t signer_index, std::uint64_t nonce = 0, const U256& balance = kRich) {
    accounts->set(signer(signer_index).address, nonce, balance);
  }
};

// What add_ok() reports (AddResult is [[nodiscard]]; this is not).
struct Added {
  Hash256 hash{};
  bool pending = false;
  std::optional<Hash256> replaced;
  std::vector<Hash256> evicted;
  std::string message;
};

// Adds and expects success.
inline Added add_ok(Mempool& pool, const Signer& from, const TxSpec& spec, std::uint64_t now_ms = 0) {
  AddResult result = pool.add(make_tx(from, spec), from.address, now_ms);
  EXPECT_TRUE(result.ok()) << result.message;
  return Added{result.hash, result.pending, result.replaced, std::move(result.evicted), std::move(result.message)};
}

inline ::testing::AssertionResult pool_consistent(const Mempool& pool) {
  if (auto problem = pool.audit()) return ::testing::AssertionFailure() << *problem;
  return ::testing::AssertionSuccess();
}

}  // namespace tally::chain::test
