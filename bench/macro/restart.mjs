// Renders the restart section of bench/RESULTS.md from restart.json
// (bench/macro/restart.sh): start time and idle memory with a long chain.
import { existsSync } from "node:fs";
import { join } from "node:path";

export default function section({ outDir, readJson, median, fmt }) {
  const path = join(outDir, "restart.json");
  const lines = ["## Restart: a node with a long chain", ""];
  if (!existsSync(path)) return [...lines, "Not run, or it failed (see logs/restart/ in the results folder).", ""];
  const r = readJson(path);
  const pick = (f) => median(r.runs.map(f));
  const mib = (kib) => (kib === null ? null : kib / 1024);
  lines.push(
    `A \`tallyd\` started on a datadir holding ${r.blocks.toLocaleString("en-US")} PoW blocks ` +
      `(${r.txs_per_block} transfer each, ${fmt(r.datadir_bytes / 1024 / 1024)} MiB on disk), timed from spawn until ` +
      "JSON-RPC answers with the chain's head, then left idle " +
      `${r.idle_seconds} s before its RSS is read; the same with an empty datadir on the same genesis in each run. ` +
      `Medians of ${r.runs.length} run(s). Reproduce: \`${r.command}\`.`,
    "",
    "| datadir | start to RPC at the head (s) | idle RSS (MiB) | peak RSS (MiB) | CPU (s) |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const [label, key] of [
    ["empty", "empty_datadir"],
    [`${r.blocks.toLocaleString("en-US")} blocks`, "full_datadir"],
  ]) {
    lines.push(
      `| ${label} | ${fmt(pick((x) => x[key].seconds_to_rpc_at_head))} | ${fmt(mib(pick((x) => x[key].idle_rss_kib)))} | ` +
        `${fmt(mib(pick((x) => x[key].peak_rss_kib)))} | ${fmt(pick((x) => x[key].cpu_seconds))} |`,
    );
  }
  lines.push("", `Start time with the chain over start time empty: ${fmt(pick((x) => x.full_over_empty_time))}x.`, "");
  return lines;
}
