// A byzantine PBFT validator for the fault suite (tests/e2e): a test-only
// program, never part of tallyd. It holds a real validator key of the
// cluster's genesis, joins the network through the p2p library (p2p::Host)
// and misbehaves instead of running a replica.
//
//   byzantine_validator --genesis FILE --validator-key FILE --p2p-port PORT
//                       [--peer HOST:PORT]... --behaviour equivocate|garbage
//
// It dials each --peer with a p2p host of its own (its own node id), so it
// can send different messages to different validators; peers that dial it
// reach one listening host. Blocks its peers announce or serve by sync are
// kept in memory, trusted as they come: they tell it the height the
// network is deciding and the parent to build on.
//
// equivocate: as the view-0 primary of a height it signs two PRE-PREPAREs
//   for two different blocks on the same parent, A and B: B goes first to
//   every peer but the first, A (once B is written) to the first, then the
//   other one to each, so every validator sees both; with each PRE-PREPARE
//   goes a COMMIT for the same block. Its rounds alternate: two valid blocks, then a valid and an
//   invalid one (a wrong state root). For every other primary's proposal it
//   votes PREPARE and COMMIT for that block and for a hash no block has,
//   in the opposite order to the first validator.
// garbage: sends, at every new height and every second, undecodable bytes,
//   truncated and mis-signed messages, votes signed by a key that is not a
//   validator's, votes for far-future heights and views, view changes
//   outside the window or carrying an old height's prepared certificate,
//   a NEW-VIEW without view changes, checkpoints for blocks no one has, and a
//   PRE-PREPARE although it is not the primary; as the primary it sends one
//   PRE-PREPARE whose block does not match its hash and then stays silent.
//   Once, after a few heights, a fresh host replays every old message seen.
//
// Each round is one line on stdout, which the tests read:
//   equivocated height=H a=0x.. b=0x.. b_valid=0|1
//   silent primary height=H
//   garbage height=H messages=N
// "ready" is printed once the hosts run. SIGTERM or SIGINT stop it.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "chain/block_builder.hpp"
#include "chain/genesis.hpp"
#include "consensus/pbft/engine.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/seal.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"
#include "p2p/host.hpp"

namespace tally::e2e {
namespace {

namespace pbft = consensus::pbft;

void say(const std::string& line) {
  std::cout << line << std::endl;  // NOLINT(performance-avoid-endl): the tests read it as it comes
}

// The chain as the peers give it: every block trusted, the longest line of
// parent links from genesis canonical. Called on every host's I/O thread.
class MemoryChain final : public p2p::ChainAccess {
 public:
  explicit MemoryChain(const chain::Genesis& genesis) : chain_id_(genesis.config.chain_id), genesis_(genesis.hash) {
    canonical_.push_back(genesis.block);
  }

