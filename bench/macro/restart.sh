#!/usr/bin/env bash
# Restart macro benchmark (tally_net_bench restart, bench/net/restart.cpp):
# start time and idle RSS of a tallyd whose datadir holds a 100,000-block
# chain, next to an empty datadir in the same run. Writes restart.json into
# the results folder; bench/macro/restart.mjs renders it.
#   bash bench/macro/restart.sh --build BUILD_DIR --out RESULTS_DIR [--runs N] [--quick]
# Full: ~2 minutes on 2 cores; --quick: ~10 s (5,000 blocks).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
macro_args restart "$@"
DRIVER="$BUILD/bench/net/tally_net_bench"
TALLYD="$BUILD/node/tallyd"
for binary in "$DRIVER" "$TALLYD"; do
  [ -x "$binary" ] || { echo "missing $binary (cmake --build $BUILD --target tally_net_bench tallyd)" >&2; exit 1; }
done
mkdir -p "$OUT/logs/restart"
if [ "$QUICK" = 1 ]; then
  RUNS=${RUNS:-1}
  ARGS=(--blocks 5000 --txs-per-block 1 --idle-seconds 2)
else
  RUNS=${RUNS:-3}
  ARGS=(--blocks 100000 --txs-per-block 1 --idle-seconds 5)
fi

# The driver stops its tallyd by PID when it ends or is signalled; this
# script stops the driver by PID and removes the work folder.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tally-restart-XXXXXX")
DRIVER_PID=""
cleanup() {
  [ -z "$DRIVER_PID" ] || stop_pid "$DRIVER_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

timeout --signal=TERM --kill-after=30 900 "$DRIVER" restart --tallyd "$TALLYD" --workdir "$WORK" --runs "$RUNS" \
  "${ARGS[@]}" >"$WORK/report.json" 2>"$OUT/logs/restart/driver.err" &
DRIVER_PID=$!
status=0
wait "$DRIVER_PID" || status=$?
DRIVER_PID=""
if [ "$status" != 0 ]; then
  echo "restart benchmark failed (exit $status): $(tail -3 "$OUT/logs/restart/driver.err")" >&2
  exit 1
fi
jq --arg cmd "build/release/bench/net/tally_net_bench restart --tallyd build/release/node/tallyd --workdir WORKDIR --runs $RUNS ${ARGS[*]}" \
  '. + {command: $cmd}' "$WORK/report.json" >"$OUT/restart.json"
jq -c '.runs[] | {empty_s: .empty_datadir.seconds_to_rpc_at_head, full_s: .full_datadir.seconds_to_rpc_at_head,
  ratio: .full_over_empty_time, idle_rss_kib: .full_datadir.idle_rss_kib}' "$OUT/restart.json" >&2
