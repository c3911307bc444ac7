#include "pbft_sim.hpp"

#include "sim_world.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>

#include "consensus/pbft/certificate.hpp"
#include "consensus/pbft/persisted.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::sim {
namespace {

using namespace consensus::pbft;  // NOLINT(google-build-using-namespace)

class Simulator {
 public:
  explicit Simulator(const SimConfig& config) : config_(config), rng_(config.seed) {
    std::vector<Address> addresses;
    for (std::size_t i = 0; i < config.validators; ++i) {
      Node node;
      node.index = i;
      Bytes seed_bytes(kMagic.begin(), kMagic.end());
      seed_bytes.push_back(static_cast<std::uint8_t>(i));
      node.key = *crypto::private_key_from_bytes(crypto::keccak256(seed_bytes));
      node.address = crypto::address_of(crypto::public_key_of(node.key));
      node.byzantine = i + config.byzantine >= config.validators;
      addresses.push_back(node.address);
      nodes_.push_back(std::move(node));
    }
    validators_.emplace(addresses);
    domain_.chain_id = 4242;
    domain_.genesis_hash = crypto::keccak256(as_bytes("sim genesis"));
    options_.base_timeout_ms = 1'000;
    options_.max_timeout_ms = 16'000;
    options_.idle_block_ms = 3'000;
    options_.checkpoint_interval = 4;
  }

