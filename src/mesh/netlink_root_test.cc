// rtnetlink against a real TUN device inside a fresh network namespace,
// checked with `ip -j`. Needs root; skips otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "mesh/netlink.h"
#include "mesh/netns_for_test.h"
#include "wireguard/tun.h"

namespace coral::mesh {
namespace {

using testing::TestNetns;

class NetlinkRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and TUN devices";
    auto ns = TestNetns::Create("nl");
    ASSERT_TRUE(ns.ok()) << ns.status().ToString();
    ns_ = std::move(*ns);
  }

  nlohmann::json IpJson(const std::vector<std::string>& argv) {
    auto out = ns_->Exec(argv);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? nlohmann::json::parse(*out) : nlohmann::json();
  }

  std::unique_ptr<TestNetns> ns_;
};

TEST_F(NetlinkRootTest, ConfiguresATunDeviceIdempotently) {
  const std::string name = "cmnl0";
  std::optional<wireguard::Tun> tun;  // outlives the thread that made it
  std::vector<Status> results;
  ASSERT_TRUE(ns_->Run([&] {
                   auto t = wireguard::Tun::Create(name, 1420);
                   results.push_back(t.status());
                   if (!t.ok()) return;
                   tun.emplace(std::move(*t));
                   uint32_t ip = *ParseIpv4("100.97.0.9");
                   Ipv4Prefix route = *ParseIpv4Prefix("10.250.0.0/16");
                   // Every step twice: re-running the setup must succeed.
                   for (int i = 0; i < 2; ++i) {
                     results.push_back(AddAddress(name, ip, 16));
                     results.push_back(SetLinkUp(name));
                     results.push_back(AddRoute(route, name));
                   }
                 })
                  .ok());
  ASSERT_EQ(results.size(), 7u);
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();

  nlohmann::json links = IpJson({"ip", "-j", "addr", "show", "dev", name});
  ASSERT_EQ(links.size(), 1u) << links.dump();
  const auto& flags = links[0]["flags"];
  EXPECT_NE(std::find(flags.begin(), flags.end(), "UP"), flags.end()) << links.dump();
  int v4 = 0;
  for (const auto& a : links[0]["addr_info"]) {
    if (a["family"] != "inet") continue;
    ++v4;
    EXPECT_EQ(a["local"], "100.97.0.9");
    EXPECT_EQ(a["prefixlen"], 16);
  }
  EXPECT_EQ(v4, 1) << "the address must be there exactly once: " << links.dump();

  nlohmann::json routes = IpJson({"ip", "-j", "route", "show", "dev", name});
  std::vector<std::string> dsts;
  for (const auto& r : routes) dsts.push_back(r["dst"]);
  EXPECT_EQ(std::count(dsts.begin(), dsts.end(), "10.250.0.0/16"), 1) << routes.dump();
  EXPECT_EQ(std::count(dsts.begin(), dsts.end(), "100.97.0.0/16"), 1) << routes.dump();
}

TEST_F(NetlinkRootTest, RouteMovesToTheInterfaceLastNamed) {
  std::vector<Status> results;
  ASSERT_TRUE(
      ns_->Exec({"ip", "link", "add", "cmv0", "type", "veth", "peer", "name", "cmv1"}).ok());
  ASSERT_TRUE(ns_->Run([&] {
                   Ipv4Prefix route = *ParseIpv4Prefix("10.251.0.0/16");
                   results.push_back(SetLinkUp("cmv0"));
                   results.push_back(SetLinkUp("cmv1"));
                   results.push_back(AddRoute(route, "cmv0"));
                   results.push_back(AddRoute(route, "cmv1"));
                 })
                  .ok());
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  nlohmann::json routes = IpJson({"ip", "-j", "route", "show", "10.251.0.0/16"});
  ASSERT_EQ(routes.size(), 1u) << routes.dump();
  EXPECT_EQ(routes[0]["dev"], "cmv1");
}

TEST_F(NetlinkRootTest, DeletesALinkAndReportsKernelRefusals) {
  ASSERT_TRUE(
      ns_->Exec({"ip", "link", "add", "cmv0", "type", "veth", "peer", "name", "cmv1"}).ok());
  Status deleted, lo;
  ASSERT_TRUE(ns_->Run([&] {
                   deleted = DeleteLink("cmv0");
                   lo = DeleteLink("lo");  // the kernel never deletes loopback
                 })
                  .ok());
  EXPECT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_FALSE(ns_->Exec({"ip", "link", "show", "cmv1"}).ok()) << "a veth dies with its peer";
  ASSERT_FALSE(lo.ok());
  EXPECT_NE(lo.message().find("delete link on lo"), std::string::npos) << lo.message();
  EXPECT_NE(lo.message().find("not supported"), std::string::npos) << lo.message();
}

}  // namespace
}  // namespace coral::mesh
