#pragma once
// What the p2p host needs from the rest of the node: the node implements
// this interface (node/), the host calls it. p2p never sees the chain
// manager, the mempool or a consensus engine directly.
//
// Threads. Every method is called on the host's I/O thread. None may block:
// reads must answer from a snapshot or a thread-safe store quickly, and
// submissions (submit_block, deliver_consensus) must only queue the work
// (post it to the node's import strand) and return. A method may call back
// into the Host (announce_*, report_bad_peer, ...): those calls only post to
// the I/O thread and never wait, so they are safe from here.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "chain/block.hpp"
#include "chain/engine.hpp"
#include "chain/transaction.hpp"
#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "p2p/messages.hpp"

namespace tally::p2p {

// A connection's id, unique for the life of the host (never reused).
using PeerId = std::uint64_t;

// The local chain as the handshake and sync see it.
struct ChainStatus {
  chain::ChainTip head;
  std::uint64_t final_height = 0;  // highest final block (PBFT); 0 without finality
};

// The node's verdict on one transaction a peer sent.
enum class TxVerdict : std::uint8_t {
  accepted,  // new and valid: the host relays it
  known,     // already pooled or mined: not the peer's fault
  refused,   // valid but refused by local policy (fees, pool full): not punished
  invalid,   // invalid whatever the state (bad signature, wrong chain): the peer is scored
};

class ChainAccess {
 public:
  virtual ~ChainAccess() = default;

  virtual std::uint64_t chain_id() const = 0;
  virtual Hash256 genesis_hash() const = 0;
  virtual ChainStatus status() const = 0;

  // Canonical headers numbered first, first + 1 + skip, ... (at most `count`),
  // stopping at the head.
  virtual std::vector<chain::Header> headers_from(std::uint64_t first, std::size_t count, std::uint64_t skip) const = 0;
  // The number of a canonical block, nullopt if unknown or not canonical.
  virtual std::optional<std::uint64_t> canonical_number(const Hash256& hash) const = 0;
  // Any stored block (canonical or not).
  virtual std::optional<chain::Block> block_by_hash(const Hash256& hash) const = 0;
  virtual bool has_block(const Hash256& hash) const = 0;

  // The pool.
  virtual bool has_tx(const Hash256& hash) const = 0;
  virtual std::optional<chain::Transaction> pooled_tx(const Hash256& hash) const = 0;
  // Hashes of executable pooled transactions (at most max_count), announced
  // to each peer when it connects, as eth/68 nodes do, so a node that
  // restarted or joined late learns what is waiting to be mined.
  virtual std::vector<Hash256> pooled_hashes(std::size_t /*max_count*/) const { return {}; }
  // One verdict per transaction, in order. Called with at most
  // kMaxTxsPerMessage transactions, already decoded (signatures not checked);
  // hashes[i] is chain::tx_hash(txs[i]), which the host computed to check
  // the batch against its request.
  virtual std::vector<TxVerdict> submit_txs(PeerId from, std::vector<chain::Transaction> txs,
                                            std::span<const Hash256> hashes) = 0;

  // Checks a batch of headers during sync before their bodies are fetched:
  // the engine's rules (seal, finality) for each, given its parent. The host
  // has already checked the batch is a linked chain (parent hashes and
  // numbers) starting on `parent`, a header the node holds or the last one of
  // the previous batch. Error: the serving peer is dropped and banned.
  virtual Result<void> check_headers(const chain::Header& parent, std::span<const chain::Header> headers) = 0;

  // Asynchronous import: queue the block and return. Blocks arrive in
  // parent-before-child order when syncing. When the import finds the block
  // invalid, the node calls Host::report_bad_peer(from, ...). When a block
  // becomes part of the chain, the node calls Host::announce_block so peers
  // hear of it (the host does not relay blocks it has not seen imported).
  virtual void submit_block(PeerId from, chain::Block block) = 0;

  // An opaque consensus message (e.g. a PBFT vote) from a peer, already
  // deduplicated: each payload is delivered once. Queue and return.
  virtual void deliver_consensus(PeerId from, Bytes payload) = 0;

  // Finality certificates (PBFT). The stored certificate of a block, served
  // to peers that ask (GetCertificates); none by default.
  virtual std::optional<Bytes> certificate(const Hash256& /*block_hash*/) const { return std::nullopt; }
  // The answer to Host::request_certificates: the entries `from` sent for
  // the hashes asked (already checked to be among them; not verified: the
  // node checks them against the blocks). Queue and return.
  virtual void deliver_certificates(PeerId /*from*/, std::vector<CertificateEntry> /*certificates*/) {}
};

}  // namespace tally::p2p
