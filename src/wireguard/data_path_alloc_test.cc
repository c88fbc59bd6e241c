// The data path allocates nothing per packet: with a session up, encrypting
// and decrypting packets performs no heap allocation. Counted by replacing the
// global operator new for this test binary only.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "wireguard/device.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<uint64_t> allocations{0};
}  // namespace

void* operator new(size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace coral::wireguard {
namespace {

struct Loopback : Transport {
  std::vector<std::vector<uint8_t>> sent;
  void SendDatagram(const Endpoint&, const uint8_t* data, size_t len) override {
    sent.emplace_back(data, data + len);
  }
  Result<uint16_t> Bind(uint16_t port) override { return port; }
  Status SetFwmark(uint32_t) override { return Status::Ok(); }
};

void Configure(Device& d, const Key& priv, const Key& peer_pub, const char* ep,
               const char* allowed) {
  ConfigUpdate u;
  u.private_key = priv;
  PeerUpdate& p = u.peers.emplace_back();
  p.public_key = peer_pub;
  p.endpoint = *Endpoint::Parse(ep);
  p.allowed_ips.push_back(*IpPrefix::Parse(allowed));
  ASSERT_TRUE(d.Apply(u).ok());
}

TEST(DataPathAllocTest, EncryptAndReceiveDoNotAllocate) {
  SystemClock& clock = SystemClock::Get();
  Loopback wa, wb;
  Device a(clock, wa), b(clock, wb);
  Key ka, kb, pa, pb;
  GeneratePrivateKey(ka);
  GeneratePrivateKey(kb);
  X25519Base(pa, ka);
  X25519Base(pb, kb);
  Configure(a, ka, pb, "192.0.2.2:2", "10.0.0.2/32");
  Configure(b, kb, pa, "192.0.2.1:1", "10.0.0.1/32");
  Endpoint from_a = *Endpoint::Parse("192.0.2.1:1");
  Endpoint from_b = *Endpoint::Parse("192.0.2.2:2");

  std::vector<uint8_t> buf(kPacketHeadroom + 1500 + kPacketTailroom);
  auto make_packet = [&](size_t len) {
    std::memset(buf.data(), 0, buf.size());
    uint8_t* ip = buf.data() + kPacketHeadroom;
    ip[0] = 0x45;
    ip[2] = static_cast<uint8_t>(len >> 8);
    ip[3] = static_cast<uint8_t>(len);
    uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    std::memcpy(ip + 12, src, 4);
    std::memcpy(ip + 16, dst, 4);
  };
  // Handshake (allocates: keypairs, index entries, staged copy).
  make_packet(100);
  Endpoint to;
  size_t out_len = 0, plain = 0;
  ASSERT_EQ(a.Encrypt(buf.data(), 100, &to, &out_len), Device::Outbound::kStaged);
  for (int round = 0; round < 5; ++round) {
    for (auto* pair : {&wa, &wb}) {
      auto msgs = std::move(pair->sent);
      pair->sent.clear();
      for (auto& m : msgs) {
        (pair == &wa ? b : a).Receive(m.data(), m.size(), pair == &wa ? from_a : from_b, &plain);
      }
    }
  }
  ASSERT_EQ(b.counters().handshakes_completed, 1u);

  // The counter itself works.
  counting = true;
  delete new std::vector<int>(3);
  counting = false;
  ASSERT_GE(allocations.load(), 1u);
  allocations = 0;

  counting = true;
  int delivered = 0;
  for (int i = 0; i < 1000; ++i) {
    size_t len = 40 + static_cast<size_t>(i % 1400);
    make_packet(len);
    if (a.Encrypt(buf.data(), len, &to, &out_len) != Device::Outbound::kSend) break;
    if (b.Receive(buf.data(), out_len, from_a, &plain) == Device::Inbound::kDeliver) ++delivered;
  }
  counting = false;
  EXPECT_EQ(delivered, 1000);
  EXPECT_EQ(allocations.load(), 0u) << "heap allocations on the data path";
}

}  // namespace
}  // namespace coral::wireguard
