#pragma once
// The PBFT replica: a pure state machine, (state, event) -> actions.
//
// No sockets, clocks, threads, disks or randomness: node/ (or the simulator
// in tests/sim) feeds it events and performs the actions it returns, in
// order. The contract, in short (docs/consensus-pbft.md has it in full):
//   - Persist: write the state synced BEFORE performing any later action of
//     the same list (the sends that follow depend on it).
//   - Broadcast: send the message to every other validator (p2p gossip).
//   - RequestProposal: build a block for (height, view) on the current head,
//     seal it for that view (seal.hpp) and answer with on_proposal_ready.
//   - RequestValidation: decode and fully validate the block (execution,
//     roots, seal) on the current head; answer with on_block_validated.
//   - CommitBlock: import the block, store the certificate with
//     ChainManager::finalize, then call on_block_committed.
//   - SetTimer/CancelTimer: one timer per TimerKind; SetTimer replaces the
//     pending timer of its kind; when it fires call on_timer with its id.
//   - RequestSync: peers are ahead; fetch certified blocks up to `height`
//     and report each import with on_block_committed.
// Messages given to on_message must have been decoded (decode_message: the
// signers are recovered); the replica checks everything else.
//
// Each height is one PBFT instance and starts in view 0. The replica only
// votes at its current height: messages for older heights are dropped,
// those for the next options.height_window heights buffered (at most
// options.max_buffered), the rest dropped.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "consensus/pbft/certificate.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/persisted.hpp"
#include "consensus/pbft/validators.hpp"
#include "crypto/secp256k1.hpp"

namespace tally::consensus::pbft {

struct ReplicaOptions {
  std::uint64_t base_timeout_ms = 2'000;  // a view's timeout; doubles with each failed view of a height
  std::uint64_t max_timeout_ms = 120'000;
  // Without pending transactions, a block is made after this long; 0 never
  // makes a block unless transactions wait.
  std::uint64_t idle_block_ms = 10'000;
  std::uint64_t checkpoint_interval = 64;  // K: a CHECKPOINT every K heights
  std::uint64_t height_window = 8;         // future heights whose messages are buffered
  std::uint64_t view_window = 16;          // future views whose messages are kept
  std::size_t max_buffered = 1'024;        // buffered future-height messages, an equal share per validator
  std::size_t checkpoints_per_sender = 4;  // newest checkpoints remembered per validator
};

enum class TimerKind : std::uint8_t { round = 1, idle = 2 };

struct TimerId {
  TimerKind kind = TimerKind::round;
  std::uint64_t height = 0;
  std::uint64_t view = 0;
  bool operator==(const TimerId&) const = default;
};

struct Persist {
  PersistedState state;
};
struct Broadcast {
  Message message;
};
struct RequestProposal {
  std::uint64_t height = 0;
  std::uint64_t view = 0;
};
struct RequestValidation {
  std::uint64_t height = 0;
  Hash256 block_hash{};
  Bytes block;
};
struct CommitBlock {
  std::uint64_t height = 0;
  Hash256 block_hash{};
  Bytes block;
  Bytes certificate;  // encode_certificate: what ChainManager::finalize stores
};
struct SetTimer {
  TimerId id;
  std::uint64_t duration_ms = 0;
};
struct CancelTimer {
  TimerKind kind = TimerKind::round;
};
struct RequestSync {
  std::uint64_t height = 0;  // fetch certified blocks up to this height
};

using Action = std::variant<Persist, Broadcast, RequestProposal, RequestValidation, CommitBlock, SetTimer, CancelTimer,
                            RequestSync>;
using Actions = std::vector<Action>;

// The hash of an encoded block, or nullopt if the bytes are not a block.
// node/: decode_block then header_hash; tests: any function.
using BlockHasher = std::function<std::optional<Hash256>(BytesView block)>;

class Replica {
 public:
  // Throws std::invalid_argument if `key` is not a validator's (full nodes
  // follow the chain by verifying certificates and run no replica).
  Replica(const Domain& domain, ValidatorSet validators, const crypto::PrivateKey& key, BlockHasher hasher,
          const ReplicaOptions& options = {});

