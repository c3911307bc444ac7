// Crypto micro benchmarks. Reproduce with:
//   build/release/bench/tally_bench --benchmark_filter='Keccak|Sha256|Secp256k1'

// The low-level SHA256_Init/Update/Final calls are deprecated in OpenSSL 3;
// they are used here only as the yardstick for the library's EVP path.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "crypto/keccak.hpp"
#include "crypto/secp256k1.hpp"
#include "crypto/sha256.hpp"

namespace {

using namespace tally;  // NOLINT(google-build-using-namespace)

Bytes filled(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return b;
}

// `hash` over state.range(0) bytes, one byte changed each time.
void hash_throughput(benchmark::State& state, Hash256 (*hash)(BytesView)) {
  Bytes data = filled(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    data[0]++;
    benchmark::DoNotOptimize(hash(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Keccak256(benchmark::State& state) {
  hash_throughput(state, crypto::keccak256);
}
// 128 KiB: about a full PBFT proposal, which gossip deduplicates by hash.
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(1024)->Arg(128 << 10);

// SHA-256 through OpenSSL (SHA-NI where the CPU has it): gossip's
// deduplication digest of consensus payloads, against keccak256 above.
void BM_Sha256(benchmark::State& state) {
  hash_throughput(state, crypto::sha256);
}
BENCHMARK(BM_Sha256)->Arg(1024)->Arg(128 << 10);

// The proof-of-work hash: sha256d(seal hash || nonce), 40 bytes, through the
// library (EVP with a reused per-thread context and a pre-fetched method).
void BM_Sha256d_40(benchmark::State& state) {
  Bytes data = filled(40);
  for (auto _ : state) {
    data[39]++;
    benchmark::DoNotOptimize(crypto::sha256d(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 40);
}
BENCHMARK(BM_Sha256d_40);

// The same hash through OpenSSL's deprecated SHA256_CTX calls. They skip the
// EVP dispatch and provider context set-up that each EVP init still costs,
// so they bound what a miner could gain by leaving EVP.
void BM_Sha256d_40_LowLevelCtx(benchmark::State& state) {
  Bytes data = filled(40);
  unsigned char first[SHA256_DIGEST_LENGTH];
  unsigned char out[SHA256_DIGEST_LENGTH];
  for (auto _ : state) {
    data[39]++;
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data.data(), data.size());
    SHA256_Final(first, &ctx);
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, first, sizeof first);
    SHA256_Final(out, &ctx);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 40);
}
BENCHMARK(BM_Sha256d_40_LowLevelCtx);

// The slow pattern the library avoids: look the digest up by name and set up
// a fresh context for every hash (what SHA256() does in OpenSSL 3).
void BM_Sha256d_40_EvpQDigest(benchmark::State& state) {
  Bytes data = filled(40);
  unsigned char first[SHA256_DIGEST_LENGTH];
  unsigned char out[SHA256_DIGEST_LENGTH];
  std::size_t len = 0;
  for (auto _ : state) {
    data[39]++;
    if (EVP_Q_digest(nullptr, "SHA256", nullptr, data.data(), data.size(), first, &len) != 1 ||
        EVP_Q_digest(nullptr, "SHA256", nullptr, first, sizeof first, out, &len) != 1) {
      state.SkipWithError("EVP_Q_digest failed");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 40);
}
BENCHMARK(BM_Sha256d_40_EvpQDigest);

const crypto::PrivateKey& bench_key() {
  static const crypto::PrivateKey key = crypto::generate_private_key();
  return key;
}

void BM_Secp256k1_Sign(benchmark::State& state) {
  Hash256 digest = crypto::keccak256(as_bytes("sign"));
  for (auto _ : state) {
    digest[0]++;
    benchmark::DoNotOptimize(crypto::sign(digest, bench_key()));
  }
}
BENCHMARK(BM_Secp256k1_Sign);

void BM_Secp256k1_Verify(benchmark::State& state) {
  const Hash256 digest = crypto::keccak256(as_bytes("verify"));
  const crypto::Signature sig = crypto::sign(digest, bench_key());
  const crypto::PublicKey pub = crypto::public_key_of(bench_key());
  for (auto _ : state) benchmark::DoNotOptimize(crypto::verify(digest, sig, pub));
}
BENCHMARK(BM_Secp256k1_Verify);

void BM_Secp256k1_Recover(benchmark::State& state) {
  const Hash256 digest = crypto::keccak256(as_bytes("recover"));
  const crypto::Signature sig = crypto::sign(digest, bench_key());
  for (auto _ : state) benchmark::DoNotOptimize(crypto::recover(digest, sig));
  state.SetItemsProcessed(state.iterations());  // recoveries/s: the PBFT benchmark's machine bound
}
BENCHMARK(BM_Secp256k1_Recover);

// Recovery as a node meets it: a different signer, digest and signature
// each time (4,096 of them, made before timing, cycled). Recovery is
// variable-time, so one input recovered again and again lets the branch
// predictor learn its path; the PBFT benchmark's bound uses this rate.
void BM_Secp256k1_RecoverDistinct(benchmark::State& state) {
  constexpr std::size_t kInputs = 4096;
  std::vector<std::pair<Hash256, crypto::Signature>> inputs;
  inputs.reserve(kInputs);
  for (std::size_t i = 0; i < kInputs; ++i) {
    const crypto::PrivateKey key = crypto::generate_private_key();
    const Hash256 digest = crypto::keccak256(as_bytes("recover " + std::to_string(i)));
    inputs.emplace_back(digest, crypto::sign(digest, key));
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const auto& [digest, sig] = inputs[next];
    benchmark::DoNotOptimize(crypto::recover(digest, sig));
    next = (next + 1) % kInputs;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1_RecoverDistinct);

}  // namespace
