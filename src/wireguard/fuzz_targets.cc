#include "wireguard/fuzz_targets.h"

#include <cstring>
#include <deque>
#include <memory>
#include <string>

#include "base/check.h"
#include "wireguard/device.h"
#include "wireguard/tun_offload.h"
#include "wireguard/uapi_server.h"

namespace coral::wireguard::fuzz {
namespace {

struct Capture : Transport {
  std::deque<std::vector<uint8_t>> sent;
  void SendDatagram(const Endpoint&, const uint8_t* data, size_t len) override {
    if (sent.size() < 64) sent.emplace_back(data, data + len);
  }
  Result<uint16_t> Bind(uint16_t port) override { return port; }
  Status SetFwmark(uint32_t) override { return Status::Ok(); }
};

Key FixedKey(uint8_t seed) {
  Key k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 31 + i);
  k[0] &= 248;
  k[31] = (k[31] & 127) | 64;
  return k;
}

std::vector<uint8_t> Ipv4(const char* payload) {
  size_t n = 20 + std::strlen(payload);
  std::vector<uint8_t> p(n);
  p[0] = 0x45;
  p[2] = static_cast<uint8_t>(n >> 8);
  p[3] = static_cast<uint8_t>(n);
  uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  std::memcpy(&p[12], src, 4);
  std::memcpy(&p[16], dst, 4);
  std::memcpy(&p[20], payload, n - 20);
  return p;
}

// Two devices with a live session: "alice" (10.0.0.1) and "bob" (10.0.0.2).
// Fuzz input goes to bob as if from alice's address.
struct World {
  FakeClock clock;
  Capture alice_wire, bob_wire;
  Device alice{clock, alice_wire};
  Device bob{clock, bob_wire};
  Endpoint alice_ep = *Endpoint::Parse("192.0.2.1:1");
  Endpoint bob_ep = *Endpoint::Parse("192.0.2.2:2");
  std::vector<std::vector<uint8_t>> seeds;

  World() {
    Configure(alice, FixedKey(1), FixedKey(2), bob_ep, "10.0.0.2/32");
    Configure(bob, FixedKey(2), FixedKey(1), alice_ep, "10.0.0.1/32");
    // Alice sends, which starts the handshake; relay until quiet.
    SendFrom(alice, alice_wire, Ipv4("first"));
    Relay();
    SendFrom(alice, alice_wire, Ipv4("second"));
    SendFrom(bob, bob_wire, Ipv4("reply"));
    Relay();
    // A cookie reply, as bob sends under load.
    bob.set_load(Device::Load::kUnderLoad);
    clock.Advance(std::chrono::seconds(6));
    alice.Tick();
    clock.Advance(std::chrono::seconds(120));
    SendFrom(alice, alice_wire, Ipv4("rekey"));
    Relay();
    bob.set_load(Device::Load::kNormal);
  }

  static void Configure(Device& d, const Key& priv, const Key& peer_priv, const Endpoint& peer_ep,
                        const char* allowed) {
    ConfigUpdate u;
    u.private_key = priv;
    u.listen_port = 1;
    PeerUpdate& p = u.peers.emplace_back();
    X25519Base(p.public_key, peer_priv);
    p.endpoint = peer_ep;
    p.allowed_ips.push_back(*IpPrefix::Parse(allowed));
    CORAL_CHECK(d.Apply(u).ok(), "fuzz world configuration");
  }

  void SendFrom(Device& d, Capture& wire, const std::vector<uint8_t>& ip) {
    std::vector<uint8_t> buf(kPacketHeadroom + ip.size() + kPacketTailroom);
    std::memcpy(buf.data() + kPacketHeadroom, ip.data(), ip.size());
    Endpoint to;
    size_t len = 0;
    if (d.Encrypt(buf.data(), ip.size(), &to, &len) == Device::Outbound::kSend) {
      wire.sent.emplace_back(buf.begin(), buf.begin() + static_cast<long>(len));
    }
  }

