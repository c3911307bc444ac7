#!/usr/bin/env bash
# Network macro benchmarks (tally_net_bench, bench/net/): PoW block
# propagation in random networks of 4 and 16 tallyd processes under a
# transaction load, and p2p sync of a generated chain next to a bare import
# of the same blocks. Writes network-*.json into the results folder;
# bench/macro/network.mjs renders them.
#   bash bench/macro/network.sh --build BUILD_DIR --out RESULTS_DIR [--runs N] [--quick]
# TALLY_NETWORK_PARTS="propagation sync" (the default) picks the parts.
# Full: ~11 minutes on 2 cores (3 runs); --quick: under a minute (1 run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
macro_args network "$@"
DRIVER="$BUILD/bench/net/tally_net_bench"
TALLYD="$BUILD/node/tallyd"
for binary in "$DRIVER" "$TALLYD"; do
  [ -x "$binary" ] || { echo "missing $binary (cmake --build $BUILD --target tally_net_bench tallyd)" >&2; exit 1; }
done
mkdir -p "$OUT/logs/network"
log() { printf '[network] %s\n' "$*" >&2; }

if [ "$QUICK" = 1 ]; then
  RUNS=${RUNS:-1}
  PROP_ARGS=(--seconds 6 --tps 50)
  SYNC_ARGS=(--blocks 300 --txs-per-block 20)
else
  RUNS=${RUNS:-3}
  PROP_ARGS=(--seconds 45 --tps 100)
  SYNC_ARGS=(--blocks 10000 --txs-per-block 20)
fi
NODE_COUNTS=(4 16)

# The driver stops its tallyd processes by PID when it ends or is signalled
# (and they die with it); this script stops the driver by PID.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tally-network-XXXXXX")
DRIVER_PID=""
cleanup() {
  [ -z "$DRIVER_PID" ] || stop_pid "$DRIVER_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_driver NAME LIMIT_S ARGS...: runs tally_net_bench ARGS (at most
# LIMIT_S seconds), its report to $OUT/NAME.json with the command added.
run_driver() {
  local name=$1 limit=$2
  shift 2
  timeout --signal=TERM --kill-after=30 "$limit" "$DRIVER" "$@" >"$WORK/report.json" \
    2>"$OUT/logs/network/$name.err" &
  DRIVER_PID=$!
  local status=0
  wait "$DRIVER_PID" || status=$?
  DRIVER_PID=""
  if [ "$status" != 0 ]; then
    log "$name failed (exit $status): $(tail -3 "$OUT/logs/network/$name.err")"
    return 1
  fi
  local shown="build/release/bench/net/tally_net_bench $*"
  shown=${shown//"$WORK"/WORKDIR}
  shown=${shown//"$TALLYD"/build/release/node/tallyd}
  jq --arg cmd "$shown" --argjson run "${RUN:-1}" '. + {command: $cmd, run: $run}' "$WORK/report.json" >"$OUT/$name.json"
}

jq -n --argjson quick "$QUICK" --argjson runs "$RUNS" --arg prop "${PROP_ARGS[*]}" --arg sync "${SYNC_ARGS[*]}" \
  '{quick: ($quick == 1), runs: $runs, propagation_args: $prop, sync_args: $sync, node_counts: [4, 16]}' \
  >"$OUT/network.params.json"

failed=0
PARTS=${TALLY_NETWORK_PARTS:-propagation sync}
# Runs interleave the network sizes, so each sees the same machine load.
for RUN in $(seq 1 "$RUNS"); do
  [[ " $PARTS " == *" propagation "* ]] || break
  for nodes in "${NODE_COUNTS[@]}"; do
    log "propagation run $RUN/$RUNS: $nodes nodes (${PROP_ARGS[*]})"
    rm -rf "$WORK/prop"
    run_driver "network-propagation-$nodes-$RUN" 300 propagation --tallyd "$TALLYD" --workdir "$WORK/prop" \
      --nodes "$nodes" --dials 4 --seed "$RUN$nodes" "${PROP_ARGS[@]}" || failed=1
    jq -c '{blocks: .blocks_timed, to_all_p50_ms: .time_to_all_ms.p50, to_all_p99_ms: .time_to_all_ms.p99,
      bytes_ratio: .received_per_block_over_block_bytes}' "$OUT/network-propagation-$nodes-$RUN.json" >&2 || true
  done
done

RUN=1
[[ " $PARTS " == *" sync "* ]] || exit "$failed"
log "sync: ${SYNC_ARGS[*]}, $RUNS run(s)"
run_driver network-sync 900 sync --tallyd "$TALLYD" --workdir "$WORK/sync" --runs "$RUNS" "${SYNC_ARGS[@]}" || failed=1
jq -c '.runs[] | {bare_s: .bare_import.seconds, sync_s: .p2p_sync.seconds, ratio: .sync_over_bare_time}' \
  "$OUT/network-sync.json" >&2 || true
exit "$failed"
