#include "node/node_metrics.hpp"

#include <array>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "chain/mempool.hpp"
#include "node/clock.hpp"
#include "node/importer.hpp"
#include "node/miner_service.hpp"
#include "node/pbft_driver.hpp"
#include "node/tx_journal.hpp"
#include "node/version.hpp"
#include "p2p/frame.hpp"
#include "p2p/host.hpp"
#include "rpc/server.hpp"

namespace tally::node {

namespace {

using metrics::TextWriter;
using metrics::Type;

constexpr chain::ImportStatus kImportResults[] = {chain::ImportStatus::new_head, chain::ImportStatus::side_chain,
                                                  chain::ImportStatus::already_known, chain::ImportStatus::orphan,
                                                  chain::ImportStatus::invalid};

double as_double(std::uint64_t value) {
  return static_cast<double>(value);
}

void write_chain(TextWriter& out, const chain::ChainManager& chain) {
  const auto head = chain.head_header();
  out.gauge("tally_chain_head_height", "Number of the head block of the canonical chain.", as_double(head.number));
  out.gauge("tally_chain_head_timestamp_seconds", "Timestamp of the head block (Unix seconds).",
            as_double(head.timestamp));
  out.gauge("tally_chain_finalized_height",
            "Number of the newest block with a finality certificate (PBFT chains; 0 on proof of work).",
            as_double(chain.finalized_number()));
  out.gauge("tally_chain_orphan_blocks", "Blocks held while their parent is unknown.", as_double(chain.orphan_count()));
}

void write_importer(TextWriter& out, const Importer& importer) {
  out.family("tally_chain_block_imports_total", "Blocks that reached the importer, by result.", Type::counter);
  for (const auto status : kImportResults) {
    out.sample({{"result", std::string(chain::to_string(status))}}, importer.imports(status));
  }
  out.gauge("tally_chain_import_queue", "Blocks and tasks waiting for the importer.", as_double(importer.queued()));
}

void write_pool(TextWriter& out, const chain::Mempool& pool, const TxJournal* journal) {
  const auto status = pool.status();
  out.gauge("tally_txpool_pending", "Transactions ready to be mined (nonces in order).", as_double(status.pending));
  out.gauge("tally_txpool_queued", "Transactions waiting for an earlier nonce.", as_double(status.queued));
  out.gauge("tally_txpool_senders", "Distinct senders with transactions in the pool.", as_double(status.senders));
  out.gauge("tally_txpool_bytes", "Encoded size of the pooled transactions.", as_double(status.bytes));
  if (journal != nullptr) {
    out.gauge("tally_txpool_journal_bytes", "Size of txpool.journal (local transactions replayed on start).",
              as_double(journal->bytes()));
  }
}

// One sample per message type the protocol defines (a fixed label set,
// whatever peers send).
void write_p2p_messages(TextWriter& out, std::string_view name, std::string_view help,
                        const std::array<std::uint64_t, 256>& counts) {
  out.family(name, help, Type::counter);
  for (std::size_t value = 0; value < counts.size(); ++value) {
    const auto type = static_cast<p2p::MessageType>(value);
    const std::string_view label = p2p::to_string(type);
    if (label != "unknown") out.sample({{"type", std::string(label)}}, counts[value]);
  }
}

void write_p2p(TextWriter& out, const p2p::Host& host) {
  const auto stats = host.stats();
  out.gauge("tally_p2p_peers", "Connected peers (handshake done).", as_double(host.peer_count()));
  out.counter("tally_p2p_received_bytes_total", "Bytes read from peers.", stats.bytes_received);
  out.counter("tally_p2p_sent_bytes_total", "Bytes written to peers.", stats.bytes_sent);
  out.counter("tally_p2p_handshakes_total", "Peer handshakes completed.", stats.handshakes_completed);
  out.counter("tally_p2p_bans_total", "Peers banned for misbehaviour.", stats.bans);
  out.gauge("tally_p2p_syncing", "1 while the node syncs from peers that are ahead, else 0.",
            host.sync_status().syncing ? 1.0 : 0.0);
  write_p2p_messages(out, "tally_p2p_messages_received_total", "Messages read from peers, by type.",
                     stats.messages_received);
  write_p2p_messages(out, "tally_p2p_messages_sent_total", "Messages written to peers, by type.", stats.messages_sent);
}

void write_rpc(TextWriter& out, const rpc::Server& server) {
  const auto stats = server.stats();
  out.family("tally_rpc_requests_total",
             "JSON-RPC calls by method (batch elements one by one; \"other\": unknown methods and invalid requests). "
             "A method appears once called.",
             Type::counter);
  for (const auto& method : stats.methods) out.sample({{"method", method.method}}, method.calls);
  out.family("tally_rpc_errors_total", "JSON-RPC error responses by method.", Type::counter);
  for (const auto& method : stats.methods) out.sample({{"method", method.method}}, method.errors);
  out.counter("tally_rpc_http_requests_total", "HTTP requests answered, any status.", stats.http_requests);
  out.counter("tally_rpc_ws_messages_total", "WebSocket messages received.", stats.ws_messages);
  out.gauge("tally_rpc_open_connections", "Open HTTP and WebSocket connections.", as_double(stats.open_connections));
  out.counter("tally_rpc_connections_refused_total", "Connections refused over the connection limit.",
              stats.connections_refused);
}

void write_miner(TextWriter& out, const MinerService& miner) {
  out.gauge("tally_miner_mining", "1 while the mining loop runs, else 0.", miner.mining() ? 1.0 : 0.0);
  out.gauge("tally_miner_hashrate", "Hashes per second of the mining loop.", as_double(miner.hashrate()));
  out.counter("tally_miner_hashes_total", "Seal hashes computed by the mining loop.", miner.hashes_done());
  out.counter("tally_miner_blocks_mined_total", "Blocks this node mined and imported.", miner.blocks_mined());
}

void write_pbft(TextWriter& out, const PbftDriver& pbft) {
  const auto status = pbft.status();
  out.gauge("tally_pbft_height", "Height the PBFT replica is deciding.", as_double(status.height));
  out.gauge("tally_pbft_view", "View of that height (0 until a view change).", as_double(status.view));
  out.counter("tally_pbft_view_changes_total", "Times the replica moved to a higher view within a height.",
              pbft.view_changes());
  out.gauge("tally_pbft_halted", "1 when the validator stopped signing after a failure (see the log), else 0.",
            pbft.halted() ? 1.0 : 0.0);
}

}  // namespace

NodeMetrics::NodeMetrics()
    : reorg_depth_(std::vector<double>(std::begin(kReorgDepthBuckets), std::end(kReorgDepthBuckets))),
      started_(std::chrono::steady_clock::now()),
      started_unix_seconds_(static_cast<double>(unix_ms()) / 1000.0) {}

void NodeMetrics::on_head_change(const chain::HeadChange& change) {
  if (!change.is_reorg()) return;
  reorgs_.inc();
  reorg_depth_.observe(static_cast<double>(change.removed.size()));
}

std::string NodeMetrics::render(const MetricsSources& sources) const {
  TextWriter out;
  out.family("tally_build_info", "Version of this tallyd (the value is always 1).", Type::gauge);
  out.sample({{"version", kVersion}}, std::uint64_t{1});
  out.gauge("tally_start_time_seconds", "When this node started (Unix seconds).", started_unix_seconds_);
  const std::chrono::duration<double> up = std::chrono::steady_clock::now() - started_;
  out.gauge("tally_uptime_seconds", "Seconds since this node started.", up.count());

  if (sources.chain != nullptr) write_chain(out, *sources.chain);
  out.counter("tally_chain_reorgs_total", "Head changes that took blocks off the canonical chain.", reorgs_.value());
  out.histogram("tally_chain_reorg_depth", "Blocks taken off the canonical chain per reorg.", reorg_depth_.snapshot());
  if (sources.importer != nullptr) write_importer(out, *sources.importer);
  if (sources.pool != nullptr) write_pool(out, *sources.pool, sources.journal);
  if (sources.host != nullptr) write_p2p(out, *sources.host);
  if (sources.rpc != nullptr) write_rpc(out, *sources.rpc);
  if (sources.miner != nullptr) write_miner(out, *sources.miner);
  if (sources.pbft != nullptr) write_pbft(out, *sources.pbft);
  return out.text();
}

}  // namespace tally::node
