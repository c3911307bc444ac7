// Renders the network section of bench/RESULTS.md from the network-*.json
// files bench/macro/network.sh writes (PoW block propagation, p2p sync).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const NODE_COUNTS = [4, 16];

function propagationReports(outDir, readJson) {
  const byNodes = Object.fromEntries(NODE_COUNTS.map((n) => [n, []]));
  for (const file of readdirSync(outDir).filter((f) => /^network-propagation-\d+-\d+\.json$/.test(f))) {
    const report = readJson(join(outDir, file));
    (byNodes[report.nodes] ??= []).push(report);
  }
  return byNodes;
}

// The empirical distribution of the per-block times to all nodes, pooled
// over runs, as [ms, fraction of blocks] points.
function cdf(reports) {
  const times = reports.flatMap((r) => r.time_to_all_ms_each_block).sort((a, b) => a - b);
  return times.map((t, i) => [Number(t.toFixed(3)), Number(((i + 1) / times.length).toFixed(4))]);
}

function propagationSection({ outDir, readJson, median, fmt, plotLines }, params) {
  const byNodes = propagationReports(outDir, readJson);
  if (NODE_COUNTS.every((n) => byNodes[n].length === 0)) return ["Propagation: no report (see logs/network/).", ""];
  const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  const others = (r) => r.per_node.filter((p) => !p.miner);
  const miner = (r) => r.per_node.find((p) => p.miner);
  const figures = [
    ["blocks timed (all runs)", (rs) => rs.reduce((s, r) => s + r.blocks_timed, 0), true],
    ["block interval (s)", (r) => r.block_interval_s],
    ["transfers per block (mean)", (r) => r.block_sizes.transactions.mean],
    ["block size (bytes, mean)", (r) => r.block_sizes.bytes.mean],
    ["**time to all nodes p50 (ms)**", (r) => r.time_to_all_ms.p50],
    ["**time to all nodes p99 (ms)**", (r) => r.time_to_all_ms.p99],
    ["time to each node p50 (ms)", (r) => r.time_to_each_ms.p50],
    ["time to each node p99 (ms)", (r) => r.time_to_each_ms.p99],
    ["notifications missing (block, node)", (rs) => rs.reduce((s, r) => s + r.missing_notifications, 0), true],
    ["peers per node (mean)", (r) => mean(r.per_node.map((p) => p.peers))],
    ["p2p bytes received per node per block", (r) => r.received_bytes_per_node_per_block.mean],
    ["**that / block size**", (r) => r.received_per_block_over_block_bytes],
    ["transaction gossip: bytes per node per transfer (control)", (r) => r.tx_gossip_control.received_bytes_per_node_per_tx.mean],
    ["**block bytes per node per block (less tx gossip) / block size**", (r) => r.block_part_over_block_bytes],
    ["miner CPU s during the load", (r) => miner(r).cpu_seconds_window],
    ["other nodes: CPU s during the load (mean)", (r) => mean(others(r).map((p) => p.cpu_seconds_window))],
    ["RSS per node at the end (MiB, mean)", (r) => mean(r.per_node.map((p) => p.end.rss_kib / 1024))],
    ["RSS per node at the end (MiB, max)", (r) => Math.max(...r.per_node.map((p) => p.end.rss_kib / 1024))],
    ["CPU s per node, whole life (mean)", (r) => mean(r.per_node.map((p) => p.end.cpu_seconds))],
    ["transfers refused (all runs)", (rs) => rs.reduce((s, r) => s + r.load.refused, 0), true],
  ];
  const sample = NODE_COUNTS.map((n) => byNodes[n][0]).find(Boolean);
  const lines = [
    "### PoW block propagation",
    "",
    `Real tallyd processes on 127.0.0.1, each dialing ${sample.dials_per_node} random others (peer exchange off: ` +
      "`--p2p-no-discovery`; the undirected graph is redrawn until connected, so nodes have about twice that many " +
      "peers); node 0 mines on one thread (`--mine --miner-threads 1`) at a genesis difficulty of " +
      `${sample.target_block_seconds} s of this machine's miner hashing (ASERT target ${sample.target_block_seconds} s). ` +
      `Load: ${sample.load.tx_per_second} pre-signed EIP-1559 transfers/s for ${fmt(sample.load.seconds, 2)} s from ` +
      `${sample.load.senders} accounts, each to a random node's \`eth_sendRawTransaction\`. Every node's \`newHeads\` ` +
      "WebSocket subscription is timestamped by the driver on one clock; a block's time is from the miner's own " +
      "notification to each other node's. Bytes: each node's `tally_p2p_received_bytes_total` from the load's start " +
      "until every node has the last block, over the blocks mined meanwhile. Then a control phase with the miner " +
      "stopped sends 200 more transfers and measures the gossip bytes per transfer alone, so the blocks' own share " +
      "can be told apart. Medians of " +
      `${params.runs} run(s) per size. Reproduce: \`bash bench/macro/network.sh --build build/release --out DIR` +
      `${params.quick ? " --quick" : ""}\`, or one run: \`${sample.command}\`.`,
    "",
    `| figure | ${NODE_COUNTS.map((n) => `${n} nodes`).join(" | ")} |`,
    `| --- | ${NODE_COUNTS.map(() => "---").join(" | ")} |`,
  ];
  for (const [label, pick, whole] of figures) {
    const cells = NODE_COUNTS.map((n) => {
      const rs = byNodes[n];
      if (rs.length === 0) return "not run";
      return fmt(whole ? pick(rs) : median(rs.map(pick)));
    });
    lines.push(`| ${label} | ${cells.join(" | ")} |`);
  }
  lines.push(
    "",
    "Target for the bytes: about one copy of each block per node, not one per peer. The raw ratio includes the " +
      "transactions' own gossip (each node gets every transfer once, plus a hash announcement from each peer); the " +
      "row after the control subtracts it. Blocks are pushed to ceil(sqrt(peers)) peers and announced by hash to the " +
      "rest (as in eth/68), as compact blocks: the header and the transaction hashes, rebuilt from the receiver's " +
      "pool, which asks the sender only for the transactions it lacks (docs/p2p.md). A node receives a few compact " +
      "copies, each about a third of the block for transfers.",
    "",
    ...plotLines({
      file: "network_propagation_cdf.png",
      title: "Time from mining to the last node, per block (all runs)",
      xlabel: "ms after the newHeads notification of the miner",
      ylabel: "fraction of blocks",
      series: NODE_COUNTS.filter((n) => byNodes[n].length).map((n) => ({ title: `${n} nodes`, points: cdf(byNodes[n]) })),
    }),
  );
  return lines;
}