  // Starts at `next_height` (the chain head's number + 1). `restored` is the
  // last persisted state, if any; it is used when it is for next_height.
  Actions start(std::uint64_t next_height, const std::optional<PersistedState>& restored);
  Actions on_message(const Message& message);
  Actions on_block_validated(std::uint64_t height, const Hash256& block_hash, bool valid);
  Actions on_proposal_ready(std::uint64_t height, std::uint64_t view, const Hash256& block_hash, Bytes block);
  // The chain now holds a final block at `height` (committed here or synced).
  Actions on_block_committed(std::uint64_t height, const Hash256& block_hash);
  // Transactions wait in the mempool: time to make a block. Call it when
  // they arrive and after each committed block while some remain.
  Actions on_transactions_pending();
  Actions on_timer(const TimerId& id);

  const Address& self() const noexcept { return self_; }
  std::uint64_t height() const noexcept { return height_; }
  std::uint64_t view() const noexcept { return view_; }
  bool in_view_change() const noexcept { return in_view_change_; }
  bool active() const noexcept { return active_; }
  bool decided() const noexcept { return decided_; }
  std::uint64_t stable_checkpoint() const noexcept { return stable_checkpoint_; }
  const std::optional<PreparedCertificate>& prepared() const noexcept { return prepared_; }
  std::size_t buffered() const noexcept { return future_.size(); }
  PersistedState snapshot() const;
  std::uint64_t timeout_ms(std::uint64_t view) const noexcept;

 private:
  struct ViewLog {
    std::optional<PrePrepare> pre_prepare;  // accepted; its block is in blocks_
    std::map<Address, Vote> prepares;       // first per sender
    std::map<Address, Vote> commits;        // first per sender
  };

  Actions take();
  void dispatch(const Message& message);
  void enter_height(std::uint64_t height);
  void reset_view_promises();
  void activate();
  void set_round_timer();
  void persist();
  void broadcast(Message message);
  void request_sync(std::uint64_t height);
  void note_ahead(const Address& sender, std::uint64_t height);
  bool block_matches(BytesView block, const Hash256& hash) const;

  // Normal case (replica.cpp).
  void try_propose();
  void on_pre_prepare(const PrePrepare& pp);
  void accept_pre_prepare(const PrePrepare& pp);
  void request_validation(const Hash256& hash);
  void on_vote(const Vote& vote);
  void advance();
  void send_prepare(ViewLog& log, const Hash256& hash);
  void send_commit(ViewLog& log, const Hash256& hash);
  void check_decision();

  // View change and checkpoints (replica_view_change.cpp).
  void start_view_change(std::uint64_t new_view);
  void on_view_change(const ViewChange& vc);
  void maybe_join();
  void try_new_view();
  void send_new_view(const Hash256& hash);
  void on_new_view(const NewView& nv);
  void prune_views();
  void on_checkpoint(const Checkpoint& cp);
  void send_checkpoint(std::uint64_t height, const Hash256& hash);

  Domain domain_;
  ValidatorSet validators_;
  crypto::PrivateKey key_;
  Address self_{};
  BlockHasher hasher_;
  ReplicaOptions options_;
  Actions out_;

  bool started_ = false;
  std::uint64_t height_ = 0;
  std::uint64_t view_ = 0;
  bool in_view_change_ = false;
  bool active_ = false;
  bool decided_ = false;
  bool proposal_requested_ = false;
  std::optional<std::uint64_t> sync_requested_;  // highest height asked for

  // Promises in view_ (persisted) and the height's prepared certificate.
  std::optional<Hash256> proposed_;
  std::optional<Hash256> prepare_sent_;
  std::optional<Hash256> commit_sent_;
  std::optional<PreparedCertificate> prepared_;

  std::map<std::uint64_t, ViewLog> logs_;
  std::map<Hash256, Bytes> blocks_;  // blocks seen at this height, hash-checked
  std::set<Hash256> valid_;
  std::set<Hash256> invalid_;
  std::set<Hash256> validating_;
  std::map<std::uint64_t, std::map<Address, ViewChange>> view_changes_;  // blocks stripped
  std::optional<std::vector<ViewChange>> pending_new_view_;              // awaiting a proposal

  std::vector<Message> future_;
  std::map<Address, std::uint64_t> ahead_;  // highest height seen per validator above ours

  std::map<Address, std::deque<std::pair<std::uint64_t, Hash256>>> checkpoints_;
  std::uint64_t stable_checkpoint_ = 0;
};

}  // namespace tally::consensus::pbft
