// Proof-of-work benchmarks: the miner's per-nonce seal check against bare
// OpenSSL sha256d of the same 40 bytes (target: within 10%), and the miner on
// 1 and 2 threads. Reproduce with:
//   build/release/bench/tally_bench --benchmark_filter='Pow'

// The bare baseline uses OpenSSL's low-level SHA256_CTX calls, deprecated in
// OpenSSL 3, exactly as consensus/pow/seal.cpp does (see the comment there).
#define OPENSSL_SUPPRESS_DEPRECATED

#include <benchmark/benchmark.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "consensus/pow/miner.hpp"
#include "consensus/pow/seal.hpp"

namespace {

using namespace tally;                  // NOLINT(google-build-using-namespace)
using namespace tally::consensus::pow;  // NOLINT(google-build-using-namespace)

chain::Header bench_template(const U256& difficulty) {
  chain::Header h;
  h.number = 1;
  h.timestamp = 2;
  h.gas_limit = 30'000'000;
  write_seal(h, {difficulty, 0});
  return h;
}

// Bare sha256d of 40 bytes (32-byte hash + 8-byte counter) on the stack.
void BM_PowBareSha256d40(benchmark::State& state) {
  std::array<std::uint8_t, 40> input{};
  input.fill(0x5a);
  std::uint8_t first[SHA256_DIGEST_LENGTH];
  std::uint8_t out[SHA256_DIGEST_LENGTH];
  std::uint64_t nonce = 0;
  for (auto _ : state) {
    std::memcpy(input.data() + 32, &nonce, sizeof nonce);
    ++nonce;
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, input.data(), input.size());
    SHA256_Final(first, &ctx);
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, first, sizeof first);
    SHA256_Final(out, &ctx);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PowBareSha256d40);

// The miner's inner loop: one SealChecker::try_nonce per iteration
// (big-endian nonce write, sha256d, 32-byte compare against the target).
void BM_PowSealCheck(benchmark::State& state) {
  const chain::Header h = bench_template(u256_max());
  SealChecker checker(seal_hash(h), target_from_difficulty(u256_max()));
  std::uint64_t nonce = 0;
  for (auto _ : state) benchmark::DoNotOptimize(checker.try_nonce(nonce++));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PowSealCheck);

// The full check a verifier runs per header (decode seal, keccak seal hash,
// target, sha256d).
void BM_PowCheckSealHeader(benchmark::State& state) {
  const chain::Header h = bench_template(1);
  for (auto _ : state) benchmark::DoNotOptimize(check_seal(h));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PowCheckSealHeader);

// The miner on N threads over 2^20 nonces of an unreachable target;
// items/s = hashes/s (wall clock).
void BM_PowMiner(benchmark::State& state) {
  const chain::Header h = bench_template(u256_max());
  MinerOptions options;
  options.threads = static_cast<unsigned>(state.range(0));
  options.max_attempts = 1U << 20U;
  std::uint64_t hashes = 0;
  for (auto _ : state) {
    auto r = mine(h, options);
    if (!r.ok()) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
    hashes += r->hashes;
    options.start_nonce += options.max_attempts;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(hashes));
}
BENCHMARK(BM_PowMiner)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
