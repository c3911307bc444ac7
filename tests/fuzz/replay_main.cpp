// Stand-in for libFuzzer's driver: replays every file of the corpus folder
// given on the command line, then a fixed number of seeded mutations of
// them. Deterministic, bounded, and fast enough for every ctest run; a crash
// or sanitizer report fails the test.
//
// A target may also define TallyFuzzSeedDecodes (1 when its decoders accept
// the input); the replay then requires it of every seed whose file name
// does not start with "bad_", so a seed that goes stale when an encoding
// changes fails the test instead of only exercising the error path.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional (weak): null unless the target defines it.
extern "C" __attribute__((weak)) int TallyFuzzSeedDecodes(const std::uint8_t* data, std::size_t size);

namespace {

constexpr int kMutationsPerSeed = 2000;
constexpr std::size_t kMaxInputBytes = 1 << 16;

struct Seed {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

std::vector<Seed> load_corpus(const char* dir) {
  std::vector<Seed> seeds;
  if (dir == nullptr || !std::filesystem::is_directory(dir)) return seeds;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    seeds.push_back({path.filename().string(),
                     std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())});
  }
  return seeds;
}

void mutate(std::vector<std::uint8_t>& input, std::mt19937_64& rng) {
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  switch (rng() % 5) {
    case 0:  // flip a bit
      if (!input.empty()) input[pick(input.size())] ^= static_cast<std::uint8_t>(1U << (rng() % 8));
      break;
    case 1:  // overwrite a byte
      if (!input.empty()) input[pick(input.size())] = static_cast<std::uint8_t>(rng());
      break;
    case 2:  // truncate
      if (!input.empty()) input.resize(pick(input.size()));
      break;
    case 3:  // insert a byte
      if (input.size() < kMaxInputBytes) {
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(pick(input.size() + 1)),
                     static_cast<std::uint8_t>(rng()));
      }
      break;
    default:  // duplicate a slice
      if (!input.empty() && input.size() < kMaxInputBytes / 2) {
        const std::size_t from = pick(input.size());
        const std::size_t len = 1 + pick(input.size() - from);
        std::vector<std::uint8_t> slice(input.begin() + static_cast<std::ptrdiff_t>(from),
                                        input.begin() + static_cast<std::ptrdiff_t>(from + len));
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(pick(input.size() + 1)), slice.begin(), slice.end());
      }
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto seeds = load_corpus(argc > 1 ? argv[1] : nullptr);
  int stale = 0;
  if (TallyFuzzSeedDecodes != nullptr) {
    for (const auto& seed : seeds) {
      if (seed.name.starts_with("bad_") || TallyFuzzSeedDecodes(seed.bytes.data(), seed.bytes.size()) != 0) continue;
      std::fprintf(stderr, "seed %s does not decode (regenerate it, or name it bad_*)\n", seed.name.c_str());
      ++stale;
    }
  }
  seeds.push_back({"(empty)", {}});  // the empty input is always worth a try
  std::mt19937_64 rng(0x7a11e5);
  std::size_t runs = 0;
  for (const auto& seed : seeds) {
    LLVMFuzzerTestOneInput(seed.bytes.data(), seed.bytes.size());
    ++runs;
    std::vector<std::uint8_t> input = seed.bytes;
    for (int i = 0; i < kMutationsPerSeed; ++i) {
      mutate(input, rng);
      LLVMFuzzerTestOneInput(input.data(), input.size());
      ++runs;
      if (rng() % 16 == 0) input = seed.bytes;  // do not drift too far from valid shapes
    }
  }
  std::printf("replayed %zu seeds, %zu inputs in all\n", seeds.size(), runs);
  return stale == 0 ? 0 : 1;
}
