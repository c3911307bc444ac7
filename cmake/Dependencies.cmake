# Every dependency is a Debian package; a missing one stops configuration with
# the package name to install (./tally.sh installs them all).
find_package(PkgConfig)

macro(tally_require found package)
  if(NOT ${found})
    message(FATAL_ERROR "Missing dependency: install the Debian package '${package}' "
                        "(apt-get install ${package}), or run ./tally.sh test, which installs it.")
  endif()
endmacro()

tally_require(PkgConfig_FOUND pkg-config)

find_package(OpenSSL 3.0 QUIET)
tally_require(OpenSSL_FOUND libssl-dev)

pkg_check_modules(SECP256K1 QUIET IMPORTED_TARGET libsecp256k1)
tally_require(SECP256K1_FOUND libsecp256k1-dev)
include(CheckIncludeFileCXX)
set(CMAKE_REQUIRED_INCLUDES ${SECP256K1_INCLUDE_DIRS})
check_include_file_cxx(secp256k1_recovery.h TALLY_HAVE_SECP256K1_RECOVERY)
tally_require(TALLY_HAVE_SECP256K1_RECOVERY "libsecp256k1-dev (with the recovery module)")

find_package(Boost 1.74 QUIET)
tally_require(Boost_FOUND libboost-dev)

find_path(LEVELDB_INCLUDE_DIR leveldb/db.h)
find_library(LEVELDB_LIBRARY leveldb)
if(LEVELDB_INCLUDE_DIR AND LEVELDB_LIBRARY)
  set(LEVELDB_FOUND TRUE)
  add_library(tally_leveldb INTERFACE)
  target_include_directories(tally_leveldb INTERFACE ${LEVELDB_INCLUDE_DIR})
  target_link_libraries(tally_leveldb INTERFACE ${LEVELDB_LIBRARY})
endif()
tally_require(LEVELDB_FOUND libleveldb-dev)

find_package(nlohmann_json 3.10 QUIET)
tally_require(nlohmann_json_FOUND nlohmann-json3-dev)

find_package(CLI11 QUIET)
tally_require(CLI11_FOUND libcli11-dev)

find_package(spdlog QUIET)
tally_require(spdlog_FOUND libspdlog-dev)

find_package(Threads REQUIRED)

# tallyd allocates through jemalloc: glibc's malloc cost a loaded PBFT
# validator about 5% more CPU per transfer (docs/decisions.md). Not under
# the sanitizers, whose allocator has to see every allocation.
option(TALLY_JEMALLOC "Link tallyd with jemalloc" ON)
if(TALLY_JEMALLOC AND NOT TALLY_SANITIZE)
  pkg_check_modules(JEMALLOC QUIET IMPORTED_TARGET jemalloc)
  tally_require(JEMALLOC_FOUND libjemalloc-dev)
endif()

if(TALLY_BUILD_TESTS)
  find_package(GTest QUIET)
  tally_require(GTest_FOUND "libgtest-dev libgmock-dev")
endif()
if(TALLY_BUILD_BENCH AND NOT TALLY_SANITIZE)
  find_package(benchmark QUIET)
  tally_require(benchmark_FOUND libbenchmark-dev)
endif()
