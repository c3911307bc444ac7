// Writes the p2p seeds that need real chain objects, with the project's own
// encoders, so they decode as long as the encoders and decoders agree:
//
//   p2p_message/new_block   block 1 of the dev genesis: a legacy (EIP-155),
//                           an access-list and a dynamic-fee transfer, built
//                           by chain::build_block and sealed by the PoW miner
//   p2p_message/headers     the genesis header and block 1's header
//   p2p_message/txs         the three transactions
//   p2p_message/bodies_txs  block 1's body
//
// then writes p2p_frame/<name> as the whole frame of every p2p_message seed
// whose name does not start with "bad_" (it fails if one of those does not
// decode). Deterministic: signatures are RFC 6979 and the nonce search starts
// at 0, so a rerun with unchanged encoders rewrites the same bytes.
//
//   fuzz_make_p2p_seeds tests/fuzz/corpus

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chain/block_builder.hpp"
#include "chain/genesis.hpp"
#include "chain/mempool.hpp"
#include "consensus/pow/engine.hpp"
#include "consensus/pow/miner.hpp"
#include "consensus/pow/seal.hpp"
#include "crypto/address.hpp"
#include "crypto/hd.hpp"
#include "p2p/messages.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tally;

constexpr std::uint64_t kGwei = 1'000'000'000;

Result<crypto::PrivateKey> dev_key(std::uint32_t index) {
  return crypto::dev_account_key(crypto::kDevMnemonic, index);
}

Result<void> write_file(const fs::path& path, BytesView bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) return fail("cannot write " + path.string());
  return {};
}

// A message seed: the type byte, then the payload.
Result<void> write_message_seed(const fs::path& corpus, const std::string& name, const p2p::Message& message) {
  Bytes seed{static_cast<std::uint8_t>(p2p::type_of(message))};
  const Bytes payload = p2p::encode_payload(message);
  seed.insert(seed.end(), payload.begin(), payload.end());
  return write_file(corpus / "p2p_message" / name, seed);
}

