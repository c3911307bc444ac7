#include "consensus/pbft/replica.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "crypto/address.hpp"

namespace tally::consensus::pbft {

Replica::Replica(const Domain& domain, ValidatorSet validators, const crypto::PrivateKey& key, BlockHasher hasher,
                 const ReplicaOptions& options)
    : domain_(domain),
      validators_(std::move(validators)),
      key_(key),
      self_(crypto::address_of(crypto::public_key_of(key))),
      hasher_(std::move(hasher)),
      options_(options) {
  if (!validators_.contains(self_)) {
    throw std::invalid_argument("pbft: " + crypto::to_checksum_address(self_) + " is not a validator");
  }
  if (!hasher_) throw std::invalid_argument("pbft: the replica needs a block hasher");
}

// ---------------------------------------------------------------- plumbing

Actions Replica::take() {
  return std::exchange(out_, {});
}

PersistedState Replica::snapshot() const {
  PersistedState s;
  s.height = height_;
  s.view = view_;
  s.in_view_change = in_view_change_;
  s.prepared = prepared_;
  s.proposed = proposed_;
  s.prepare_sent = prepare_sent_;
  s.commit_sent = commit_sent_;
  return s;
}

std::uint64_t Replica::timeout_ms(std::uint64_t view) const noexcept {
  const std::uint64_t cap = std::max(options_.max_timeout_ms, options_.base_timeout_ms);
  std::uint64_t t = std::max<std::uint64_t>(options_.base_timeout_ms, 1);
  // At most 64 doublings reach any cap; stop before t * 2 could overflow.
  for (std::uint64_t i = 0; i < view && t < cap && t <= UINT64_MAX / 2; ++i) t *= 2;
  return std::min(t, cap);
}

void Replica::persist() {
  out_.emplace_back(Persist{snapshot()});
}

void Replica::broadcast(Message message) {
  out_.emplace_back(Broadcast{std::move(message)});
}

void Replica::set_round_timer() {
  out_.emplace_back(SetTimer{TimerId{TimerKind::round, height_, view_}, timeout_ms(view_)});
}

void Replica::request_sync(std::uint64_t height) {
  if (sync_requested_ && *sync_requested_ >= height) return;
  sync_requested_ = height;
  out_.emplace_back(RequestSync{height});
}

bool Replica::block_matches(BytesView block, const Hash256& hash) const {
  if (block.empty()) return false;
  const std::optional<Hash256> actual = hasher_(block);
  return actual && *actual == hash;
}

void Replica::reset_view_promises() {
  proposed_.reset();
  prepare_sent_.reset();
  commit_sent_.reset();
  pending_new_view_.reset();
}

void Replica::enter_height(std::uint64_t height) {
  height_ = height;
  view_ = 0;
  in_view_change_ = false;
  active_ = false;
  decided_ = false;
  proposal_requested_ = false;
  reset_view_promises();
  prepared_.reset();
  logs_.clear();
  blocks_.clear();
  valid_.clear();
  invalid_.clear();
  validating_.clear();
  view_changes_.clear();
  std::erase_if(ahead_, [&](const auto& entry) { return entry.second <= height_; });
  out_.emplace_back(CancelTimer{TimerKind::round});
  if (options_.idle_block_ms > 0) {
    out_.emplace_back(SetTimer{TimerId{TimerKind::idle, height_, 0}, options_.idle_block_ms});
  }
}

void Replica::activate() {
  if (active_) return;
  active_ = true;
  out_.emplace_back(CancelTimer{TimerKind::idle});
  set_round_timer();
  try_propose();
}

// ---------------------------------------------------------------- events

Actions Replica::start(std::uint64_t next_height, const std::optional<PersistedState>& restored) {
  started_ = true;
  enter_height(next_height);
  if (restored && restored->height == next_height) {
    view_ = restored->view;
    in_view_change_ = restored->in_view_change;
    prepared_ = restored->prepared;
    proposed_ = restored->proposed;
    prepare_sent_ = restored->prepare_sent;
    commit_sent_ = restored->commit_sent;
    if (prepared_) {
      const PrePrepare& pp = prepared_->pre_prepare;
      if (block_matches(pp.block, pp.block_hash)) blocks_.emplace(pp.block_hash, pp.block);
      valid_.insert(pp.block_hash);  // it was validated before it was prepared
    }
    // Where it was interrupted, the height was under way: resume its timer.
    activate();
    if (in_view_change_) {
      // The same content signs to the same bytes (RFC 6979): a resend, not a new promise.
      ViewChange vc{view_, height_, prepared_, {}};
      sign(vc, domain_, key_);
      view_changes_[view_].emplace(self_, strip_block(vc));
      broadcast(std::move(vc));
    }
  }
  return take();
}

Actions Replica::on_message(const Message& message) {
  if (!started_) return {};
  const Address& sender = signer_of(message).sender;
  if (!validators_.contains(sender)) return {};
  if (const auto* cp = std::get_if<Checkpoint>(&message)) {
    on_checkpoint(*cp);
    return take();
  }
  const std::uint64_t height = height_of(message);
  if (height < height_) return {};
  if (height > height_) {
    note_ahead(sender, height);
    // Each validator gets an equal share of the buffer, so a faulty one
    // cannot crowd out the others' messages.
    const std::size_t share = std::max<std::size_t>(options_.max_buffered / validators_.size(), 1);
    const auto from_sender = static_cast<std::size_t>(
        std::count_if(future_.begin(), future_.end(), [&](const Message& m) { return signer_of(m).sender == sender; }));
    if (height - height_ <= options_.height_window && future_.size() < options_.max_buffered && from_sender < share) {
      future_.push_back(message);
    }
    return take();
  }
  dispatch(message);
  return take();
}

void Replica::dispatch(const Message& message) {
  if (const auto* pp = std::get_if<PrePrepare>(&message)) on_pre_prepare(*pp);
  if (const auto* vote = std::get_if<Vote>(&message)) on_vote(*vote);
  if (const auto* vc = std::get_if<ViewChange>(&message)) on_view_change(*vc);
  if (const auto* nv = std::get_if<NewView>(&message)) on_new_view(*nv);
}

Actions Replica::on_block_validated(std::uint64_t height, const Hash256& block_hash, bool valid) {
  if (!started_ || height != height_) return {};
  validating_.erase(block_hash);
  (valid ? valid_ : invalid_).insert(block_hash);
  if (!valid && !in_view_change_ && !decided_) {
    auto it = logs_.find(view_);
    // The primary proposed an invalid block: no reason to wait for the timer.
    if (it != logs_.end() && it->second.pre_prepare && it->second.pre_prepare->block_hash == block_hash) {
      start_view_change(view_ + 1);
      return take();
    }
  }
  advance();
  return take();
}

Actions Replica::on_proposal_ready(std::uint64_t height, std::uint64_t view, const Hash256& block_hash, Bytes block) {
  if (!started_ || height != height_ || view != view_ || decided_) return {};
  if (validators_.primary(height_, view_) != self_) return {};
  if (proposed_ && *proposed_ != block_hash) return {};
  if (!block_matches(block, block_hash)) return {};
  blocks_.emplace(block_hash, std::move(block));
  valid_.insert(block_hash);  // the node built it on its head
  if (view_ == 0 && !in_view_change_ && proposal_requested_) {
    PrePrepare pp{view_, height_, block_hash, blocks_[block_hash], {}};
    sign(pp, domain_, key_);
    proposed_ = block_hash;
    persist();
    broadcast(pp);
    pp.block.clear();
    logs_[view_].pre_prepare = std::move(pp);
    advance();
  } else if (in_view_change_ && pending_new_view_) {
    send_new_view(block_hash);
  }
  return take();
}

Actions Replica::on_block_committed(std::uint64_t height, const Hash256& block_hash) {
  if (!started_ || height < height_) return {};
  enter_height(height + 1);
  if (options_.checkpoint_interval > 0 && height % options_.checkpoint_interval == 0) {
    send_checkpoint(height, block_hash);
  }
  // Replay what was buffered for the new height; keep what is still ahead.
  std::vector<Message> buffered = std::exchange(future_, {});
  for (Message& m : buffered) {
    const std::uint64_t h = height_of(m);
    if (h == height_) {
      dispatch(m);
    } else if (h > height_ && h - height_ <= options_.height_window) {
      future_.push_back(std::move(m));
    }
  }
  return take();
}

Actions Replica::on_transactions_pending() {
  if (!started_) return {};
  activate();
  return take();
}

Actions Replica::on_timer(const TimerId& id) {
  if (!started_ || id.height != height_ || decided_) return {};
  if (id.kind == TimerKind::idle) {
    activate();
  } else if (id.view == view_) {
    start_view_change(view_ + 1);
  }
  return take();
}

// ---------------------------------------------------------------- normal case

void Replica::try_propose() {
  if (!active_ || in_view_change_ || decided_ || view_ != 0) return;
  if (validators_.primary(height_, view_) != self_ || proposed_ || proposal_requested_) return;
  proposal_requested_ = true;
  out_.emplace_back(RequestProposal{height_, view_});
}

void Replica::on_pre_prepare(const PrePrepare& pp) {
  // Later views start with the NEW-VIEW, which carries their pre-prepare.
  if (pp.view != 0 || view_ != 0 || in_view_change_) return;
  accept_pre_prepare(pp);
}

void Replica::accept_pre_prepare(const PrePrepare& pp) {
  if (pp.signer.sender != validators_.primary(height_, pp.view)) return;
  ViewLog& log = logs_[pp.view];
  if (log.pre_prepare) return;  // the first one counts; a second is equivocation
  if (!block_matches(pp.block, pp.block_hash)) return;
  blocks_.emplace(pp.block_hash, pp.block);
  PrePrepare stored = pp;
  stored.block.clear();
  log.pre_prepare = std::move(stored);
  activate();
  request_validation(pp.block_hash);
  advance();
}

void Replica::request_validation(const Hash256& hash) {
  if (valid_.contains(hash) || invalid_.contains(hash) || validating_.contains(hash)) return;
  auto block = blocks_.find(hash);
  if (block == blocks_.end()) return;
  validating_.insert(hash);
  out_.emplace_back(RequestValidation{height_, hash, block->second});
}

void Replica::on_vote(const Vote& vote) {
  if (vote.view > view_ + options_.view_window) return;
  if (vote.view + options_.view_window < view_) return;
  ViewLog& log = logs_[vote.view];
  auto& votes = vote.type == MessageType::prepare ? log.prepares : log.commits;
  if (!votes.emplace(vote.signer.sender, vote).second) return;  // duplicate or equivocation
  advance();
}

void Replica::advance() {
  if (decided_) return;
  check_decision();
  if (decided_ || in_view_change_) return;
  auto it = logs_.find(view_);
  if (it == logs_.end() || !it->second.pre_prepare) return;
  ViewLog& log = it->second;
  const Hash256 hash = log.pre_prepare->block_hash;
  if (!valid_.contains(hash)) return;
  if (log.pre_prepare->signer.sender != self_) send_prepare(log, hash);
  send_commit(log, hash);
}

void Replica::send_prepare(ViewLog& log, const Hash256& hash) {
  if (log.prepares.contains(self_)) return;
  if (prepare_sent_ && *prepare_sent_ != hash) return;  // promised another block in this view
  Vote prepare{MessageType::prepare, view_, height_, hash, {}};
  sign(prepare, domain_, key_);
  prepare_sent_ = hash;
  persist();
  broadcast(prepare);
  log.prepares.emplace(self_, prepare);
}

void Replica::send_commit(ViewLog& log, const Hash256& hash) {
  if (log.commits.contains(self_)) return;
  if (commit_sent_ && *commit_sent_ != hash) return;
  const Address& primary = log.pre_prepare->signer.sender;
  std::vector<Vote> matching;
  for (const auto& [sender, vote] : log.prepares) {
    if (sender != primary && vote.block_hash == hash) matching.push_back(vote);
  }
  if (matching.size() + 1 < validators_.quorum()) return;
  auto block = blocks_.find(hash);
  if (block == blocks_.end()) return;
  matching.resize(validators_.quorum() - 1);
  PreparedCertificate cert{*log.pre_prepare, std::move(matching)};
  cert.pre_prepare.block = block->second;
  prepared_ = std::move(cert);
  Vote commit{MessageType::commit, view_, height_, hash, {}};
  sign(commit, domain_, key_);
  commit_sent_ = hash;
  persist();
  broadcast(commit);
  log.commits.emplace(self_, commit);
  check_decision();
}

void Replica::check_decision() {
  for (const auto& [view, log] : logs_) {
    std::map<Hash256, std::vector<Vote>> by_hash;
    for (const auto& [sender, vote] : log.commits) by_hash[vote.block_hash].push_back(vote);
    for (auto& [hash, votes] : by_hash) {
      if (votes.size() < validators_.quorum()) continue;
      auto block = blocks_.find(hash);
      if (block == blocks_.end()) {
        request_sync(height_);  // final without us holding the block: fetch it
        continue;
      }
      votes.resize(validators_.quorum());
      decided_ = true;
      out_.emplace_back(CancelTimer{TimerKind::round});
      out_.emplace_back(
          CommitBlock{height_, hash, block->second, encode_certificate(make_commit_certificate(std::move(votes)))});
      return;
    }
  }
}

void Replica::note_ahead(const Address& sender, std::uint64_t height) {
  std::uint64_t& seen = ahead_[sender];
  if (height <= seen) return;
  seen = height;
  if (ahead_.size() < validators_.weak_quorum()) return;
  std::vector<std::uint64_t> heights;
  for (const auto& [who, h] : ahead_) heights.push_back(h);
  std::sort(heights.begin(), heights.end(), std::greater<>());
  // f + 1 validators work at or above this height, one of them honest: the
  // heights below it are final somewhere.
  const std::uint64_t working = heights[validators_.weak_quorum() - 1];
  if (working > height_) request_sync(working - 1);
}

}  // namespace tally::consensus::pbft
