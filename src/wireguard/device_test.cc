#include "wireguard/device.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "base/ids.h"

namespace coral::wireguard {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Collects what a device sends, for the test to deliver.
struct Wire : Transport {
  std::deque<std::pair<Endpoint, std::vector<uint8_t>>> sent;
  uint16_t port = 0;
  void SendDatagram(const Endpoint& to, const uint8_t* data, size_t len) override {
    sent.emplace_back(to, std::vector<uint8_t>(data, data + len));
  }
  Result<uint16_t> Bind(uint16_t p) override { return port = p; }
  Status SetFwmark(uint32_t) override { return Status::Ok(); }
};

std::vector<uint8_t> Ipv4Packet(const char* src, const char* dst, const std::string& payload) {
  std::vector<uint8_t> p(20 + payload.size());
  p[0] = 0x45;
  p[2] = static_cast<uint8_t>(p.size() >> 8);
  p[3] = static_cast<uint8_t>(p.size());
  p[8] = 64;
  p[9] = 17;
  auto s = IpAddress::Parse(src);
  auto d = IpAddress::Parse(dst);
  std::memcpy(&p[12], s->bytes.data(), 4);
  std::memcpy(&p[16], d->bytes.data(), 4);
  std::memcpy(&p[20], payload.data(), payload.size());
  return p;
}

struct Node {
  explicit Node(FakeClock& clock, const char* ep, TimerConfig cfg = TimerConfig())
      : device(clock, wire, cfg), endpoint(*Endpoint::Parse(ep)) {
    GeneratePrivateKey(private_key);
    X25519Base(public_key, private_key);
    ConfigUpdate u;
    u.private_key = private_key;
    u.listen_port = ntohs(reinterpret_cast<sockaddr_in*>(&endpoint.addr)->sin_port);
    EXPECT_TRUE(device.Apply(u).ok());
  }
  Wire wire;
  Device device;
  Endpoint endpoint;
  Key private_key{};
  Key public_key{};
  std::vector<std::vector<uint8_t>> delivered;
};

void AddPeer(Node& self, const Node& other, const char* allowed, bool with_endpoint = true) {
  ConfigUpdate u;
  PeerUpdate& p = u.peers.emplace_back();
  p.public_key = other.public_key;
  if (with_endpoint) p.endpoint = other.endpoint;
  p.allowed_ips.push_back(*IpPrefix::Parse(allowed));
  ASSERT_TRUE(self.device.Apply(u).ok());
}

// Sends an IP packet into `n` as if read from its TUN.
Device::Outbound Send(Node& n, const std::vector<uint8_t>& ip) {
  std::vector<uint8_t> buf(kPacketHeadroom + ip.size() + kPacketTailroom);
  std::memcpy(buf.data() + kPacketHeadroom, ip.data(), ip.size());
  Endpoint to;
  size_t len = 0;
  auto r = n.device.Encrypt(buf.data(), ip.size(), &to, &len);
  if (r == Device::Outbound::kSend)
    n.wire.sent.emplace_back(to, std::vector<uint8_t>(buf.data(), buf.data() + len));
  return r;
}

Device::Inbound Deliver(Node& to, std::vector<uint8_t> datagram, const Endpoint& from) {
  size_t plain = 0;
  auto r = to.device.Receive(datagram.data(), datagram.size(), from, &plain);
  if (r == Device::Inbound::kDeliver) {
    to.delivered.emplace_back(datagram.begin() + kTransportHeaderSize,
                              datagram.begin() + kTransportHeaderSize + plain);
  }
  return r;
}

// Moves datagrams between the two nodes until both are quiet.
void Pump(Node& a, Node& b, std::vector<std::vector<uint8_t>>* captured = nullptr) {
  for (int round = 0; round < 50 && (!a.wire.sent.empty() || !b.wire.sent.empty()); ++round) {
    for (auto [from, to] : {std::pair<Node*, Node*>{&a, &b}, {&b, &a}}) {
      auto batch = std::move(from->wire.sent);
      from->wire.sent.clear();
      for (auto& [ep, data] : batch) {
        if (captured) captured->push_back(data);
        Deliver(*to, data, from->endpoint);
      }
    }
  }
}

class DeviceTest : public ::testing::Test {
 protected:
  FakeClock clock;
  Node alice{clock, "10.0.0.1:1000"};
  Node bob{clock, "10.0.0.2:2000"};
  void SetUp() override {
    AddPeer(alice, bob, "192.168.2.0/24");
    AddPeer(bob, alice, "192.168.1.0/24");
  }
  void Connect() {
    ASSERT_EQ(Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "hello")),
              Device::Outbound::kStaged);
    Pump(alice, bob);
    ASSERT_EQ(bob.delivered.size(), 1u);
  }
};

