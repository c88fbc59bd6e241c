// Root-only: a real TUN interface configured with the real wg(8).
#include "wireguard/net_device.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"
#include "crypto/keys.h"

namespace coral::wireguard {
namespace {

std::string Sh(const std::vector<std::string>& argv) {
  auto r = RunCommand(argv, std::chrono::seconds(20));
  EXPECT_TRUE(r.ok()) << argv[0];
  if (!r.ok()) return "";
  EXPECT_TRUE(r->exit.ok()) << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << ": " << r->err;
  return r->out;
}

class NetDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create a TUN device";
    if (!RunCommand({"wg", "--version"}).ok())
      GTEST_SKIP() << "wg(8) is not installed (scripts/setup.sh)";
    name_ = "cwgt" + std::to_string(getpid() % 100000);
    dir_ = std::filesystem::temp_directory_path() / ("coral-wgtest-" + RandomHex(4));
    ASSERT_TRUE(MakeDirs(dir_, FileMode::kPrivate).ok());
  }
  void TearDown() override {
    nd_.reset();
    if (!dir_.empty()) (void)RemoveAll(dir_);
  }
  std::string name_;
  std::filesystem::path dir_;
  std::unique_ptr<NetDevice> nd_;
};

TEST_F(NetDeviceTest, WgSetAndShowWork) {
  NetDeviceOptions options;
  options.interface_name = name_;
  auto nd = NetDevice::Start(options);
  ASSERT_TRUE(nd.ok()) << nd.status().ToString();
  nd_ = std::move(*nd);
  EXPECT_TRUE(std::filesystem::exists("/var/run/wireguard/" + name_ + ".sock"));
  EXPECT_NE(Sh({"ip", "link", "show", name_}).find("mtu 1420"), std::string::npos);

  crypto::PrivateKey priv = crypto::PrivateKey::Generate();
  crypto::PrivateKey peer = crypto::PrivateKey::Generate();
  std::string pub = crypto::KeyToBase64(crypto::DerivePublicKey(priv).bytes);
  std::string peer_pub = crypto::KeyToBase64(crypto::DerivePublicKey(peer).bytes);
  auto key_file = dir_ / "private.key";
  ASSERT_TRUE(
      WriteFileAtomic(key_file, crypto::KeyToBase64(priv.bytes()) + "\n", FileMode::kPrivate).ok());
  auto psk_file = dir_ / "psk";
  ASSERT_TRUE(WriteFileAtomic(psk_file,
                              crypto::KeyToBase64(crypto::PrivateKey::Generate().bytes()) + "\n",
                              FileMode::kPrivate)
                  .ok());
  Sh({"wg", "set", name_, "private-key", key_file.string(), "listen-port", "51977", "peer",
      peer_pub, "preshared-key", psk_file.string(), "endpoint", "127.0.0.1:51978",
      "persistent-keepalive", "25", "allowed-ips", "10.77.0.2/32,fd77::2/128"});

  EXPECT_EQ(Sh({"wg", "show", name_, "public-key"}), pub + "\n");
  EXPECT_EQ(Sh({"wg", "show", name_, "listen-port"}), "51977\n");
  std::string dump = Sh({"wg", "show", name_, "dump"});
  EXPECT_NE(dump.find(peer_pub + "\t"), std::string::npos) << dump;
  EXPECT_NE(dump.find("127.0.0.1:51978"), std::string::npos) << dump;
  EXPECT_NE(dump.find("10.77.0.2/32,fd77::2/128"), std::string::npos) << dump;
  std::string conf = Sh({"wg", "showconf", name_});
  EXPECT_NE(conf.find("PersistentKeepalive = 25"), std::string::npos) << conf;
  EXPECT_NE(conf.find("PresharedKey = "), std::string::npos) << conf;

  Sh({"wg", "set", name_, "fwmark", "0x2a"});
  EXPECT_EQ(Sh({"wg", "show", name_, "fwmark"}), "0x2a\n");

  // setconf replaces every peer and its allowed IPs (replace_peers,
  // replace_allowed_ips).
  crypto::PrivateKey p2 = crypto::PrivateKey::Generate();
  crypto::PrivateKey p3 = crypto::PrivateKey::Generate();
  std::string pub2 = crypto::KeyToBase64(crypto::DerivePublicKey(p2).bytes);
  std::string pub3 = crypto::KeyToBase64(crypto::DerivePublicKey(p3).bytes);
  auto conf_file = dir_ / "wg.conf";
  ASSERT_TRUE(WriteFileAtomic(conf_file,
                              "[Interface]\nPrivateKey = " + crypto::KeyToBase64(priv.bytes()) +
                                  "\nListenPort = 51979\n\n[Peer]\nPublicKey = " + pub2 +
                                  "\nAllowedIPs = 10.78.0.0/16\n\n[Peer]\nPublicKey = " + pub3 +
                                  "\nAllowedIPs = 10.79.0.1/32, fd79::/64\nEndpoint = [::1]:7\n",
                              FileMode::kPrivate)
                  .ok());
  Sh({"wg", "setconf", name_, conf_file.string()});
  std::string peers = Sh({"wg", "show", name_, "peers"});
  EXPECT_EQ(peers.find(peer_pub), std::string::npos) << peers;
  EXPECT_NE(peers.find(pub2), std::string::npos) << peers;
  EXPECT_NE(peers.find(pub3), std::string::npos) << peers;
  std::string allowed = Sh({"wg", "show", name_, "allowed-ips"});
  EXPECT_NE(allowed.find(pub3 + "\t10.79.0.1/32 fd79::/64"), std::string::npos) << allowed;
  EXPECT_NE(Sh({"wg", "show", name_, "endpoints"}).find("[::1]:7"), std::string::npos);
  EXPECT_EQ(Sh({"wg", "show", name_, "listen-port"}), "51979\n");
  Sh({"wg", "set", name_, "peer", pub2, "remove", "peer", pub3, "remove"});
  Sh({"wg", "set", name_, "peer", peer_pub, "allowed-ips", "10.77.0.2/32"});

  // Removing the peer through wg.
  Sh({"wg", "set", name_, "peer", peer_pub, "remove"});
  EXPECT_EQ(Sh({"wg", "show", name_, "peers"}), "");
  EXPECT_EQ(nd_->device().peer_count(), 0u);
}

}  // namespace
}  // namespace coral::wireguard

