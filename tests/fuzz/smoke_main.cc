// A bounded, deterministic run of a fuzz target (fuzz_target.h) for the test
// suite, where libFuzzer is not available (g++): every seed (the corpus
// folder's files and the target's own), then `iterations` mutations of them
// (bit flips, truncations, extensions, splices, random bytes) from a fixed
// seed, so a failure reproduces with the same command.
//
//   fuzz_smoke_<name> <corpus dir> <iterations>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "fuzz_target.h"

namespace {

using Input = std::vector<uint8_t>;

Input Mutate(const std::vector<Input>& seeds, std::mt19937_64& rng) {
  Input d = seeds[rng() % seeds.size()];
  int ops = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < ops; ++i) {
    switch (rng() % 6) {
      case 0:
      case 1:
        if (!d.empty()) d[rng() % d.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 2:
        if (!d.empty()) d.resize(rng() % d.size());
        break;
      case 3:
        d.resize(d.size() + rng() % 64, static_cast<uint8_t>(rng()));
        break;
      case 4: {
        const Input& other = seeds[rng() % seeds.size()];
        if (!d.empty() && !other.empty()) {
          size_t at = rng() % d.size();
          size_t n = std::min(other.size(), d.size() - at);
          std::copy(other.begin(), other.begin() + static_cast<long>(n),
                    d.begin() + static_cast<long>(at));
        }
        break;
      }
      default:
        for (auto& b : d) b = static_cast<uint8_t>(rng());
        break;
    }
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <corpus dir> <iterations>\n", argv[0]);
    return 2;
  }
  std::vector<Input> seeds = CoralFuzzSeeds();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1], ec)) {
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seeds in %s (%s)\n", argv[1], ec.message().c_str());
    return 1;
  }
  for (const Input& s : seeds) CoralFuzzTarget(s.data(), s.size());
  CoralFuzzTarget(nullptr, 0);
  std::mt19937_64 rng(20261206);
  long iterations = std::atol(argv[2]);
  for (long i = 0; i < iterations; ++i) {
    Input d = Mutate(seeds, rng);
    CoralFuzzTarget(d.data(), d.size());
  }
  std::printf("%zu seeds and %ld mutations: no crash\n", seeds.size(), iterations);
  return 0;
}
