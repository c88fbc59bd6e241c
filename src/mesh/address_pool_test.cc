#include "mesh/address_pool.h"

#include <gtest/gtest.h>

namespace coral::mesh {
namespace {

Ipv4Prefix Prefix(const char* text) { return ParseIpv4Prefix(text).value(); }
uint32_t Ip(const char* text) { return ParseIpv4(text).value(); }

TEST(AddressPoolTest, FirstAgentGetsDotTwo) {
  auto ip = NextFreeAddress(Prefix("100.97.0.0/16"), {});
  ASSERT_TRUE(ip.ok()) << ip.status().ToString();
  EXPECT_EQ(Ipv4ToString(*ip), "100.97.0.2");
}

TEST(AddressPoolTest, SkipsTakenAndFillsGaps) {
  Ipv4Prefix range = Prefix("100.97.0.0/16");
  std::set<uint32_t> taken = {Ip("100.97.0.2"), Ip("100.97.0.3"), Ip("100.97.0.5")};
  EXPECT_EQ(Ipv4ToString(NextFreeAddress(range, taken).value()), "100.97.0.4");
  taken.insert(Ip("100.97.0.4"));
  EXPECT_EQ(Ipv4ToString(NextFreeAddress(range, taken).value()), "100.97.0.6");
}

TEST(AddressPoolTest, CrossesIntoTheNextThirdOctet) {
  Ipv4Prefix range = Prefix("100.97.0.0/16");
  std::set<uint32_t> taken;
  for (uint32_t ip = Ip("100.97.0.2"); ip <= Ip("100.97.0.255"); ++ip) taken.insert(ip);
  // .0.255 and .1.0 are ordinary host addresses inside a /16.
  EXPECT_EQ(Ipv4ToString(NextFreeAddress(range, taken).value()), "100.97.1.0");
}

TEST(AddressPoolTest, IgnoresTakenAddressesOutsideTheRange) {
  std::set<uint32_t> taken = {Ip("100.96.0.2"), Ip("100.98.0.2"), Ip("10.0.0.2")};
  EXPECT_EQ(Ipv4ToString(NextFreeAddress(Prefix("100.97.0.0/16"), taken).value()), "100.97.0.2");
}

TEST(AddressPoolTest, TakenColonyAddressDoesNotConfuseTheWalk) {
  std::set<uint32_t> taken = {Ip("100.97.0.0"), Ip("100.97.0.1"), Ip("100.97.0.2")};
  EXPECT_EQ(Ipv4ToString(NextFreeAddress(Prefix("100.97.0.0/16"), taken).value()), "100.97.0.3");
}

TEST(AddressPoolTest, SlashThirtyHasOneAgentAddress) {
  Ipv4Prefix range = Prefix("100.97.0.0/30");
  EXPECT_EQ(AgentCapacity(range), 1u);
  EXPECT_EQ(Ipv4ToString(NextFreeAddress(range, {}).value()), "100.97.0.2");
  auto full = NextFreeAddress(range, {Ip("100.97.0.2")});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("100.97.0.0/30 has no free address (1 agents enrolled)"),
            std::string::npos)
      << full.status().message();
}

TEST(AddressPoolTest, SlashTwentyNineHandsOutDotTwoToDotSixThenRunsOut) {
  Ipv4Prefix range = Prefix("100.97.0.8/29");
  std::set<uint32_t> taken;
  std::vector<std::string> got;
  for (;;) {
    auto ip = NextFreeAddress(range, taken);
    if (!ip.ok()) {
      EXPECT_EQ(ip.status().code(), StatusCode::kResourceExhausted);
      EXPECT_NE(ip.status().message().find("(5 agents enrolled)"), std::string::npos);
      break;
    }
    got.push_back(Ipv4ToString(*ip));
    taken.insert(*ip);
    ASSERT_LE(got.size(), 5u) << "handed out more than the range holds";
  }
  EXPECT_EQ(got, (std::vector<std::string>{"100.97.0.10", "100.97.0.11", "100.97.0.12",
                                           "100.97.0.13", "100.97.0.14"}));
}

TEST(AddressPoolTest, TinyRangesHaveNoAgentAddresses) {
  for (const char* text : {"100.97.0.0/31", "100.97.0.1/32"}) {
    auto ip = NextFreeAddress(Prefix(text), {});
    ASSERT_FALSE(ip.ok()) << text;
    EXPECT_EQ(ip.status().code(), StatusCode::kResourceExhausted);
  }
}

TEST(AddressPoolTest, FullSlashSixteenSaysHowManyAreEnrolled) {
  Ipv4Prefix range = Prefix("100.97.0.0/16");
  std::set<uint32_t> taken;
  for (uint32_t ip = Ip("100.97.0.2"); ip <= Ip("100.97.255.254"); ++ip) taken.insert(ip);
  auto full = NextFreeAddress(range, taken);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find(
                "the mesh range 100.97.0.0/16 has no free address (65533 agents enrolled)"),
            std::string::npos)
      << full.status().message();
  taken.erase(Ip("100.97.200.17"));
  EXPECT_EQ(Ipv4ToString(NextFreeAddress(range, taken).value()), "100.97.200.17");
}

}  // namespace
}  // namespace coral::mesh
