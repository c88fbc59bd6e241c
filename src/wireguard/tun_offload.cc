#include "wireguard/tun_offload.h"

#include <cstring>

namespace coral::wireguard {
namespace {

constexpr uint8_t kNeedsCsum = 1;
constexpr uint8_t kGsoNone = 0;
constexpr uint8_t kGsoTcpV4 = 1;
constexpr uint8_t kGsoTcpV6 = 4;
constexpr uint8_t kGsoEcn = 0x80;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpCwr = 0x80;

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
uint32_t Load32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// Where the TCP header starts, or 0 when this is not a TCP packet we can split.
size_t TcpOffset(const uint8_t* pkt, size_t len) {
  if (len < 20) return 0;
  int version = pkt[0] >> 4;
  if (version == 4) {
    size_t ihl = (pkt[0] & 0x0f) * 4u;
    if (ihl < 20 || len < ihl + 20 || pkt[9] != kProtoTcp) return 0;
    return ihl;
  }
  if (version == 6) {
    // Extension headers are not produced by the kernel's TSO for TCP.
    if (len < 60 || pkt[6] != kProtoTcp) return 0;
    return 40;
  }
  return 0;
}

// Pseudo-header sum for a TCP segment of `tcp_len` bytes.
uint32_t PseudoHeaderSum(const uint8_t* ip, size_t tcp_len) {
  uint32_t sum = 0;
  if ((ip[0] >> 4) == 4) {
    sum = ChecksumAdd(ip + 12, 8, 0);
  } else {
    sum = ChecksumAdd(ip + 8, 32, 0);
  }
  return sum + kProtoTcp + static_cast<uint32_t>(tcp_len);
}

}  // namespace

VirtioNetHdr ParseVirtioNetHdr(const uint8_t* p) {
  VirtioNetHdr h;
  h.flags = p[0];
  h.gso_type = p[1];
  // virtio fields are in the host's (little-endian) order for a legacy TUN.
  std::memcpy(&h.hdr_len, p + 2, 2);
  std::memcpy(&h.gso_size, p + 4, 2);
  std::memcpy(&h.csum_start, p + 6, 2);
  std::memcpy(&h.csum_offset, p + 8, 2);
  return h;
}

uint32_t ChecksumAdd(const uint8_t* data, size_t len, uint32_t sum) {
  uint64_t acc = sum;
  size_t i = 0;
  for (; i + 1 < len; i += 2) acc += static_cast<uint64_t>(data[i]) << 8 | data[i + 1];
  if (i < len) acc += static_cast<uint64_t>(data[i]) << 8;
  while (acc >> 32) acc = (acc & 0xffffffff) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

uint16_t ChecksumFold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

size_t SegmentCount(const uint8_t* pkt, size_t len, const VirtioNetHdr& hdr) {
  uint8_t type = hdr.gso_type & static_cast<uint8_t>(~kGsoEcn);
  if (type == kGsoNone) return len > 0 ? 1 : 0;
  if ((type != kGsoTcpV4 && type != kGsoTcpV6) || hdr.gso_size == 0) return 0;
  size_t tcp = TcpOffset(pkt, len);
  if (tcp == 0) return 0;
  size_t headers = tcp + (pkt[tcp + 12] >> 4) * 4u;
  if (headers < tcp + 20 || headers > len) return 0;
  size_t payload = len - headers;
  return payload == 0 ? 1 : (payload + hdr.gso_size - 1) / hdr.gso_size;
}

size_t Segment(const uint8_t* pkt, size_t len, const VirtioNetHdr& hdr, uint8_t* const* outs,
               size_t max_outs, size_t out_capacity, size_t* out_lens) {
  size_t count = SegmentCount(pkt, len, hdr);
  if (count == 0 || count > max_outs) return 0;
  uint8_t type = hdr.gso_type & static_cast<uint8_t>(~kGsoEcn);
  if (type == kGsoNone) {
    if (len > out_capacity) return 0;
    std::memcpy(outs[0], pkt, len);
    if (hdr.flags & kNeedsCsum) {
      // The field holds the pseudo-header sum; summing from csum_start over
      // the rest (field included) and complementing completes it.
      size_t start = hdr.csum_start;
      size_t field = start + hdr.csum_offset;
      if (field + 2 > len) return 0;
      uint16_t sum = ChecksumFold(ChecksumAdd(outs[0] + start, len - start, 0));
      Store16(outs[0] + field, static_cast<uint16_t>(~sum));
    }
    out_lens[0] = len;
    return 1;
  }
  bool v4 = (pkt[0] >> 4) == 4;
  size_t tcp = TcpOffset(pkt, len);
  size_t headers = tcp + (pkt[tcp + 12] >> 4) * 4u;
  size_t payload = len - headers;
  size_t mss = hdr.gso_size;
  uint32_t seq = Load32(pkt + tcp + 4);
  uint16_t id = v4 ? Load16(pkt + 4) : 0;
  uint8_t flags = pkt[tcp + 13];
  for (size_t k = 0; k < count; ++k) {
    size_t off = k * mss;
    size_t n = payload - off < mss ? payload - off : mss;
    size_t total = headers + n;
    if (total > out_capacity) return 0;
    uint8_t* o = outs[k];
    std::memcpy(o, pkt, headers);
    std::memcpy(o + headers, pkt + headers + off, n);
    if (v4) {
      Store16(o + 2, static_cast<uint16_t>(total));
      Store16(o + 4, static_cast<uint16_t>(id + k));
      Store16(o + 10, 0);
      Store16(o + 10, static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(o, tcp, 0))));
    } else {
      Store16(o + 4, static_cast<uint16_t>(total - 40));
    }
    uint8_t* t = o + tcp;
    Store32(t + 4, seq + static_cast<uint32_t>(off));
    uint8_t f = flags;
    if (k + 1 < count) f &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
    if (k > 0) f &= static_cast<uint8_t>(~kTcpCwr);
    t[13] = f;
    Store16(t + 16, 0);
    uint32_t sum = PseudoHeaderSum(o, total - tcp);
    sum = ChecksumAdd(t, total - tcp, sum);
    Store16(t + 16, static_cast<uint16_t>(~ChecksumFold(sum)));
    out_lens[k] = total;
  }
  return count;
}