TEST_F(DeviceTest, HandshakeThenDataBothWays) {
  EXPECT_EQ(Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.9", "staged until the handshake")),
            Device::Outbound::kStaged);
  ASSERT_EQ(alice.wire.sent.size(), 1u);
  EXPECT_EQ(alice.wire.sent[0].second.size(), kInitiationSize);
  Pump(alice, bob);
  ASSERT_EQ(bob.delivered.size(), 1u);
  EXPECT_EQ(bob.delivered[0],
            Ipv4Packet("192.168.1.1", "192.168.2.9", "staged until the handshake"));
  EXPECT_EQ(alice.device.counters().handshakes_completed, 1u);
  EXPECT_EQ(bob.device.counters().handshakes_completed, 1u);

  ASSERT_EQ(Send(bob, Ipv4Packet("192.168.2.9", "192.168.1.1", "reply")), Device::Outbound::kSend);
  Pump(alice, bob);
  ASSERT_EQ(alice.delivered.size(), 1u);
  EXPECT_EQ(alice.delivered[0], Ipv4Packet("192.168.2.9", "192.168.1.1", "reply"));
  auto snap = alice.device.Snapshot();
  ASSERT_EQ(snap.peers.size(), 1u);
  EXPECT_TRUE(snap.peers[0].last_handshake.has_value());
  EXPECT_GT(snap.peers[0].rx_bytes, 0u);
  EXPECT_GT(snap.peers[0].tx_bytes, 0u);
  EXPECT_EQ(alice.device.counters().TotalDropped(), 0u);
  EXPECT_EQ(bob.device.counters().TotalDropped(), 0u);
}

TEST_F(DeviceTest, NoRouteIsDroppedAndCounted) {
  EXPECT_EQ(Send(alice, Ipv4Packet("192.168.1.1", "8.8.8.8", "x")), Device::Outbound::kDropped);
  EXPECT_EQ(alice.device.counters().dropped_no_route, 1u);
  EXPECT_TRUE(alice.wire.sent.empty());
}

TEST_F(DeviceTest, ReplayedTamperedTruncatedAndUnknownAreDroppedWithoutStateChange) {
  Connect();
  ASSERT_EQ(Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "once")), Device::Outbound::kSend);
  auto datagram = alice.wire.sent.front().second;
  alice.wire.sent.clear();
  EXPECT_EQ(Deliver(bob, datagram, alice.endpoint), Device::Inbound::kDeliver);
  auto snap_before = bob.device.Snapshot();
  // Replayed, from a different address: dropped, and the endpoint stays.
  auto elsewhere = *Endpoint::Parse("10.9.9.9:9");
  EXPECT_EQ(Deliver(bob, datagram, elsewhere), Device::Inbound::kDropped);
  EXPECT_EQ(bob.device.counters().dropped_replay, 1u);
  auto tampered = datagram;
  tampered.back() ^= 1;
  EXPECT_EQ(Deliver(bob, tampered, elsewhere), Device::Inbound::kDropped);
  EXPECT_EQ(bob.device.counters().dropped_decrypt, 1u);
  auto unknown = datagram;
  unknown[4] ^= 0xff;
  EXPECT_EQ(Deliver(bob, unknown, elsewhere), Device::Inbound::kDropped);
  EXPECT_EQ(bob.device.counters().dropped_unknown_index, 1u);
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{31}, size_t{147}, size_t{149}}) {
    std::vector<uint8_t> junk(datagram.begin(), datagram.begin() + std::min(n, datagram.size()));
    junk.resize(n, 0);
    EXPECT_EQ(Deliver(bob, junk, elsewhere), Device::Inbound::kDropped) << n;
  }
  std::vector<uint8_t> wrong_type = datagram;
  wrong_type[1] = 1;  // reserved bytes must be zero
  EXPECT_EQ(Deliver(bob, wrong_type, elsewhere), Device::Inbound::kDropped);
  auto snap_after = bob.device.Snapshot();
  EXPECT_EQ(snap_after.peers[0].endpoint, snap_before.peers[0].endpoint);
  EXPECT_EQ(snap_after.peers[0].rx_bytes, snap_before.peers[0].rx_bytes);
  EXPECT_TRUE(bob.wire.sent.empty());
  // The session still works.
  ASSERT_EQ(Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "still")),
            Device::Outbound::kSend);
  Pump(alice, bob);
  EXPECT_EQ(bob.delivered.size(), 3u);
}

