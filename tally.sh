#!/usr/bin/env bash
# Tally's one entry point: install what is missing, build, run, test, bench.
#   ./tally.sh up      install + Release build + a local 4-node testnet (--pbft: PBFT)
#   ./tally.sh test    install + build + the whole test suite (ctest)
#   ./tally.sh bench   install + Release build + benchmarks
#   ./tally.sh build | deps | format
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_RELEASE="$ROOT/build/release"
BUILD_TEST="$ROOT/build/test"
JOBS=${TALLY_JOBS:-$(nproc)}

# Debian packages the build and the tests need. Keep in step with
# cmake/Dependencies.cmake, which names the package of anything missing.
PACKAGES=(
  g++ cmake ninja-build pkg-config
  libssl-dev libsecp256k1-dev libboost-dev libleveldb-dev nlohmann-json3-dev libjemalloc-dev
  libcli11-dev libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev
  gnuplot-nox curl jq
)

log() { printf '[tally] %s\n' "$*" >&2; }

# Node.js and npm run the compatibility tests (ethers.js). A machine that
# already has both (e.g. from NodeSource) keeps them; otherwise Debian's.
NODE_PACKAGES=(nodejs npm)

install_deps() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${1:-}" = "--with-node" ] && ! { command -v node && command -v npm; } >/dev/null; then
    missing+=("${NODE_PACKAGES[@]}")
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "not root and no sudo: install ${missing[*]} by hand"; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure DIR [cmake args...]: configures once; later calls reuse the cache.
configure() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  fi
}

build_release() {
  configure "$BUILD_RELEASE" -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_RELEASE" -j "$JOBS"
}

# The main job: a local testnet of 4 proof-of-work nodes (node0 mines while
# transactions wait), made once under build/ and resumed on later runs.
# `./tally.sh up --pbft` runs 4 PBFT validators instead.
cmd_up() {
  local consensus=pow
  [ "${1:-}" = "--pbft" ] && consensus=pbft
  install_deps
  build_release
  local tallyd="$BUILD_RELEASE/node/tallyd"
  local dir="${TALLY_TESTNET_DIR:-$ROOT/build/testnet-$consensus}"
  if [ ! -f "$dir/testnet.json" ]; then
    local base=8545 p2p=30303
    [ "$consensus" = pbft ] && base=8645 p2p=30403
    "$tallyd" testnet init --dir "$dir" --nodes 4 --consensus "$consensus" --rpc-base-port "$base" \
      --p2p-base-port "$p2p"
  fi
  log "wallet: $BUILD_RELEASE/wallet/tally-wallet (see README.md)"
  exec "$tallyd" testnet up --dir "$dir"
}

# npm packages of the compatibility tests, exactly as the lockfile pins them.
install_npm_deps() {
  local dir="$ROOT/tests/compat"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    log "installing npm packages for tests/compat (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}

# The whole suite runs in one build with AddressSanitizer and
# UndefinedBehaviorSanitizer at -O1 (build/test): unit, fuzz replays, crash,
# compatibility, the multi-process fault suite and the bench smoke all run
# on sanitized binaries, and one build keeps CI well inside its time budget.
# Warnings are errors there too. TALLY_TEST_BUILD=release runs the suite on
# the plain Release build instead; otherwise the release binaries are
# compiled after the suite passes.
cmd_test() {
  install_deps --with-node
  install_npm_deps
  local dir
  if [ "${TALLY_TEST_BUILD:-sanitize}" = release ]; then
    build_release
    dir=$BUILD_RELEASE
  else
    dir=$BUILD_TEST
    # -O1 without -g: sanitizer reports still name functions; builds stay fast.
    configure "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O1 -DTALLY_SANITIZE=ON
    cmake --build "$dir" -j "$JOBS"
  fi
  log "whole test suite ($dir)"
  (cd "$dir" && ctest -j "$JOBS" --output-on-failure)
  if [ "$dir" != "$BUILD_RELEASE" ]; then
    # The binaries `up` runs come from the Release build (-O3, jemalloc),
    # whose optimizer warns where -O1 does not, and warnings are errors:
    # compile them too, so a clean suite means a working `up`.
    log "release build of tallyd and tally-wallet ($BUILD_RELEASE)"
    configure "$BUILD_RELEASE" -DCMAKE_BUILD_TYPE=Release
    cmake --build "$BUILD_RELEASE" -j "$JOBS" --target tallyd tally-wallet
  fi
}

# Micro benchmarks and the JSON-RPC intake comparison with ganache and
# Hardhat (npm, as bench/compare's lockfile pins them); bench/run.sh writes
# bench/results/<time>/ and bench/RESULTS.md.
cmd_bench() {
  install_deps --with-node
  build_release
  local compare="$ROOT/bench/compare"
  if [ ! -d "$compare/node_modules" ] || [ "$compare/package-lock.json" -nt "$compare/node_modules" ]; then
    log "installing ganache and Hardhat for bench/compare (npm ci)"
    (cd "$compare" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$compare/node_modules"
  fi
  "$ROOT/bench/run.sh" --build "$BUILD_RELEASE" "$@"
}

cmd_format() {
  git -C "$ROOT" ls-files '*.cpp' '*.hpp' | (cd "$ROOT" && xargs clang-format -i)
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  test) cmd_test ;;
  bench) shift; cmd_bench "$@" ;;
  build) install_deps; build_release ;;
  deps) install_deps ;;
  format) cmd_format ;;
  *)
    echo "usage: ./tally.sh up [--pbft] | test | bench [--quick] | build | deps | format" >&2
    exit 2
    ;;
esac
