#!/usr/bin/env bash
# The benchmark suite: micro benchmarks (Google Benchmark) and the JSON-RPC
# intake comparison (Tally vs ganache vs Hardhat, the same load in the same
# run). Writes every figure as JSON under bench/results/<UTC timestamp>/ and
# renders bench/RESULTS.md and bench/plots/*.png from it.
#   bench/run.sh --build DIR [--quick] [--runs N] [--skip-micro] [--skip-intake]
# ./tally.sh bench [--quick] builds in Release and calls this.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
BUILD="$ROOT/build/release"
QUICK=0
OUT=""
RUNS=""
MICRO=1
INTAKE=1
MACRO=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    --skip-micro) MICRO=0; shift ;;
    --skip-intake) INTAKE=0; shift ;;
    --skip-macro) MACRO=0; shift ;;
    --only-macro) ONLY_MACRO=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--build DIR] [--quick] [--runs N] [--skip-micro] [--skip-intake] [--skip-macro] [--only-macro NAME] [--out RESULTS_DIR]" >&2; exit 2 ;;
  esac
done
for tool in node jq curl gnuplot; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh needs $tool (./tally.sh bench installs it)" >&2; exit 1; }
done
log() { printf '[bench] %s\n' "$*" >&2; }

# The load: the full run is the one the issue names; --quick is a smoke
# run small enough that the whole command stays under 3 minutes.
if [ "$QUICK" = 1 ]; then
  TRANSFERS=1000 SENDERS=20 CONCURRENCY=16 READS=2000
  RUNS=${RUNS:-1}
  MICRO_ARGS=(--benchmark_min_time=0.05
    "--benchmark_filter=^BM_(Keccak|Sha256d|Secp256k1|Tx|BareRecover|Pow(Bare|Seal|Check)|StateUpdate(Cold|Warm)/(10000|100000)$|Scaling(Intake/(10000|100000)$|Import/(10000|100000)/))")