  std::uint64_t chain_id() const override { return chain_id_; }
  Hash256 genesis_hash() const override { return genesis_; }
  p2p::ChainStatus status() const override {
    std::lock_guard lock(mutex_);
    const auto& head = canonical_.back();
    return {{chain::block_hash(head), head.header.number, head.header.number + 1}, head.header.number};
  }
  std::vector<chain::Header> headers_from(std::uint64_t first, std::size_t count, std::uint64_t skip) const override {
    std::lock_guard lock(mutex_);
    std::vector<chain::Header> out;
    for (std::uint64_t n = first; n < canonical_.size() && out.size() < count; n += skip + 1) {
      out.push_back(canonical_[n].header);
    }
    return out;
  }
  std::optional<std::uint64_t> canonical_number(const Hash256& hash) const override {
    std::lock_guard lock(mutex_);
    const auto it = numbers_.find(hash);
    if (it == numbers_.end()) return hash == genesis_ ? std::optional<std::uint64_t>(0) : std::nullopt;
    return it->second;
  }
  std::optional<chain::Block> block_by_hash(const Hash256& hash) const override {
    const auto number = canonical_number(hash);
    std::lock_guard lock(mutex_);
    if (!number) return std::nullopt;
    return canonical_[*number];
  }
  bool has_block(const Hash256& hash) const override { return canonical_number(hash).has_value(); }
  bool has_tx(const Hash256& /*hash*/) const override { return false; }
  std::optional<chain::Transaction> pooled_tx(const Hash256& /*hash*/) const override { return std::nullopt; }
  std::vector<p2p::TxVerdict> submit_txs(p2p::PeerId /*from*/, std::vector<chain::Transaction> txs,
                                         std::span<const Hash256> /*hashes*/) override {
    return std::vector<p2p::TxVerdict>(txs.size(), p2p::TxVerdict::known);
  }
  Result<void> check_headers(const chain::Header& /*parent*/, std::span<const chain::Header> /*headers*/) override {
    return {};
  }
  void submit_block(p2p::PeerId /*from*/, chain::Block block) override {
    std::lock_guard lock(mutex_);
    const auto& head = canonical_.back();
    if (block.header.number != head.header.number + 1 || block.header.parent_hash != chain::block_hash(head)) return;
    numbers_.emplace(chain::block_hash(block), block.header.number);
    canonical_.push_back(std::move(block));
  }
  void deliver_consensus(p2p::PeerId /*from*/, Bytes payload) override {
    std::lock_guard lock(mutex_);
    if (inbox_.size() < 10'000) inbox_.push_back(std::move(payload));
  }

  chain::Header head() const {
    std::lock_guard lock(mutex_);
    return canonical_.back().header;
  }
  std::vector<Bytes> take_inbox() {
    std::lock_guard lock(mutex_);
    std::vector<Bytes> out(std::make_move_iterator(inbox_.begin()), std::make_move_iterator(inbox_.end()));
    inbox_.clear();
    return out;
  }

 private:
  std::uint64_t chain_id_;
  Hash256 genesis_;
  mutable std::mutex mutex_;
  std::vector<chain::Block> canonical_;
  std::map<Hash256, std::uint64_t> numbers_;
  std::deque<Bytes> inbox_;
};

struct Options {
  std::string genesis;
  std::string validator_key;
  std::uint16_t p2p_port = 0;
  std::vector<std::string> peers;
  std::string behaviour;
};

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];       // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    const std::string value = argv[i + 1];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    if (name == "--genesis") {
      options.genesis = value;
    } else if (name == "--validator-key") {
      options.validator_key = value;
    } else if (name == "--p2p-port") {
      options.p2p_port = static_cast<std::uint16_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (name == "--peer") {
      options.peers.push_back(value);
    } else if (name == "--behaviour") {
      options.behaviour = value;
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || options.genesis.empty() || options.validator_key.empty() || options.peers.empty() ||
      (options.behaviour != "equivocate" && options.behaviour != "garbage")) {
    return std::nullopt;
  }
  return options;
}

std::optional<crypto::PrivateKey> read_key(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  auto bytes = from_hex_fixed<32>(text);
  if (!bytes) return std::nullopt;
  auto key = crypto::private_key_from_bytes(*bytes);
  return key ? std::optional(*key) : std::nullopt;
}

class Byzantine {
 public:
  Byzantine(const chain::Genesis& genesis, const crypto::PrivateKey& key, const Options& options)
      : genesis_(genesis),
        engine_(genesis),
        key_(key),
        self_(crypto::address_of(crypto::public_key_of(key))),
        options_(options),
        chain_(genesis),
        random_(std::random_device{}()) {}

  bool start() {
    // One listening host for peers that dial in, one host per peer dialled.
    p2p::HostOptions listening = host_options();
    listening.port = options_.p2p_port;
    links_.push_back(std::make_unique<p2p::Host>(crypto::generate_private_key(), chain_, listening));
    for (const auto& peer : options_.peers) {
      p2p::HostOptions dialling = host_options();
      dialling.listen = false;
      dialling.bootstrap = {peer};
      links_.push_back(std::make_unique<p2p::Host>(crypto::generate_private_key(), chain_, dialling));
    }
    for (auto& host : links_) {
      if (auto started = host->start(); !started) {
        say("cannot start a p2p host: " + started.error().message);
        return false;
      }
    }
    return true;
  }

