# Starting and stopping the JSON-RPC nodes the intake benchmark loads:
# tallyd, ganache and Hardhat, each on 127.0.0.1 on a free port, stopped by
# PID. Sourced by bench/run.sh and bench/load/smoke_test.sh.
#   start_node KIND LOGDIR ACCOUNTS   sets NODE_PID, NODE_URL, NODE_FUNDED
#   stop_node                         stops NODE_PID (SIGTERM, then SIGKILL)
# KIND: tally (needs TALLYD), ganache, hardhat (need bench/compare/node_modules).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPARE_DIR="$BENCH_DIR/compare"
DEV_MNEMONIC="test test test test test test test test test test test junk"
NODE_PID=""
NODE_URL=""
NODE_FUNDED=0
NODE_DATADIR=""

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

rpc_call() { # URL METHOD [PARAMS_JSON]
  curl -s --max-time 5 -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "$1"
}

# Waits (at most 60 s) until URL answers eth_chainId; fails if the process dies.
wait_rpc() {
  local url=$1 log=$2
  for _ in $(seq 1 600); do
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
      echo "node exited before answering; its log ($log):" >&2
      tail -20 "$log" >&2
      return 1
    fi
    rpc_call "$url" eth_chainId 2>/dev/null | grep -q '"result"' && return 0
    sleep 0.1
  done
  echo "node did not answer on $url within 60 s; log: $log" >&2
  return 1
}

start_node() {
  local kind=$1 logdir=$2 accounts=$3 port log
  log="$logdir/$kind.log"
  case "$kind" in
    tally)
      # tallyd prints the port it bound (--rpc-port 0) on stderr. The pool
      # holds the whole load (its default, 6,144 like geth's 5,120 + 1,024
      # slots, would refuse what arrives faster than blocks take it);
      # ganache and Hardhat bound nothing while automining.
      NODE_DATADIR=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench-XXXXXX")
      "$TALLYD" --datadir "$NODE_DATADIR" --rpc-port 0 --no-p2p --log-level info --txpool-max-txs 20000 \
        --mine --miner-address 0x00000000000000000000000000000000000000aa --miner-threads 1 >"$log" 2>&1 &
      NODE_PID=$!
      NODE_FUNDED=10
      for _ in $(seq 1 600); do
        port=$(sed -n 's/.*JSON-RPC on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
        [ -n "$port" ] && break
        kill -0 "$NODE_PID" 2>/dev/null || break
        sleep 0.1
      done
      [ -n "$port" ] || { echo "tallyd did not print its JSON-RPC port; log:" >&2; tail -20 "$log" >&2; return 1; }
      ;;
    ganache)
      port=$(free_port)
      "$COMPARE_DIR/node_modules/.bin/ganache" --server.host 127.0.0.1 --server.port "$port" \
        --wallet.mnemonic "$DEV_MNEMONIC" --wallet.totalAccounts "$accounts" --chain.chainId 1337 \
        --logging.quiet >"$log" 2>&1 &
      NODE_PID=$!
      NODE_FUNDED=$accounts
      ;;
    hardhat)
      port=$(free_port)
      (cd "$COMPARE_DIR" && BENCH_ACCOUNTS=$accounts exec ./node_modules/.bin/hardhat node \
        --hostname 127.0.0.1 --port "$port") >"$log" 2>&1 &
      NODE_PID=$!
      NODE_FUNDED=$accounts
      ;;
    *)
      echo "unknown node kind: $kind" >&2
      return 2
      ;;
  esac
  NODE_URL="http://127.0.0.1:$port"
  wait_rpc "$NODE_URL" "$log" || return 1
  # `hardhat node` logs every call to stdout; the others run quiet too.
  [ "$kind" = hardhat ] && rpc_call "$NODE_URL" hardhat_setLoggingEnabled '[false]' >/dev/null
  return 0
}

# stop_pid PID: SIGTERM, up to 10 s for it to exit, then SIGKILL.
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# macro_args NAME "$@": the arguments bench/run.sh gives a macro benchmark
# (--build DIR --out DIR [--runs N] [--quick]) into BUILD and OUT (absolute),
# RUNS (empty: the script's default) and QUICK (0 or 1); exits on bad usage.
macro_args() {
  local name=$1
  shift
  BUILD="" OUT="" RUNS="" QUICK=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --build) BUILD=$2; shift 2 ;;
      --out) OUT=$2; shift 2 ;;
      --runs) RUNS=$2; shift 2 ;;
      --quick) QUICK=1; shift ;;
      *) echo "usage: bench/macro/$name.sh --build BUILD_DIR --out RESULTS_DIR [--runs N] [--quick]" >&2; exit 2 ;;
    esac
  done
  if [ -z "$BUILD" ] || [ -z "$OUT" ]; then
    echo "$name.sh: --build and --out are required" >&2
    exit 2
  fi
  BUILD=$(cd "$BUILD" && pwd)
  mkdir -p "$OUT"
  OUT=$(cd "$OUT" && pwd)
}

stop_node() {
  [ -n "$NODE_PID" ] || return 0
  stop_pid "$NODE_PID"
  wait "$NODE_PID" 2>/dev/null || true
  NODE_PID=""
  [ -n "$NODE_DATADIR" ] && rm -rf "$NODE_DATADIR"
  NODE_DATADIR=""
  return 0
}
