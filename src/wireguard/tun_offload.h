// TCP segmentation offload for a TUN device opened with IFF_VNET_HDR and
// TSO4/TSO6/CSUM offloads: the kernel then hands over TCP "super-packets" of up
// to 64 KiB with a virtio_net_hdr in front, and packets whose checksum is only
// partially computed. This file turns such a read into wire-ready IP packets:
// it completes partial checksums and splits TCP super-packets into segments of
// gso_size bytes, fixing lengths, IPv4 ids, sequence numbers, flags and
// checksums, as a NIC would. Reading one super-packet instead of ~45 packets is
// where much of a userspace WireGuard's per-packet cost goes away.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace coral::wireguard {

inline constexpr size_t kVirtioNetHdrLen = 10;

struct VirtioNetHdr {
  uint8_t flags = 0;     // VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
  uint8_t gso_type = 0;  // NONE 0, TCPV4 1, TCPV6 4, | ECN 0x80
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
};

VirtioNetHdr ParseVirtioNetHdr(const uint8_t* p);

// Ones'-complement sum of data (big-endian 16-bit words), added to `sum`.
uint32_t ChecksumAdd(const uint8_t* data, size_t len, uint32_t sum);
uint16_t ChecksumFold(uint32_t sum);

// How many packets Segment will produce for this read; 0 when malformed.
size_t SegmentCount(const uint8_t* pkt, size_t len, const VirtioNetHdr& hdr);

// Writes the wire-ready packets of `pkt` (as read after the virtio header) to
// outs[0..], each of `out_capacity` bytes, and their lengths to out_lens.
// Returns the number written, 0 when the packet is malformed or does not fit.
size_t Segment(const uint8_t* pkt, size_t len, const VirtioNetHdr& hdr, uint8_t* const* outs,
               size_t max_outs, size_t out_capacity, size_t* out_lens);

// The receive-side mirror of Segment (GRO): coalesces consecutive, in-order
// TCP segments of one flow into one super-packet with a virtio_net_hdr
// (gso_size = the segments' size, checksum left partial), so the kernel takes
// a whole run of decrypted packets in one TUN write and one pass of its TCP
// stack. Anything that does not continue the pending run is refused; the
// caller then finishes the run and writes that packet on its own.
class TcpCoalescer {
 public:
  static constexpr size_t kMaxSegments = 64;

  TcpCoalescer();
  // Appends `pkt` to the pending run (or starts one); false when it cannot.
  [[nodiscard]] bool Add(const uint8_t* pkt, size_t len);
  bool empty() const { return count_ == 0; }
  // The pending run as virtio_net_hdr + IP packet, ready for a TUN write. A
  // run of one is passed through unchanged with a plain header. Resets.
  std::pair<const uint8_t*, size_t> Finish();

 private:
  std::vector<uint8_t> buf_;  // virtio_net_hdr, then the packet being built
  size_t len_ = 0;            // IP packet bytes in buf_
  size_t ip_len_ = 0;
  size_t headers_ = 0;  // IP + TCP header bytes
  size_t mss_ = 0;
  uint32_t next_seq_ = 0;
  size_t count_ = 0;
  bool closed_ = false;  // PSH or a short segment ends a run
};

}  // namespace coral::wireguard
