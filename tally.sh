#!/usr/bin/env bash
# Tally's one entry point: install what is missing, build, run, test, bench.
#   ./tally.sh up      install + Release build + start the main job
#   ./tally.sh test    install + build + the whole test suite (ctest)
#   ./tally.sh bench   install + Release build + benchmarks
#   ./tally.sh build | deps | format
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_RELEASE="$ROOT/build/release"
BUILD_ASAN="$ROOT/build/asan"
JOBS=${TALLY_JOBS:-$(nproc)}

# Debian packages the build and the tests need. Keep in step with
# cmake/Dependencies.cmake, which names the package of anything missing.
PACKAGES=(
  g++ cmake ninja-build pkg-config
  libssl-dev libsecp256k1-dev libboost-dev libleveldb-dev nlohmann-json3-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
)

log() { printf '[tally] %s\n' "$*" >&2; }

install_deps() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
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

cmd_up() {
  install_deps
  build_release
  log "built:"
  find "$BUILD_RELEASE" -maxdepth 3 -type f -perm -u+x \( -name 'tallyd' -o -name 'tally-wallet' -o -name 'tally_bench' \) \
    -printf '  %p\n' >&2
  exec "$BUILD_RELEASE/node/tallyd"
}

cmd_test() {
  install_deps
  # Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer first
  # (set TALLY_SKIP_SANITIZE=1 to skip), then the whole suite in Release, so
  # the last line printed is ctest's summary of the full run.
  if [ "${TALLY_SKIP_SANITIZE:-0}" != 1 ]; then
    configure "$BUILD_ASAN" -DCMAKE_BUILD_TYPE=Debug -DTALLY_SANITIZE=ON -DTALLY_BUILD_BENCH=OFF
    cmake --build "$BUILD_ASAN" -j "$JOBS"
    log "unit tests under ASan+UBSan"
    (cd "$BUILD_ASAN" && ctest -L unit -j "$JOBS" --output-on-failure)
  fi
  build_release
  log "whole test suite (Release)"
  cd "$BUILD_RELEASE" && ctest -j "$JOBS" --output-on-failure
}

cmd_bench() {
  install_deps
  build_release
  local filter=()
  [ "${1:-}" = "--quick" ] && filter=(--benchmark_min_time=0.1)
  "$BUILD_RELEASE/bench/tally_bench" "${filter[@]}"
}

cmd_format() {
  git -C "$ROOT" ls-files '*.cpp' '*.hpp' | (cd "$ROOT" && xargs clang-format -i)
}

case "${1:-}" in
  up) cmd_up ;;
  test) cmd_test ;;
  bench) shift; cmd_bench "$@" ;;
  build) install_deps; build_release ;;
  deps) install_deps ;;
  format) cmd_format ;;
  *)
    echo "usage: ./tally.sh up | test | bench [--quick] | build | deps | format" >&2
    exit 2
    ;;
esac