function syncSection({ outDir, readJson, median, fmt, ratio }) {
  const path = join(outDir, "network-sync.json");
  if (!existsSync(path)) return ["### Sync", "", "No report (see logs/network/).", ""];
  const r = readJson(path);
  const pick = (f) => median(r.runs.map(f));
  const bare = (f) => pick((run) => f(run.bare_import));
  const sync = (f) => pick((run) => f(run.p2p_sync));
  const rows = [
    ["time (s)", bare((x) => x.seconds), sync((x) => x.seconds)],
    ["blocks/s", bare((x) => x.blocks_per_s), sync((x) => x.blocks_per_s)],
    ["transfers/s", bare((x) => x.tx_per_s), sync((x) => x.tx_per_s)],
    ["CPU s (driver process / syncing tallyd)", bare((x) => x.cpu_seconds), sync((x) => x.syncing_node.cpu_seconds)],
    ["start to first block imported (s)", null, sync((x) => x.seconds_to_first_block)],
    ["blocks/s after the first block", null, sync((x) => x.blocks_per_s_after_first_block)],
    ["syncing node RSS at the end (MiB)", null, sync((x) => x.syncing_node.rss_kib / 1024)],
    ["serving node CPU s", null, sync((x) => x.serving_node.cpu_seconds)],
  ];
  if (r.runs.every((run) => run.p2p_sync.syncing_node.rss_anon_kib !== undefined)) {
    // LevelDB maps its table files: those pages count in RSS but are clean
    // page cache the kernel can drop; the private part is what the node holds.
    rows.splice(
      rows.length - 1,
      0,
      ["of which private: heap, caches (MiB)", null, sync((x) => x.syncing_node.rss_anon_kib / 1024)],
      ["of which mapped files: LevelDB tables, binary (MiB)", null, sync((x) => x.syncing_node.rss_file_kib / 1024)],
    );
  }
  const timeRatio = pick((run) => run.sync_over_bare_time);
  const matched = r.runs.every((run) => run.p2p_sync.head_matches);
  return [
    "### Sync",
    "",
    `A chain of ${r.blocks.toLocaleString("en-US")} blocks x ${r.txs_per_block} transfers ` +
      `(${r.transactions.toLocaleString("en-US")} in all, ${fmt(r.mean_block_bytes)} bytes a block; each transfer ` +
      `pays a fresh address, so the state grows to ~${r.transactions.toLocaleString("en-US")} accounts) is generated ` +
      `in process (${fmt(r.generation_seconds)} s, not timed): real PoW seals at difficulty 1, timestamps on the ASERT ` +
      `schedule. Blocks are filled to the EIP-1559 gas target (gas limit ${r.gas_limit.toLocaleString("en-US")}, ` +
      "twice their gas): above the target the base fee rises 12.5% a block, which would price every transfer out " +
      "long before the last block. A tallyd serves that datadir; a fresh tallyd dials it (`--peer`, " +
      "`--p2p-no-discovery`) and is timed from its process start until `eth_blockNumber` reaches the head. Bare " +
      "import: the same blocks through `ChainManager::import_block` into a fresh datadir with tallyd's options " +
      "(synced writes, senders recovered on the import thread, as on the node's p2p path), in the same run. " +
      `Medians of ${r.runs.length} run(s). Reproduce: \`${r.command}\`.`,
    "",
    "| figure | bare import | p2p sync |",
    "| --- | --- | --- |",
    ...rows.map(([label, a, b]) => `| ${label} | ${a === null ? "" : fmt(a)} | ${fmt(b)} |`),
    "",
    `**Sync time / bare import time: ${fmt(timeRatio)}x** (target: at most 1.2x); ` +
      `sync reaches ${ratio(sync((x) => x.tx_per_s), bare((x) => x.tx_per_s))} of bare import's transfers/s. ` +
      `Synced head equals the generated chain's in every run: ${matched ? "yes" : "**no**"}.`,
    "",
  ];
}

export default function section(helpers) {
  const { outDir, readJson } = helpers;
  const paramsPath = join(outDir, "network.params.json");
  if (!existsSync(paramsPath)) return [];
  const params = readJson(paramsPath);
  return [
    "## Network: PoW block propagation and p2p sync",
    "",
    `Reproduce the whole section: \`bash bench/macro/network.sh --build build/release --out DIR` +
      `${params.quick ? " --quick" : ""}\` (runs: ${params.runs}; propagation \`${params.propagation_args}\`, ` +
      `sync \`${params.sync_args}\`). Every process runs on this machine's cores, driver included.`,
    "",
    ...propagationSection(helpers, params),
    ...syncSection(helpers),
  ];
}
