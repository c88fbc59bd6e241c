#include "wireguard/allowed_ips.h"

#include <gtest/gtest.h>

namespace coral::wireguard {
namespace {

Peer* P(uintptr_t n) { return reinterpret_cast<Peer*>(n); }

Peer* Find(const AllowedIps& t, const char* ip) {
  auto a = IpAddress::Parse(ip);
  return t.Lookup(a->family, a->bytes.data());
}

TEST(AllowedIpsTest, LongestPrefixWins) {
  AllowedIps t;
  t.Insert(*IpPrefix::Parse("10.0.0.0/8"), P(1));
  t.Insert(*IpPrefix::Parse("10.1.0.0/16"), P(2));
  t.Insert(*IpPrefix::Parse("10.1.2.3/32"), P(3));
  EXPECT_EQ(Find(t, "10.9.9.9"), P(1));
  EXPECT_EQ(Find(t, "10.1.9.9"), P(2));
  EXPECT_EQ(Find(t, "10.1.2.3"), P(3));
  EXPECT_EQ(Find(t, "10.1.2.4"), P(2));
  EXPECT_EQ(Find(t, "11.0.0.1"), nullptr);
}

TEST(AllowedIpsTest, DefaultRoutesAndFamiliesAreSeparate) {
  AllowedIps t;
  t.Insert(*IpPrefix::Parse("0.0.0.0/0"), P(1));
  t.Insert(*IpPrefix::Parse("fd00::/64"), P(2));
  EXPECT_EQ(Find(t, "8.8.8.8"), P(1));
  EXPECT_EQ(Find(t, "fd00::5"), P(2));
  EXPECT_EQ(Find(t, "fd01::5"), nullptr);
  t.Insert(*IpPrefix::Parse("::/0"), P(3));
  EXPECT_EQ(Find(t, "fd01::5"), P(3));
  EXPECT_EQ(Find(t, "fd00::5"), P(2));
}

TEST(AllowedIpsTest, ReinsertMovesOwnershipAndRemoveByPeer) {
  AllowedIps t;
  t.Insert(*IpPrefix::Parse("192.168.0.0/24"), P(1));
  t.Insert(*IpPrefix::Parse("192.168.1.0/24"), P(1));
  t.Insert(*IpPrefix::Parse("192.168.0.0/24"), P(2));
  EXPECT_EQ(Find(t, "192.168.0.7"), P(2));
  auto of1 = t.PrefixesOf(P(1));
  ASSERT_EQ(of1.size(), 1u);
  EXPECT_EQ(of1[0].ToString(), "192.168.1.0/24");
  t.RemoveByPeer(P(1));
  EXPECT_EQ(Find(t, "192.168.1.7"), nullptr);
  EXPECT_EQ(Find(t, "192.168.0.7"), P(2));
  EXPECT_EQ(t.size(), 1u);
}

TEST(AllowedIpsTest, PrefixesOfListsBothFamilies) {
  AllowedIps t;
  t.Insert(*IpPrefix::Parse("fd00:1::/32"), P(4));
  t.Insert(*IpPrefix::Parse("100.64.0.1/32"), P(4));
  auto list = t.PrefixesOf(P(4));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].ToString(), "100.64.0.1/32");
  EXPECT_EQ(list[1].ToString(), "fd00:1::/32");
}

}  // namespace
}  // namespace coral::wireguard
