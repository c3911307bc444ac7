#!/usr/bin/env bash
# bench-smoke: the intake load generator against a real tallyd, tiny
# (M=200, S=4, C=8): every field of the report is there, every transfer was
# accepted and mined; then the same through a window of 20. Speed is not checked here (bench/run.sh measures it).
#   smoke_test.sh TALLYD TALLY_RPC_LOAD
set -euo pipefail
TALLYD=$1
LOAD=$2
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench-smoke-XXXXXX")
trap 'stop_node; rm -rf "$WORK"' EXIT

start_node tally "$WORK" 10
"$LOAD" --url "$NODE_URL" --transfers 200 --senders 4 --concurrency 8 --reads 200 \
  --funded "$NODE_FUNDED" --inclusion-timeout-s 120 >"$WORK/report.json"

check() { # JQ_EXPRESSION DESCRIPTION
  if ! jq -e "$1" "$WORK/report.json" >/dev/null; then
    echo "FAILED: $2 ($1)" >&2
    cat "$WORK/report.json" >&2
    exit 1
  fi
}
check '.node.chain_id == 1337' "chain id from eth_chainId"
check '.submit.accepted == 200 and .submit.errors == 0' "all 200 transfers accepted"
check '.submit.accepted_per_s > 0 and .submit.latency_ms.p50 > 0 and .submit.latency_ms.p99 >= .submit.latency_ms.p50' \
  "submission rate and latency percentiles"
check '.inclusion.included == 200 and .inclusion.all_included' "all 200 transfers in blocks"
check '.inclusion.seconds_to_all > 0 and .inclusion.latency_ms.p99 >= .inclusion.latency_ms.p50' \
  "time to inclusion and its percentiles"
for method in eth_getBalance eth_blockNumber; do
  check ".$method.calls == 200 and .$method.errors == 0 and .$method.calls_per_s > 0" "$method calls"
  check ".$method.latency_ms | has(\"p50\") and has(\"p99\")" "$method latency percentiles"
done
# The closed loop: at most 20 transfers out of blocks at a time, batches of
# 5; the submitters sleep until blocks open the window again.
"$LOAD" --url "$NODE_URL" --transfers 200 --senders 4 --concurrency 8 --reads 0 --window 20 --batch 5 \
  --funded "$NODE_FUNDED" --inclusion-timeout-s 120 >"$WORK/report.json"
check '.submit.accepted == 200 and .submit.errors == 0' "windowed load: all 200 transfers accepted"
check '.inclusion.included == 200 and .inclusion.all_included' "windowed load: all 200 transfers in blocks"
echo "bench-smoke: 11 checks passed"