  void stop() {
    for (auto& host : links_) host->stop();
    if (replayer_) replayer_->stop();
  }

  // One step of the main loop: read what arrived, act on the height.
  void step() {
    for (auto& payload : chain_.take_inbox()) receive(payload);
    const auto parent = chain_.head();
    const std::uint64_t height = parent.number + 1;
    if (options_.behaviour == "equivocate") {
      if (is_primary(height) && proposed_.insert(height).second) equivocate(parent);
    } else {
      const auto now = std::chrono::steady_clock::now();
      if (height != garbage_height_ || now - garbage_at_ >= std::chrono::seconds(1)) {
        garbage_height_ = height;
        garbage_at_ = now;
        send_garbage(height);
      }
      if (is_primary(height) && proposed_.insert(height).second) {
        send_all(mismatched_pre_prepare(parent));
        say("silent primary height=" + std::to_string(height));
      }
      if (height >= 4 && !replayer_) replay_old_messages();
    }
  }

 private:
  p2p::HostOptions host_options() const {
    p2p::HostOptions options;
    options.listen_address = "127.0.0.1";
    options.discovery = false;
    options.client_name = "byzantine";
    options.backoff_max = std::chrono::milliseconds(2'000);
    options.log = [](p2p::LogLevel level, const std::string& line) {
      if (level != p2p::LogLevel::debug) say("p2p: " + line);
    };
    return options;
  }

  const pbft::Domain& domain() const { return engine_.domain(); }
  bool is_primary(std::uint64_t height) const { return engine_.validators().primary(height, 0) == self_; }

  // To one outbound host only (index into options_.peers), or to every host.
  void send_to(std::size_t peer, const Bytes& payload) { links_.at(peer + 1)->broadcast_consensus(payload); }
  void send_all(const Bytes& payload) {
    for (auto& host : links_) host->broadcast_consensus(payload);
  }

  // Consensus messages and bytes a peer's host has written.
  struct Written {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
  };
  Written written(std::size_t peer) const {
    const auto stats = links_.at(peer + 1)->stats();
    return {stats.messages_sent[static_cast<std::size_t>(p2p::MessageType::consensus)], stats.bytes_sent};
  }
  // Waits (at most a second) until the host of `peer` has written a
  // consensus message of `size` bytes more than `before`.
  void await_written(std::size_t peer, const Written& before, std::size_t size) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto now = written(peer);
      if (now.messages > before.messages && now.bytes >= before.bytes + size) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  Hash256 random_hash() {
    Hash256 hash{};
    for (auto& byte : hash) byte = static_cast<std::uint8_t>(random_());
    return hash;
  }
  Bytes random_bytes(std::size_t size) {
    Bytes bytes(size);
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random_());
    return bytes;
  }

  Bytes vote(pbft::MessageType type, std::uint64_t view, std::uint64_t height, const Hash256& hash,
             const crypto::PrivateKey& key) const {
    pbft::Vote message{type, view, height, hash, {}};
    pbft::sign(message, domain(), key);
    return pbft::encode_message(message);
  }
  Bytes vote(pbft::MessageType type, std::uint64_t view, std::uint64_t height, const Hash256& hash) const {
    return vote(type, view, height, hash, key_);
  }