  void Relay() {
    for (int round = 0; round < 20; ++round) {
      bool any = false;
      for (auto [from, to, from_ep] :
           {std::tuple{&alice_wire, &bob, &alice_ep}, std::tuple{&bob_wire, &alice, &bob_ep}}) {
        while (!from->sent.empty()) {
          any = true;
          std::vector<uint8_t> d = std::move(from->sent.front());
          from->sent.pop_front();
          seeds.push_back(d);
          size_t plain = 0;
          to->Receive(d.data(), d.size(), *from_ep, &plain);
        }
      }
      if (!any) break;
    }
  }
};

World& TheWorld() {
  static World* world = new World();  // lives for the process, as fuzzers expect
  return *world;
}

struct PeerState {
  std::string endpoint;
  uint64_t rx = 0;
  bool operator==(const PeerState&) const = default;
};

PeerState StateOf(const Device& d) {
  DeviceSnapshot s = d.Snapshot();
  CORAL_CHECK(s.peers.size() == 1, "the fuzz world has one peer per device");
  return {s.peers[0].endpoint.ToString(), s.peers[0].rx_bytes};
}

}  // namespace

int FuzzPacket(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  // As a datagram from the network.
  std::vector<uint8_t> buf(data, data + size);
  buf.resize(std::max<size_t>(size, 1) + kPacketTailroom);
  PeerState before = StateOf(w.bob);
  uint64_t dropped_before = w.bob.counters().TotalDropped();
  size_t plain = 0;
  Endpoint from = (size > 0 && data[0] & 0x80) ? *Endpoint::Parse("198.51.100.9:9") : w.alice_ep;
  Device::Inbound r = w.bob.Receive(buf.data(), size, from, &plain);
  if (r == Device::Inbound::kDropped) {
    CORAL_CHECK(w.bob.counters().TotalDropped() == dropped_before + 1,
                "a dropped datagram is counted exactly once");
    CORAL_CHECK(StateOf(w.bob) == before, "a dropped datagram changes no peer state");
  } else if (r == Device::Inbound::kDeliver) {
    CORAL_CHECK(plain + kTransportMinSize <= size, "plaintext lies inside the datagram");
  }
  w.bob_wire.sent.clear();
  // As a packet from the TUN.
  std::vector<uint8_t> pkt(kPacketHeadroom + size + kPacketTailroom);
  if (size) std::memcpy(pkt.data() + kPacketHeadroom, data, size);
  Endpoint to;
  size_t out_len = 0;
  if (w.bob.Encrypt(pkt.data(), size, &to, &out_len) == Device::Outbound::kSend) {
    CORAL_CHECK(out_len <= pkt.size() && out_len >= kTransportMinSize + size,
                "ciphertext fits the buffer");
  }
  w.bob_wire.sent.clear();
  // As a TUN read with a virtio_net_hdr (segmentation), and as decrypted
  // packets from a peer (coalescing, which sees whatever a peer encrypts).
  static std::vector<std::vector<uint8_t>> segs(128, std::vector<uint8_t>(2048));
  static std::vector<uint8_t*> outs = [] {
    std::vector<uint8_t*> o;
    for (auto& b : segs) o.push_back(b.data());
    return o;
  }();
  static size_t seg_lens[128];
  static TcpCoalescer coalescer;
  if (size >= kVirtioNetHdrLen) {
    VirtioNetHdr hdr = ParseVirtioNetHdr(data);
    size_t n = Segment(data + kVirtioNetHdrLen, size - kVirtioNetHdrLen, hdr, outs.data(),
                       outs.size(), 2048, seg_lens);
    for (size_t i = 0; i < n; ++i) {
      CORAL_CHECK(seg_lens[i] <= 2048, "segments fit their buffers");
      if (coalescer.Add(outs[i], seg_lens[i])) continue;
      if (!coalescer.empty()) (void)coalescer.Finish();
      (void)coalescer.Add(outs[i], seg_lens[i]);
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (!coalescer.Add(data, size) && !coalescer.empty()) (void)coalescer.Finish();
  }
  if (!coalescer.empty()) {
    auto [run, len] = coalescer.Finish();
    CORAL_CHECK(len >= kVirtioNetHdrLen && len <= kVirtioNetHdrLen + 65535,
                "a run fits a TUN write");
    (void)run;
  }
  return 0;
}

int FuzzUapi(const uint8_t* data, size_t size) {
  static FakeClock clock;
  static Capture wire;
  static Device* device = new Device(clock, wire);
  std::string request(reinterpret_cast<const char*>(data), size);
  std::string before = UapiServer::HandleRequest("get=1\n\n", *device);
  std::string reply = UapiServer::HandleRequest(request, *device);
  CORAL_CHECK(reply.size() >= 2 && reply.compare(reply.size() - 2, 2, "\n\n") == 0,
              "every UAPI reply ends with a blank line");
  CORAL_CHECK(reply.rfind("errno=") != std::string::npos, "every UAPI reply carries errno");
  if (reply == "errno=22\n\n") {
    CORAL_CHECK(UapiServer::HandleRequest("get=1\n\n", *device) == before,
                "a rejected UAPI request changes nothing");
  }
  wire.sent.clear();
  // Keep the device small so later inputs stay fast.
  if (device->peer_count() > 64) {
    (void)UapiServer::HandleRequest("set=1\nreplace_peers=true\n\n", *device);
  }
  return 0;
}

// A TCP/IPv4 super-packet behind a virtio_net_hdr asking for segmentation.
std::vector<uint8_t> TsoSeed(uint8_t gso_type, size_t payload) {
  std::vector<uint8_t> p(kVirtioNetHdrLen + 20 + 20 + payload);
  uint16_t gso_size = 500;
  p[0] = 1;
  p[1] = gso_type;
  std::memcpy(&p[4], &gso_size, 2);
  uint8_t* ip = p.data() + kVirtioNetHdrLen;
  size_t total = 40 + payload;
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>(total >> 8);
  ip[3] = static_cast<uint8_t>(total);
  ip[8] = 64;
  ip[9] = 6;
  ip[12] = 10;
  ip[15] = 1;
  ip[16] = 10;
  ip[19] = 2;
  ip[20 + 12] = 5 << 4;
  ip[20 + 13] = 0x10;
  for (size_t i = 0; i < payload; ++i) ip[40 + i] = static_cast<uint8_t>(i);
  return p;
}

std::vector<std::vector<uint8_t>> PacketSeeds() {
  auto seeds = TheWorld().seeds;
  seeds.push_back(TsoSeed(1, 2000));
  seeds.push_back(TsoSeed(0, 300));
  return seeds;
}

std::vector<std::vector<uint8_t>> UapiSeeds() {
  std::vector<std::string> texts = {
      "get=1\n\n",
      "set=1\nprivate_key=" + std::string(64, 'a') +
          "\nlisten_port=51820\nfwmark=0\n"
          "replace_peers=true\npublic_key=" +
          std::string(64, 'b') + "\npreshared_key=" + std::string(64, 'c') +
          "\nendpoint=192.0.2.1:51820\npersistent_keepalive_interval=25\n"
          "replace_allowed_ips=true\nallowed_ip=10.0.0.0/8\nallowed_ip=fd00::/64\n"
          "protocol_version=1\n\n",
      "set=1\npublic_key=" + std::string(64, 'b') + "\nupdate_only=true\nremove=true\n\n",
      "set=1\npublic_key=" + std::string(64, 'd') + "\nendpoint=[fd00::1]:7\n\n",
  };
  std::vector<std::vector<uint8_t>> out;
  for (const auto& t : texts) out.emplace_back(t.begin(), t.end());
  return out;
}

}  // namespace coral::wireguard::fuzz
