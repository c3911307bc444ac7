#include "node/pbft_driver.hpp"

#include <spdlog/spdlog.h>

#include <type_traits>

#include "chain/block_builder.hpp"
#include "chain/execution.hpp"
#include "consensus/pbft/persisted.hpp"
#include "consensus/pbft/seal.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "node/clock.hpp"
#include "node/durable_file.hpp"

namespace tally::node {

namespace pbft = consensus::pbft;

namespace {

constexpr std::uint32_t kProposalRetrySlot = 100;

std::uint32_t slot_of(pbft::TimerKind kind) {
  return static_cast<std::uint32_t>(kind);
}

std::string short_hex(const Hash256& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (std::size_t i = 0; i < 4; ++i) {
    out += kDigits[hash[i] >> 4U];
    out += kDigits[hash[i] & 0x0fU];
  }
  return out;
}

}  // namespace

PbftDriver::PbftDriver(chain::ChainManager& chain, const pbft::PbftEngine& engine, chain::Mempool& pool,
                       Importer& importer, const crypto::PrivateKey& key, PbftDriverOptions options)
    : chain_(chain),
      engine_(engine),
      pool_(pool),
      importer_(importer),
      key_(key),
      address_(crypto::address_of(crypto::public_key_of(key))),
      options_(std::move(options)) {
  // The header alone names the block; validate() decodes the whole of it.
  pbft::BlockHasher hasher = [](BytesView bytes) -> std::optional<Hash256> {
    auto header = chain::decode_block_header(bytes);
    if (!header) return std::nullopt;
    return chain::header_hash(*header);
  };
  replica_ = std::make_unique<pbft::Replica>(engine_.domain(), engine_.validators(), key_, std::move(hasher),
                                             options_.replica);
}

PbftDriver::~PbftDriver() {
  stop();
}

Result<void> PbftDriver::start() {
  // The state holds at most one prepared certificate (a pre-prepare and
  // its prepares, each within a message's bound).
  auto stored = read_if_exists(options_.state_file, 2 * pbft::MessageLimits{}.max_message_bytes);
  if (!stored) return fail("pbft state: " + stored.error().message);
  std::optional<pbft::PersistedState> restored;
  if (*stored) {
    auto decoded = pbft::decode_persisted(**stored, engine_.domain());
    // Refusing to start is the only safe answer: without the state the
    // replica could sign a second block for a (height, view) it signed for.
    if (!decoded) {
      return fail("pbft state " + options_.state_file.string() + " is unreadable (" + decoded.error().message +
                  "); restore it from a backup; deleting it risks signing two blocks at one height");
    }
    restored = std::move(*decoded);
  }
  started_ = true;
  importer_.post([this, restored = std::move(restored)] {
    const auto next = chain_.head().number + 1;
    if (restored && restored->height == next) {
      spdlog::info("pbft: resuming height {} at view {}{}", next, restored->view,
                   restored->in_view_change ? " (view change)" : "");
    }
    perform(replica_->start(next, restored));
    if (pool_.pending_count() > 0) perform(replica_->on_transactions_pending());
  });
  spdlog::info("pbft: validator {} of {}", to_hex_prefixed(address_), engine_.validators().size());
  return {};
}

void PbftDriver::stop() {
  stopped_ = true;
  timers_.stop();
}

void PbftDriver::on_payload(p2p::PeerId from, BytesView payload) {
  if (stopped_ || !started_) return;
  auto decoded = pbft::decode_message(payload, engine_.domain());
  if (!decoded) {
    // Not scored: p2p relays consensus payloads before the node sees them,
    // so the peer that sent it may be an honest relay of someone's garbage
    // (banning it would let one bad peer split the validators).
    spdlog::debug("pbft: undecodable message from peer {} dropped: {}", from, decoded.error().message);
    return;
  }
  importer_.post([this, message = std::move(*decoded)] {
    if (halted_ || stopped_) return;
    perform(replica_->on_message(message));
  });
}

void PbftDriver::on_transactions() {
  // A busy replica needs no poke per transaction (one wake-up of the import
  // thread each); the transactions wait in the pool for its next round,
  // which after_commit starts when there are any.
  if (stopped_ || !started_ || !replica_idle_ || pending_poke_.exchange(true)) return;
  importer_.post([this] {
    pending_poke_ = false;
    if (halted_ || stopped_) return;
    perform(replica_->on_transactions_pending());
  });
}

void PbftDriver::on_final_block(std::uint64_t height, const Hash256& hash) {
  if (halted_ || stopped_ || !started_) return;
  perform(replica_->on_block_committed(height, hash));
  after_commit();
}

rpc::ConsensusStatus PbftDriver::status() const {
  rpc::ConsensusStatus status;
  status.engine = "pbft";
  status.validators = engine_.validators().list();
  status.last_final = chain_.finalized_number();
  std::lock_guard lock(status_mutex_);
  status.height = status_height_ != 0 ? status_height_ : chain_.head().number + 1;
  status.view = status_view_;
  return status;
}

void PbftDriver::publish() {
  replica_idle_ = !replica_->active();
  std::lock_guard lock(status_mutex_);
  const auto height = replica_->height();
  const auto view = replica_->view();
  if (height == status_height_ && view > status_view_) view_changes_.fetch_add(1);
  status_height_ = height;
  status_view_ = view;
}

void PbftDriver::halt(const std::string& why) {
  if (halted_.exchange(true)) return;
  timers_.stop();
  spdlog::critical("pbft: validator halted, it signs nothing more until restarted: {}", why);
}

// ---------------------------------------------------------------- actions

void PbftDriver::perform(Actions actions) {
  for (auto& action : actions) {
    if (halted_ || stopped_) return;
    std::visit(
        [&](auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, pbft::Persist>) {
            if (auto written = write_durably(options_.state_file, pbft::encode_persisted(a.state)); !written) {
              halt("cannot persist the consensus state: " + written.error().message);
            }
          } else if constexpr (std::is_same_v<T, pbft::Broadcast>) {
            if (host_ != nullptr) host_->broadcast_consensus(pbft::encode_message(a.message));
          } else if constexpr (std::is_same_v<T, pbft::RequestProposal>) {
            propose(a);
          } else if constexpr (std::is_same_v<T, pbft::RequestValidation>) {
            const bool valid = validate(a);
            perform(replica_->on_block_validated(a.height, a.block_hash, valid));
          } else if constexpr (std::is_same_v<T, pbft::CommitBlock>) {
            commit(std::move(a));
          } else if constexpr (std::is_same_v<T, pbft::SetTimer>) {
            set_timer(a);
          } else if constexpr (std::is_same_v<T, pbft::CancelTimer>) {
            timers_.cancel(slot_of(a.kind));
          } else if constexpr (std::is_same_v<T, pbft::RequestSync>) {
            // p2p sync fetches from peers whose head is ahead (their
            // announcements say so); CertifiedBlocks imports what it brings.
            spdlog::debug("pbft: peers are ahead, syncing up to {}", a.height);
          }
        },
        action);
  }
  publish();
}

