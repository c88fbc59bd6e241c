// Hub and spoke, as the Coral mesh runs it: two spokes (a Coral device and a
// wireguard-go device) peer only with a Coral hub, which routes between them.
// Forwarded packets re-enter the hub's TUN, so this also covers the TUN
// offloads on a routing device. Spokes keep the path open with persistent
// keepalives, which is how the hub learns their endpoints.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"
#include "crypto/keys.h"
#include "netns.h"

namespace coral::wireguard::testing {
namespace {

using std::chrono::seconds;

struct Node {
  std::string ns, iface, key_file, public_key, tunnel_ip;
  std::optional<Subprocess> process;
};

class HubRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and TUN devices";
    std::string id = std::to_string(getpid() % 100000);
    dir_ = std::filesystem::temp_directory_path() / ("coral-wghub-" + id + RandomHex(1));
    ASSERT_TRUE(MakeDirs(dir_, FileMode::kPrivate).ok());
    const char* names[3] = {"h", "a", "b"};
    const char* ips[3] = {"10.97.0.1", "10.97.0.2", "10.97.0.3"};
    for (int i = 0; i < 3; ++i) {
      Node& n = nodes_[i];
      n.ns = std::string("cwr") + names[i] + id;
      n.iface = std::string("cwr") + names[i] + id;
      n.tunnel_ip = ips[i];
      crypto::PrivateKey k = crypto::PrivateKey::Generate();
      n.public_key = crypto::KeyToBase64(crypto::DerivePublicKey(k).bytes);
      n.key_file = (dir_ / (n.iface + ".key")).string();
      ASSERT_TRUE(
          WriteFileAtomic(n.key_file, crypto::KeyToBase64(k.bytes()) + "\n", FileMode::kPrivate)
              .ok());
      Sh({"ip", "netns", "add", n.ns});
      created_ = i + 1;
      In(n, {"ip", "link", "set", "lo", "up"});
    }
    // Underlay: hub <-> a on 10.96.1.0/24, hub <-> b on 10.96.2.0/24.
    for (int s = 1; s <= 2; ++s) {
      std::string hv = "cwvh" + std::to_string(s) + id, sv = "cwvs" + std::to_string(s) + id;
      Sh({"ip", "link", "add", hv, "netns", hub().ns, "type", "veth", "peer", "name", sv, "netns",
          nodes_[s].ns});
      std::string net = "10.96." + std::to_string(s) + ".";
      In(hub(), {"ip", "addr", "add", net + "1/24", "dev", hv});
      In(hub(), {"ip", "link", "set", hv, "up"});
      In(nodes_[s], {"ip", "addr", "add", net + "2/24", "dev", sv});
      In(nodes_[s], {"ip", "link", "set", sv, "up"});
    }
    In(hub(), {"sysctl", "-qw", "net.ipv4.ip_forward=1"});
    Start(hub(), Impl::kCoral);
    Start(nodes_[1], Impl::kCoral);
    Start(nodes_[2], Impl::kWireguardGo);
    In(hub(), {"wg", "set", hub().iface, "private-key", hub().key_file, "listen-port", "51820",
               "peer", nodes_[1].public_key, "allowed-ips", nodes_[1].tunnel_ip + "/32", "peer",
               nodes_[2].public_key, "allowed-ips", nodes_[2].tunnel_ip + "/32"});
    for (int s = 1; s <= 2; ++s) {
      In(nodes_[s], {"wg", "set", nodes_[s].iface, "private-key", nodes_[s].key_file, "peer",
                     hub().public_key, "endpoint", "10.96." + std::to_string(s) + ".1:51820",
                     "persistent-keepalive", "1", "allowed-ips", "10.97.0.0/24"});
    }
    for (Node& n : nodes_) {
      In(n, {"ip", "addr", "add", n.tunnel_ip + "/24", "dev", n.iface});
      In(n, {"ip", "link", "set", n.iface, "up"});
    }
  }

  void TearDown() override {
    for (Node& n : nodes_) {
      if (n.process && n.process->Running()) {
        n.process->Kill(SIGTERM);
        (void)n.process->Wait(seconds(5));
      }
      n.process.reset();
      std::error_code ec;
      std::filesystem::remove("/var/run/wireguard/" + n.iface + ".sock", ec);
    }
    for (int i = 0; i < created_; ++i) (void)RunCommand({"ip", "netns", "del", nodes_[i].ns});
    if (!dir_.empty()) (void)RemoveAll(dir_);
  }

  Node& hub() { return nodes_[0]; }
  std::string Sh(const std::vector<std::string>& argv) {
    auto r = RunCommand(argv, seconds(30));
    EXPECT_TRUE(r.ok() && r->exit.ok())
        << argv[0] << " " << argv[1] << ": " << (r.ok() ? r->err : "");
    return r.ok() ? r->out : "";
  }
  std::string In(const Node& n, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", n.ns});
    return Sh(argv);
  }
  void Start(Node& n, Impl impl) {
    SubprocessOptions o;
    if (impl == Impl::kCoral) {
      o.argv = {"ip",           "netns",       "exec", n.ns,   CORAL_BINARY,
                "wireguard",    "--foreground", "--log-level", "warn", n.iface};
    } else {
      o.argv = {"ip", "netns", "exec", n.ns, "wireguard-go", "-f", n.iface};
    }
    o.stdout_mode = Capture::kDiscard;
    o.stderr_mode = impl == Impl::kCoral ? Capture::kInherit : Capture::kDiscard;
    auto p = Subprocess::Start(o);
    ASSERT_TRUE(p.ok());
    n.process = std::move(*p);
    std::string sock = "/var/run/wireguard/" + n.iface + ".sock";
    for (int i = 0; i < 200 && !std::filesystem::exists(sock); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(std::filesystem::exists(sock)) << n.iface << " did not start";
  }

  std::filesystem::path dir_;
  Node nodes_[3];
  int created_ = 0;
};

TEST_F(HubRoutingTest, SpokesReachEachOtherThroughTheHub) {
  ASSERT_FALSE(HasFatalFailure());
  // Keepalives tell the hub where the spokes are; then spoke to spoke works.
  std::string out;
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto r = RunCommand({"ip", "netns", "exec", nodes_[1].ns, "ping", "-c", "3", "-i", "0.2", "-W",
                         "2", nodes_[2].tunnel_ip},
                        seconds(30));
    ASSERT_TRUE(r.ok());
    out = r->out;
    if (r->exit.ok() && out.find(" 0% packet loss") != std::string::npos) break;
  }
  EXPECT_NE(out.find(" 0% packet loss"), std::string::npos) << out;
  constexpr uint64_t kBytes = 50ull << 20;
  for (auto [from, to] : {std::pair{&nodes_[1], &nodes_[2]}, {&nodes_[2], &nodes_[1]}}) {
    TransferResult r =
        TcpTransfer(from->ns, to->ns, to->tunnel_ip, 5204, kBytes, std::chrono::milliseconds(0));
    EXPECT_EQ(r.error, "") << from->iface;
    EXPECT_EQ(r.received, kBytes) << from->iface;
    EXPECT_EQ(r.sent_digest, r.received_digest) << from->iface;
  }
}

}  // namespace
}  // namespace coral::wireguard::testing
