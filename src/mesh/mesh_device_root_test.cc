// MeshDevices on real TUN devices in network namespaces joined by a veth:
// they handshake, carry pings over the mesh addresses, and show up in wg(8).
// Needs root; skips otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "mesh/mesh_device.h"
#include "mesh/netns_for_test.h"

namespace coral::mesh {
namespace {

using testing::TestNetns;

// Interface names are global through the shared UAPI folder: make them unique per run.
std::string UniqueName(const std::string& tag) { return "cm" + tag + std::to_string(getpid()); }

MeshDeviceOptions Options(const std::string& name, const char* address) {
  MeshDeviceOptions o;
  o.interface_name = name;
  o.private_key = crypto::PrivateKey::Generate();
  o.address = *ParseIpv4(address);
  o.prefix_len = 16;
  return o;
}

// Starts a device on a thread inside `ns`, so its TUN and sockets live there.
Result<std::unique_ptr<MeshDevice>> StartIn(const TestNetns& ns, const MeshDeviceOptions& o) {
  Result<std::unique_ptr<MeshDevice>> out = Internal("the namespace thread did not run");
  Status ran = ns.Run([&] { out = MeshDevice::Start(o); });
  if (!ran.ok()) return ran;
  return out;
}

const MeshPeerStatus* Find(const std::vector<MeshPeerStatus>& peers, const std::string& key) {
  for (const auto& p : peers) {
    if (p.public_key == key) return &p;
  }
  return nullptr;
}

class MeshDeviceRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and TUN devices";
    auto a = TestNetns::Create("a");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    a_ = std::move(*a);
    auto b = TestNetns::Create("b");
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    b_ = std::move(*b);
    Status veth = testing::ConnectWithVeth(*a_, *b_, "cmv" + std::to_string(getpid()));
    ASSERT_TRUE(veth.ok()) << veth.ToString();
  }

  // Declared first: the namespaces go after the devices in them.
  std::unique_ptr<TestNetns> a_;
  std::unique_ptr<TestNetns> b_;
};

TEST_F(MeshDeviceRootTest, ColonyAndAgentHandshakeAndPingOverTheMesh) {
  if (!std::filesystem::exists("/usr/bin/wg")) GTEST_SKIP() << "wg(8) is not installed";
  auto colony = StartIn(*a_, Options(UniqueName("c"), "100.97.0.1"));
  ASSERT_TRUE(colony.ok()) << colony.status().ToString();
  auto agent = StartIn(*b_, Options(UniqueName("g"), "100.97.0.7"));
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  MeshDevice& c = **colony;
  MeshDevice& g = **agent;
  EXPECT_NE(c.listen_port(), 0);
  EXPECT_NE(c.public_key(), g.public_key());

  // The colony does not know where the agent is; the agent initiates.
  ASSERT_TRUE(c.SetPeer({.public_key = g.public_key(), .allowed_ips = {"100.97.0.7/32"}}).ok());
  Status s = g.SetPeer({.public_key = c.public_key(),
                        .endpoint = "10.233.0.1:" + std::to_string(c.listen_port()),
                        .allowed_ips = {"100.97.0.0/16"},
                        .persistent_keepalive = 25});
  ASSERT_TRUE(s.ok()) << s.ToString();

  auto ping = b_->Exec({"ping", "-c", "3", "-i", "0.2", "-W", "5", "100.97.0.1"});
  ASSERT_TRUE(ping.ok()) << ping.status().ToString();
  // Now that the colony has heard from the agent, it can reach it too.
  auto back = a_->Exec({"ping", "-c", "2", "-i", "0.2", "-W", "5", "100.97.0.7"});
  ASSERT_TRUE(back.ok()) << back.status().ToString();

  std::vector<MeshPeerStatus> peers = c.Peers();
  ASSERT_EQ(peers.size(), 1u);
  const MeshPeerStatus& p = peers[0];
  EXPECT_EQ(p.public_key, g.public_key());
  EXPECT_EQ(p.endpoint, "10.233.0.2:" + std::to_string(g.listen_port()));
  EXPECT_TRUE(p.last_handshake.has_value());
  EXPECT_GT(p.rx_bytes, 0u);
  EXPECT_GT(p.tx_bytes, 0u);
  EXPECT_EQ(p.allowed_ips, std::vector<std::string>{"100.97.0.7/32"});
  std::vector<MeshPeerStatus> agent_peers = g.Peers();
  const MeshPeerStatus* to_colony = Find(agent_peers, c.public_key());
  ASSERT_NE(to_colony, nullptr);
  EXPECT_EQ(to_colony->persistent_keepalive, 25);
  EXPECT_TRUE(to_colony->last_handshake.has_value());

  auto wg = testing::Command({"wg", "show", c.interface_name()});
  ASSERT_TRUE(wg.ok()) << wg.status().ToString();
  EXPECT_NE(wg->find("peer: " + g.public_key()), std::string::npos) << *wg;
  EXPECT_NE(wg->find("allowed ips: 100.97.0.7/32"), std::string::npos) << *wg;
  EXPECT_NE(wg->find("latest handshake"), std::string::npos) << *wg;

  const std::string name = c.interface_name();
  c.Stop();
  EXPECT_FALSE(a_->Exec({"ip", "link", "show", name}).ok()) << "Stop leaves " << name;
  EXPECT_FALSE(testing::Command({"wg", "show", name}).ok()) << "UAPI socket outlives Stop";
  EXPECT_TRUE(c.Peers().empty());
  EXPECT_EQ(c.SetPeer({.public_key = g.public_key()}).code(), StatusCode::kFailedPrecondition);
}

