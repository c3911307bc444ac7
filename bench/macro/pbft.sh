#!/usr/bin/env bash
# PBFT macro benchmark: networks of 4 and then 7 validators (real tallyd
# processes on 127.0.0.1, made by `tallyd testnet init --consensus pbft`),
# loaded to saturation by tally_rpc_load: pre-signed transfers submitted
# through every validator, a closed loop that keeps WINDOW transfers out of
# finalized blocks, inclusion counted only once the "finalized" tag covers a
# block. Also measures secp256k1 public-key recoveries per second on one core
# (tally_bench) for the machine bound: cores x recoveries/s / validators.
#   bench/macro/pbft.sh --build BUILD_DIR --out RESULTS_DIR [--runs N] [--quick]
# Writes RESULTS_DIR/pbft.params.json, pbft-recover.json and
# pbft-n<N>-<run>.json; node logs under RESULTS_DIR/logs/pbft/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
macro_args pbft "$@"
mkdir -p "$OUT/logs/pbft"
TALLYD="$BUILD/node/tallyd"
LOAD="$BUILD/bench/tally_rpc_load"
BENCH="$BUILD/bench/tally_bench"
for bin in "$TALLYD" "$LOAD" "$BENCH"; do
  [ -x "$bin" ] || { echo "pbft.sh: $bin is missing (build tallyd, tally_rpc_load, tally_bench)" >&2; exit 1; }
done
log() { printf '[pbft] %s\n' "$*" >&2; }

SIZES=(4 7)
SENDERS=300        # per-sender pool limit is 64: the window spreads over them
CONCURRENCY=16     # submission connections, spread over the validators
BATCH=20           # transfers per JSON-RPC batch: the load generator shares the cores
TRANSFER_GAS=21000
if [ "$QUICK" = 1 ]; then
  RUNS=${RUNS:-1}
  TRANSFERS=8000
  RECOVER_ARGS=(--benchmark_min_time=0.1)
