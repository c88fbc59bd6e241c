#include "wireguard/uapi_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include "base/files.h"
#include "base/ids.h"
#include "crypto/keys.h"

namespace coral::wireguard {
namespace {

struct NullTransport : Transport {
  void SendDatagram(const Endpoint&, const uint8_t*, size_t) override {}
  Result<uint16_t> Bind(uint16_t port) override { return port == 0 ? uint16_t{4242} : port; }
  Status SetFwmark(uint32_t) override { return Status::Ok(); }
};

std::string Roundtrip(const std::filesystem::path& path, const std::string& request) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST(UapiServerTest, SetThenGetOverTheSocket) {
  FakeClock clock;
  NullTransport transport;
  Device device(clock, transport);
  auto dir = std::filesystem::temp_directory_path() / ("coral-uapi-" + RandomHex(4));
  auto server = UapiServer::Start(dir / "wgtest0.sock", device);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto perms = FilePermissions(dir / "wgtest0.sock");
  ASSERT_TRUE(perms.ok());
  EXPECT_EQ(*perms & 0077, 0u) << "the socket hands out the private key";

  crypto::PrivateKey priv = crypto::PrivateKey::Generate();
  crypto::PrivateKey peer = crypto::PrivateKey::Generate();
  std::string peer_pub = crypto::KeyToHex(crypto::DerivePublicKey(peer).bytes);
  std::string set = "set=1\nprivate_key=" + crypto::KeyToHex(priv.bytes()) +
                    "\nlisten_port=51999\npublic_key=" + peer_pub +
                    "\nendpoint=127.0.0.1:5\nallowed_ip=10.1.0.0/16\n\n";
  // Two requests on one connection, as wg's library may send.
  std::string reply = Roundtrip(dir / "wgtest0.sock", set + "get=1\n\n");
  std::string expected_get_start = "errno=0\n\nprivate_key=" + crypto::KeyToHex(priv.bytes()) +
                                   "\nlisten_port=51999\npublic_key=" + peer_pub + "\n";
  EXPECT_EQ(reply.substr(0, expected_get_start.size()), expected_get_start);
  EXPECT_NE(reply.find("allowed_ip=10.1.0.0/16\n"), std::string::npos);
  EXPECT_NE(reply.find("endpoint=127.0.0.1:5\n"), std::string::npos);
  EXPECT_EQ(reply.substr(reply.size() - 9), "errno=0\n\n");

  // Malformed input: an errno and no change.
  EXPECT_EQ(Roundtrip(dir / "wgtest0.sock", "set=1\nlisten_port=1\nbogus=1\n\n"), "errno=22\n\n");
  EXPECT_EQ(Roundtrip(dir / "wgtest0.sock", "frobnicate=1\n\n"), "errno=22\n\n");
  EXPECT_EQ(device.Snapshot().listen_port, 51999);
  // A second server on the same path is refused while the first lives.
  EXPECT_FALSE(UapiServer::Start(dir / "wgtest0.sock", device).ok());
  EXPECT_TRUE((*server)->SocketFilePresent());
  server->reset();
  EXPECT_FALSE(std::filesystem::exists(dir / "wgtest0.sock"));
  ASSERT_TRUE(RemoveAll(dir).ok());
}

}  // namespace
}  // namespace coral::wireguard
