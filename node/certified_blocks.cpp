#include "node/certified_blocks.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace tally::node {

namespace {
// An import task queued longer than this is assumed dropped (queue full) and posted again.
constexpr std::chrono::seconds kRepost{2};
}  // namespace

std::size_t CertifiedBlocks::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void CertifiedBlocks::on_block(p2p::PeerId from, chain::Block block) {
  const auto hash = chain::block_hash(block);
  if (block.header.number <= chain_.finalized_number() || chain_.store().has_block(hash)) return;
  {
    std::lock_guard lock(mutex_);
    if (pending_.count(hash) != 0 || pending_.size() >= kMaxPending) return;
    pending_.emplace(hash, Pending{std::move(block), from, std::nullopt, 0, std::chrono::steady_clock::now()});
  }
  if (host_ != nullptr) host_->request_certificates(from, {hash});
}

void CertifiedBlocks::on_certificates(p2p::PeerId from, std::vector<p2p::CertificateEntry> certificates) {
  bool any = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& entry : certificates) {
      auto it = pending_.find(entry.block_hash);
      if (it == pending_.end() || it->second.certificate) continue;
      it->second.certificate = std::move(entry.certificate);
      it->second.certificate_from = from;
      any = true;
    }
  }
  if (any) schedule_import();
}

void CertifiedBlocks::tick() {
  const auto final_height = chain_.finalized_number();
  const auto now = std::chrono::steady_clock::now();
  std::vector<Hash256> ask;
  bool certified = false;
  {
    std::lock_guard lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.block.header.number <= final_height || chain_.store().has_block(it->first)) {
        it = pending_.erase(it);
        continue;
      }
      if (it->second.certificate) {
        certified = true;
      } else if (now - it->second.asked >= kRetry && ask.size() < p2p::kMaxCertificatesPerMessage) {
        it->second.asked = now;
        ask.push_back(it->first);
      }
      ++it;
    }
  }
  if (!ask.empty() && host_ != nullptr) host_->request_certificates(0, std::move(ask));
  if (certified) schedule_import();
}

void CertifiedBlocks::schedule_import() {
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (import_scheduled_ && now - scheduled_at_ < kRepost) return;
    import_scheduled_ = true;
    scheduled_at_ = now;
  }
  importer_.post([this] { import_ready(); });
}

void CertifiedBlocks::import_ready() {
  const Hash256 tip = chain_.head().hash;
  std::optional<Pending> next;
  Hash256 hash{};
  {
    std::lock_guard lock(mutex_);
    import_scheduled_ = false;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.certificate && it->second.block.header.parent_hash == tip) {
        hash = it->first;
        next = std::move(it->second);
        pending_.erase(it);
        break;
      }
    }
  }
  if (!next) return;
  const auto number = next->block.header.number;
  if (auto verified = chain_.engine().verify_finality(next->block.header, *next->certificate); !verified) {
    spdlog::warn("pbft: certificate for block {} from peer {} refused: {}", number, next->certificate_from,
                 verified.error().message);
    if (host_ != nullptr && next->certificate_from != 0) {
      host_->report_bad_peer(next->certificate_from, "invalid finality certificate: " + verified.error().message);
    }
    // Keep the block; its certificate is asked of another peer.
    next->certificate.reset();
    next->asked = {};
    std::lock_guard lock(mutex_);
    pending_.emplace(hash, std::move(*next));
    return;
  }
  auto certificate = std::make_shared<Bytes>(std::move(*next->certificate));
  const auto from = next->from;
  // Kept in case the import queue is full (our limit, not the peer's fault).
  auto block_copy = std::make_shared<chain::Block>(next->block);
  importer_.submit_async(
      std::move(next->block), [this, hash, number, from, certificate, block_copy](const chain::ImportResult& result) {
        if (result.status == chain::ImportStatus::new_head || result.status == chain::ImportStatus::already_known) {
          if (auto finalized = chain_.finalize(hash, *certificate); !finalized) {
            spdlog::warn("pbft: block {} imported but not finalized: {}", number, finalized.error().message);
            return;
          }
          if (on_final_) on_final_(number, hash);
          schedule_import();  // the next one, if it is here
          return;
        }
        if (result.error == "import queue full") {
          // Our own limit: keep it, certificate and all, for the next tick.
          std::lock_guard lock(mutex_);
          pending_.emplace(hash, Pending{*block_copy, from, *certificate, 0, std::chrono::steady_clock::now()});
          return;
        }
        if (!result.ok() && result.error != "node is stopping") {
          spdlog::warn("pbft: certified block {} from peer {} refused: {}", number, from, result.error);
          if (host_ != nullptr && from != 0) host_->report_bad_peer(from, result.error);
        }
      });
}

}  // namespace tally::node
