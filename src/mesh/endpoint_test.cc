#include "mesh/endpoint.h"

#include <gtest/gtest.h>

namespace coral::mesh {
namespace {

TEST(EndpointTest, SplitsHostsAddressesAndBracketedIpv6) {
  auto a = SplitHostPort("colony.example.com:8443");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "colony.example.com");
  EXPECT_EQ(a->port, 8443);
  auto b = SplitHostPort("[fd00::1]:41580");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->host, "fd00::1");
  EXPECT_EQ(b->port, 41580);
}

TEST(EndpointTest, RejectsMalformedEndpoints) {
  for (const char* text : {"", "colony", ":8443", "colony:", "colony:0", "colony:65536",
                           "colony:12x", "fd00::1:41580", "[]:1", "a b:1"}) {
    auto hp = SplitHostPort(text);
    EXPECT_FALSE(hp.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(hp.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(hp.status().message().find(std::string("'") + text + "'"), std::string::npos)
        << hp.status().message();
  }
}

TEST(EndpointTest, ResolvesLiteralsAndLocalhost) {
  auto v4 = ResolveEndpoint("10.233.0.2:41580");
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  EXPECT_EQ(v4->ToString(), "10.233.0.2:41580");
  auto v6 = ResolveEndpoint("[fd00::2]:41580");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->ToString(), "[fd00::2]:41580");
  // /etc/hosts names localhost; an IPv4 address wins when there is one.
  auto local = ResolveEndpoint("localhost:51820");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(local->ToString(), "127.0.0.1:51820");
}

TEST(EndpointTest, MalformedTextIsNotLookedUp) {
  auto r = ResolveEndpoint("localhost");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coral::mesh