else
  RUNS=${RUNS:-3}
  TRANSFERS=25000
  RECOVER_ARGS=(--benchmark_min_time=0.5 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
fi
LOAD_TIMEOUT_S=150   # the load gives up waiting for blocks after this long
START_TIMEOUT_S=30   # every node answers and sees all its peers within this

# ---------------------------------------------------------------- processes
NET_DIR=""
PIDS=()

stop_network() {
  local pid
  [ "${#PIDS[@]}" -gt 0 ] || return 0
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 200); do # 20 s for all of them, then SIGKILL
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

cleanup() {
  stop_network
  [ -n "$NET_DIR" ] && rm -rf "$NET_DIR"
  NET_DIR=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints a base port P such that P .. P+COUNT-1 are all free on 127.0.0.1.
free_ports() {
  node -e '
    const net = require("net");
    const count = Number(process.argv[1]);
    const tryBase = (attempt) => {
      if (attempt > 50) { console.error("no free port range"); process.exit(1); }
      const base = 20000 + Math.floor(Math.random() * 40000);
      const servers = [];
      let pending = count, ok = true;
      const done = () => {
        if (--pending > 0) return;
        servers.forEach((s) => s.close());
        if (ok) console.log(base); else tryBase(attempt + 1);
      };
      for (let i = 0; i < count; i++) {
        const s = net.createServer();
        servers.push(s);
        s.once("error", () => { ok = false; done(); });
        s.listen(base + i, "127.0.0.1", done);
      }
    };
    tryBase(0);' "$1"
}

# start_network N GAS_LIMIT: a fresh testnet of N validators in NET_DIR,
# started and connected; sets URLS (comma-separated) and URL (node 0).
start_network() {
  local n=$1 gas_limit=$2 base i
  NET_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tally-pbft-bench-XXXXXX")
  base=$(free_ports $((2 * n)))
  "$TALLYD" testnet init --dir "$NET_DIR" --consensus pbft --nodes "$n" \
    --rpc-base-port "$base" --p2p-base-port $((base + n)) >/dev/null
  jq --argjson g "$gas_limit" '.gasLimit = $g' "$NET_DIR/genesis.json" >"$NET_DIR/genesis.tmp"
  mv "$NET_DIR/genesis.tmp" "$NET_DIR/genesis.json"
  URLS=""
  for i in $(seq 0 $((n - 1))); do
    "$TALLYD" --config "$NET_DIR/node$i/tallyd.toml" >"$NET_DIR/node$i/console.log" 2>&1 &
    PIDS+=($!)
    URLS="${URLS:+$URLS,}http://127.0.0.1:$((base + i))"
  done
  URL="http://127.0.0.1:$base"
  local deadline=$((SECONDS + START_TIMEOUT_S)) url peers
  for i in $(seq 0 $((n - 1))); do
    url="http://127.0.0.1:$((base + i))"
    while :; do
      kill -0 "${PIDS[$i]}" 2>/dev/null || { log "node$i exited:"; tail -5 "$NET_DIR/node$i/console.log" >&2; return 1; }
      peers=$(rpc_call "$url" net_peerCount 2>/dev/null | jq -r '.result // empty' 2>/dev/null || true)
      [ -n "$peers" ] && [ $((peers)) -ge $((n - 1)) ] && break
      [ "$SECONDS" -lt "$deadline" ] || { log "node$i not connected to $((n - 1)) peers in ${START_TIMEOUT_S} s"; return 1; }
      sleep 0.2
    done
  done
}

# Copies each node's console log to RESULTS_DIR/logs/pbft/NAME/nodeI.log.
keep_logs() {
  local dir
  mkdir -p "$OUT/logs/pbft/$1"
  for dir in "$NET_DIR"/node*; do
    [ -f "$dir/console.log" ] && cp "$dir/console.log" "$OUT/logs/pbft/$1/$(basename "$dir").log"
  done
  return 0
}

# Every validator holds the same block at node 0's finalized height.
check_agreement() {
  local n=$1 base=${URL##*:} number hash i other
  number=$(rpc_call "$URL" eth_getBlockByNumber '["finalized",false]' | jq -r '.result.number')
  hash=$(rpc_call "$URL" eth_getBlockByNumber "[\"$number\",false]" | jq -r '.result.hash')
  for i in $(seq 1 $((n - 1))); do
    other=$(rpc_call "http://127.0.0.1:$((base + i))" eth_getBlockByNumber "[\"$number\",false]" | jq -r '.result.hash')
    [ "$other" = "$hash" ] || { echo false; return 0; }
  done
  echo true
}

# ---------------------------------------------------------------- recoveries
# measure_recoveries NAME: secp256k1 recoveries per second on one core into
# RESULTS_DIR/NAME.json. The bound uses distinct signatures (as a node
# recovers them; recovery is variable-time, so one input recovered again and
# again runs faster); the same-input rate is kept beside it for comparison.
# Measured before the networks and again just before each run: this shared
# VM's speed moves by tens of percent within minutes, so each run is
# compared with the bound of its own moment.
measure_recoveries() {
  "$BENCH" '--benchmark_filter=^BM_Secp256k1_Recover(Distinct)?$' "${RECOVER_ARGS[@]}" \
    --benchmark_out="$OUT/logs/pbft/$1-raw.json" --benchmark_out_format=json >"$OUT/logs/pbft/$1.txt" 2>&1
  # items_per_second when the benchmark counts items; else one per iteration.
  jq --argjson cores "$(nproc)" --arg cmd "tally_bench --benchmark_filter=^BM_Secp256k1_RecoverDistinct\$ ${RECOVER_ARGS[*]}" '
    def rate($name): [.benchmarks[] | select(.run_name == $name or .name == $name)
        | select(.run_type != "aggregate" or .aggregate_name == "median")][0]
      | (.items_per_second // (1e9 / (.cpu_time * ({"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[.time_unit]))));
    rate("BM_Secp256k1_RecoverDistinct") as $rate | rate("BM_Secp256k1_Recover") as $same
    | {benchmark: "BM_Secp256k1_RecoverDistinct", recoveries_per_s_per_core: $rate, cores: $cores,
       recoveries_per_s: ($rate * $cores), same_input_recoveries_per_s_per_core: $same, command: $cmd}' \
    "$OUT/logs/pbft/$1-raw.json" >"$OUT/$1.json"
}
log "secp256k1 recoveries per second: tally_bench --benchmark_filter=^BM_Secp256k1_Recover(Distinct)?\$ ${RECOVER_ARGS[*]}"
measure_recoveries pbft-recover
log "$(jq -c . "$OUT/pbft-recover.json")"

# ---------------------------------------------------------------- networks
GAS_LIMIT=30000000 # the testnet default (and Hardhat's, Anvil's)
PER_BLOCK=$((GAS_LIMIT / TRANSFER_GAS))
# Three blocks' worth keeps the next block full while one is committed,
# and stays under the pool's 6,144 transactions.
WINDOW=$((3 * PER_BLOCK < 5500 ? 3 * PER_BLOCK : 5500))
jq -n --argjson sizes "$(printf '%s\n' "${SIZES[@]}" | jq -s .)" --argjson runs "$RUNS" \
  --argjson m "$TRANSFERS" --argjson s "$SENDERS" --argjson c "$CONCURRENCY" --argjson b "$BATCH" --argjson w "$WINDOW" \
  --argjson g "$GAS_LIMIT" --argjson per_block "$PER_BLOCK" --argjson quick "$([ "$QUICK" = 1 ] && echo true || echo false)" \
  '{sizes: $sizes, runs: $runs, transfers: $m, senders: $s, concurrency: $c, batch: $b, window: $w, gas_limit: $g,
    transfers_per_block: $per_block, quick: $quick}' >"$OUT/pbft.params.json"

failures=0
for n in "${SIZES[@]}"; do
  for run in $(seq 1 "$RUNS"); do
    name="n$n-$run"
    log "run $run/$RUNS: $n validators (M=$TRANSFERS S=$SENDERS C=$CONCURRENCY window=$WINDOW)"
    if ! start_network "$n" "$GAS_LIMIT"; then
      failures=$((failures + 1))
      keep_logs "$name"
      cleanup
      continue
    fi
    measure_recoveries "pbft-recover-$name"
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    args=(--transfers "$TRANSFERS" --senders "$SENDERS" --concurrency "$CONCURRENCY" --reads 0 --funded 10 --batch "$BATCH"
      --window "$WINDOW" --finalized --inclusion-timeout-s "$LOAD_TIMEOUT_S")
    if timeout $((LOAD_TIMEOUT_S + 60)) "$LOAD" --url "$URL" --urls "$URLS" "${args[@]}" \
      >"$OUT/pbft-$name.raw" 2>"$OUT/logs/pbft/$name.load.err"; then
      agree=$(check_agreement "$n")
      jq --argjson n "$n" --argjson run "$run" --argjson g "$GAS_LIMIT" --argjson agree "$agree" \
        --arg load "$load_before $(cut -d' ' -f1 /proc/loadavg)" \
        --arg cmd "tally_rpc_load --url <node0> --urls <all $n validators> ${args[*]}" \
        --slurpfile recover "$OUT/pbft-recover-$name.json" \
        '. + {validators: $n, run: $run, gas_limit: $g, validators_agree: $agree, load_average: $load, command: $cmd,
              recoveries_per_s_per_core: $recover[0].recoveries_per_s_per_core, cores: $recover[0].cores,
              same_input_recoveries_per_s_per_core: $recover[0].same_input_recoveries_per_s_per_core}' \
        "$OUT/pbft-$name.raw" >"$OUT/pbft-$name.json"
      rm -f "$OUT/pbft-recover-$name.json"
      jq -c '{validators, run, steady_per_s: .inclusion.steady_included_per_s, p50_ms: .inclusion.latency_ms.p50,
        p99_ms: .inclusion.latency_ms.p99, errors: .submit.errors, all_included: .inclusion.all_included,
        validators_agree}' "$OUT/pbft-$name.json" >&2
    else
      failures=$((failures + 1))
      log "load failed: $(tail -1 "$OUT/logs/pbft/$name.load.err")"
    fi
    rm -f "$OUT/pbft-$name.raw"
    stop_network
    keep_logs "$name"
    cleanup
  done
done
[ "$failures" = 0 ] || { log "$failures run(s) failed"; exit 1; }
log "done"