// One transfer of each transaction type, from dev accounts 0, 1 and 2.
Result<std::vector<chain::Transaction>> signed_transfers(std::uint64_t chain_id) {
  std::vector<chain::Transaction> txs(3);
  txs[0].type = chain::TxType::legacy;
  txs[0].gas_price = 2 * kGwei;
  txs[1].type = chain::TxType::access_list;
  txs[1].gas_price = 2 * kGwei;
  txs[1].access_list = {chain::AccessListEntry{Address{0xac}, {Hash256{0x51}}}};
  txs[2].type = chain::TxType::dynamic_fee;
  txs[2].max_priority_fee_per_gas = kGwei;
  txs[2].max_fee_per_gas = 2 * kGwei;
  txs[2].data = Bytes{0xca, 0xfe};
  for (std::uint32_t i = 0; i < txs.size(); ++i) {
    auto key = dev_key(i);
    if (!key) return Unexpected{key.error()};
    auto& tx = txs[i];
    tx.chain_id = chain_id;
    tx.nonce = 0;
    tx.to = Address{static_cast<std::uint8_t>(0x70 + i)};
    tx.value = U256(1'000U * (i + 1));
    tx.gas_limit = chain::intrinsic_gas(tx).value_or(0);
    chain::sign(tx, *key);
  }
  return txs;
}

struct SeedChain {
  chain::Block genesis;
  chain::Block block;  // block 1, sealed
  U256 total_weight = 0;
};

// Block 1 on the dev genesis, executed against the genesis state and mined.
Result<SeedChain> build_seed_chain() {
  auto genesis = chain::parse_genesis(chain::dev_genesis_json());
  if (!genesis) return Unexpected{genesis.error()};
  const auto& config = genesis->config;
  const consensus::pow::PowEngine engine(std::get<chain::PowParams>(config.consensus), genesis->block.header);
  chain::MemoryNodeStore store;
  store.put(genesis->state);

  auto txs = signed_transfers(config.chain_id);
  if (!txs) return Unexpected{txs.error()};
  std::vector<chain::PooledTxPtr> candidates;
  for (const auto& tx : *txs) {
    auto sender = chain::recover_sender(tx);
    if (!sender) return Unexpected{sender.error()};
    auto pooled = std::make_shared<chain::PooledTx>();
    pooled->tx = tx;
    pooled->hash = chain::tx_hash(tx);
    pooled->sender = *sender;
    candidates.push_back(std::move(pooled));
  }

  const auto& parent = genesis->block.header;
  chain::BlockTemplate block_template;
  auto beneficiary = dev_key(9);
  if (!beneficiary) return Unexpected{beneficiary.error()};
  block_template.beneficiary = crypto::address_of(crypto::public_key_of(*beneficiary));
  block_template.timestamp = parent.timestamp + 2;
  block_template.extra_data = Bytes{'f', 'u', 'z', 'z', ' ', 's', 'e', 'e', 'd'};
  block_template.block_reward = engine.block_reward(1);
  chain::Header sealed;
  consensus::pow::write_seal(sealed, {engine.next_difficulty(parent), 0});
  block_template.seal = sealed.seal;

  auto built = chain::build_block(config, store, parent, block_template, candidates);
  if (!built) return Unexpected{built.error()};
  if (built->block.transactions.size() != txs->size()) return fail("the builder skipped a seed transaction");
  auto mined = consensus::pow::mine(built->block.header, {});
  if (!mined) return Unexpected{mined.error()};
  if (mined->outcome != consensus::pow::MineOutcome::found) return fail("no nonce seals block 1");

  SeedChain out;
  out.genesis = genesis->block;
  out.block = built->block;
  out.block.header = mined->header;
  out.total_weight = engine.weight(out.genesis.header) + engine.weight(out.block.header);
  return out;
}

Result<void> write_chain_seeds(const fs::path& corpus) {
  auto seeds = build_seed_chain();
  if (!seeds) return Unexpected{seeds.error()};
  const std::vector<std::pair<std::string, p2p::Message>> messages{
      {"new_block", p2p::NewBlock{seeds->block, seeds->total_weight}},
      {"headers", p2p::Headers{1, {seeds->genesis.header, seeds->block.header}}},
      {"txs", p2p::Txs{seeds->block.transactions}},
      {"bodies_txs", p2p::Bodies{2, {chain::BlockBody{seeds->block.transactions}}}},
  };
  for (const auto& [name, message] : messages) {
    if (auto written = write_message_seed(corpus, name, message); !written) return written;
  }
  return {};
}

// p2p_frame/<name>: the frame of each valid p2p_message seed.
Result<void> write_frame_seeds(const fs::path& corpus) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus / "p2p_message")) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    if (name.starts_with("bad_")) continue;
    std::ifstream in(path, std::ios::binary);
    const Bytes seed{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (seed.empty()) return fail(name + ": empty");
    const BytesView payload = BytesView(seed).subspan(1);
    if (!p2p::max_payload_bytes(seed[0])) return fail(name + ": unknown message type");
    auto message = p2p::decode_message(static_cast<p2p::MessageType>(seed[0]), payload);
    if (!message) return fail(name + ": " + message.error().message + " (fix it, or name it bad_*)");
    if (auto written = write_file(corpus / "p2p_frame" / name, p2p::encode_message(*message)); !written) {
      return written;
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <tests/fuzz/corpus>\n", argv[0]);
    return 2;
  }
  const fs::path corpus = argv[1];
  auto done = write_chain_seeds(corpus);
  if (done) done = write_frame_seeds(corpus);
  if (!done) {
    std::fprintf(stderr, "fuzz_make_p2p_seeds: %s\n", done.error().message.c_str());
    return 1;
  }
  return 0;
}