else
  # 50 transfers per sender: Tally's pool holds at most 64 nonces per
  # sender (docs/mempool.md), so a sender's 100th would be refused.
  TRANSFERS=10000 SENDERS=200 CONCURRENCY=64 READS=20000
  RUNS=${RUNS:-3}
  MICRO_ARGS=(--benchmark_min_time=0.3 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
fi

# --out reuses a results folder (to rerun one part); machine.json is then
# kept from the first run.
OUT=${OUT:-"$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)"}
mkdir -p "$OUT/logs"
log "results in $OUT"

if [ -e "$OUT/machine.json" ]; then
  # A rerun of some parts: the page says which, at which revision.
  parts=""
  [ "$MICRO" = 1 ] && parts+="micro "
  [ "$INTAKE" = 1 ] && parts+="intake "
  [ "$MACRO" = 1 ] && parts+="${ONLY_MACRO:-macro}"
  dirty=false
  [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] && dirty=true
  jq --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg rev "$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)" \
    --arg parts "${parts% }" --argjson dirty "$dirty" \
    '.reruns += [{date_utc: $date, git_revision: $rev, git_dirty: $dirty, parts: $parts}]' \
    "$OUT/machine.json" >"$OUT/machine.tmp" &&
    mv "$OUT/machine.tmp" "$OUT/machine.json"
fi
[ -e "$OUT/machine.json" ] || cat >"$OUT/machine.json" <<JSON
{
  "date_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "cores": $(nproc),
  "memory_kib": $(awk '/^MemTotal:/ {print $2}' /proc/meminfo),
  "cpu_model": $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' | jq -R .),
  "load_average_at_start": $(cut -d' ' -f1-3 /proc/loadavg | jq -R .),
  "git_revision": "$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)",
  "git_dirty": $(if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then echo true; else echo false; fi),
  "compiler": $(c++ --version | head -1 | jq -R .),
  "node_js": "$(node --version)",
  "quick": $([ "$QUICK" = 1 ] && echo true || echo false),
  "build_dir": $(jq -Rn --arg b "$BUILD" '$b')
}
JSON

if [ "$MICRO" = 1 ]; then
  log "micro benchmarks: tally_bench ${MICRO_ARGS[*]}"
  "$BUILD/bench/tally_bench" "${MICRO_ARGS[@]}" --benchmark_out="$OUT/micro.json" \
    --benchmark_out_format=json >"$OUT/logs/micro.txt"
  jq -n --arg cmd "$BUILD/bench/tally_bench ${MICRO_ARGS[*]}" '{command: $cmd}' >"$OUT/micro.command.json"
fi

if [ "$INTAKE" = 1 ]; then
  export TALLYD="$BUILD/node/tallyd"
  LOAD="$BUILD/bench/tally_rpc_load"
  [ -d "$BENCH_DIR/compare/node_modules" ] ||
    { echo "run (cd bench/compare && npm ci) first (./tally.sh bench does)" >&2; exit 1; }
  source "$BENCH_DIR/lib.sh"
  trap 'stop_node' EXIT
  jq -n --argjson m "$TRANSFERS" --argjson s "$SENDERS" --argjson c "$CONCURRENCY" --argjson r "$READS" \
    --argjson runs "$RUNS" '{transfers: $m, senders: $s, concurrency: $c, reads: $r, runs: $runs}' >"$OUT/intake.params.json"
  # Runs interleave the three nodes, so each sees the same machine load.
  for run in $(seq 1 "$RUNS"); do
    for kind in tally ganache hardhat; do
      log "intake run $run/$RUNS: $kind (M=$TRANSFERS S=$SENDERS C=$CONCURRENCY)"
      mkdir -p "$OUT/logs/$kind-$run"
      start_node "$kind" "$OUT/logs/$kind-$run" "$SENDERS"
      args=(--transfers "$TRANSFERS" --senders "$SENDERS" --concurrency "$CONCURRENCY" --reads "$READS"
        --funded "$NODE_FUNDED")
      if "$LOAD" --url "$NODE_URL" "${args[@]}" >"$OUT/intake-$kind-$run.json" 2>"$OUT/logs/$kind-$run/load.err"; then
        jq --arg kind "$kind" --argjson run "$run" --arg cmd "tally_rpc_load --url <$kind> ${args[*]}" \
          '. + {kind: $kind, run: $run, command: $cmd}' "$OUT/intake-$kind-$run.json" >"$OUT/intake.tmp" &&
          mv "$OUT/intake.tmp" "$OUT/intake-$kind-$run.json"
        jq -c '{accepted_per_s: .submit.accepted_per_s, errors: .submit.errors, seconds_to_all: .inclusion.seconds_to_all}' \
          "$OUT/intake-$kind-$run.json" >&2
      else
        log "load against $kind failed: $(tail -1 "$OUT/logs/$kind-$run/load.err")"
        rm -f "$OUT/intake-$kind-$run.json"
      fi
      stop_node
    done
  done
fi

# Macro benchmarks: each bench/macro/NAME.sh writes its figures as JSON into
# the results folder and bench/macro/NAME.mjs renders its section.
if [ "$MACRO" = 1 ]; then
  for script in "$BENCH_DIR"/macro/*.sh; do
    [ -e "$script" ] || continue
    name=$(basename "$script" .sh)
    [ -z "${ONLY_MACRO:-}" ] || [ "$ONLY_MACRO" = "$name" ] || continue
    quick=()
    [ "$QUICK" = 1 ] && quick=(--quick)
    log "macro benchmark: $name"
    mkdir -p "$OUT/logs/$name"
    if ! bash "$script" --build "$BUILD" --out "$OUT" ${RUNS:+--runs "$RUNS"} "${quick[@]}" \
      >"$OUT/logs/$name/run.txt" 2>&1; then
      log "macro benchmark $name failed; last lines of $OUT/logs/$name/run.txt:"
      tail -5 "$OUT/logs/$name/run.txt" >&2
    fi
  done
fi

log "rendering bench/RESULTS.md"
node "$BENCH_DIR/render.mjs" "$OUT" "$BENCH_DIR"
log "done: $BENCH_DIR/RESULTS.md ($OUT)"
