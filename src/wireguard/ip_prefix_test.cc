#include "wireguard/ip_prefix.h"

#include <gtest/gtest.h>

namespace coral::wireguard {
namespace {

TEST(IpPrefixTest, ParsesAndMasksHostBits) {
  auto p = IpPrefix::Parse("10.1.2.3/16");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ToString(), "10.1.0.0/16");
  auto v6 = IpPrefix::Parse("fd00:1:2:3::7/48");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "fd00:1:2::/48");
  EXPECT_EQ(IpPrefix::Parse("192.168.1.9")->ToString(), "192.168.1.9/32");
  EXPECT_EQ(IpPrefix::Parse("::/0")->ToString(), "::/0");
}

TEST(IpPrefixTest, RejectsMalformed) {
  for (const char* bad : {"", "10.0.0.0/33", "fd00::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/x",
                          "10.0.0.0/8/8", "nonsense", "10.0.0.0/-1"}) {
    EXPECT_FALSE(IpPrefix::Parse(bad).ok()) << bad;
  }
}

TEST(EndpointTest, ParsesBothFamiliesAndRoundTrips) {
  auto v4 = Endpoint::Parse("192.0.2.1:51820");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->ToString(), "192.0.2.1:51820");
  auto v6 = Endpoint::Parse("[fd00::1]:443");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "[fd00::1]:443");
  EXPECT_FALSE(*v4 == *v6);
  EXPECT_TRUE(*v4 == *Endpoint::Parse("192.0.2.1:51820"));
  for (const char* bad : {"192.0.2.1", "192.0.2.1:", "192.0.2.1:65536", "[fd00::1]", "host:1",
                          ":80", "[10.0.0.1]:80x"}) {
    EXPECT_FALSE(Endpoint::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace coral::wireguard