namespace {

constexpr uint8_t kTcpAck = 0x10;

// Header bytes of a TCP segment that can be coalesced (0 when it cannot be):
// IPv4 without options or fragmentation, or IPv6 without extension headers,
// carrying TCP with only ACK (and possibly PSH) set and some payload.
size_t CoalescableHeaders(const uint8_t* pkt, size_t len, size_t* ip_len) {
  size_t tcp = TcpOffset(pkt, len);
  if (tcp == 0) return 0;
  if ((pkt[0] >> 4) == 4) {
    if (tcp != 20 || (Load16(pkt + 6) & 0x3fff) != 0) return 0;  // options, MF, offset
    if (Load16(pkt + 2) != len) return 0;
  } else if (static_cast<size_t>(Load16(pkt + 4)) + 40 != len) {
    return 0;
  }
  size_t headers = tcp + (pkt[tcp + 12] >> 4) * 4u;
  if (headers < tcp + 20 || headers >= len) return 0;
  uint8_t flags = pkt[tcp + 13];
  if ((flags & static_cast<uint8_t>(~kTcpPsh)) != kTcpAck) return 0;
  *ip_len = tcp;
  return headers;
}

}  // namespace

TcpCoalescer::TcpCoalescer() : buf_(kVirtioNetHdrLen + 65535) {}