TEST_F(DeviceTest, ForgedHandshakesAreDroppedAndCounted) {
  std::vector<uint8_t> init(kInitiationSize, 0);
  init[0] = 1;
  EXPECT_EQ(Deliver(bob, init, alice.endpoint), Device::Inbound::kDropped);
  EXPECT_EQ(bob.device.counters().dropped_mac, 1u);
  std::vector<uint8_t> resp(kResponseSize, 0);
  resp[0] = 2;
  EXPECT_EQ(Deliver(bob, resp, alice.endpoint), Device::Inbound::kDropped);
  std::vector<uint8_t> cookie(kCookieReplySize, 0);
  cookie[0] = 3;
  EXPECT_EQ(Deliver(bob, cookie, alice.endpoint), Device::Inbound::kDropped);
  EXPECT_TRUE(bob.wire.sent.empty());
  // A genuine initiation replayed after it was answered is stale.
  Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "x"));
  auto real = alice.wire.sent.front().second;
  Pump(alice, bob);
  clock.Advance(seconds(1));
  EXPECT_EQ(Deliver(bob, real, alice.endpoint), Device::Inbound::kDropped);
  EXPECT_EQ(bob.device.counters().dropped_handshake, 1u);
  EXPECT_TRUE(bob.wire.sent.empty());
}

TEST_F(DeviceTest, SpoofedInnerSourceIsDropped) {
  Connect();
  // Bob sends a packet whose source is not in Alice's allowed IPs for Bob.
  ASSERT_EQ(Send(bob, Ipv4Packet("10.66.0.1", "192.168.1.1", "spoof")), Device::Outbound::kSend);
  Pump(alice, bob);
  EXPECT_TRUE(alice.delivered.empty());
  EXPECT_EQ(alice.device.counters().dropped_source, 1u);
}

TEST_F(DeviceTest, CookieReplyUnderLoadThenHandshakeSucceeds) {
  bob.device.set_load(Device::Load::kUnderLoad);
  Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "through the cookie"));
  std::vector<std::vector<uint8_t>> seen;
  Pump(alice, bob, &seen);
  EXPECT_EQ(bob.device.counters().cookie_replies_sent, 1u);
  EXPECT_EQ(alice.device.counters().cookie_replies_received, 1u);
  EXPECT_TRUE(bob.delivered.empty());
  // The retransmission carries MAC2 from the cookie and gets through.
  clock.Advance(seconds(6));
  alice.device.Tick();
  Pump(alice, bob);
  ASSERT_EQ(bob.delivered.size(), 1u);
  EXPECT_EQ(bob.device.counters().cookie_replies_sent, 1u);
}

TEST_F(DeviceTest, RoamingFollowsAuthenticatedSource) {
  Connect();
  Node& a = alice;
  a.endpoint = *Endpoint::Parse("10.0.7.7:7777");  // Alice's address changes
  ASSERT_EQ(Send(a, Ipv4Packet("192.168.1.1", "192.168.2.1", "moved")), Device::Outbound::kSend);
  Pump(a, bob);
  EXPECT_EQ(bob.device.Snapshot().peers[0].endpoint.ToString(), "10.0.7.7:7777");
  ASSERT_EQ(Send(bob, Ipv4Packet("192.168.2.1", "192.168.1.1", "back")), Device::Outbound::kSend);
  EXPECT_EQ(bob.wire.sent.back().first.ToString(), "10.0.7.7:7777");
}