  // Decodes what peers sent: honest proposals are voted on twice
  // (equivocate), old messages are kept for replays and certificates.
  void receive(const Bytes& payload) {
    if (old_.size() < 4'096) old_.push_back(payload);
    auto decoded = pbft::decode_message(payload, domain());
    if (!decoded) return;
    const pbft::PrePrepare* pp = std::get_if<pbft::PrePrepare>(&*decoded);
    if (const auto* nv = std::get_if<pbft::NewView>(&*decoded)) pp = &nv->pre_prepare;
    if (const auto* v = std::get_if<pbft::Vote>(&*decoded); v != nullptr && v->type == pbft::MessageType::prepare) {
      prepares_[{v->height, v->view, v->block_hash}].push_back(*v);
    }
    if (pp == nullptr || pp->signer.sender == self_) return;
    if (!pp->block.empty()) proposals_[pp->height] = *pp;
    if (options_.behaviour == "equivocate" && voted_.insert({pp->height, pp->view}).second) {
      vote_twice(pp->height, pp->view, pp->block_hash);
    }
  }

  // PREPARE and COMMIT for the proposal and for a hash no block has: the
  // first validator hears the false vote first, the others the true one.
  void vote_twice(std::uint64_t height, std::uint64_t view, const Hash256& hash) {
    const Hash256 other = random_hash();
    const auto true_prepare = vote(pbft::MessageType::prepare, view, height, hash);
    const auto true_commit = vote(pbft::MessageType::commit, view, height, hash);
    const auto false_prepare = vote(pbft::MessageType::prepare, view, height, other);
    const auto false_commit = vote(pbft::MessageType::commit, view, height, other);
    for (std::size_t peer = 0; peer < options_.peers.size(); ++peer) {
      const bool lie_first = peer == 0;
      for (const auto* payload : lie_first ? std::vector{&false_prepare, &false_commit, &true_prepare, &true_commit}
                                           : std::vector{&true_prepare, &true_commit, &false_prepare, &false_commit}) {
        send_to(peer, *payload);
      }
    }
  }

  // An empty child of `parent` (no transactions, no reward: the parent's
  // state root), sealed for view 0; `tag` makes two of them differ.
  std::optional<chain::Block> build(const chain::Header& parent, std::uint8_t tag, bool valid) const {
    chain::BlockTemplate block_template;
    block_template.beneficiary = self_;
    block_template.timestamp = std::max(parent.timestamp + 1, static_cast<std::uint64_t>(std::time(nullptr)));
    block_template.extra_data = {'b', 'y', 'z', tag};
    block_template.block_reward = engine_.block_reward(parent.number + 1);
    const chain::MemoryNodeStore empty;
    auto built = chain::build_block(genesis_.config, empty, parent, block_template, {});
    if (!built) {
      say("cannot build a block: " + built.error().message);
      return std::nullopt;
    }
    if (!valid) built->block.header.state_root = crypto::keccak256(built->block.header.extra_data);
    pbft::seal_header(built->block.header, 0, domain(), key_);
    return built->block;
  }

  Bytes pre_prepare(const chain::Block& block, std::uint64_t view = 0) const {
    pbft::PrePrepare message{view, block.header.number, chain::block_hash(block), chain::encode_block(block), {}};
    pbft::sign(message, domain(), key_);
    return pbft::encode_message(message);
  }

  void equivocate(const chain::Header& parent) {
    // A child must be later than its parent: wait for the clock (< 1 s).
    const auto wait_until = std::chrono::system_clock::from_time_t(static_cast<std::time_t>(parent.timestamp + 1));
    while (std::chrono::system_clock::now() < wait_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const bool b_valid = rounds_++ % 2 == 0;
    const auto a = build(parent, 'a', true);
    const auto b = build(parent, 'b', b_valid);
    if (!a || !b) return;
    const std::uint64_t height = parent.number + 1;
    const auto hash_a = chain::block_hash(*a);
    const auto hash_b = chain::block_hash(*b);
    const auto pp_a = pre_prepare(*a);
    const auto pp_b = pre_prepare(*b);
    const auto commit_a = vote(pbft::MessageType::commit, 0, height, hash_a);
    const auto commit_b = vote(pbft::MessageType::commit, 0, height, hash_b);
    // The peers but the first hear B first; only once B is on their wire
    // does the first hear A (so an honest relay of A cannot overtake B);
    // then each hears the other one.
    std::vector<Written> before;
    for (std::size_t peer = 1; peer < options_.peers.size(); ++peer) {
      before.push_back(written(peer));
      send_to(peer, pp_b);
      send_to(peer, commit_b);
    }
    for (std::size_t peer = 1; peer < options_.peers.size(); ++peer) await_written(peer, before[peer - 1], pp_b.size());
    send_to(0, pp_a);
    send_to(0, commit_a);
    send_to(0, pp_b);
    send_to(0, commit_b);
    for (std::size_t peer = 1; peer < options_.peers.size(); ++peer) {
      send_to(peer, pp_a);
      send_to(peer, commit_a);
    }
    say("equivocated height=" + std::to_string(height) + " a=" + to_hex_prefixed(hash_a) +
        " b=" + to_hex_prefixed(hash_b) + " b_valid=" + (b_valid ? "1" : "0"));
  }

  // A PRE-PREPARE whose block is not the one its hash names.
  Bytes mismatched_pre_prepare(const chain::Header& parent) {
    pbft::PrePrepare message{0, parent.number + 1, random_hash(), {}, {}};
    if (auto block = build(parent, 'm', true)) message.block = chain::encode_block(*block);
    pbft::sign(message, domain(), key_);
    return pbft::encode_message(message);
  }

  void send_garbage(std::uint64_t height) {
    std::vector<Bytes> batch;
    for (int i = 0; i < 4; ++i) batch.push_back(random_bytes(1 + random_() % 300));
    Bytes list_header{0xf8, 0x40};  // an RLP list header over random content
    const auto tail = random_bytes(0x40);
    list_header.insert(list_header.end(), tail.begin(), tail.end());
    batch.push_back(list_header);
    auto truncated = vote(pbft::MessageType::prepare, 0, height, random_hash());
    truncated.pop_back();
    batch.push_back(truncated);
    pbft::Vote mis_signed{pbft::MessageType::commit, 0, height, random_hash(), {}};
    pbft::sign(mis_signed, domain(), key_);
    mis_signed.signer.signature.s[31] ^= 0x01U;
    batch.push_back(pbft::encode_message(mis_signed));
    const auto outsider = crypto::generate_private_key();
    batch.push_back(vote(pbft::MessageType::prepare, 0, height, random_hash(), outsider));
    batch.push_back(vote(pbft::MessageType::commit, 0, height, random_hash(), outsider));
    for (const std::uint64_t ahead : {1U, 2U, 9U, 1'000U, 1'000'000'000U}) {
      batch.push_back(vote(pbft::MessageType::prepare, 0, height + ahead, random_hash()));
      batch.push_back(vote(pbft::MessageType::commit, 0, height + ahead, random_hash()));
    }
    batch.push_back(vote(pbft::MessageType::commit, 1'000, height, random_hash()));
    batch.push_back(vote(pbft::MessageType::prepare, UINT64_MAX, height, random_hash()));
    for (const std::uint64_t view : {std::uint64_t{17}, std::uint64_t{1'000}, UINT64_MAX}) {
      pbft::ViewChange far{view, height, std::nullopt, {}};
      pbft::sign(far, domain(), key_);
      batch.push_back(pbft::encode_message(far));
    }
    if (auto replayed = old_certificate(height)) batch.push_back(*replayed);
    pbft::NewView empty_new_view{1, height, {}, {1, height, random_hash(), {}, {}}, {}};
    pbft::sign(empty_new_view.pre_prepare, domain(), key_);
    pbft::sign(empty_new_view, domain(), key_);
    batch.push_back(pbft::encode_message(empty_new_view));
    // Checkpoints are taken every 64 heights: the next one, and one far ahead.
    for (const std::uint64_t at : {(height / 64 + 1) * 64, (height / 64 + 1'000) * 64}) {
      pbft::Checkpoint checkpoint{at, random_hash(), {}};
      pbft::sign(checkpoint, domain(), key_);
      batch.push_back(pbft::encode_message(checkpoint));
    }
    if (!is_primary(height)) {
      if (auto block = build(chain_.head(), 'n', true)) batch.push_back(pre_prepare(*block));
    }
    for (const auto& payload : batch) send_all(payload);
    say("garbage height=" + std::to_string(height) + " messages=" + std::to_string(batch.size()));
  }

  // A VIEW-CHANGE for `height` that carries a real prepared certificate of
  // an earlier height (a proposal and the prepares it drew).
  std::optional<Bytes> old_certificate(std::uint64_t height) {
    for (auto it = proposals_.rbegin(); it != proposals_.rend(); ++it) {
      if (it->first >= height) continue;
      const pbft::PrePrepare& pp = it->second;
      std::vector<pbft::Vote> prepares;
      for (const auto& v : prepares_[{pp.height, pp.view, pp.block_hash}]) {
        if (v.signer.sender != pp.signer.sender) prepares.push_back(v);
      }
      if (prepares.size() + 1 < engine_.validators().quorum()) continue;
      prepares.resize(engine_.validators().quorum() - 1);
      pbft::ViewChange vc{1, height, pbft::PreparedCertificate{pp, std::move(prepares)}, {}};
      pbft::sign(vc, domain(), key_);
      return pbft::encode_message(vc);
    }
    return std::nullopt;
  }

  // A host that has seen nothing yet sends every old message once more.
  void replay_old_messages() {
    p2p::HostOptions options = host_options();
    options.listen = false;
    options.bootstrap = {options_.peers.front()};
    replayer_ = std::make_unique<p2p::Host>(crypto::generate_private_key(), chain_, options);
    if (!replayer_->start()) return;
    const auto replayed = old_;
    for (const auto& payload : replayed) replayer_->broadcast_consensus(payload);
    say("replay messages=" + std::to_string(replayed.size()));
  }

  const chain::Genesis& genesis_;
  pbft::PbftEngine engine_;
  crypto::PrivateKey key_;
  Address self_{};
  Options options_;
  MemoryChain chain_;
  std::mt19937_64 random_;
  std::vector<std::unique_ptr<p2p::Host>> links_;  // [0] listens, [1 + k] dials peers[k]
  std::unique_ptr<p2p::Host> replayer_;
  std::set<std::uint64_t> proposed_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> voted_;
  std::map<std::uint64_t, pbft::PrePrepare> proposals_;
  std::map<std::tuple<std::uint64_t, std::uint64_t, Hash256>, std::vector<pbft::Vote>> prepares_;
  std::vector<Bytes> old_;
  std::uint64_t rounds_ = 0;
  std::uint64_t garbage_height_ = 0;
  std::chrono::steady_clock::time_point garbage_at_{};
};

}  // namespace
}  // namespace tally::e2e

int main(int argc, char** argv) {
  using namespace tally;
  const auto options = e2e::parse_options(argc, argv);
  if (!options) {
    std::cerr << "usage: byzantine_validator --genesis FILE --validator-key FILE --p2p-port PORT --peer HOST:PORT... "
                 "--behaviour equivocate|garbage\n";
    return 2;
  }
  auto genesis = chain::load_genesis_file(options->genesis);
  const auto key = e2e::read_key(options->validator_key);
  if (!genesis || !key) {
    std::cerr << "cannot read the genesis or the validator key\n";
    return 1;
  }
  // The stop signals are waited for, with a timeout that paces the loop.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  e2e::Byzantine byzantine(*genesis, *key, *options);
  if (!byzantine.start()) return 1;
  e2e::say("ready");
  for (;;) {
    timespec pace{0, 20'000'000};
    if (sigtimedwait(&stop_signals, nullptr, &pace) > 0) break;
    byzantine.step();
  }
  byzantine.stop();
  return 0;
}
