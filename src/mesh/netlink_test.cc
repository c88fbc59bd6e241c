// rtnetlink failures that need no privileges; netlink_root_test.cc changes
// real interfaces inside a network namespace.
#include "mesh/netlink.h"

#include <gtest/gtest.h>

namespace coral::mesh {
namespace {

TEST(NetlinkTest, FindsLoopback) {
  auto index = InterfaceIndex("lo");
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_GT(*index, 0);
}

TEST(NetlinkTest, MissingInterfaceIsNamedInEveryError) {
  const std::string name = "nosuchcoral0";
  for (Status s : {InterfaceIndex(name).status(), SetLinkUp(name),
                   AddAddress(name, *ParseIpv4("100.97.0.2"), 16),
                   AddRoute(*ParseIpv4Prefix("100.97.0.0/16"), name), DeleteLink(name)}) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
    EXPECT_NE(s.message().find("'" + name + "'"), std::string::npos) << s.message();
  }
}

TEST(NetlinkTest, RejectsBadPrefixLengths) {
  Status s = AddAddress("lo", *ParseIpv4("100.97.0.2"), 33);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("100.97.0.2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("on lo"), std::string::npos) << s.message();
  EXPECT_EQ(AddRoute(Ipv4Prefix{0x0a000000, 40}, "lo").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coral::mesh
