#pragma once
// Genesis: the JSON file that starts a network, parsed strictly into the
// chain's config and its block 0. The genesis hash identifies the network.
//
// {
//   "chainId": 1337,
//   "consensus": {"type": "pow", "targetBlockTimeSeconds": 2,
//                 "initialDifficulty": "0x100000", "minimumDifficulty": "1024",
//                 "blockReward": "2000000000000000000"},
//            or {"type": "pbft", "validators": ["0x..", ...], "timeoutMs": 2000,
//                "blockReward": "0"},
//   "gasLimit": 30000000, "baseFeePerGas": "1000000000", "timestamp": 0,
//   "extraData": "0x",
//   "alloc": {"0xAddress": {"balance": "1000", "nonce": 0}},
//   "devAccounts": {"mnemonic": "test test ... junk", "count": 10, "balance": "..."}
// }
//
// Required: chainId, consensus (with type and the type's fields), gasLimit.
// Defaults: baseFeePerGas 1 gwei (EIP-1559's initial base fee), timestamp 0,
// extraData empty, alloc {}, PBFT timeoutMs 2000, PBFT blockReward 0.
// Numbers are JSON unsigned integers, decimal strings, or "0x" hex strings
// (write values above 2^64 as strings). Unknown or duplicate keys, negative
// or overflowing numbers, bad addresses (EIP-55 checksum) and an account
// funded twice are refused; the Error names the field.
//
// devAccounts funds `count` accounts m/44'/60'/0'/0/i of the BIP-39
// mnemonic (default: Hardhat's and Anvil's public "test ... junk"; account 0
// is 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266). Never on a public network.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "chain/block.hpp"
#include "chain/config.hpp"
#include "chain/node_store.hpp"
#include "crypto/result.hpp"

namespace tally::chain {

// geth --dev's chain id.
inline constexpr std::uint64_t kDevChainId = 1337;
inline constexpr std::uint64_t kDefaultGasLimit = 30'000'000;           // Hardhat, Anvil
inline constexpr std::uint64_t kDefaultInitialBaseFee = 1'000'000'000;  // EIP-1559 INITIAL_BASE_FEE
inline constexpr std::uint64_t kDefaultPbftTimeoutMs = 2'000;

struct GenesisLimits {
  static constexpr std::size_t kMaxFileBytes = 64U << 20U;
  static constexpr std::size_t kMaxDevAccounts = 1'000;
  static constexpr std::size_t kMaxValidators = 1'024;
};

struct Genesis {
  ChainConfig config;
  Block block;      // number 0, no transactions, seal from the consensus params
  Hash256 hash{};   // header_hash(block.header): the network's identity
  NodeBatch state;  // trie nodes of the genesis state, for the first write batch
  // The file funds devAccounts: a development network. Nodes then default
  // to development behaviour (mine only when transactions wait, instant
  // mining allowed). Not part of the chain's identity.
  bool dev = false;
};

// Parses genesis JSON text and builds the genesis block and state.
// PoW genesis seal: [difficulty = initialDifficulty, nonce = 8 zero bytes,
// config commitment]; PBFT: [config commitment].
Result<Genesis> parse_genesis(std::string_view json_text);
// Reads and parses a file (at most GenesisLimits::kMaxFileBytes).
Result<Genesis> load_genesis_file(const std::filesystem::path& path);

// keccak256 of the RLP of every ChainConfig field; the genesis header's last
// seal item, so the genesis hash changes with any of them.
Hash256 config_commitment(const ChainConfig& config);

// The default dev network: PoW, chain id 1337, 2 s blocks, 30M gas, 1 gwei
// base fee, 2 ETH reward, 10 dev accounts with 10,000 ETH each.
std::string dev_genesis_json();

}  // namespace tally::chain