TEST_F(MeshDeviceRootTest, SecondDeviceWithTheSameNameIsRefused) {
  MeshDeviceOptions o = Options(UniqueName("d"), "100.97.0.1");
  o.listen_port = 41580;
  auto first = StartIn(*a_, o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)->listen_port(), 41580);

  MeshDeviceOptions again = Options(o.interface_name, "100.97.0.2");
  auto same_ns = StartIn(*a_, again);
  ASSERT_FALSE(same_ns.ok());
  EXPECT_EQ(same_ns.status().code(), StatusCode::kAlreadyExists) << same_ns.status().ToString();
  EXPECT_NE(same_ns.status().message().find(o.interface_name), std::string::npos);
  // Another namespace has its own interface names but shares the UAPI folder.
  auto other_ns = StartIn(*b_, again);
  ASSERT_FALSE(other_ns.ok());
  EXPECT_EQ(other_ns.status().code(), StatusCode::kAlreadyExists) << other_ns.status().ToString();
  EXPECT_FALSE(b_->Exec({"ip", "link", "show", o.interface_name}).ok())
      << "a refused start left its TUN behind";

  // The first device is untouched.
  auto link = a_->Exec({"ip", "addr", "show", o.interface_name});
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_NE(link->find("inet 100.97.0.1/16"), std::string::npos) << *link;
  EXPECT_NE(link->find(",UP"), std::string::npos) << *link;  // flags; a TUN's state reads UNKNOWN
  EXPECT_TRUE((*first)
                  ->SetPeer({.public_key = crypto::KeyToBase64(
                                 crypto::DerivePublicKey(crypto::PrivateKey::Generate()).bytes),
                             .allowed_ips = {"100.97.0.9/32"}})
                  .ok());
  EXPECT_EQ((*first)->Peers().size(), 1u);
}

TEST_F(MeshDeviceRootTest, PeerUpdatesReplaceRemoveAndRejectAsAWhole) {
  auto dev = StartIn(*a_, Options(UniqueName("p"), "100.97.0.1"));
  ASSERT_TRUE(dev.ok()) << dev.status().ToString();
  MeshDevice& d = **dev;
  auto new_key = [] {
    return crypto::KeyToBase64(crypto::DerivePublicKey(crypto::PrivateKey::Generate()).bytes);
  };
  const std::string k1 = new_key(), k2 = new_key(), k3 = new_key();

  ASSERT_TRUE(d.SetPeer({k1, "10.233.0.2:51820", {"100.97.0.7/32", "10.9.0.0/24"}, 25}).ok());
  // An update replaces the allowed IPs and keeps the endpoint when none is given.
  ASSERT_TRUE(d.SetPeer({k1, "", {"100.97.0.8/32"}, 0}).ok());
  auto peers = d.Peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].allowed_ips, std::vector<std::string>{"100.97.0.8/32"});
  EXPECT_EQ(peers[0].endpoint, "10.233.0.2:51820");
  EXPECT_EQ(peers[0].persistent_keepalive, 0);

  // Host names resolve (in the caller's namespace; /etc/hosts has localhost).
  ASSERT_TRUE(d.SetPeer({k2, "localhost:51821", {"100.97.0.9/32"}, 0}).ok());
  peers = d.Peers();
  ASSERT_NE(Find(peers, k2), nullptr);
  EXPECT_EQ(Find(peers, k2)->endpoint, "127.0.0.1:51821");

  // Bad input changes nothing and says what was wrong.
  Status bad_key = d.SetPeer({"not-a-key", "", {}, 0});
  EXPECT_EQ(bad_key.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_key.message().find("not-a-key"), std::string::npos) << bad_key.message();
  Status bad_ip = d.SetPeer({k3, "", {"100.97.0.300/32"}, 0});
  EXPECT_NE(bad_ip.message().find("100.97.0.300/32"), std::string::npos) << bad_ip.message();
  Status unresolved;
  // Inside the namespace no DNS server is reachable, so the lookup fails fast.
  ASSERT_TRUE(a_->Run([&] {
                  unresolved = d.SetPeer({k3, "no-such-host.invalid:51820", {}, 0});
                }).ok());
  EXPECT_EQ(unresolved.code(), StatusCode::kNotFound) << unresolved.ToString();
  EXPECT_NE(unresolved.message().find("cannot resolve host 'no-such-host.invalid'"),
            std::string::npos)
      << unresolved.message();
  peers = d.Peers();
  EXPECT_EQ(peers.size(), 2u);
  EXPECT_EQ(Find(peers, k3), nullptr);

  // ReplacePeers is all or nothing.
  Status partial = d.ReplacePeers({{k3, "", {"100.97.0.10/32"}, 0}, {"bad", "", {}, 0}});
  EXPECT_FALSE(partial.ok());
  EXPECT_EQ(d.Peers().size(), 2u);
  ASSERT_TRUE(d.ReplacePeers({{k3, "10.233.0.3:1", {"100.97.0.10/32"}, 0}}).ok());
  peers = d.Peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].public_key, k3);
  EXPECT_EQ(peers[0].endpoint, "10.233.0.3:1");

  // Removing is idempotent.
  EXPECT_TRUE(d.RemovePeer(k3).ok());
  EXPECT_TRUE(d.RemovePeer(k3).ok());
  EXPECT_TRUE(d.Peers().empty());
  EXPECT_EQ(d.RemovePeer("nope").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coral::mesh
