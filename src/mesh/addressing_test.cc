#include "mesh/addressing.h"

#include <gtest/gtest.h>

#include <set>

namespace coral::mesh {
namespace {

TEST(AddressingTest, ColonyRangeIsAStableSlash16InsideCgnat) {
  Ipv4Prefix cgnat = *ParseIpv4Prefix("100.64.0.0/10");
  Ipv4Prefix a = ColonyMeshRange("shop-prod-a1b2c3");
  EXPECT_EQ(a.length, 16);
  EXPECT_TRUE(cgnat.Contains(a.address));
  EXPECT_TRUE(cgnat.Contains(a.address | 0xffff));
  EXPECT_EQ(a.ToString(), ColonyMeshRange("shop-prod-a1b2c3").ToString());
  EXPECT_EQ(Ipv4ToString(ColonyMeshIp(a)),
            Ipv4ToString(a.address).substr(0, Ipv4ToString(a.address).size() - 1) + "1");
}

TEST(AddressingTest, DifferentIdsSpreadOverTheRanges) {
  std::set<uint32_t> seen;
  for (int i = 0; i < 200; ++i)
    seen.insert(ColonyMeshRange("app-dev-" + std::to_string(100000 + i)).address);
  EXPECT_GT(seen.size(), 40u);  // 64 possible ranges
}

TEST(AddressingTest, ParsesAndRejects) {
  EXPECT_EQ(*ParseIpv4("100.97.0.1"), (100u << 24) | (97u << 16) | 1u);
  EXPECT_EQ(ParseIpv4Prefix("10.1.2.3/8")->ToString(), "10.0.0.0/8");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 "}) {
    EXPECT_FALSE(ParseIpv4(bad).ok()) << bad;
  }
  for (const char* bad : {"1.2.3.4", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/x"}) {
    EXPECT_FALSE(ParseIpv4Prefix(bad).ok()) << bad;
  }
}

TEST(AddressingTest, PrefixMasks) {
  EXPECT_EQ(PrefixMask(0), 0u);
  EXPECT_EQ(PrefixMask(16), 0xffff0000u);
  EXPECT_EQ(PrefixMask(30), 0xfffffffcu);
  EXPECT_EQ(PrefixMask(32), 0xffffffffu);
}

TEST(AddressingTest, StableHashIsFnv1a64) {
  // Published FNV-1a 64 test vectors: every node must derive the same values.
  EXPECT_EQ(StableHash(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(StableHash("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(StableHash("foobar"), 0x85944171f73967e8ull);
}

}  // namespace
}  // namespace coral::mesh
