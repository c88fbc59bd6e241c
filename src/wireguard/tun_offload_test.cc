#include "wireguard/tun_offload.h"

#include <gtest/gtest.h>

#include <vector>

namespace coral::wireguard {
namespace {

// An independent reference: RFC 1071 checksum, one 16-bit word at a time.
uint16_t Rfc1071(const std::vector<uint8_t>& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint16_t w = static_cast<uint16_t>(bytes[i] << 8 | (i + 1 < bytes.size() ? bytes[i + 1] : 0));
    sum += w;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

bool TcpChecksumValid(const uint8_t* p, size_t len, bool v4) {
  size_t ip_len = v4 ? (p[0] & 0xf) * 4u : 40;
  std::vector<uint8_t> pseudo;
  if (v4) {
    pseudo.assign(p + 12, p + 20);
  } else {
    pseudo.assign(p + 8, p + 40);
  }
  size_t tcp_len = len - ip_len;
  pseudo.push_back(0);
  pseudo.push_back(6);
  pseudo.push_back(static_cast<uint8_t>(tcp_len >> 8));
  pseudo.push_back(static_cast<uint8_t>(tcp_len));
  pseudo.insert(pseudo.end(), p + ip_len, p + len);
  return Rfc1071(pseudo) == 0xffff;
}

std::vector<uint8_t> SuperPacket(bool v4, size_t payload, uint8_t flags) {
  size_t ip_len = v4 ? 20 : 40;
  size_t tcp_len = 32;  // with 12 bytes of options (timestamps)
  std::vector<uint8_t> p(ip_len + tcp_len + payload);
  if (v4) {
    p[0] = 0x45;
    p[2] = static_cast<uint8_t>(p.size() >> 8);
    p[3] = static_cast<uint8_t>(p.size());
    p[4] = 0x12;
    p[5] = 0x34;
    p[8] = 64;
    p[9] = 6;
    uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    std::copy(src, src + 4, &p[12]);
    std::copy(dst, dst + 4, &p[16]);
  } else {
    p[0] = 0x60;
    size_t pl = p.size() - 40;
    p[4] = static_cast<uint8_t>(pl >> 8);
    p[5] = static_cast<uint8_t>(pl);
    p[6] = 6;
    p[7] = 64;
    p[8] = 0xfd;
    p[23] = 1;
    p[24] = 0xfd;
    p[39] = 2;
  }
  uint8_t* t = &p[ip_len];
  t[0] = 0x1f;  // ports
  t[1] = 0x90;
  t[2] = 0xc3;
  t[3] = 0x50;
  t[4] = 0xff;  // seq close to wrapping
  t[5] = 0xff;
  t[6] = 0xf0;
  t[7] = 0x00;
  t[12] = 8 << 4;  // data offset 32 bytes
  t[13] = flags;
  t[14] = 0x01;
  for (size_t i = 20; i < 32; ++i) t[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < payload; ++i) p[ip_len + tcp_len + i] = static_cast<uint8_t>(i * 7 + 3);
  return p;
}

void CheckSegmentation(bool v4) {
  const size_t payload = 5000, mss = 1448;
  auto pkt = SuperPacket(v4, payload, /*ACK|PSH|FIN|CWR*/ 0x10 | 0x08 | 0x01 | 0x80);
  VirtioNetHdr hdr;
  hdr.flags = 1;
  hdr.gso_type = v4 ? 1 : 4;
  hdr.gso_size = mss;
  size_t ip_len = v4 ? 20 : 40;
  hdr.csum_start = static_cast<uint16_t>(ip_len);
  hdr.csum_offset = 16;
  ASSERT_EQ(SegmentCount(pkt.data(), pkt.size(), hdr), 4u);
  std::vector<std::vector<uint8_t>> bufs(8, std::vector<uint8_t>(2000));
  std::vector<uint8_t*> outs;
  for (auto& b : bufs) outs.push_back(b.data());
  size_t lens[8];
  ASSERT_EQ(Segment(pkt.data(), pkt.size(), hdr, outs.data(), 8, 2000, lens), 4u);
  std::vector<uint8_t> reassembled;
  for (size_t k = 0; k < 4; ++k) {
    const uint8_t* o = outs[k];
    size_t n = k < 3 ? mss : payload - 3 * mss;
    ASSERT_EQ(lens[k], ip_len + 32 + n);
    if (v4) {
      EXPECT_EQ(o[2] << 8 | o[3], static_cast<int>(lens[k]));
      EXPECT_EQ(o[4] << 8 | o[5], 0x1234 + static_cast<int>(k));
      EXPECT_EQ(Rfc1071(std::vector<uint8_t>(o, o + 20)), 0xffff) << "IPv4 header checksum " << k;
    } else {
      EXPECT_EQ(o[4] << 8 | o[5], static_cast<int>(lens[k] - 40));
    }
    const uint8_t* t = o + ip_len;
    uint32_t seq = uint32_t(t[4]) << 24 | uint32_t(t[5]) << 16 | uint32_t(t[6]) << 8 | t[7];
    EXPECT_EQ(seq, 0xfffff000u + static_cast<uint32_t>(k * mss));  // wraps past 2^32
    uint8_t flags = t[13];
    EXPECT_EQ((flags & 0x01) != 0, k == 3) << "FIN only on the last";
    EXPECT_EQ((flags & 0x08) != 0, k == 3) << "PSH only on the last";
    EXPECT_EQ((flags & 0x80) != 0, k == 0) << "CWR only on the first";
    EXPECT_TRUE(flags & 0x10);
    EXPECT_TRUE(TcpChecksumValid(o, lens[k], v4)) << "TCP checksum " << k;
    reassembled.insert(reassembled.end(), o + ip_len + 32, o + lens[k]);
  }
  EXPECT_EQ(reassembled,
            std::vector<uint8_t>(pkt.begin() + static_cast<long>(ip_len + 32), pkt.end()));
}

TEST(TunOffloadTest, SplitsIpv4TcpSuperPackets) { CheckSegmentation(true); }
TEST(TunOffloadTest, SplitsIpv6TcpSuperPackets) { CheckSegmentation(false); }

TEST(TunOffloadTest, CompletesPartialChecksumOfPlainPacket) {
  // A UDP/IPv4 packet whose checksum field holds only the pseudo-header sum.
  std::vector<uint8_t> p(20 + 8 + 11);
  p[0] = 0x45;
  p[3] = static_cast<uint8_t>(p.size());
  p[9] = 17;
  p[12] = 10;
  p[15] = 1;
  p[16] = 10;
  p[19] = 2;
  p[24] = 0;
  p[25] = static_cast<uint8_t>(p.size() - 20);
  for (size_t i = 28; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> pseudo = {10, 0, 0, 1,  10, 0,
                                 0,  2, 0, 17, 0,  static_cast<uint8_t>(p.size() - 20)};
  uint16_t partial = Rfc1071(pseudo);
  p[26] = static_cast<uint8_t>(partial >> 8);
  p[27] = static_cast<uint8_t>(partial);
  VirtioNetHdr hdr;
  hdr.flags = 1;
  hdr.csum_start = 20;
  hdr.csum_offset = 6;
  std::vector<uint8_t> out(100);
  uint8_t* outs[1] = {out.data()};
  size_t len = 0;
  ASSERT_EQ(Segment(p.data(), p.size(), hdr, outs, 1, out.size(), &len), 1u);
  std::vector<uint8_t> check = {10, 0, 0, 1,  10, 0,
                                0,  2, 0, 17, 0,  static_cast<uint8_t>(p.size() - 20)};
  check.insert(check.end(), out.begin() + 20, out.begin() + static_cast<long>(len));
  EXPECT_EQ(Rfc1071(check), 0xffff);
}

TEST(TunOffloadTest, RejectsMalformedAndOversized) {
  auto pkt = SuperPacket(true, 3000, 0x10);
  VirtioNetHdr hdr;
  hdr.gso_type = 1;
  hdr.gso_size = 1000;
  std::vector<uint8_t> buf(2000);
  std::vector<uint8_t*> outs(8, buf.data());
  size_t lens[8];
  EXPECT_EQ(Segment(pkt.data(), pkt.size(), hdr, outs.data(), 2, 2000, lens), 0u)
      << "too few outputs";
  EXPECT_EQ(Segment(pkt.data(), 30, hdr, outs.data(), 8, 2000, lens), 0u) << "truncated";
  hdr.gso_size = 0;
  EXPECT_EQ(SegmentCount(pkt.data(), pkt.size(), hdr), 0u);
  hdr.gso_size = 1000;
  pkt[9] = 17;  // not TCP
  EXPECT_EQ(SegmentCount(pkt.data(), pkt.size(), hdr), 0u);
  hdr.gso_type = 0x42;
  EXPECT_EQ(SegmentCount(pkt.data(), pkt.size(), hdr), 0u);
}

// Splits a super-packet into segments (as the sending TUN would hand them).
std::vector<std::vector<uint8_t>> Split(const std::vector<uint8_t>& pkt, bool v4, size_t mss) {
  VirtioNetHdr hdr;
  hdr.flags = 1;
  hdr.gso_type = v4 ? 1 : 4;
  hdr.gso_size = static_cast<uint16_t>(mss);
  std::vector<std::vector<uint8_t>> bufs(64, std::vector<uint8_t>(2000));
  std::vector<uint8_t*> outs;
  for (auto& b : bufs) outs.push_back(b.data());
  size_t lens[64];
  size_t n = Segment(pkt.data(), pkt.size(), hdr, outs.data(), 64, 2000, lens);
  bufs.resize(n);
  for (size_t i = 0; i < n; ++i) bufs[i].resize(lens[i]);
  return bufs;
}

void CheckCoalesceRoundTrip(bool v4) {
  auto segments = Split(SuperPacket(v4, 5000, 0x10 | 0x08), v4, 1448);
  ASSERT_EQ(segments.size(), 4u);
  TcpCoalescer c;
  for (const auto& s : segments) ASSERT_TRUE(c.Add(s.data(), s.size()));
  auto [data, len] = c.Finish();
  EXPECT_TRUE(c.empty());
  VirtioNetHdr hdr = ParseVirtioNetHdr(data);
  EXPECT_EQ(hdr.flags, 1);
  EXPECT_EQ(hdr.gso_type, v4 ? 1 : 4);
  EXPECT_EQ(hdr.gso_size, 1448);
  EXPECT_EQ(hdr.csum_start, v4 ? 20 : 40);
  EXPECT_EQ(hdr.csum_offset, 16);
  // Splitting the coalesced packet again gives back the very same segments.
  std::vector<uint8_t> merged(data + kVirtioNetHdrLen, data + len);
  auto again = Split(merged, v4, hdr.gso_size);
  ASSERT_EQ(again.size(), segments.size());
  for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i], segments[i]) << "segment " << i;
}

TEST(TcpCoalescerTest, CoalescedIpv4RunSplitsBackIntoTheSameSegments) {
  CheckCoalesceRoundTrip(true);
}
TEST(TcpCoalescerTest, CoalescedIpv6RunSplitsBackIntoTheSameSegments) {
  CheckCoalesceRoundTrip(false);
}

TEST(TcpCoalescerTest, RefusesWhatDoesNotContinueTheRun) {
  auto segs = Split(SuperPacket(true, 6000, 0x10), true, 1000);
  ASSERT_EQ(segs.size(), 6u);
  TcpCoalescer c;
  ASSERT_TRUE(c.Add(segs[0].data(), segs[0].size()));
  EXPECT_FALSE(c.Add(segs[2].data(), segs[2].size())) << "a gap in the sequence";
  auto other_port = segs[1];
  other_port[20 + 1] ^= 1;
  EXPECT_FALSE(c.Add(other_port.data(), other_port.size())) << "another flow";
  auto other_ack = segs[1];
  other_ack[20 + 9] ^= 1;
  EXPECT_FALSE(c.Add(other_ack.data(), other_ack.size())) << "a different ack";
  auto syn = segs[1];
  syn[20 + 13] |= 0x02;
  EXPECT_FALSE(c.Add(syn.data(), syn.size())) << "SYN";
  EXPECT_TRUE(c.Add(segs[1].data(), segs[1].size()));
  auto psh = segs[2];
  psh[20 + 13] |= 0x08;
  EXPECT_TRUE(c.Add(psh.data(), psh.size())) << "PSH joins and ends the run";
  EXPECT_FALSE(c.Add(segs[3].data(), segs[3].size()));
  auto [data, len] = c.Finish();
  EXPECT_EQ(len, kVirtioNetHdrLen + 20 + 32 + 3000);
  EXPECT_TRUE(data[kVirtioNetHdrLen + 20 + 13] & 0x08);
  // A run of one passes through unchanged behind a plain header.
  ASSERT_TRUE(c.Add(segs[3].data(), segs[3].size()));
  auto [one, one_len] = c.Finish();
  EXPECT_EQ(std::vector<uint8_t>(one, one + kVirtioNetHdrLen),
            std::vector<uint8_t>(kVirtioNetHdrLen, 0));
  EXPECT_EQ(std::vector<uint8_t>(one + kVirtioNetHdrLen, one + one_len), segs[3]);
  // Not TCP: refused outright.
  auto udp = segs[4];
  udp[9] = 17;
  EXPECT_FALSE(c.Add(udp.data(), udp.size()));
}

}  // namespace
}  // namespace coral::wireguard