TEST_F(DeviceTest, RekeyAfterTimeAndRejectAfterTime) {
  Connect();
  uint64_t before = alice.device.counters().handshakes_initiated;
  clock.Advance(seconds(121));
  // Sending on an old session starts a new handshake; data still flows on it.
  ASSERT_EQ(Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "rekey")),
            Device::Outbound::kSend);
  EXPECT_EQ(alice.device.counters().handshakes_initiated, before + 1);
  Pump(alice, bob);
  EXPECT_EQ(alice.device.counters().handshakes_completed, 2u);
  EXPECT_EQ(bob.delivered.size(), 2u);
  // Past REJECT_AFTER_TIME without a new session, nothing is sent on the old one.
  ConfigUpdate remove;
  remove.peers.emplace_back().public_key = alice.public_key;
  remove.peers.back().remove = true;
  ASSERT_TRUE(bob.device.Apply(remove).ok());
  clock.Advance(seconds(181));
  EXPECT_EQ(Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "late")),
            Device::Outbound::kStaged);
}

TEST_F(DeviceTest, PassiveKeepaliveAndLostInitiationRetransmit) {
  Connect();
  alice.wire.sent.clear();
  bob.wire.sent.clear();
  // Bob received data and sent nothing: a keepalive follows KEEPALIVE_TIMEOUT.
  clock.Advance(seconds(11));
  bob.device.Tick();
  ASSERT_EQ(bob.wire.sent.size(), 1u);
  EXPECT_EQ(bob.wire.sent[0].second.size(), kTransportMinSize);
  EXPECT_EQ(Deliver(alice, bob.wire.sent[0].second, bob.endpoint), Device::Inbound::kConsumed);
  bob.wire.sent.clear();

  // A fresh pair whose first initiation is lost retries after REKEY_TIMEOUT.
  FakeClock c2;
  Node x(c2, "10.1.0.1:1"), y(c2, "10.1.0.2:2");
  AddPeer(x, y, "10.8.0.2/32");
  AddPeer(y, x, "10.8.0.1/32");
  Send(x, Ipv4Packet("10.8.0.1", "10.8.0.2", "lost"));
  ASSERT_EQ(x.wire.sent.size(), 1u);
  x.wire.sent.clear();  // lost
  c2.Advance(seconds(6));
  x.device.Tick();
  ASSERT_EQ(x.wire.sent.size(), 1u);
  Pump(x, y);
  ASSERT_EQ(y.delivered.size(), 1u);
}

TEST_F(DeviceTest, PresharedKeyMismatchFailsHandshake) {
  ConfigUpdate u;
  PeerUpdate& p = u.peers.emplace_back();
  p.public_key = bob.public_key;
  Key psk;
  psk.fill(5);
  p.preshared_key = psk;
  ASSERT_TRUE(alice.device.Apply(u).ok());
  Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "x"));
  Pump(alice, bob);
  EXPECT_TRUE(bob.delivered.empty());
  EXPECT_EQ(alice.device.counters().dropped_handshake, 1u);
  // Give Bob the same key and the retry succeeds.
  ConfigUpdate v;
  PeerUpdate& q = v.peers.emplace_back();
  q.public_key = alice.public_key;
  q.preshared_key = psk;
  ASSERT_TRUE(bob.device.Apply(v).ok());
  clock.Advance(seconds(6));
  alice.device.Tick();
  Pump(alice, bob);
  EXPECT_EQ(bob.delivered.size(), 1u);
}

}  // namespace
}  // namespace coral::wireguard

