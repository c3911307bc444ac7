// Execution: the EIP-1559 base fee, header chain rules, value transfers with
// burn, tip and reward, one test per refusal rule, and root mismatches.

#include "chain/execution.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "chain/genesis.hpp"
#include "crypto/hex.hpp"
#include "ledger_test_util.hpp"
#include "test_util.hpp"

namespace tally::chain {
namespace {

using test::dev_address;
using test::ether;
using test::gwei;
using test::mentions;
using test::transfer;

// ---------------------------------------------------------------- base fee

U256 base_fee_after(const U256& base_fee, std::uint64_t gas_limit, std::uint64_t gas_used) {
  Header parent;
  parent.base_fee = base_fee;
  parent.gas_limit = gas_limit;
  parent.gas_used = gas_used;
  return next_base_fee(parent);
}

TEST(BaseFee, AtTargetUnchanged) {
  EXPECT_EQ(base_fee_after(gwei(), 30'000'000, 15'000'000), gwei());
  EXPECT_EQ(base_fee_after(gwei(), 30'000'001, 15'000'000), gwei());  // target rounds down
}

TEST(BaseFee, FullBlockRaisesByAnEighth) {
  EXPECT_EQ(base_fee_after(gwei(), 30'000'000, 30'000'000), 1'125'000'000);
}

TEST(BaseFee, EmptyBlockLowersByAnEighth) {
  EXPECT_EQ(base_fee_after(gwei(), 30'000'000, 0), 875'000'000);
  EXPECT_EQ(base_fee_after(8, 30'000'000, 0), 7);
  EXPECT_EQ(base_fee_after(7, 30'000'000, 0), 7);  // 7/8 rounds to no change
}

// geth's TestCalcBaseFee cases (gas limit 20M, target 10M).
TEST(BaseFee, GethCases) {
  EXPECT_EQ(base_fee_after(gwei(), 20'000'000, 10'000'000), gwei());
  EXPECT_EQ(base_fee_after(gwei(), 20'000'000, 9'000'000), 987'500'000);
  EXPECT_EQ(base_fee_after(gwei(), 20'000'000, 11'000'000), 1'012'500'000);
}

TEST(BaseFee, Rounding) {
  EXPECT_EQ(base_fee_after(100, 30'000'000, 15'000'001), 101);  // increase is at least 1
  EXPECT_EQ(base_fee_after(0, 30'000'000, 30'000'000), 1);
  EXPECT_EQ(base_fee_after(100, 30'000'000, 14'999'999), 100);  // decrease rounds toward zero
  EXPECT_EQ(base_fee_after(1'000'000'007, 30'000'000, 20'000'000), 1'000'000'007 + 41'666'666);
}

TEST(BaseFee, SaturatesAtMaximum) {
  EXPECT_EQ(base_fee_after(u256_max(), 30'000'000, 30'000'000), u256_max());
}

// ---------------------------------------------------------------- fixture

constexpr std::uint64_t kGasLimit = 100'000;

class Execution : public ::testing::Test {
 protected:
  void SetUp() override {
    nlohmann::json doc = {
        {"chainId", 1337},
        {"consensus",
         {{"type", "pow"},
          {"targetBlockTimeSeconds", 2},
          {"initialDifficulty", 1000},
          {"minimumDifficulty", 1},
          {"blockReward", "2000000000000000000"}}},
        {"gasLimit", kGasLimit},
        {"timestamp", 100},
        {"alloc",
         {{crypto::to_checksum_address(dev_address(3)), {{"balance", "1000"}, {"nonce", "0xffffffffffffffff"}}}}},
        {"devAccounts", {{"count", 3}, {"balance", "100000000000000000000"}}}};
    auto g = parse_genesis(doc.dump());
    ASSERT_TRUE(g.ok()) << g.error().message;
    genesis = std::move(*g);
    store.put(genesis.state);
    engine.reward = genesis.config.block_reward();
  }

  const Header& parent() const { return genesis.block.header; }
  StateDB open_state() const { return StateDB(store, parent().state_root); }

  Header child() const {
    Header h;
    h.parent_hash = genesis.hash;
    h.number = 1;
    h.timestamp = parent().timestamp + 2;
    h.beneficiary = miner;
    h.gas_limit = genesis.config.gas_limit;
    h.base_fee = next_base_fee(parent());
    h.seal = {rlp::encode_uint(1000), rlp::encode_string(Bytes(8, 0))};
    return h;
  }

  static std::vector<Address> senders_of(const std::vector<Transaction>& txs) {
    std::vector<Address> out;
    for (const auto& tx : txs) {
      auto sender = recover_sender(tx);
      EXPECT_TRUE(sender.ok());
      out.push_back(sender ? *sender : Address{});
    }
    return out;
  }

  Result<ExecutionResult> execute(const Block& block, StateDB& state) const {
    return execute_block(genesis.config, parent(), block, senders_of(block.transactions), state,
                         engine.block_reward(block.header.number));
  }

  // Block 1 with `txs`, its header filled from execution (as a producer does).
  Block build(std::vector<Transaction> txs) const {
    Block block{child(), std::move(txs)};
    StateDB state = open_state();
    auto result = execute(block, state);
    EXPECT_TRUE(result.ok()) << result.error().message;
    if (!result) return block;
    block.header.gas_used = result->gas_used;
    block.header.state_root = result->state_root;
    block.header.transactions_root = result->transactions_root;
    block.header.receipts_root = result->receipts_root;
    return block;
  }

  // Executes a block whose transaction 1 is `bad` and checks the error names
  // the block, the transaction's index and hash, and `rule`.
  void expect_tx_refused(const Transaction& bad, std::string_view rule) const {
    Block block{child(), {transfer(0, dev_address(1), 1, 0), bad}};
    StateDB state = open_state();
    auto result = execute(block, state);
    ASSERT_FALSE(result.ok()) << "accepted a block with " << rule;
    const std::string& message = result.error().message;
    EXPECT_TRUE(mentions(message, "block 1: tx 1 (" + to_hex_prefixed(tx_hash(bad)) + "): "));
    EXPECT_TRUE(mentions(message, rule));
  }

  Genesis genesis;
  MemoryNodeStore store;
  test::TestEngine engine;
  const Address miner = test::hex_fixed<20>("c0ffee254729296a45a3885639ac7e10f9d54979");
};

Transaction resign(Transaction tx, std::uint32_t key = 0) {
  sign(tx, test::dev_key(key));
  return tx;
}

// ---------------------------------------------------------------- transfers

TEST_F(Execution, TransferMovesValueBurnsBaseFeePaysTipAndReward) {
  const U256 base_fee = next_base_fee(parent());
  ASSERT_EQ(base_fee, 875'000'000);  // the genesis block is empty
  Block block = build({transfer(0, dev_address(1), ether(), 0)});
  StateDB state = open_state();
  auto result = execute(block, state);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_TRUE(validate_block_result(block.header, *result).ok());

  const U256 price = base_fee + gwei();  // min(max fee 2 gwei, base fee + 1 gwei tip)
  const U256 start = 100 * ether();
  EXPECT_EQ(state.get(dev_address(0)), (Account{1, start - ether() - 21'000 * price}));
  EXPECT_EQ(state.get(dev_address(1)), (Account{0, start + ether()}));
  EXPECT_EQ(state.get(miner).balance, 21'000 * gwei() + 2 * ether());
  EXPECT_EQ(result->burned, 21'000 * base_fee);
  EXPECT_EQ(result->tips, 21'000 * gwei());
  EXPECT_EQ(result->gas_used, 21'000U);
  ASSERT_EQ(result->receipts.size(), 1U);
  EXPECT_EQ(result->receipts[0], (Receipt{TxType::dynamic_fee, 1, 21'000}));
  // Supply grows by the reward and shrinks by the burn.
  const U256 before = 3 * start + 1000;
  const U256 after = state.get(dev_address(0)).balance + state.get(dev_address(1)).balance +
                     state.get(dev_address(2)).balance + state.get(dev_address(3)).balance + state.get(miner).balance;
  EXPECT_EQ(after, before + 2 * ether() - result->burned);
}

TEST_F(Execution, ReceiptsAccumulateGasAndGasUsedIsIntrinsic) {
  Transaction legacy;
  legacy.type = TxType::legacy;
  legacy.chain_id = 1337;
  legacy.gas_price = 2 * gwei();
  legacy.gas_limit = 30'000;  // more than it uses
  legacy.to = dev_address(2);
  legacy.data = test::hex("cafe");  // 2 non-zero bytes: 21000 + 32
  legacy = resign(legacy);
  Transaction access;
  access.type = TxType::access_list;
  access.chain_id = 1337;
  access.gas_price = gwei();
  access.gas_limit = 25'300;
  access.to = dev_address(0);
  access.value = 5;
  access.access_list = {AccessListEntry{dev_address(0), {Hash256{}}}};  // + 2400 + 1900
  access = resign(access, 1);
  const Transaction dynamic = transfer(0, dev_address(1), 7, 1);
  Block block = build({legacy, access, dynamic});
  StateDB state = open_state();
  auto result = execute(block, state);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->receipts.size(), 3U);
  EXPECT_EQ(result->receipts[0], (Receipt{TxType::legacy, 1, 21'032}));
  EXPECT_EQ(result->receipts[1], (Receipt{TxType::access_list, 1, 46'332}));
  EXPECT_EQ(result->receipts[2], (Receipt{TxType::dynamic_fee, 1, 67'332}));
  EXPECT_EQ(result->gas_used, 67'332U);
  // legacy: charged 21032 gas at its gas price, not its 30000 gas limit
  const U256 start = 100 * ether();
  const U256 dynamic_price = next_base_fee(parent()) + gwei();
  EXPECT_EQ(state.get(dev_address(0)).balance, start - 21'032 * 2 * gwei() + 5 - 7 - 21'000 * dynamic_price);
  EXPECT_EQ(state.get(dev_address(0)).nonce, 2U);
  EXPECT_TRUE(validate_block_result(block.header, *result).ok());
}

TEST_F(Execution, SelfTransferAndSenderAsBeneficiary) {
  Block block{child(), {transfer(0, dev_address(0), ether(), 0)}};
  block.header.beneficiary = dev_address(0);
  StateDB state = open_state();
  auto result = execute(block, state);
  ASSERT_TRUE(result.ok()) << result.error().message;
  // pays the whole fee, gets the tip and the reward back: net cost = the burn
  EXPECT_EQ(state.get(dev_address(0)), (Account{1, 100 * ether() - result->burned + 2 * ether()}));
}

TEST_F(Execution, BuilderSkipsBadTransactionsOneByOne) {
  const std::vector<Transaction> pool = {transfer(0, dev_address(1), 1, 0), transfer(0, dev_address(1), 1, 5),
                                         transfer(1, dev_address(2), 1, 0, 1), transfer(0, dev_address(1), 1, 1)};
  Header header = child();
  const BlockEnv env = block_env(genesis.config, header);
  StateDB state = open_state();
  std::vector<Transaction> included;
  std::vector<Receipt> receipts;
  std::uint64_t gas = 0;
  for (const auto& tx : pool) {
    const Hash256 root_before = state.root();
    auto out = apply_transaction(env, tx, *recover_sender(tx), gas, state);
    if (!out) {
      EXPECT_EQ(state.root(), root_before) << "a refused transaction changed the state";
      continue;
    }
    gas += out->gas_used;
    included.push_back(tx);
    receipts.push_back(out->receipt);
  }
  ASSERT_EQ(included.size(), 2U);
  ASSERT_TRUE(apply_block_reward(header.beneficiary, engine.reward, state).ok());
  header.gas_used = gas;
  header.state_root = state.root();
  header.transactions_root = transactions_root(included);
  header.receipts_root = receipts_root(receipts);
  // An importer accepts what the builder made.
  const Block block{header, included};
  ASSERT_TRUE(check_header_rules(genesis.config, block.header, parent()).ok());
  StateDB importer = open_state();
  auto result = execute(block, importer);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(validate_block_result(block.header, *result).ok());
}

// ---------------------------------------------------------------- one test per rule

TEST_F(Execution, RefusesWrongChainId) {
  expect_tx_refused(transfer(0, dev_address(1), 1, 1, 1), "invalid chain id: have 1, want 1337");
}

TEST_F(Execution, RefusesUnprotectedLegacy) {
  Transaction tx;
  tx.type = TxType::legacy;
  tx.chain_id = std::nullopt;
  tx.nonce = 1;
  tx.gas_price = 2 * gwei();
  tx.gas_limit = 21'000;
  tx.to = dev_address(1);
  expect_tx_refused(resign(tx), "invalid chain id: the transaction has none");
}

TEST_F(Execution, RefusesContractCreation) {
  Transaction tx = transfer(0, dev_address(1), 1, 1);
  tx.to = std::nullopt;
  tx.gas_limit = 53'000;
  expect_tx_refused(resign(tx), "contract creation is not supported");
}

TEST_F(Execution, RefusesNonceTooLow) {
  expect_tx_refused(transfer(0, dev_address(2), 1, 0), "nonce too low: have 0, want 1");
}

TEST_F(Execution, RefusesNonceTooHigh) {
  expect_tx_refused(transfer(0, dev_address(1), 1, 5), "nonce too high: have 5, want 1");
}

TEST_F(Execution, RefusesMaxNonce) {
  Block block{child(), {transfer(3, dev_address(1), 1, std::numeric_limits<std::uint64_t>::max())}};
  StateDB state = open_state();
  auto result = execute(block, state);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(mentions(result.error().message, "block 1: tx 0 ("));
  EXPECT_TRUE(mentions(result.error().message, "nonce has max value"));
}

TEST_F(Execution, RefusesIntrinsicGasTooLow) {
  Transaction tx = transfer(0, dev_address(1), 1, 1);
  tx.gas_limit = 20'999;
  expect_tx_refused(resign(tx), "intrinsic gas too low: have 20999, want 21000");
}

TEST_F(Execution, RefusesMaxFeeBelowBaseFee) {
  Transaction tx = transfer(0, dev_address(1), 1, 1);
  tx.max_fee_per_gas = 800'000'000;
  tx.max_priority_fee_per_gas = 0;
  expect_tx_refused(resign(tx), "max fee per gas less than block base fee: maxFeePerGas 800000000, baseFee 875000000");
}

TEST_F(Execution, RefusesTipAboveMaxFee) {
  Transaction tx = transfer(0, dev_address(1), 1, 1);
  tx.max_fee_per_gas = gwei();
  tx.max_priority_fee_per_gas = 2 * gwei();
  expect_tx_refused(resign(tx), "max priority fee per gas higher than max fee per gas");
}

TEST_F(Execution, RefusesBlockGasLimitReached) {
  Transaction tx = transfer(0, dev_address(1), 1, 1);
  tx.gas_limit = kGasLimit - 21'000 + 1;
  expect_tx_refused(resign(tx), "gas limit reached: the block has 79000 gas left");
}

TEST_F(Execution, RefusesInsufficientFunds) {
  expect_tx_refused(transfer(0, dev_address(1), 100 * ether(), 1), "insufficient funds for gas * price + value");
}

TEST_F(Execution, RefusesCostOverflow) {
  expect_tx_refused(transfer(0, dev_address(1), u256_max(), 1), "the cost exceeds 2^256 - 1 wei");
}

TEST_F(Execution, RefusedTransactionLeavesStateUnchanged) {
  StateDB state = open_state();
  const Hash256 before = state.root();
  const BlockEnv env = block_env(genesis.config, child());
  auto out = apply_transaction(env, transfer(0, dev_address(1), 100 * ether(), 0), dev_address(0), 0, state);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(state.root(), before);
}

// ---------------------------------------------------------------- results and headers

TEST_F(Execution, DetectsEachResultMismatch) {
  const Block block = build({transfer(0, dev_address(1), ether(), 0)});
  StateDB state = open_state();
  auto result = execute(block, state);
  ASSERT_TRUE(result.ok());
  const auto expect_mismatch = [&](Header header, std::string_view why) {
    auto ok = validate_block_result(header, *result);
    ASSERT_FALSE(ok.ok()) << why;
    EXPECT_TRUE(mentions(ok.error().message, why));
  };
  Header h = block.header;
  h.state_root[0] ^= 1;
  expect_mismatch(h, "state root mismatch");
  h = block.header;
  h.receipts_root[5] ^= 1;
  expect_mismatch(h, "receipts root mismatch");
  h = block.header;
  h.transactions_root[31] ^= 1;
  expect_mismatch(h, "transactions root mismatch");
  h = block.header;
  h.gas_used += 1;
  expect_mismatch(h, "gas used mismatch: header has 21001, execution used 21000");
}

TEST_F(Execution, DetectsTamperedTransaction) {
  Block block = build({transfer(0, dev_address(1), ether(), 0)});
  block.transactions[0] = transfer(0, dev_address(2), ether(), 0);  // swapped after sealing
  StateDB state = open_state();
  auto result = execute(block, state);
  ASSERT_TRUE(result.ok());
  auto ok = validate_block_result(block.header, *result);
  ASSERT_FALSE(ok.ok());
  EXPECT_TRUE(mentions(ok.error().message, "block 1: transactions root mismatch"));
}

TEST_F(Execution, RefusesMismatchedSendersAndWrongState) {
  const Block block = build({transfer(0, dev_address(1), ether(), 0)});
  StateDB state = open_state();
  auto none = execute_block(genesis.config, parent(), block, {}, state, 0);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(mentions(none.error().message, "0 senders given for 1 transactions"));
  StateDB moved = open_state();
  moved.set(miner, Account{0, 1});
  auto wrong = execute(block, moved);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(mentions(wrong.error().message, "not at the parent's state root"));
}

TEST_F(Execution, RewardOverflowIsRefused) {
  StateDB state = open_state();
  state.set(miner, Account{0, u256_max()});
  auto ok = apply_block_reward(miner, 1, state);
  ASSERT_FALSE(ok.ok());
  EXPECT_TRUE(mentions(ok.error().message, "balance overflow"));
  EXPECT_TRUE(apply_block_reward(miner, 0, state).ok());
}

TEST_F(Execution, PbftChildMayShareItsParentsSecondButNotPrecedeIt) {
  ChainConfig pbft = genesis.config;
  pbft.consensus = PbftParams{{Address{0x01}}, 1'000, 0};
  Header h = child();
  h.timestamp = parent().timestamp;
  EXPECT_TRUE(check_header_rules(pbft, h, parent()).ok());
  EXPECT_FALSE(check_header_rules(genesis.config, h, parent()).ok());
  h.timestamp = parent().timestamp - 1;
  auto early = check_header_rules(pbft, h, parent());
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(mentions(early.error().message, "timestamp 99 is before the parent's 100"));
}

TEST_F(Execution, HeaderRules) {
  const Header good = child();
  ASSERT_TRUE(check_header_rules(genesis.config, good, parent()).ok());
  const auto expect_refused = [&](Header h, std::string_view why) {
    auto ok = check_header_rules(genesis.config, h, parent());
    ASSERT_FALSE(ok.ok()) << why;
    EXPECT_TRUE(mentions(ok.error().message, why));
  };
  Header h = good;
  h.parent_hash[0] ^= 1;
  expect_refused(h, "does not match the parent");
  h = good;
  h.number = 2;
  expect_refused(h, "number must be the parent's plus one");
  h = good;
  h.timestamp = parent().timestamp;
  expect_refused(h, "timestamp 100 is not after the parent's 100");
  h = good;
  h.gas_limit = kGasLimit + 1;
  expect_refused(h, "gas limit 100001 is not the chain's 100000");
  h = good;
  h.gas_used = kGasLimit + 1;
  expect_refused(h, "gas used 100001 exceeds the gas limit 100000");
  h = good;
  h.base_fee += 1;
  expect_refused(h, "base fee 875000001 is not the expected 875000000");
  h = good;
  h.extra_data.assign(kMaxExtraDataBytes + 1, 0);
  expect_refused(h, "extra data of 33 bytes exceeds the limit of 32");
}

TEST_F(Execution, VerifyHeaderRunsChainRulesThenEngine) {
  test::MapHeaderReader reader;
  reader.headers[genesis.hash] = parent();
  const Header good = child();
  EXPECT_TRUE(verify_header(genesis.config, engine, good, parent(), reader, 1'000).ok());
  engine.refuse = true;
  auto refused = verify_header(genesis.config, engine, good, parent(), reader, 1'000);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(mentions(refused.error().message, "block 1: test engine: seal refused"));
  Header bad = good;
  bad.number = 5;
  auto chain_rule = verify_header(genesis.config, engine, bad, parent(), reader, 1'000);
  ASSERT_FALSE(chain_rule.ok());
  EXPECT_TRUE(mentions(chain_rule.error().message, "number must be"));
}

TEST(Engine, DefaultForkChoiceIsHeaviestAndTiesKeepTheFirst) {
  const test::TestEngine engine;
  const ChainTip current{Hash256{}, 10, 100};
  EXPECT_TRUE(engine.prefers(ChainTip{Hash256{}, 9, 101}, current));
  EXPECT_FALSE(engine.prefers(ChainTip{Hash256{}, 11, 100}, current));
  EXPECT_FALSE(engine.prefers(ChainTip{Hash256{}, 12, 99}, current));
}

}  // namespace
}  // namespace tally::chain
