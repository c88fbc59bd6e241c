// A bounded run of both fuzz targets in every build, g++ included (which has
// no libFuzzer): genuine seeds, then seeded random mutations of them (bit
// flips, truncations, extensions, splices, random bytes). Deterministic, so a
// failure reproduces.
#include <gtest/gtest.h>

#include <random>

#include "wireguard/fuzz_targets.h"
#include "wireguard/messages.h"

namespace coral::wireguard::fuzz {
namespace {

std::vector<uint8_t> Mutate(const std::vector<std::vector<uint8_t>>& seeds, std::mt19937_64& rng) {
  std::vector<uint8_t> d = seeds[rng() % seeds.size()];
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
        const auto& other = seeds[rng() % seeds.size()];
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

TEST(FuzzSmokeTest, PacketTargetSurvivesSeedsAndMutations) {
  auto seeds = PacketSeeds();
  ASSERT_GE(seeds.size(), 6u);
  bool kinds[5] = {};
  for (const auto& s : seeds) kinds[ClassifyMessage(s.data(), s.size())] = true;
  EXPECT_TRUE(kinds[1] && kinds[2] && kinds[3] && kinds[4]) << "seeds cover every message type";
  for (const auto& s : seeds) FuzzPacket(s.data(), s.size());
  std::mt19937_64 rng(20261121);
  for (int i = 0; i < 20000; ++i) {
    auto d = Mutate(seeds, rng);
    FuzzPacket(d.data(), d.size());
  }
  FuzzPacket(nullptr, 0);
}

TEST(FuzzSmokeTest, UapiTargetSurvivesSeedsAndMutations) {
  auto seeds = UapiSeeds();
  for (const auto& s : seeds) FuzzUapi(s.data(), s.size());
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    auto d = Mutate(seeds, rng);
    FuzzUapi(d.data(), d.size());
  }
}

}  // namespace
}  // namespace coral::wireguard::fuzz
