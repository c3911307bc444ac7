// View change, NEW-VIEW and checkpoints of the replica (replica.hpp).

#include <algorithm>
#include <utility>

#include "consensus/pbft/replica.hpp"

namespace tally::consensus::pbft {

void Replica::start_view_change(std::uint64_t new_view) {
  view_ = new_view;
  in_view_change_ = true;
  active_ = true;
  reset_view_promises();
  out_.emplace_back(CancelTimer{TimerKind::idle});
  ViewChange vc{new_view, height_, prepared_, {}};
  sign(vc, domain_, key_);
  persist();  // the view: no vote in an earlier one after a restart
  view_changes_[new_view].insert_or_assign(self_, strip_block(vc));
  broadcast(std::move(vc));
  prune_views();
  set_round_timer();
  try_new_view();
}

void Replica::prune_views() {
  std::erase_if(view_changes_, [&](const auto& entry) { return entry.first < view_; });
  std::erase_if(logs_, [&](const auto& entry) { return entry.first + options_.view_window < view_; });
}

void Replica::on_view_change(const ViewChange& vc) {
  const bool current = vc.new_view == view_ && in_view_change_;
  if (!(vc.new_view > view_ || current) || vc.new_view - view_ > options_.view_window) return;
  auto& of_view = view_changes_[vc.new_view];
  if (of_view.contains(vc.signer.sender)) return;
  if (!check_view_change(vc, validators_)) return;
  if (vc.prepared) {
    const PrePrepare& pp = vc.prepared->pre_prepare;
    if (!pp.block.empty()) {
      if (!block_matches(pp.block, pp.block_hash)) return;  // a valid certificate with a wrong block
      blocks_.emplace(pp.block_hash, pp.block);
    }
  }
  of_view.emplace(vc.signer.sender, strip_block(vc));
  maybe_join();
  try_new_view();
}

void Replica::maybe_join() {
  std::map<Address, std::uint64_t> highest;
  for (const auto& [view, senders] : view_changes_) {
    if (view <= view_) continue;
    for (const auto& [sender, vc] : senders) {
      if (sender != self_) highest[sender] = std::max(highest[sender], view);
    }
  }
  if (highest.size() < validators_.weak_quorum()) return;
  std::vector<std::uint64_t> views;
  for (const auto& [sender, view] : highest) views.push_back(view);
  std::sort(views.begin(), views.end(), std::greater<>());
  // f + 1 validators, one of them honest, have moved to this view or beyond.
  const std::uint64_t target = views[validators_.weak_quorum() - 1];
  if (target > view_) start_view_change(target);
}

void Replica::try_new_view() {
  if (!in_view_change_ || decided_ || pending_new_view_ || proposed_) return;
  if (validators_.primary(height_, view_) != self_) return;
  auto it = view_changes_.find(view_);
  if (it == view_changes_.end() || it->second.size() < validators_.quorum()) return;
  std::vector<ViewChange> chosen;
  for (const auto& [sender, vc] : it->second) {
    if (chosen.size() == validators_.quorum()) break;
    chosen.push_back(vc);
  }
  const PreparedCertificate* best = highest_prepared(chosen);
  if (best != nullptr) {
    const Hash256 hash = best->pre_prepare.block_hash;
    if (!blocks_.contains(hash)) return;  // wait: another view change may bring the block
    pending_new_view_ = std::move(chosen);
    send_new_view(hash);
    return;
  }
  pending_new_view_ = std::move(chosen);
  out_.emplace_back(RequestProposal{height_, view_});
}

void Replica::send_new_view(const Hash256& hash) {
  auto block = blocks_.find(hash);
  if (block == blocks_.end() || !pending_new_view_) return;
  PrePrepare pp{view_, height_, hash, block->second, {}};
  sign(pp, domain_, key_);
  NewView nv{view_, height_, std::move(*pending_new_view_), pp, {}};
  sign(nv, domain_, key_);
  pending_new_view_.reset();
  in_view_change_ = false;
  proposed_ = hash;
  persist();
  broadcast(std::move(nv));
  pp.block.clear();
  logs_[view_].pre_prepare = std::move(pp);
  advance();
}

void Replica::on_new_view(const NewView& nv) {
  if (nv.view < view_ || (nv.view == view_ && !in_view_change_)) return;
  if (nv.view - view_ > options_.view_window) return;
  if (!check_new_view(nv, validators_)) return;
  const PrePrepare& pp = nv.pre_prepare;
  if (!block_matches(pp.block, pp.block_hash)) return;
  if (nv.view > view_) reset_view_promises();
  view_ = nv.view;
  in_view_change_ = false;
  pending_new_view_.reset();
  prune_views();
  active_ = false;  // restart the view's timer
  activate();
  ViewLog& log = logs_[view_];
  if (log.pre_prepare) {
    advance();
    return;
  }
  blocks_.emplace(pp.block_hash, pp.block);
  PrePrepare stored = pp;
  stored.block.clear();
  log.pre_prepare = std::move(stored);
  request_validation(pp.block_hash);
  advance();
}

// ---------------------------------------------------------------- checkpoints

void Replica::send_checkpoint(std::uint64_t height, const Hash256& hash) {
  Checkpoint cp{height, hash, {}};
  sign(cp, domain_, key_);
  broadcast(cp);
  on_checkpoint(cp);
}

void Replica::on_checkpoint(const Checkpoint& cp) {
  if (options_.checkpoint_interval == 0 || cp.height % options_.checkpoint_interval != 0) return;
  if (cp.height <= stable_checkpoint_) return;
  auto& mine = checkpoints_[cp.signer.sender];
  for (const auto& [height, hash] : mine) {
    if (height == cp.height) return;  // first one per height counts
  }
  mine.emplace_back(cp.height, cp.block_hash);
  std::sort(mine.begin(), mine.end());
  while (mine.size() > options_.checkpoints_per_sender) mine.pop_front();

  std::size_t agree = 0;
  for (const auto& [sender, list] : checkpoints_) {
    agree += static_cast<std::size_t>(
        std::count(list.begin(), list.end(), std::pair<std::uint64_t, Hash256>{cp.height, cp.block_hash}));
  }
  if (agree < validators_.quorum()) return;
  // Stable: a quorum agrees the block at cp.height is final. Older
  // checkpoints are no longer needed; a replica below it catches up by sync.
  stable_checkpoint_ = cp.height;
  for (auto& [sender, list] : checkpoints_) {
    while (!list.empty() && list.front().first <= stable_checkpoint_) list.pop_front();
  }
  std::erase_if(checkpoints_, [](const auto& entry) { return entry.second.empty(); });
  if (stable_checkpoint_ >= height_) request_sync(stable_checkpoint_);
}

}  // namespace tally::consensus::pbft