  SimResult run() {
    for (Node& node : nodes_) boot(node);
    schedule_control(rng_.between(300, 2'000));
    schedule_tx_tick(rng_.between(100, 600));
    bool healed = false;
    std::uint64_t target = 0;
    while (result_.ok) {
      if (!healed && now_ >= config_.chaos_ms) {
        heal();
        healed = true;
        target = max_honest_height() + config_.liveness_heights;
      }
      if (healed && min_honest_height() >= target) break;
      if (queue_.empty()) return failed("the event queue ran dry");
      if (result_.events >= config_.max_events)
        return failed("no liveness within " + std::to_string(config_.max_events) + " events" + state_summary());
      if (healed && now_ > config_.chaos_ms + config_.liveness_budget_ms) {
        return failed("no liveness: honest replicas did not reach height " + std::to_string(target) + " within " +
                      std::to_string(config_.liveness_budget_ms) + " ms after healing" + state_summary());
      }
      Event event = queue_.top();
      queue_.pop();
      now_ = event.time;
      ++result_.events;
      step(event);
    }
    result_.final_height = min_honest_height();
    return result_;
  }

 private:
  SimResult failed(const std::string& why) {
    fail(why);
    return result_;
  }

  void fail(const std::string& why) {
    if (!result_.ok) return;
    result_.ok = false;
    std::ostringstream os;
    os << why << " [seed " << config_.seed << ", n " << config_.validators << ", byzantine " << config_.byzantine
       << ", t " << now_ << " ms; replay: PBFT_SIM_SEED=" << config_.seed << "]";
    result_.failure = os.str();
  }

  std::string state_summary() const {
    std::ostringstream os;
    for (const Node& n : nodes_) {
      os << "\n  node " << n.index << (n.byzantine ? " (byzantine)" : "") << (n.crashed ? " crashed" : "") << ": chain "
         << n.chain.size();
      if (n.replica) {
        os << ", height " << n.replica->height() << ", view " << n.replica->view()
           << (n.replica->in_view_change() ? " (view change)" : "") << (n.replica->active() ? " active" : "");
      }
    }
    return os.str();
  }

  std::uint64_t min_honest_height() const {
    std::uint64_t h = UINT64_MAX;
    for (const Node& n : nodes_) {
      if (!n.byzantine) h = std::min<std::uint64_t>(h, n.chain.size());
    }
    return h;
  }
  std::uint64_t max_honest_height() const {
    std::uint64_t h = 0;
    for (const Node& n : nodes_) {
      if (!n.byzantine) h = std::max<std::uint64_t>(h, n.chain.size());
    }
    return h;
  }

  void push(Event e, std::uint64_t delay) {
    e.time = now_ + delay;
    e.seq = ++seq_;
    queue_.push(std::move(e));
  }

  bool chaos() const { return now_ < config_.chaos_ms; }

  // ------------------------------------------------------------ lifecycle

  void boot(Node& node) {
    node.crashed = false;
    ++node.incarnation;
    node.timers.clear();
    node.replica = std::make_unique<Replica>(domain_, *validators_, node.key, sim_hash, options_);
    std::optional<PersistedState> restored;
    if (node.disk) {
      auto decoded = decode_persisted(*node.disk, domain_);
      if (!decoded) return fail("persisted state does not decode: " + decoded.error().message);
      if (encode_persisted(*decoded) != *node.disk) return fail("persisted state does not re-encode identically");
      restored = std::move(*decoded);
    }
    perform(node, node.replica->start(node.chain.size() + 1, restored));
  }

  void crash(Node& node) {
    node.crashed = true;
    ++node.incarnation;
    node.timers.clear();
    node.replica.reset();
  }

  void heal() {
    partition_.clear();
    for (Node& node : nodes_) {
      if (node.crashed) boot(node);
    }
  }

  void schedule_control(std::uint64_t delay) {
    Event e;
    e.kind = EventKind::control;
    push(std::move(e), delay);
  }

  void schedule_tx_tick(std::uint64_t delay) {
    Event e;
    e.kind = EventKind::tx_tick;
    push(std::move(e), delay);
  }

  void control() {
    if (!chaos()) return;
    const std::uint64_t r = rng_.below(100);
    if (config_.partitions && r < 30) {
      if (!partition_.empty()) {
        partition_.clear();
      } else {
        partition_.resize(nodes_.size());
        for (auto& side : partition_) side = static_cast<std::uint8_t>(rng_.below(2));
      }
    } else if (config_.crashes && r < 60) {
      std::vector<std::size_t> up;
      std::vector<std::size_t> down;
      for (const Node& n : nodes_) {
        if (n.byzantine) continue;
        (n.crashed ? down : up).push_back(n.index);
      }
      if (!down.empty() && (up.size() <= 1 || rng_.chance(0.5))) {
        boot(nodes_[down[rng_.below(down.size())]]);
      } else if (up.size() > 1) {
        crash(nodes_[up[rng_.below(up.size())]]);
      }
    }
    schedule_control(rng_.between(300, 3'000));
  }

  void tx_tick() {
    for (Node& node : nodes_) {
      if (node.crashed || !node.replica) continue;
      if (rng_.chance(0.7)) perform(node, node.replica->on_transactions_pending());
      if (node.byzantine && rng_.chance(0.5)) send_random_vote(node);
      // p2p's head status exchange (handshake, periodic): peers behind sync.
      if (!node.chain.empty() && rng_.chance(0.3)) announce(node, node.chain.size());
    }
    schedule_tx_tick(rng_.between(300, 1'500));
  }

  // ------------------------------------------------------------ actions

  void perform(Node& node, const Actions& actions) {
    // A crash in the middle of an action list: what was persisted stays,
    // what followed is lost (the node performs actions in order).
    std::optional<std::size_t> crash_at;
    if (chaos() && config_.crashes && !node.byzantine && !actions.empty() && rng_.chance(0.01)) {
      crash_at = rng_.below(actions.size());
    }
    for (std::size_t i = 0; i < actions.size() && result_.ok; ++i) {
      if (crash_at && *crash_at == i) {
        crash(node);
        return;
      }
      std::visit([&](const auto& a) { act(node, a); }, actions[i]);
    }
  }

  void act(Node& node, const Persist& a) { node.disk = encode_persisted(a.state); }

  void act(Node& node, const Broadcast& a) {
    auto message = std::make_shared<const Message>(a.message);
    for (Node& to : nodes_) {
      if (to.index == node.index) continue;
      if (node.byzantine) {
        byzantine_send(node, to.index, message);
      } else {
        send(node.index, to.index, message, rng_.chance(config_.wire_fraction), true);
      }
    }
  }

  void act(Node& node, const RequestProposal& a) {
    Event e;
    e.kind = EventKind::proposal;
    e.node = node.index;
    e.incarnation = node.incarnation;
    e.height = a.height;
    e.view = a.view;
    push(std::move(e), rng_.between(1, 20));
  }

  void act(Node& node, const RequestValidation& a) {
    Event e;
    e.kind = EventKind::validation;
    e.node = node.index;
    e.incarnation = node.incarnation;
    e.height = a.height;
    e.hash = a.block_hash;
    e.valid = block_height(a.block) == a.height && sim_hash(a.block) == a.block_hash;
    push(std::move(e), rng_.between(1, 30));
  }

  void act(Node& node, const CommitBlock& a) {
    if (!record_final(node, a.height, a.block_hash, a.block, a.certificate)) return;
    Event e;
    e.kind = EventKind::committed;
    e.node = node.index;
    e.incarnation = node.incarnation;
    e.height = a.height;
    e.hash = a.block_hash;
    push(std::move(e), rng_.between(0, 5));
    announce(node, a.height);
  }

  // p2p announces a new head to peers; one that is behind fetches the
  // certified blocks from the announcer and imports them.
  void announce(const Node& node, std::uint64_t height) {
    for (const Node& to : nodes_) {
      if (to.index == node.index || !reachable(node.index, to.index)) continue;
      if (chaos() && rng_.chance(config_.drop)) continue;
      Event e;
      e.kind = EventKind::announce;
      e.node = to.index;
      e.incarnation = to.incarnation;
      e.from = node.index;
      e.height = height;
      push(std::move(e), rng_.between(1, config_.max_delay_ms));
    }
  }

  void act(Node& node, const SetTimer& a) {
    const std::uint64_t generation = ++node.generation;
    node.timers[a.id.kind] = {a.id, generation};
    Event e;
    e.kind = EventKind::timer;
    e.node = node.index;
    e.incarnation = node.incarnation;
    e.timer = a.id;
    e.generation = generation;
    push(std::move(e), a.duration_ms);
  }

  void act(Node& node, const CancelTimer& a) { node.timers.erase(a.kind); }

  void act(Node& node, const RequestSync& a) {
    Event e;
    e.kind = EventKind::sync;
    e.node = node.index;
    e.incarnation = node.incarnation;
    e.height = a.height;
    push(std::move(e), rng_.between(5, 100));
  }

  // Imports a final block into a node's chain; checks safety.
  bool record_final(Node& node, std::uint64_t height, const Hash256& hash, const Bytes& block, const Bytes& cert) {
    Bytes id_input = cert;
    append(id_input, hash);
    append(id_input, make_block(height, 0));
    const Hash256 cert_id = crypto::keccak256(id_input);
    if (verified_.contains(cert_id)) {
      // The same certificate for the same block, verified before (a synced copy).
    } else if (auto ok = verify_certificate(cert, domain_, *validators_, height, hash); !ok) {
      fail("node " + std::to_string(node.index) + " committed block " + short_hex(hash) + " at height " +
           std::to_string(height) + " with an invalid certificate: " + ok.error().message);
      return false;
    }
    verified_.insert(cert_id);
    if (sim_hash(block) != hash) {
      fail("node " + std::to_string(node.index) + " committed bytes that do not hash to the block");
      return false;
    }
    if (height != node.chain.size() + 1) {
      if (height <= node.chain.size() && node.chain[height - 1] == hash) return false;
      fail("node " + std::to_string(node.index) + " committed height " + std::to_string(height) + " on a chain of " +
           std::to_string(node.chain.size()));
      return false;
    }
    auto [it, inserted] = finals_.emplace(height, hash);
    if (!inserted && it->second != hash) {
      fail("SAFETY: two final blocks at height " + std::to_string(height) + ": " + short_hex(it->second) + " and " +
           short_hex(hash) + " (node " + std::to_string(node.index) + ")");
      return false;
    }
    node.chain.push_back(hash);
    node.certificates.push_back(cert);
    node.blocks.push_back(block);
    ++result_.commits;
    return true;
  }

  void sync(Node& node, std::uint64_t target, std::uint64_t retries, const Node* source = nullptr) {
    const Node* best = source;
    for (const Node& n : nodes_) {
      if (source == nullptr && (best == nullptr || n.chain.size() > best->chain.size())) best = &n;
    }
    while (result_.ok && !node.crashed && node.chain.size() < std::min<std::uint64_t>(target, best->chain.size())) {
      const std::size_t i = node.chain.size();
      const Hash256 hash = best->chain[i];
      if (!record_final(node, i + 1, hash, best->blocks[i], best->certificates[i])) return;
      perform(node, node.replica->on_block_committed(i + 1, hash));
    }
    if (result_.ok && !node.crashed && node.chain.size() < target && retries < 50) {
      Event e;
      e.kind = EventKind::sync;
      e.node = node.index;
      e.incarnation = node.incarnation;
      e.height = target;
      e.retries = retries + 1;
      push(std::move(e), 200);
    }
  }

  // ------------------------------------------------------------ network

  bool reachable(std::size_t from, std::size_t to) const {
    if (nodes_[from].crashed || nodes_[to].crashed) return false;
    return partition_.empty() || partition_[from] == partition_[to];
  }

  void send(std::size_t from, std::size_t to, const std::shared_ptr<const Message>& message, bool wire,
            bool must_decode) {
    if (!reachable(from, to)) return;
    if (chaos() && rng_.chance(config_.drop)) return;
    const int copies = chaos() && rng_.chance(config_.duplicate) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      Event e;
      e.node = to;
      e.incarnation = nodes_[to].incarnation;
      if (wire) {
        e.kind = EventKind::bytes;
        e.bytes = encode_message(*message);
        e.must_decode = must_decode;
      } else {
        e.kind = EventKind::message;
        e.message = message;
      }
      push(std::move(e), rng_.between(1, config_.max_delay_ms));
    }
  }

  void send_bytes(std::size_t from, std::size_t to, Bytes bytes) {
    if (!reachable(from, to)) return;
    Event e;
    e.kind = EventKind::bytes;
    e.node = to;
    e.incarnation = nodes_[to].incarnation;
    e.bytes = std::move(bytes);
    push(std::move(e), rng_.between(1, config_.max_delay_ms));
  }

  Hash256 random_hash() {
    Hash256 h{};
    for (auto& b : h) b = static_cast<std::uint8_t>(rng_.next());
    return h;
  }

  // A Byzantine replica's version of an honest message: another block, a
  // vote for a random hash or view, a view change that hides its
  // certificate, a different re-proposal; all validly signed by it.
  Message mutate(Node& node, const Message& original) {
    Message m = original;
    if (auto* pp = std::get_if<PrePrepare>(&m)) {
      const std::uint64_t height = rng_.chance(0.8) ? pp->height : pp->height + 1;  // some are invalid
      pp->block = make_block(height, (node.index << 40U) | ++node.block_tag);
      pp->block_hash = *sim_hash(pp->block);
      sign(*pp, domain_, node.key);
    } else if (auto* vote = std::get_if<Vote>(&m)) {
      if (rng_.chance(0.7)) {
        vote->block_hash = random_hash();
      } else {
        vote->view += rng_.below(3);
      }
      sign(*vote, domain_, node.key);
    } else if (auto* vc = std::get_if<ViewChange>(&m)) {
      vc->prepared.reset();
      sign(*vc, domain_, node.key);
    } else if (auto* nv = std::get_if<NewView>(&m)) {
      nv->pre_prepare.block = make_block(nv->height, (node.index << 40U) | ++node.block_tag);
      nv->pre_prepare.block_hash = *sim_hash(nv->pre_prepare.block);
      sign(nv->pre_prepare, domain_, node.key);
      sign(*nv, domain_, node.key);
    } else if (auto* cp = std::get_if<Checkpoint>(&m)) {
      cp->block_hash = random_hash();
      sign(*cp, domain_, node.key);
    }
    return m;
  }

  void byzantine_send(Node& node, std::size_t to, const std::shared_ptr<const Message>& message) {
    const double r = rng_.unit();
    if (r < 0.10) return;  // silent towards this one
    if (r < 0.40) {
      send(node.index, to, std::make_shared<const Message>(mutate(node, *message)), true, true);
    } else if (r < 0.50) {
      Bytes bytes = encode_message(*message);
      const std::uint64_t flips = rng_.between(1, 4);
      for (std::uint64_t i = 0; i < flips && !bytes.empty(); ++i) {
        bytes[rng_.below(bytes.size())] = static_cast<std::uint8_t>(rng_.next());
      }
      if (rng_.chance(0.3)) bytes.resize(rng_.below(bytes.size() + 1));
      send_bytes(node.index, to, std::move(bytes));
    } else if (r < 0.60 && !node.seen.empty()) {
      send(node.index, to, node.seen[rng_.below(node.seen.size())], false, true);
    } else {
      send(node.index, to, message, true, true);
    }
  }

  void send_random_vote(Node& node) {
    Vote v;
    v.type = rng_.chance(0.5) ? MessageType::prepare : MessageType::commit;
    v.height = node.replica->height();
    v.view = node.replica->view() + rng_.below(2);
    v.block_hash = random_hash();
    sign(v, domain_, node.key);
    auto message = std::make_shared<const Message>(Message{v});
    for (const Node& to : nodes_) {
      if (to.index != node.index) send(node.index, to.index, message, true, true);
    }
  }

  // ------------------------------------------------------------ events

  void step(const Event& e) {
    if (e.kind == EventKind::control) return control();
    if (e.kind == EventKind::tx_tick) return tx_tick();
    Node& node = nodes_[e.node];
    if (node.crashed || e.incarnation != node.incarnation || !node.replica) return;
    Replica& replica = *node.replica;
    switch (e.kind) {
      case EventKind::message:
        remember(node, e.message);
        perform(node, replica.on_message(*e.message));
        break;
      case EventKind::bytes: {
        auto decoded = decode_message(e.bytes, domain_);
        if (!decoded) {
          if (e.must_decode) fail("a signed message failed to decode: " + decoded.error().message);
          break;
        }
        if (encode_message(*decoded) != e.bytes) fail("a decoded message does not re-encode to the same bytes");
        auto message = std::make_shared<const Message>(std::move(*decoded));
        remember(node, message);
        perform(node, replica.on_message(*message));
        break;
      }
      case EventKind::timer: {
        auto it = node.timers.find(e.timer.kind);
        if (it == node.timers.end() || it->second.second != e.generation) break;
        node.timers.erase(it);
        perform(node, replica.on_timer(e.timer));
        break;
      }
      case EventKind::proposal: {
        Bytes block = make_block(e.height, (node.index << 40U) | ++node.block_tag);
        const Hash256 hash = *sim_hash(block);
        perform(node, replica.on_proposal_ready(e.height, e.view, hash, std::move(block)));
        break;
      }
      case EventKind::validation:
        perform(node, replica.on_block_validated(e.height, e.hash, e.valid));
        break;
      case EventKind::committed:
        perform(node, replica.on_block_committed(e.height, e.hash));
        break;
      case EventKind::sync:
        sync(node, e.height, e.retries);
        break;
      case EventKind::announce:
        if (node.chain.size() < e.height) sync(node, e.height, 50, &nodes_[e.from]);
        break;
      default:
        break;
    }
  }

  void remember(Node& node, const std::shared_ptr<const Message>& message) {
    if (!node.byzantine) return;
    if (node.seen.size() < 64) {
      node.seen.push_back(message);
    } else {
      node.seen[rng_.below(node.seen.size())] = message;
    }
  }

  SimConfig config_;
  Rng rng_;
  Domain domain_;
  std::optional<ValidatorSet> validators_;
  ReplicaOptions options_;
  std::vector<Node> nodes_;
  std::vector<std::uint8_t> partition_;  // side per node; empty: no partition
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::map<std::uint64_t, Hash256> finals_;
  std::set<Hash256> verified_;  // certificates already verified
  std::uint64_t now_ = 0;
  std::uint64_t seq_ = 0;
  SimResult result_;
};

}  // namespace

SimResult run_simulation(const SimConfig& config) {
  Simulator sim(config);
  return sim.run();
}

}  // namespace tally::sim
