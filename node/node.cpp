#include "node/node.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "chain/pool_sync.hpp"
#include "consensus/pbft/engine.hpp"
#include "consensus/pow/engine.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "p2p/host.hpp"
#include "p2p/node_key.hpp"
#include "rpc/auth_token.hpp"
#include "rpc/eth_api.hpp"
#include "rpc/server.hpp"

namespace tally::node {

namespace {

// How often peers' blocks still waiting for a certificate are looked at.
constexpr std::chrono::milliseconds kCertifiedTick{250};

bool is_loopback(const std::string& address) {
  return address == "127.0.0.1" || address == "localhost" || address == "::1" || address.starts_with("127.");
}

}  // namespace

Node::Node(NodeConfig config, chain::Genesis genesis) : config_(std::move(config)), genesis_(std::move(genesis)) {}

Node::~Node() {
  stop();
}

Result<std::unique_ptr<Node>> Node::open(NodeConfig config) {
  if (config.datadir.empty()) return fail("no datadir given (--datadir)");
  if (config.metrics.enabled && !config.metrics.port && !config.rpc.enabled) {
    return fail(
        "--metrics is served on the JSON-RPC port, which --no-rpc turns off; add --metrics-port PORT to "
        "serve metrics on a port of their own");
  }
  auto genesis = config.genesis_file.empty() ? chain::parse_genesis(chain::dev_genesis_json())
                                             : chain::load_genesis_file(config.genesis_file);
  if (!genesis) return fail("genesis: " + genesis.error().message);
  std::unique_ptr<Node> node(new Node(std::move(config), std::move(*genesis)));
  if (auto opened = node->open_chain(); !opened) return Unexpected{opened.error()};
  node->wire();
  return node;
}

Result<void> Node::open_pbft() {
  try {
    engine_ = std::make_unique<consensus::pbft::PbftEngine>(genesis_);
  } catch (const std::invalid_argument& e) {
    return fail(std::string("genesis: ") + e.what());
  }
  const auto& validators = static_cast<const consensus::pbft::PbftEngine&>(*engine_).validators();
  if (config_.pbft.validator_key.empty()) return {};
  auto key = p2p::read_key_file(config_.pbft.validator_key, "validator key");
  if (!key) return Unexpected{key.error()};
  const auto address = crypto::address_of(crypto::public_key_of(*key));
  if (!validators.contains(address)) {
    return fail("--validator-key " + config_.pbft.validator_key.string() + " belongs to " +
                crypto::to_checksum_address(address) +
                ", which is not a validator of this genesis; start without --validator-key to run a full node");
  }
  validator_key_ = *key;
  return {};
}

Result<void> Node::open_chain() {
  std::error_code ec;
  std::filesystem::create_directories(config_.datadir, ec);
  if (ec) return fail("cannot create datadir " + config_.datadir.string() + ": " + ec.message());
  auto db = chain::Database::open(config_.datadir / "chaindata");
  if (!db) return fail("datadir " + config_.datadir.string() + ": " + db.error().message);
  db_ = std::move(*db);
  if (const auto* pow = std::get_if<chain::PowParams>(&genesis_.config.consensus)) {
    engine_ = std::make_unique<consensus::pow::PowEngine>(*pow, genesis_.block.header);
  } else if (auto opened = open_pbft(); !opened) {
    return opened;
  }
  auto chain = chain::ChainManager::open(*db_, genesis_, *engine_);
  if (!chain) return fail(chain.error().message);
  chain_ = std::move(*chain);
  chain::MempoolOptions pool_options;
  pool_options.max_txs = config_.txpool_max_txs;
  pool_options.max_queued = std::min(pool_options.max_queued, pool_options.max_txs);
  pool_ = std::make_unique<chain::Mempool>(pool_options, chain::pool_head_state(*chain_));
  return {};
}

void Node::wire() {
  view_ = std::make_unique<ChainView>(*chain_, config_.safe_depth);
  pool_service_ = std::make_unique<PoolService>(chain_->config(), *pool_);
  importer_ = std::make_unique<Importer>(*chain_, *pool_);
  const auto* pow = dynamic_cast<const consensus::pow::PowEngine*>(engine_.get());
  miner_ = std::make_unique<MinerService>(*chain_, pow, *pool_, *importer_, config_.mining, genesis_.dev);
  info_ = std::make_unique<NodeInfoService>(*chain_);
  eth_ = std::make_unique<rpc::EthApi>(api());
  eth_->register_methods(methods_);
  bridge_ = std::make_unique<P2pBridge>(*chain_, *pool_, *pool_service_, *importer_);
  metrics_ = std::make_unique<NodeMetrics>();

  importer_->add_head_listener([this](const chain::HeadChange& change) {
    metrics_->on_head_change(change);
    miner_->on_head_change();
    eth_->on_head_change(change);
    bridge_->on_head_change(change);
    // Transactions a reorg returned to the pool travel again: the new
    // branch's producers may never have seen them.
    for (const auto& block : change.removed) {
      for (const auto& tx : block.transactions) {
        if (auto pooled = pool_->get(chain::tx_hash(tx))) bridge_->on_pooled(pooled);
      }
    }
    pool_service_->compact_journal();
    const auto& head = change.added.back().header;
    spdlog::debug("head {} ({} txs){}", head.number, change.added.back().transactions.size(),
                  change.is_reorg() ? ", reorg" : "");
  });
  pool_service_->add_listener([this](const chain::PooledTxPtr& tx) {
    miner_->on_new_transaction();
    eth_->on_pending_transaction(tx->hash);
    bridge_->on_pooled(tx);
    if (pbft_) pbft_->on_transactions();
  });
  if (engine_->has_finality()) wire_pbft();
}

void Node::wire_pbft() {
  const auto& engine = static_cast<const consensus::pbft::PbftEngine&>(*engine_);
  certified_ = std::make_unique<CertifiedBlocks>(*chain_, *importer_);
  bridge_->set_certified_handlers(
      [this](p2p::PeerId from, chain::Block block) { certified_->on_block(from, std::move(block)); },
      [this](p2p::PeerId from, std::vector<p2p::CertificateEntry> certificates) {
        certified_->on_certificates(from, std::move(certificates));
      });
  if (!validator_key_) return;
  PbftDriverOptions options;
  options.replica.base_timeout_ms = engine.params().timeout_ms;
  options.replica.max_timeout_ms = std::max<std::uint64_t>(options.replica.max_timeout_ms, engine.params().timeout_ms);
  options.replica.idle_block_ms = config_.pbft.idle_block_ms;
  options.state_file = config_.datadir / "pbft_state.rlp";
  pbft_ = std::make_unique<PbftDriver>(*chain_, engine, *pool_, *importer_, *validator_key_, std::move(options));
  certified_->set_final_listener(
      [this](std::uint64_t height, const Hash256& hash) { pbft_->on_final_block(height, hash); });
  bridge_->set_consensus_handler([this](p2p::PeerId from, Bytes payload) { pbft_->on_payload(from, payload); });
  info_->set_consensus([this] { return pbft_->status(); });
}

void Node::tick_certified() {
  certified_->tick();
  certified_timer_->set(0, kCertifiedTick, [this] { tick_certified(); });
}

rpc::NodeApi Node::api() {
  return rpc::NodeApi{view_.get(), pool_service_.get(), miner_.get(), info_.get()};
}

Result<void> Node::start() {
  if (started_) return {};
  importer_->start();
  auto started = restore_pool();
  if (started) started = start_p2p();
  if (started && certified_) {
    certified_->attach(host_.get());
    certified_timer_ = std::make_unique<TimerThread>();
    certified_timer_->set(0, kCertifiedTick, [this] { tick_certified(); });
  }
  if (started && pbft_) {
    pbft_->attach(host_.get());
    started = pbft_->start();
  }
  if (started) started = miner_->launch();
  if (started) started = start_rpc();
  if (started) started = start_metrics();
  if (!started) {
    stop();
    return started;
  }
  started_ = true;
  const auto head = chain_->head();
  spdlog::info("chain {} ({}) at block {}", chain_->config().chain_id, engine_->name(), head.number);
  return {};
}

Result<void> Node::restore_pool() {
  const auto path = config_.datadir / "txpool.journal";
  pool_service_->track_locals();
  std::size_t restored = 0;
  auto journaled = TxJournal::replay(path, [&](const Bytes& raw) {
    if (pool_service_->submit_raw(raw)) ++restored;  // mined or replaced meanwhile: dropped
  });
  if (!journaled) return Unexpected{journaled.error()};
  auto journal = TxJournal::create(path, pool_service_->pooled_locals());
  if (!journal) return Unexpected{journal.error()};
  journal_ = std::move(*journal);
  pool_service_->set_journal(journal_.get());
  if (*journaled != 0) spdlog::info("mempool: {} of {} journaled transactions restored", restored, *journaled);
  return {};
}

Result<void> Node::start_p2p() {
  if (!config_.p2p.enabled) return {};
  auto key = p2p::load_or_create_node_key(config_.datadir);
  if (!key) return fail("p2p: " + key.error().message);
  p2p::HostOptions options;
  options.listen_address = config_.p2p.address;
  options.port = config_.p2p.port;
  options.bootstrap = config_.p2p.peers;
  options.datadir = config_.datadir;
  options.client_name = info_->client_version();
  options.discovery = config_.p2p.discovery;
  options.backoff_max = std::chrono::milliseconds(config_.p2p.backoff_max_ms);
  options.sync_headers_per_request = config_.p2p.sync_headers_per_request;
  options.log = [](p2p::LogLevel level, const std::string& line) {
    switch (level) {
      case p2p::LogLevel::debug:
        spdlog::debug("p2p: {}", line);
        break;
      case p2p::LogLevel::info:
        spdlog::info("p2p: {}", line);
        break;
      case p2p::LogLevel::warn:
        spdlog::warn("p2p: {}", line);
        break;
    }
  };
  host_ = std::make_unique<p2p::Host>(*key, *bridge_, options);
  bridge_->attach(host_.get());
  if (auto listening = host_->start(); !listening) return fail("p2p: " + listening.error().message);
  const std::string listen = config_.p2p.address + ":" + std::to_string(host_->port());
  NodeInfoService::Network network;
  network.peers = [this] {
    std::vector<rpc::PeerInfo> out;
    for (const auto& peer : host_->peers()) {
      out.push_back(
          rpc::PeerInfo{peer.node_id, peer.client_name, peer.remote_address, !peer.outbound, peer.head_number});
    }
    return out;
  };
  network.add_peer = [this](const std::string& address) -> Result<void> {
    host_->add_peer(address);
    return {};
  };
  network.syncing = [this]() -> std::optional<rpc::SyncStatus> {
    const auto sync = host_->sync_status();
    if (!sync.syncing) return std::nullopt;
    return rpc::SyncStatus{sync.starting_block, sync.current_block, sync.highest_block};
  };
  info_->set_network(p2p::node_id_hex(host_->node_id()), listen, std::move(network));
  spdlog::info("p2p on {} as {}", listen, info_->node_id().substr(0, 16));
  return {};
}

Result<void> Node::start_rpc() {
  if (!config_.rpc.enabled) return {};
  rpc::ServerOptions options;
  options.bind_address = config_.rpc.address;
  options.port = config_.rpc.port;
  options.cors_origins = config_.rpc.cors_origins;
  options.log = [](const std::string& message) { spdlog::warn("rpc: {}", message); };
  if (!is_loopback(config_.rpc.address)) {
    auto token = rpc::load_or_create_token(config_.datadir / "rpc.token");
    if (!token) return fail("rpc token: " + token.error().message);
    options.admin_token = *token;
    spdlog::info("rpc: admin and miner methods need the bearer token in {}", (config_.datadir / "rpc.token").string());
  }
  const bool shares_metrics = config_.metrics.enabled && !config_.metrics.port;
  if (shares_metrics) options.get_resources.push_back(metrics_resource());
  rpc_server_ = std::make_unique<rpc::Server>(methods_, options);
  if (auto listening = rpc_server_->start(); !listening) return fail("rpc: " + listening.error().message);
  spdlog::info("JSON-RPC on http://{}:{} (WebSocket on the same port)", config_.rpc.address, rpc_server_->port());
  if (shares_metrics) spdlog::info("metrics on http://{}:{}/metrics", config_.rpc.address, rpc_server_->port());
  return {};
}

rpc::GetResource Node::metrics_resource() {
  rpc::GetResource resource;
  resource.path = "/metrics";
  resource.content_type = metrics::kContentType;
  // Runs on the server's I/O threads; stop() stops the servers before any
  // part goes away, and every part read here is thread-safe.
  resource.body = [this] {
    MetricsSources sources;
    sources.chain = chain_.get();
    sources.pool = pool_.get();
    sources.importer = importer_.get();
    sources.journal = journal_.get();
    if (!engine_->has_finality()) sources.miner = miner_.get();
    sources.host = host_.get();
    sources.rpc = rpc_server_.get();
    sources.pbft = pbft_.get();
    return metrics_->render(sources);
  };
  return resource;
}

Result<void> Node::start_metrics() {
  if (!config_.metrics.enabled || !config_.metrics.port) return {};  // none, or on the JSON-RPC port
  rpc::ServerOptions options;
  options.bind_address = config_.metrics.address;
  options.port = *config_.metrics.port;
  options.threads = 1;
  options.jsonrpc = false;
  options.get_resources.push_back(metrics_resource());
  options.log = [](const std::string& message) { spdlog::warn("metrics: {}", message); };
  metrics_server_ = std::make_unique<rpc::Server>(no_methods_, options);
  if (auto listening = metrics_server_->start(); !listening) return fail("metrics: " + listening.error().message);
  spdlog::info("metrics on http://{}:{}/metrics", config_.metrics.address, metrics_server_->port());
  return {};
}

void Node::stop() {
  // Outside in: no new requests, no new blocks, then the writer.
  if (metrics_server_) metrics_server_->stop();
  if (rpc_server_) rpc_server_->stop();
  if (miner_) miner_->shutdown();
  if (host_) host_->stop();
  if (certified_timer_) certified_timer_->stop();
  if (pbft_) pbft_->stop();
  if (importer_) importer_->stop();
  started_ = false;
}

std::uint16_t Node::rpc_port() const {
  return rpc_server_ ? rpc_server_->port() : 0;
}

std::uint16_t Node::metrics_port() const {
  if (!config_.metrics.enabled) return 0;
  if (metrics_server_) return metrics_server_->port();
  return config_.metrics.port ? 0 : rpc_port();
}

std::uint16_t Node::p2p_port() const {
  return host_ ? host_->port() : 0;
}

}  // namespace tally::node
