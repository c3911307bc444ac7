// Renders bench/RESULTS.md and bench/plots/*.png from one results folder
// written by bench/run.sh.
//   node bench/render.mjs bench/results/<timestamp> bench
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { basename, join, relative } from "node:path";

const [outDir, benchDir] = process.argv.slice(2);
if (!outDir || !benchDir) {
  console.error("usage: node render.mjs RESULTS_DIR BENCH_DIR");
  process.exit(2);
}
// Google Benchmark writes NaN and inf (a coefficient of variation of a
// counter that is always 0, say), which JSON has not: read them as null.
const readJson = (path) =>
  JSON.parse(readFileSync(path, "utf8").replace(/(?<=[:\[,]\s*)-?(NaN|nan|inf|Infinity)\b/g, "null"));
const machine = readJson(join(outDir, "machine.json"));
const runLabel = basename(outDir);
const command = machine.quick ? "./tally.sh bench --quick" : "./tally.sh bench";
const KINDS = [
  ["tally", "Tally"],
  ["ganache", "ganache"],
  ["hardhat", "Hardhat"],
];

const median = (values) => {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const fmt = (x, digits = 3) => {
  if (x === null || x === undefined) return "n/a";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  return Number(x.toPrecision(digits)).toString();
};
const ratio = (a, b) => (a === null || b === null || b === 0 ? "n/a" : `${fmt(a / b)}x`);

// ------------------------------------------------------------ intake
function intakeSection() {
  const files = readdirSync(outDir).filter((f) => /^intake-\w+-\d+\.json$/.test(f));
  if (files.length === 0) return ["## JSON-RPC intake", "", "Not run in this run (`--skip-intake`).", ""];
  const params = readJson(join(outDir, "intake.params.json"));
  const reports = files.map((f) => readJson(join(outDir, f)));
  const byKind = Object.fromEntries(KINDS.map(([k]) => [k, reports.filter((r) => r.kind === k)]));
  const figures = [
    ["accepted tx/s (eth_sendRawTransaction)", (r) => r.submit.accepted_per_s, "rate"],
    ["submission latency p50 (ms)", (r) => r.submit.latency_ms.p50, "time"],
    ["submission latency p99 (ms)", (r) => r.submit.latency_ms.p99, "time"],
    ["time until all transfers are in blocks (s)", (r) => r.inclusion.seconds_to_all, "time"],
    ["included tx/s (to the last inclusion)", (r) => r.inclusion.included_per_s, "rate"],
    ["submission-to-inclusion p50 (ms)", (r) => r.inclusion.latency_ms.p50, "time"],
    ["submission-to-inclusion p99 (ms)", (r) => r.inclusion.latency_ms.p99, "time"],
    ["blocks holding the load", (r) => r.inclusion.blocks_with_load, "count"],
    ["eth_getBalance calls/s", (r) => r.eth_getBalance.calls_per_s, "rate"],
    ["eth_getBalance p50 (ms)", (r) => r.eth_getBalance.latency_ms.p50, "time"],
    ["eth_getBalance p99 (ms)", (r) => r.eth_getBalance.latency_ms.p99, "time"],
    ["eth_blockNumber calls/s", (r) => r.eth_blockNumber.calls_per_s, "rate"],
    ["eth_blockNumber p50 (ms)", (r) => r.eth_blockNumber.latency_ms.p50, "time"],
    ["eth_blockNumber p99 (ms)", (r) => r.eth_blockNumber.latency_ms.p99, "time"],
  ];
  const lines = [
    "## JSON-RPC intake: Tally vs ganache vs Hardhat",
    "",
    `Load: ${params.transfers.toLocaleString("en-US")} pre-signed EIP-1559 transfers from ${params.senders} senders ` +
      `through \`eth_sendRawTransaction\` on ${params.concurrency} kept-alive connections ` +
      `(each sender's transfers in nonce order on one connection, so at most ${Math.min(params.concurrency, params.senders)} ` +
      `are in flight), then ${params.reads.toLocaleString("en-US")} \`eth_getBalance\` and as many \`eth_blockNumber\` ` +
      `calls at the same concurrency. Medians of ${params.runs} run(s); the three nodes alternate within each run, ` +
      `so they share the machine's conditions. Reproduce: \`${command}\`, or one node: ` +
      `\`build/release/bench/tally_rpc_load --url URL --transfers ${params.transfers} --senders ${params.senders} ` +
      `--concurrency ${params.concurrency} --reads ${params.reads} --funded N\` against a node started as in \`bench/lib.sh\`.`,
    "",
    "Nodes: " +
      KINDS.map(([k, name]) => `${name} \`${byKind[k][0]?.node.client_version ?? "not run"}\``).join(", ") +
      ". Tally: `tallyd --no-p2p --mine --miner-threads 1 --txpool-max-txs 20000` (dev chain, mines while transactions wait, " +
      "up to 30M gas a block); ganache and Hardhat: automine (a block per transaction), logging off.",
    "",
    "| figure | Tally | ganache | Hardhat | Tally/ganache | Tally/Hardhat |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const [label, pick] of figures) {
    const m = KINDS.map(([k]) => median(byKind[k].map(pick)));
    lines.push(`| ${label} | ${m.map((x) => fmt(x)).join(" | ")} | ${ratio(m[0], m[1])} | ${ratio(m[0], m[2])} |`);
  }
  const errors = KINDS.map(([k]) => byKind[k].reduce((sum, r) => sum + r.submit.errors, 0));
  lines.push(`| refused transfers (all runs) | ${errors.join(" | ")} | | |`);
  lines.push(
    "",
    "Ratios divide Tally's figure by the other node's: above 1 is better for Tally on rates, worse on times.",
    "Inclusion is observed by polling blocks every 10 ms, so inclusion latencies carry up to ~10 ms of polling delay.",
    "",
    "Every run:",
    "",
    "| node | run | accepted tx/s | refused | all in blocks after (s) | getBalance/s | blockNumber/s |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of reports.sort((a, b) => a.run - b.run || a.kind.localeCompare(b.kind))) {
    lines.push(
      `| ${r.kind} | ${r.run} | ${fmt(r.submit.accepted_per_s)} | ${r.submit.errors} | ` +
        `${fmt(r.inclusion.seconds_to_all)} | ${fmt(r.eth_getBalance.calls_per_s)} | ${fmt(r.eth_blockNumber.calls_per_s)} |`,
    );
  }
  const messages = reports.flatMap((r) => Object.entries(r.submit.error_messages).map(([m, n]) => `${r.kind}: ${n} x ${m}`));
  if (messages.length) lines.push("", "Refusals:", "", ...messages.slice(0, 10).map((m) => `- ${m}`));
  const missing = KINDS.filter(([k]) => byKind[k].length < params.runs).map(([, name]) => name);
  if (missing.length) lines.push("", `Missing runs (the load failed; see logs/ in the results folder): ${missing.join(", ")}.`);
  lines.push("");
  return lines;
}

// ------------------------------------------------------------ micro benchmarks
function microEntries() {
  const path = join(outDir, "micro.json");
  if (!existsSync(path)) return null;
  const entries = readJson(path).benchmarks.filter(
    (b) => b.run_type !== "aggregate" || b.aggregate_name === "median",
  );
  return entries.map((b) => ({ ...b, name: b.run_name ?? b.name }));
}

function microSection(entries) {
  if (!entries) return ["## Micro benchmarks", "", "Not run in this run (`--skip-micro`).", ""];
  const cmd = readJson(join(outDir, "micro.command.json")).command.replace(machine.build_dir, "build/release");
  const lines = [
    "## Micro benchmarks (Google Benchmark)",
    "",
    `Reproduce: \`${cmd}\` (medians of the repetitions where it repeats; one benchmark: add ` +
      "`--benchmark_filter=NAME`). Details and targets: [README.md](README.md).",
    "",
    "| benchmark | time | CPU time | rate |",
    "| --- | --- | --- | --- |",
  ];
  for (const b of entries) {
    if (b.error_occurred) {
      lines.push(`| \`${b.name}\` | error: ${b.error_message} | | |`);
      continue;
    }
    const rate = b.items_per_second
      ? `${fmt(b.items_per_second)} items/s`
      : b.bytes_per_second
        ? `${fmt(b.bytes_per_second / 1e6)} MB/s`
        : "";
    lines.push(`| \`${b.name}\` | ${fmt(b.real_time)} ${b.time_unit} | ${fmt(b.cpu_time)} ${b.time_unit} | ${rate} |`);
  }
  lines.push("");
  return lines;
}

// ------------------------------------------------------------ plots (curves only)
const toMicros = { ns: 1e-3, us: 1, ms: 1e3, s: 1e6 };

function plotCurves(entries) {
  if (!entries) return [];
  const curves = [
    {
      file: "state_update_scaling.png",
      title: "State update per block (100 accounts touched, root + commit) vs accounts in the state",
      xlabel: "accounts in the state",
      ylabel: "time per block (µs)",
      logx: true,
      series: ["BM_StateUpdateCold", "BM_StateUpdateWarm"],
    },
    {
      file: "intake_import_scaling.png",
      title: "200 transfers: intake (decode, checks, recovery, pool admission) and block import vs accounts in the state",
      xlabel: "accounts in the state",
      ylabel: "time per 200 transfers (µs)",
      logx: true,
      series: ["BM_ScalingIntake", "BM_ScalingImport"],
    },
    {
      file: "pow_miner_threads.png",
      title: "PoW miner: time for 2^20 nonces vs threads",
      xlabel: "miner threads",
      ylabel: "time (µs)",
      logx: false,
      series: ["BM_PowMiner"],
    },
  ];
  const plotDir = join(benchDir, "plots");
  mkdirSync(plotDir, { recursive: true });
  const lines = [];
  for (const curve of curves) {
    const data = curve.series
      .map((family) => ({
        family,
        points: entries
          .filter((b) => b.name.startsWith(family + "/") && !b.error_occurred)
          .map((b) => [Number(b.name.split("/")[1]), b.real_time * toMicros[b.time_unit]])
          .filter(([x]) => Number.isFinite(x)),
      }))
      .filter((s) => s.points.length >= 2);
    if (data.length === 0) continue;
    const dataFile = join(outDir, curve.file.replace(".png", ".dat"));
    writeFileSync(dataFile, data.map((s) => s.points.map((p) => p.join(" ")).join("\n")).join("\n\n\n") + "\n");
    const png = join(plotDir, curve.file);
    const script = [
      "set terminal pngcairo size 800,480 noenhanced",
      `set output '${png}'`,
      `set title '${curve.title}'`,
      `set xlabel '${curve.xlabel}'`,
      `set ylabel '${curve.ylabel}'`,
      curve.logx ? "set logscale x" : "set xtics 1",
      "set grid",
      "set key left top",
      "plot " + data.map((s, i) => `'${dataFile}' index ${i} with linespoints lw 2 title '${s.family}'`).join(", "),
    ].join("\n");
    try {
      execFileSync("gnuplot", [], { input: script });
    } catch {
      execFileSync("gnuplot", [], { input: script.replace("pngcairo", "png") });
    }
    copyFileSync(png, join(outDir, curve.file));
    lines.push(`![${curve.title}](${relative(benchDir, png)})`, "");
  }
  return lines.length ? ["## Plots", "", ...lines] : [];
}

// ------------------------------------------------------------ macro benchmarks
// Each bench/macro/NAME.mjs exports a default function that returns the
// Markdown lines of its section, given the shared helpers below.
function plotLines({ file, title, xlabel, ylabel, logx = false, series }) {
  const data = series.filter((s) => s.points.length >= 1);
  if (data.length === 0) return [];
  const plotDir = join(benchDir, "plots");
  mkdirSync(plotDir, { recursive: true });
  const dataFile = join(outDir, file.replace(".png", ".dat"));
  writeFileSync(dataFile, data.map((s) => s.points.map((p) => p.join(" ")).join("\n")).join("\n\n\n") + "\n");
  const png = join(plotDir, file);
  const script = [
    "set terminal pngcairo size 800,480 noenhanced",
    `set output '${png}'`,
    `set title '${title}'`,
    `set xlabel '${xlabel}'`,
    `set ylabel '${ylabel}'`,
    logx ? "set logscale x" : "",
    "set grid",
    "set key left top",
    "plot " + data.map((s, i) => `'${dataFile}' index ${i} with linespoints lw 2 title '${s.title}'`).join(", "),
  ].join("\n");
  try {
    execFileSync("gnuplot", [], { input: script });
  } catch {
    execFileSync("gnuplot", [], { input: script.replace("pngcairo", "png") });
  }
  copyFileSync(png, join(outDir, file));
  return [`![${title}](${relative(benchDir, png)})`, ""];
}

async function macroSections() {
  const dir = join(benchDir, "macro");
  if (!existsSync(dir)) return [];
  const helpers = { outDir, benchDir, machine, command, readJson, median, fmt, ratio, plotLines };
  const lines = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".mjs")).sort()) {
    const { default: section } = await import(join(dir, file));
    lines.push(...section(helpers));
  }
  return lines;
}