void PbftDriver::set_timer(const pbft::SetTimer& timer) {
  timers_.set(slot_of(timer.id.kind), std::chrono::milliseconds(timer.duration_ms), [this, id = timer.id] {
    importer_.post([this, id] {
      if (halted_ || stopped_) return;
      perform(replica_->on_timer(id));
    });
  });
}

void PbftDriver::propose(const pbft::RequestProposal& request) {
  const chain::Header parent = chain_.head_header();
  if (parent.number + 1 != request.height) return;  // stale: the head moved on
  const std::uint64_t now_ms = unix_ms();
  const std::uint64_t now = now_ms / 1'000;
  const std::uint64_t earliest = chain_.config().earliest_child_timestamp(parent.timestamp);
  if (now < earliest) {
    // The parent is stamped ahead of this clock (another validator's clock
    // runs fast): wait for ours rather than run ahead of it.
    const auto wait = std::chrono::milliseconds(earliest * 1'000 - now_ms + 5);
    timers_.set(kProposalRetrySlot, wait, [this, request] {
      importer_.post([this, request] {
        if (halted_ || stopped_ || replica_->height() != request.height || replica_->view() != request.view) return;
        propose(request);
      });
    });
    return;
  }
  chain::BlockTemplate block_template;
  block_template.beneficiary = address_;
  block_template.timestamp = now;
  block_template.block_reward = engine_.block_reward(request.height);
  const auto candidates = pool_.best(chain::next_base_fee(parent), chain_.config().gas_limit);
  auto built = chain::build_block(chain_.config(), chain_.store(), parent, block_template, candidates);
  if (!built) {
    spdlog::error("pbft: cannot build block {}: {}", request.height, built.error().message);
    return;  // the round timer moves the network to another primary
  }
  chain::Block& block = built->block;
  pbft::seal_header(block.header, request.view, engine_.domain(), key_);
  const auto hash = chain::block_hash(block);
  spdlog::info("pbft: proposing block {} {} (view {}, {} txs)", request.height, short_hex(hash), request.view,
               block.transactions.size());
  known_senders_block_ = hash;
  known_senders_ = std::move(built->senders);
  known_execution_ = std::move(built->execution);
  Bytes encoded = chain::encode_block(block);
  keep_decoded(hash, std::move(block));
  perform(replica_->on_proposal_ready(request.height, request.view, hash, std::move(encoded)));
}

bool PbftDriver::validate(const pbft::RequestValidation& request) {
  auto block = chain::decode_block(request.block);
  if (!block) {
    spdlog::warn("pbft: proposed block {} does not decode: {}", request.height, block.error().message);
    return false;
  }
  if (chain::block_hash(*block) != request.block_hash) return false;
  const chain::Header parent = chain_.head_header();
  if (block->header.parent_hash != chain_.head().hash || block->header.number != request.height) {
    spdlog::warn("pbft: proposed block {} is not a child of the head {}", request.height, parent.number);
    return false;
  }
  auto senders = senders_of(*block);
  if (!senders) {
    spdlog::warn("pbft: proposed block {} has a transaction with a bad signature", request.height);
    return false;
  }
  // Kept by the chain: when this block commits, its import does not run it
  // again.
  using Fault = chain::ChainManager::BlockFault;
  Fault fault = Fault::none;
  if (auto ok = chain_.check_block(*block, unix_seconds(), *senders, &fault); !ok) {
    const char* what = fault == Fault::results     ? "has wrong results"
                       : fault == Fault::execution ? "does not execute"
                                                   : "refused";
    spdlog::warn("pbft: proposed block {} {}: {}", request.height, what, ok.error().message);
    return false;
  }
  keep_decoded(request.block_hash, std::move(*block));
  return true;
}

void PbftDriver::keep_decoded(const Hash256& hash, chain::Block block) {
  decoded_block_hash_ = hash;
  decoded_block_ = std::move(block);
}

// A transaction the pool holds has the sender the pool recovered when it
// admitted it (the hash covers the signature); the others are recovered.
std::optional<std::vector<Address>> PbftDriver::senders_of(const chain::Block& block) const {
  std::vector<Address> senders;
  senders.reserve(block.transactions.size());
  for (const auto& tx : block.transactions) {
    if (auto pooled = pool_.get(chain::tx_hash(tx))) {
      senders.push_back(pooled->sender);
      continue;
    }
    auto sender = chain::recover_sender(tx);
    if (!sender) return std::nullopt;
    senders.push_back(*sender);
  }
  return senders;
}

void PbftDriver::commit(pbft::CommitBlock action) {
  std::optional<chain::Block> block;
  if (decoded_block_hash_ == action.block_hash) block = std::move(decoded_block_);
  decoded_block_.reset();
  decoded_block_hash_ = Hash256{};
  if (!block) {
    auto decoded = chain::decode_block(action.block);
    if (!decoded) {
      halt("the committed block " + std::to_string(action.height) + " does not decode: " + decoded.error().message);
      return;
    }
    block = std::move(*decoded);
  }
  // Every validator commits this block: the compact blocks of it that the
  // others relay once they have imported it need no rebuilding here.
  if (host_ != nullptr) host_->note_local_block(action.block_hash);
  // Queued behind the current task: the replica waits for
  // on_block_committed and handles nothing for this height meanwhile.
  auto certificate = std::make_shared<Bytes>(std::move(action.certificate));
  std::vector<Address> senders;
  Importer::Prepared prepared;
  if (known_senders_block_ == action.block_hash && known_senders_.size() == block->transactions.size()) {
    senders = std::move(known_senders_);
    prepared = std::move(known_execution_);
    known_senders_block_ = Hash256{};
  }
  importer_.submit_async(
      std::move(*block),
      [this, height = action.height, hash = action.block_hash, certificate](const chain::ImportResult& result) {
        if (halted_ || stopped_) return;
        if (result.status != chain::ImportStatus::new_head && result.status != chain::ImportStatus::already_known) {
          if (result.error == "node is stopping") return;
          halt("block " + std::to_string(height) + " committed by a quorum does not import here (" +
               (result.ok() ? std::string(chain::to_string(result.status)) : result.error) +
               "): this node's state differs from the validators'");
          return;
        }
        if (auto finalized = chain_.finalize(hash, *certificate); !finalized) {
          halt("cannot finalize block " + std::to_string(height) + ": " + finalized.error().message);
          return;
        }
        spdlog::info("pbft: block {} {} final", height, short_hex(hash));
        perform(replica_->on_block_committed(height, hash));
        after_commit();
      },
      std::move(senders), std::move(prepared));
}

void PbftDriver::after_commit() {
  if (pool_.pending_count() > 0) perform(replica_->on_transactions_pending());
}

}  // namespace tally::node