namespace coral::wireguard {
namespace {

TEST_F(DeviceTest, PersistentKeepaliveKeepsThePathOpen) {
  Connect();
  ASSERT_EQ(Send(bob, Ipv4Packet("192.168.2.1", "192.168.1.1", "reply")), Device::Outbound::kSend);
  Pump(alice, bob);
  // Alice received data and sent none: her passive keepalive goes out.
  clock.Advance(seconds(11));
  alice.device.Tick();
  ASSERT_EQ(alice.wire.sent.size(), 1u);
  Pump(alice, bob);
  ConfigUpdate u;
  PeerUpdate& p = u.peers.emplace_back();
  p.public_key = bob.public_key;
  p.persistent_keepalive = 25;
  ASSERT_TRUE(alice.device.Apply(u).ok());
  // Turning it on sends one at once, then one after every 25 s of silence.
  ASSERT_EQ(alice.wire.sent.size(), 1u);
  EXPECT_EQ(alice.wire.sent[0].second.size(), kTransportMinSize);
  Pump(alice, bob);
  for (int i = 0; i < 3; ++i) {
    clock.Advance(seconds(24));
    alice.device.Tick();
    EXPECT_TRUE(alice.wire.sent.empty()) << "interval " << i;
    clock.Advance(seconds(1));
    alice.device.Tick();
    ASSERT_EQ(alice.wire.sent.size(), 1u) << "interval " << i;
    EXPECT_EQ(alice.wire.sent[0].second.size(), kTransportMinSize);
    Pump(alice, bob);
  }
  EXPECT_EQ(bob.device.counters().TotalDropped(), 0u);
}

TEST_F(DeviceTest, MessageCountLimitsForceRekeyAndStopSending) {
  TimerConfig cfg;
  cfg.rekey_after_messages = 5;
  cfg.reject_after_messages = 8;
  FakeClock c;
  Node x(c, "10.1.0.1:1", cfg), y(c, "10.1.0.2:2", cfg);
  AddPeer(x, y, "10.8.0.2/32");
  AddPeer(y, x, "10.8.0.1/32");
  Send(x, Ipv4Packet("10.8.0.1", "10.8.0.2", "hi"));  // staged, then sent with counter 0
  Pump(x, y);
  ASSERT_EQ(y.delivered.size(), 1u);
  uint64_t initiated = x.device.counters().handshakes_initiated;
  c.Advance(seconds(6));  // past the initiation rate limit
  for (int i = 1; i <= 4; ++i) {
    ASSERT_EQ(Send(x, Ipv4Packet("10.8.0.1", "10.8.0.2", "m")), Device::Outbound::kSend);
  }
  EXPECT_EQ(x.device.counters().handshakes_initiated, initiated);
  // Counter 5 reaches REKEY_AFTER_MESSAGES: a handshake starts, data still flows.
  ASSERT_EQ(Send(x, Ipv4Packet("10.8.0.1", "10.8.0.2", "m")), Device::Outbound::kSend);
  EXPECT_EQ(x.device.counters().handshakes_initiated, initiated + 1);
  // The handshake is lost; at REJECT_AFTER_MESSAGES the session sends no more.
  x.wire.sent.clear();
  ASSERT_EQ(Send(x, Ipv4Packet("10.8.0.1", "10.8.0.2", "m")), Device::Outbound::kSend);
  ASSERT_EQ(Send(x, Ipv4Packet("10.8.0.1", "10.8.0.2", "m")), Device::Outbound::kSend);
  EXPECT_EQ(Send(x, Ipv4Packet("10.8.0.1", "10.8.0.2", "m")), Device::Outbound::kStaged);
}

TEST_F(DeviceTest, HandshakeFloodTurnsOnCookiesAutomatically) {
  auto attacker = *Endpoint::Parse("203.0.113.5:666");
  std::vector<uint8_t> junk(kInitiationSize, 0);
  junk[0] = 1;
  for (int i = 0; i < 300; ++i) Deliver(bob, junk, attacker);
  EXPECT_EQ(bob.device.counters().dropped_mac, 300u);
  // A genuine initiation now gets a cookie reply instead of a response.
  Send(alice, Ipv4Packet("192.168.1.1", "192.168.2.1", "x"));
  auto init = alice.wire.sent.front().second;
  alice.wire.sent.clear();
  EXPECT_EQ(Deliver(bob, init, alice.endpoint), Device::Inbound::kConsumed);
  ASSERT_EQ(bob.wire.sent.size(), 1u);
  EXPECT_EQ(bob.wire.sent[0].second.size(), kCookieReplySize);
  EXPECT_EQ(bob.device.counters().cookie_replies_sent, 1u);
  // A second later the flood is over and handshakes pass without cookies.
  bob.wire.sent.clear();
  clock.Advance(seconds(6));
  alice.device.Tick();
  Pump(alice, bob);
  EXPECT_EQ(bob.delivered.size(), 1u);
}

}  // namespace
}  // namespace coral::wireguard