bool TcpCoalescer::Add(const uint8_t* pkt, size_t len) {
  size_t ip_len = 0;
  size_t headers = CoalescableHeaders(pkt, len, &ip_len);
  if (headers == 0) return false;
  size_t payload = len - headers;
  uint8_t* cur = buf_.data() + kVirtioNetHdrLen;
  if (count_ == 0) {
    if (len > buf_.size() - kVirtioNetHdrLen) return false;
    std::memcpy(cur, pkt, len);
    len_ = len;
    ip_len_ = ip_len;
    headers_ = headers;
    mss_ = payload;
    next_seq_ = Load32(pkt + ip_len + 4) + static_cast<uint32_t>(payload);
    count_ = 1;
    closed_ = (pkt[ip_len + 13] & kTcpPsh) != 0;
    return true;
  }
  if (closed_ || count_ >= kMaxSegments || headers != headers_ || ip_len != ip_len_ ||
      payload > mss_ || len_ + payload > 65535 || len_ + payload > buf_.size() - kVirtioNetHdrLen) {
    return false;
  }
  const uint8_t* t = pkt + ip_len;
  const uint8_t* ct = cur + ip_len;
  if (ip_len == 20) {
    // Version/IHL, TOS, flags, TTL, protocol and both addresses must match.
    if (pkt[0] != cur[0] || pkt[1] != cur[1] || pkt[6] != cur[6] || pkt[8] != cur[8] ||
        std::memcmp(pkt + 12, cur + 12, 8) != 0) {
      return false;
    }
  } else if (std::memcmp(pkt, cur, 4) != 0 || std::memcmp(pkt + 6, cur + 6, 34) != 0) {
    return false;  // traffic class, flow label, hop limit, addresses
  }
  // Same ports, contiguous sequence, same ack, window and options.
  if (std::memcmp(t, ct, 4) != 0 || Load32(t + 4) != next_seq_ ||
      std::memcmp(t + 8, ct + 8, 4) != 0 || std::memcmp(t + 14, ct + 14, 2) != 0 ||
      std::memcmp(t + 20, ct + 20, headers - ip_len - 20) != 0) {
    return false;
  }
  std::memcpy(cur + len_, pkt + headers, payload);
  len_ += payload;
  next_seq_ += static_cast<uint32_t>(payload);
  ++count_;
  if (t[13] & kTcpPsh) {
    cur[ip_len + 13] |= kTcpPsh;
    closed_ = true;
  }
  if (payload < mss_) closed_ = true;
  return true;
}

std::pair<const uint8_t*, size_t> TcpCoalescer::Finish() {
  uint8_t* hdr = buf_.data();
  uint8_t* cur = hdr + kVirtioNetHdrLen;
  std::memset(hdr, 0, kVirtioNetHdrLen);
  if (count_ > 1) {
    bool v4 = ip_len_ == 20;
    if (v4) {
      Store16(cur + 2, static_cast<uint16_t>(len_));
      Store16(cur + 10, 0);
      Store16(cur + 10, static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(cur, 20, 0))));
    } else {
      Store16(cur + 4, static_cast<uint16_t>(len_ - 40));
    }
    // Partial checksum: the pseudo-header sum, completed (or trusted) by the
    // kernel as for any CHECKSUM_PARTIAL packet. The segments' own checksums
    // came through the AEAD, which already authenticated every byte.
    Store16(cur + ip_len_ + 16, ChecksumFold(PseudoHeaderSum(cur, len_ - ip_len_)));
    VirtioNetHdr h;
    h.flags = kNeedsCsum;
    h.gso_type = v4 ? kGsoTcpV4 : kGsoTcpV6;
    h.hdr_len = static_cast<uint16_t>(headers_);
    h.gso_size = static_cast<uint16_t>(mss_);
    h.csum_start = static_cast<uint16_t>(ip_len_);
    h.csum_offset = 16;
    hdr[0] = h.flags;
    hdr[1] = h.gso_type;
    std::memcpy(hdr + 2, &h.hdr_len, 2);
    std::memcpy(hdr + 4, &h.gso_size, 2);
    std::memcpy(hdr + 6, &h.csum_start, 2);
    std::memcpy(hdr + 8, &h.csum_offset, 2);
  }
  size_t total = kVirtioNetHdrLen + len_;
  count_ = 0;
  len_ = 0;
  closed_ = false;
  return {hdr, total};
}

}  // namespace coral::wireguard