namespace coral::wireguard {
namespace {

bool LinkExists(const std::string& name) {
  auto r = RunCommand({"ip", "link", "show", name});
  return r.ok() && r->exit.ok();
}

bool WaitUntil(const std::function<bool()>& cond, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

class StandaloneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create a TUN device";
    name_ = "cwgs" + std::to_string(getpid() % 100000);
    sock_ = "/var/run/wireguard/" + name_ + ".sock";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove(sock_, ec);  // a leftover daemon exits when its socket goes
    WaitUntil([&] { return !LinkExists(name_); }, std::chrono::seconds(5));
  }
  std::string name_;
  std::string sock_;
};

TEST_F(StandaloneTest, DaemonStartsThenExitsWhenItsSocketIsRemoved) {
  auto r = RunCommand({CORAL_BINARY, "wireguard", name_}, std::chrono::seconds(30));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->exit.ok()) << r->err;
  // The parent returns once the daemon's device is up.
  EXPECT_TRUE(std::filesystem::exists(sock_));
  EXPECT_TRUE(LinkExists(name_));
  std::filesystem::remove(sock_);
  EXPECT_TRUE(WaitUntil([&] { return !LinkExists(name_); }, std::chrono::seconds(10)))
      << "the daemon did not shut down after its UAPI socket was removed";
}

TEST_F(StandaloneTest, ForegroundStopsCleanlyOnSigterm) {
  SubprocessOptions options;
  options.argv = {CORAL_BINARY, "wireguard", "--foreground", name_};
  auto p = Subprocess::Start(options);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(sock_); }, std::chrono::seconds(10)));
  p->Kill(SIGTERM);
  auto exit = p->Wait(std::chrono::seconds(10));
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->ok()) << exit->ToString();
  EXPECT_FALSE(std::filesystem::exists(sock_));
  EXPECT_FALSE(LinkExists(name_));
}

TEST_F(StandaloneTest, SecondDeviceWithTheSameNameIsRefused) {
  SubprocessOptions options;
  options.argv = {CORAL_BINARY, "wireguard", "--foreground", name_};
  auto p = Subprocess::Start(options);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(sock_); }, std::chrono::seconds(10)));
  auto second = RunCommand({CORAL_BINARY, "wireguard", "--foreground", name_}, std::chrono::seconds(30));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->exit.exit_code, 1);
  EXPECT_TRUE(std::filesystem::exists(sock_)) << "the running device keeps its socket";
  p->Kill(SIGTERM);
  ASSERT_TRUE(p->Wait(std::chrono::seconds(10)).ok());
}

}  // namespace
}  // namespace coral::wireguard
