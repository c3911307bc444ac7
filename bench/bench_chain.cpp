// Chain micro benchmarks: RLP, transactions and block roots. Reproduce with:
//   build/release/bench/tally_bench --benchmark_filter='Tx|BareRecover|Rlp'
//
// BM_TxDecodeAndRecover (decode a signed EIP-1559 transfer from its raw
// bytes, then recover its sender) sits next to BM_BareRecover (libsecp256k1
// recovery of the same digest and signature alone): their ratio is the
// overhead of everything Tally adds around the signature check.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "chain/block.hpp"
#include "chain/rlp.hpp"
#include "chain/transaction.hpp"
#include "chain/trie.hpp"
#include "crypto/secp256k1.hpp"

namespace {

using namespace tally;  // NOLINT(google-build-using-namespace)

struct Fixture {
  chain::Transaction tx;
  Bytes raw;
  Hash256 digest{};
  crypto::Signature signature;
};

// A plain EIP-1559 value transfer, as wallets send them.
const Fixture& transfer() {
  static const Fixture fixture = [] {
    Fixture f;
    auto key = crypto::private_key_from_bytes(Bytes(32, 0x42));
    if (!key) std::abort();
    f.tx.type = chain::TxType::dynamic_fee;
    f.tx.chain_id = 1337;
    f.tx.nonce = 17;
    f.tx.max_priority_fee_per_gas = U256(2'000'000'000);
    f.tx.max_fee_per_gas = U256(40'000'000'000ULL);
    f.tx.gas_limit = 21'000;
    f.tx.to = Address{};
    f.tx.to->fill(0x35);
    f.tx.value = U256("1000000000000000000");
    chain::sign(f.tx, *key);
    f.raw = chain::encode(f.tx);
    f.digest = chain::signing_hash(f.tx);
    f.signature = crypto::Signature{f.tx.r, f.tx.s, f.tx.y_parity};
    return f;
  }();
  return fixture;
}

void BM_TxDecodeAndRecover(benchmark::State& state) {
  const Fixture& f = transfer();
  for (auto _ : state) {
    auto tx = chain::decode(f.raw);
    auto sender = chain::recover_sender(*tx);
    benchmark::DoNotOptimize(sender);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TxDecodeAndRecover);

void BM_BareRecover(benchmark::State& state) {
  const Fixture& f = transfer();
  for (auto _ : state) {
    auto key = crypto::recover(f.digest, f.signature);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_BareRecover);

void BM_TxDecode(benchmark::State& state) {
  const Fixture& f = transfer();
  for (auto _ : state) {
    auto tx = chain::decode(f.raw);
    benchmark::DoNotOptimize(tx);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TxDecode);

void BM_TxEncode(benchmark::State& state) {
  const Fixture& f = transfer();
  for (auto _ : state) {
    auto raw = chain::encode(f.tx);
    benchmark::DoNotOptimize(raw);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TxEncode);

void BM_TxSigningHash(benchmark::State& state) {
  const Fixture& f = transfer();
  for (auto _ : state) benchmark::DoNotOptimize(chain::signing_hash(f.tx));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TxSigningHash);

void BM_TxValidateStatic(benchmark::State& state) {
  const Fixture& f = transfer();
  const chain::TxRules rules{.chain_id = 1337};
  for (auto _ : state) {
    auto result = chain::validate_static(f.tx, rules);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TxValidateStatic);

// Strict full-tree validation of a block-body-like list of N transfers.
void BM_RlpValidateTxList(benchmark::State& state) {
  const Fixture& f = transfer();
  Bytes body;
  rlp::Encoder out(body);
  const auto marker = out.begin_list();
  for (std::int64_t i = 0; i < state.range(0); ++i) chain::append_in_list(out, f.tx);
  out.end_list(marker);
  for (auto _ : state) {
    auto ok = rlp::validate(body);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_RlpValidateTxList)->Arg(1000);

// ---------------------------------------------------------------- block roots
// The receipts root of a full block of transfers (1,428 of 21,000 gas in
// 30M), as every validator computes it for every block, built by
// chain::ordered_trie_root against the same items put into a Trie one by one
// and hashed (how ordered_trie_root built it before):
//   build/release/bench/tally_bench --benchmark_filter=ReceiptsRoot
std::vector<Bytes> full_block_receipts() {
  std::vector<Bytes> items;
  for (std::uint64_t i = 0; i < 1'428; ++i) {
    items.push_back(chain::encode_receipt(chain::Receipt{chain::TxType::dynamic_fee, 1, 21'000 * (i + 1)}));
  }
  return items;
}

void BM_ReceiptsRoot(benchmark::State& state) {
  const auto items = full_block_receipts();
  for (auto _ : state) benchmark::DoNotOptimize(chain::ordered_trie_root(items));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(items.size()));
}
BENCHMARK(BM_ReceiptsRoot)->Unit(benchmark::kMicrosecond);

void BM_ReceiptsRootViaTrie(benchmark::State& state) {
  const auto items = full_block_receipts();
  for (auto _ : state) {
    chain::Trie trie;
    for (std::size_t i = 0; i < items.size(); ++i) trie.put(rlp::encode_uint(i), items[i]);
    benchmark::DoNotOptimize(trie.root_hash());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(items.size()));
}
BENCHMARK(BM_ReceiptsRootViaTrie)->Unit(benchmark::kMicrosecond);

}  // namespace
