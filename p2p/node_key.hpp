#pragma once
// The node's identity on the network: a secp256k1 key kept in the datadir
// (file "nodekey": 64 hex characters and a newline, mode 0600, as geth's
// nodekey). The node id is the uncompressed public key, 64 bytes, written as
// 128 hex characters (as in an enode URL).

#include <cstddef>
#include <filesystem>
#include <string>

#include "crypto/result.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::p2p {

inline constexpr const char* kNodeKeyFileName = "nodekey";

// Reads `datadir`/nodekey, or creates it (0600, never overwriting) with a
// fresh key when it does not exist. Errors name the file and the problem.
Result<crypto::PrivateKey> load_or_create_node_key(const std::filesystem::path& datadir);

// A private key file: 64 hex characters (an 0x prefix allowed) on its first
// line. Reads at most kMaxKeyFileHead bytes. `what` names the key in
// errors ("node key", "validator key").
inline constexpr std::size_t kMaxKeyFileHead = 256;
Result<crypto::PrivateKey> read_key_file(const std::filesystem::path& file, const std::string& what);

// 128 lowercase hex characters.
std::string node_id_hex(const crypto::PublicKey& node_id);

}  // namespace tally::p2p
