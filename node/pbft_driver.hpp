#pragma once
// Runs a PBFT replica (consensus/pbft/replica.hpp) inside a validator node.
//
// The replica is pure; this driver feeds it events and performs its actions
// (docs/consensus-pbft.md, "Driving the replica"). Every replica call and
// every action runs on the importer's thread, the node's one writer, so the
// replica, proposals, validation and commits see one head:
//   Persist           -> pbft_state.rlp in the datadir, written durably
//                        before any later action of the list
//   Broadcast         -> p2p consensus gossip
//   RequestProposal   -> build_block from the pool on the head, seal it; the
//                        proposal waits while the wall clock is behind the
//                        parent's timestamp (a child may share its second)
//   RequestValidation -> header rules, seal, execution and roots on the head
//   CommitBlock       -> import (reusing the execution check_block kept, or
//                        the senders found while proposing), ChainManager::finalize,
//                        on_block_committed
//   SetTimer/Cancel   -> TimerThread (callbacks post back to the importer)
//   RequestSync       -> p2p sync does the fetching (peers announce their
//                        heads); certified blocks come back through
//                        CertifiedBlocks, which calls on_final_block
// Incoming payloads are decoded (signatures recovered) on the caller's
// thread, off the import strand; undecodable ones are dropped (not scored:
// p2p relays payloads before the node sees them).
//
// If the state file cannot be written, or a block a quorum committed does
// not import, the driver halts: it stops signing (safety first) and logs why.

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "chain/chain_manager.hpp"
#include "chain/mempool.hpp"
#include "consensus/pbft/engine.hpp"
#include "consensus/pbft/replica.hpp"
#include "node/importer.hpp"
#include "node/timer_thread.hpp"
#include "p2p/host.hpp"
#include "rpc/node_api.hpp"

namespace tally::node {

struct PbftDriverOptions {
  consensus::pbft::ReplicaOptions replica;
  std::filesystem::path state_file;  // <datadir>/pbft_state.rlp
};

class PbftDriver {
 public:
  // Throws std::invalid_argument if `key` is not a validator's.
  PbftDriver(chain::ChainManager& chain, const consensus::pbft::PbftEngine& engine, chain::Mempool& pool,
             Importer& importer, const crypto::PrivateKey& key, PbftDriverOptions options);
  ~PbftDriver();
  PbftDriver(const PbftDriver&) = delete;
  PbftDriver& operator=(const PbftDriver&) = delete;

  void attach(p2p::Host* host) { host_ = host; }
  // Reads the persisted state and starts the replica at head + 1 (on the
  // import thread, which must be running). Error: an unreadable state file.
  Result<void> start();
  // Stops the timers; events that still arrive are ignored.
  void stop();

  // Any thread.
  void on_payload(p2p::PeerId from, BytesView payload);
  void on_transactions();
  // Import thread: a final block arrived by sync (CertifiedBlocks).
  void on_final_block(std::uint64_t height, const Hash256& hash);

  rpc::ConsensusStatus status() const;
  bool halted() const { return halted_.load(); }
  // Times the replica moved to a higher view within a height (a view
  // change it started or joined), since start.
  std::uint64_t view_changes() const { return view_changes_.load(); }
  const Address& address() const { return address_; }

 private:
  using Actions = consensus::pbft::Actions;
  void perform(Actions actions);
  void propose(const consensus::pbft::RequestProposal& request);
  bool validate(const consensus::pbft::RequestValidation& request);
  void commit(consensus::pbft::CommitBlock action);
  void set_timer(const consensus::pbft::SetTimer& timer);
  void after_commit();
  void halt(const std::string& why);
  std::optional<std::vector<Address>> senders_of(const chain::Block& block) const;
  void keep_decoded(const Hash256& hash, chain::Block block);
  void publish();

  chain::ChainManager& chain_;
  const consensus::pbft::PbftEngine& engine_;
  chain::Mempool& pool_;
  Importer& importer_;
  crypto::PrivateKey key_;
  Address address_{};
  PbftDriverOptions options_;
  std::unique_ptr<consensus::pbft::Replica> replica_;  // import thread only
  // The senders and execution of the block this node last proposed (import
  // thread only), handed to the import when that block commits. A block it validated
  // needs none: the chain keeps that block's execution (check_block).
  Hash256 known_senders_block_{};
  std::vector<Address> known_senders_;
  Importer::Prepared known_execution_;  // the proposed block's execution, for its import
  // The block last proposed or validated, decoded (import thread only): its
  // commit imports it without decoding the bytes a third time.
  Hash256 decoded_block_hash_{};
  std::optional<chain::Block> decoded_block_;
  TimerThread timers_;
  p2p::Host* host_ = nullptr;

  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> halted_{false};
  std::atomic<bool> pending_poke_{false};  // on_transactions coalesced
  // The replica waits for transactions to start its round (not active):
  // only then does a new transaction need the import thread's attention.
  std::atomic<bool> replica_idle_{true};
  std::atomic<std::uint64_t> view_changes_{0};

  mutable std::mutex status_mutex_;
  std::uint64_t status_height_ = 0;
  std::uint64_t status_view_ = 0;
};

}  // namespace tally::node
