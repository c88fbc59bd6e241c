#include "wireguard/uapi.h"

#include <gtest/gtest.h>

namespace coral::wireguard {
namespace {

const std::string kKeyA(64, 'a');
const std::string kKeyB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(UapiTest, ParsesAFullSetRequest) {
  std::string body = "private_key=" + kKeyA +
                     "\n"
                     "listen_port=51820\n"
                     "fwmark=7\n"
                     "replace_peers=true\n"
                     "public_key=" +
                     kKeyB +
                     "\n"
                     "preshared_key=" +
                     kKeyA +
                     "\n"
                     "endpoint=[fd00::1]:51821\n"
                     "persistent_keepalive_interval=25\n"
                     "replace_allowed_ips=true\n"
                     "allowed_ip=10.0.0.0/24\n"
                     "allowed_ip=fd00::/64\n"
                     "protocol_version=1\n"
                     "public_key=" +
                     kKeyA +
                     "\n"
                     "update_only=true\n"
                     "remove=true\n"
                     "\n";
  auto u = ParseSetRequest(body);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  ASSERT_TRUE(u->private_key.has_value());
  EXPECT_EQ((*u->private_key)[0], 0xaa);
  EXPECT_EQ(u->listen_port, 51820);
  EXPECT_EQ(u->fwmark, 7u);
  EXPECT_TRUE(u->replace_peers);
  ASSERT_EQ(u->peers.size(), 2u);
  const PeerUpdate& p = u->peers[0];
  EXPECT_EQ(p.public_key[0], 0x01);
  EXPECT_EQ(p.endpoint->ToString(), "[fd00::1]:51821");
  EXPECT_EQ(p.persistent_keepalive, 25);
  EXPECT_TRUE(p.replace_allowed_ips);
  ASSERT_EQ(p.allowed_ips.size(), 2u);
  EXPECT_EQ(p.allowed_ips[1].ToString(), "fd00::/64");
  EXPECT_TRUE(u->peers[1].update_only);
  EXPECT_TRUE(u->peers[1].remove);
}

TEST(UapiTest, RejectsMalformedInput) {
  const std::string peer = "public_key=" + kKeyB + "\n";
  for (const std::string& bad : {
           std::string("private_key=abc\n"),
           std::string("private_key=" + std::string(64, 'g') + "\n"),
           std::string("listen_port=65536\n"),
           std::string("listen_port=-1\n"),
           std::string("listen_port=\n"),
           std::string("fwmark=4294967296\n"),
           std::string("replace_peers=false\n"),
           std::string("no_equals_sign\n"),
           std::string("endpoint=1.2.3.4:5\n"),  // peer key before any public_key
           std::string("bogus=1\n"),
           peer + "endpoint=1.2.3.4\n",
           peer + "allowed_ip=10.0.0.0/33\n",
           peer + "persistent_keepalive_interval=70000\n",
           peer + "protocol_version=2\n",
           peer + "remove=yes\n",
           peer + "listen_port=1\n",
           std::string("public_key=\n"),
       }) {
    EXPECT_FALSE(ParseSetRequest(bad).ok()) << bad;
  }
}

TEST(UapiTest, StopsAtBlankLine) {
  auto u = ParseSetRequest("listen_port=1\n\nthis is the next request\n");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->listen_port, 1);
}

TEST(UapiTest, FormatsGetReplyAsWgExpects) {
  DeviceSnapshot s;
  Key k;
  k.fill(0x11);
  s.private_key = k;
  s.listen_port = 51820;
  PeerSnapshot& p = s.peers.emplace_back();
  p.public_key.fill(0x22);
  p.endpoint = *Endpoint::Parse("192.0.2.1:7");
  p.last_handshake = WallTime(std::chrono::seconds(1700000000) + std::chrono::nanoseconds(5));
  p.rx_bytes = 10;
  p.tx_bytes = 20;
  p.persistent_keepalive = 25;
  p.allowed_ips.push_back(*IpPrefix::Parse("10.0.0.2/32"));
  EXPECT_EQ(
      FormatGetReply(s),
      "private_key=" + std::string(32, '1').replace(0, 32, "11111111111111111111111111111111") +
          "11111111111111111111111111111111\n"
          "listen_port=51820\n"
          "public_key=2222222222222222222222222222222222222222222222222222222222222222\n"
          "protocol_version=1\n"
          "endpoint=192.0.2.1:7\n"
          "last_handshake_time_sec=1700000000\n"
          "last_handshake_time_nsec=5\n"
          "tx_bytes=20\n"
          "rx_bytes=10\n"
          "persistent_keepalive_interval=25\n"
          "allowed_ip=10.0.0.2/32\n");
}

}  // namespace
}  // namespace coral::wireguard