// ------------------------------------------------------------ page
const gib = (machine.memory_kib / 1024 / 1024).toFixed(1);
const micro = microEntries();
const page = [
  "# Benchmark results",
  "",
  `Written by \`${command}\` (bench/run.sh) on ${machine.date_utc}, git revision ` +
    `\`${machine.git_revision.slice(0, 12)}\`${machine.git_dirty ? " with uncommitted changes" : ""}` +
    `${machine.quick ? "; **quick mode**: small load, short runs, one run each" : ""}. ` +
    `Every figure below is in the JSON files of \`bench/results/${runLabel}/\` (not committed; rerun the command).` +
    (machine.reruns?.length
      ? ` Parts were rerun into the same folder (\`bench/run.sh --out\`): ${machine.reruns
          .map(
            (r) =>
              `${r.parts ?? "some parts"} on ${r.date_utc} at \`${r.git_revision.slice(0, 12)}\`` +
              (r.git_dirty ? " with uncommitted changes" : ""),
          )
          .join("; ")}.`
      : ""),
  "",
  `Machine: ${machine.cores} cores (${machine.cpu_model}), ${gib} GiB memory, ${machine.compiler}, Node.js ` +
    `${machine.node_js}; load average at start ${machine.load_average_at_start}. The load generator runs on the ` +
    "same cores as the node it loads. This machine is a shared VM that other jobs keep busy, so absolute figures " +
    "move between runs; compare the ratios, which are measured within one run.",
  "",
  ...intakeSection(),
  ...(await macroSections()),
  ...microSection(micro),
  ...plotCurves(micro),
];
writeFileSync(join(benchDir, "RESULTS.md"), page.join("\n"));
copyFileSync(join(benchDir, "RESULTS.md"), join(outDir, "RESULTS.md"));
