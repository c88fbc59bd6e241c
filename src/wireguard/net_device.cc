#include "wireguard/net_device.h"

#include <netinet/udp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "wireguard/tun_offload.h"

namespace coral::wireguard {
namespace {

constexpr int kBatch = 64;
// Kernel limits for one UDP GSO send (UDP_MAX_SEGMENTS, and the UDP length).
constexpr int kMaxGsoSegments = 64;
constexpr size_t kMaxGsoBytes = 65000;
// A UDP GRO read holds at most this many datagrams.
constexpr size_t kMaxGroSegments = 64;
// Room for a whole TCP super-packet split at the smallest usual MSS.
constexpr int kTunSlots = 128;
static_assert(kVirtioNetHdrLen <= kTransportHeaderSize, "the virtio header fits the headroom");
// Big enough for any IP packet the TUN can hand us whatever its MTU.
constexpr size_t kBufferSize = kPacketHeadroom + 65535 + kPacketTailroom;

// Sends one batch of messages on one socket, retrying the part sendmmsg did
// not take; a full socket buffer drops the rest (UDP semantics). A refused
// message is handed to `strip_source`, which (when it carried our source
// address, which may have gone away) resends it from any address.
// Returns false when the kernel refused a UDP GSO message (EIO).
template <typename StripSource>
bool SendBatch(int fd, mmsghdr* msgs, int n, StripSource&& strip_source) {
  int sent = 0;
  int spins = 0;
  bool gso_ok = true;
  while (sent < n) {
    int r = sendmmsg(fd, msgs + sent, static_cast<unsigned>(n - sent), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == ENOBUFS) && ++spins < 64) {
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, 10);
        continue;
      }
      // Any other refusal of a message with a source address (EINVAL, or
      // ENETUNREACH once the address is gone): try it from any address.
      if (strip_source(sent)) continue;
      if (errno == EIO && msgs[sent].msg_hdr.msg_controllen > 0) gso_ok = false;
      ++sent;  // skip the message the kernel refused (e.g. unreachable)
      continue;
    }
    sent += r;
  }
  return gso_ok;
}

}  // namespace

TunOffload DefaultTunOffload() {
  const char* v = std::getenv("CORAL_WG_TUN_OFFLOAD");
  return v && std::string_view(v) == "0" ? TunOffload::kNone : TunOffload::kTso;
}

Result<std::unique_ptr<NetDevice>> NetDevice::Start(const NetDeviceOptions& options) {
  Tun tun = CORAL_TRY(Tun::Create(options.interface_name, options.mtu, options.tun_offload));
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return ErrnoError("eventfd", errno);
  auto nd = std::unique_ptr<NetDevice>(new NetDevice(std::move(tun), wake));
  nd->device_ = std::make_unique<Device>(SystemClock::Get(), nd->udp_, options.timers);
  nd->device_->set_mtu(static_cast<size_t>(options.mtu));
  nd->encrypt_pool_ = std::make_unique<BatchPool>(options.crypto_workers);
  nd->decrypt_pool_ = std::make_unique<BatchPool>(options.crypto_workers);
  // Listen on a random port until wg sets one, as wireguard-go does.
  ConfigUpdate initial;
  initial.listen_port = 0;
  CORAL_TRY(nd->device_->Apply(initial));
  nd->uapi_ =
      CORAL_TRY(UapiServer::Start(options.uapi_dir / (nd->tun_.name() + ".sock"), *nd->device_));
  nd->tun_thread_ = std::thread([p = nd.get()] { p->TunLoop(); });
  nd->udp_thread_ = std::thread([p = nd.get()] { p->UdpLoop(); });
  nd->timer_thread_ = std::thread([p = nd.get()] { p->TimerLoop(); });
  CORAL_LOG_INFO("wireguard: interface {} up (mtu {}, {} crypto workers per direction), UAPI at {}",
                 nd->tun_.name(), options.mtu, options.crypto_workers, nd->uapi_->path().string());
  return nd;
}

NetDevice::~NetDevice() {
  Stop();
  close(wake_fd_);
}

void NetDevice::Stop() {
  if (stop_.exchange(true)) return;
  uint64_t one = 1;
  (void)write(wake_fd_, &one, sizeof(one));
  if (uapi_) uapi_->Stop();
  for (std::thread* t : {&tun_thread_, &udp_thread_, &timer_thread_}) {
    if (t->joinable()) t->join();
  }
  udp_.Shutdown();
  const DeviceCounters& c = device_->counters();
  CORAL_LOG_INFO(
      "wireguard: {} stopped; handshakes {} initiated, {} completed; dropped: {} malformed, {} bad "
      "mac, {} bad handshake, {} unknown index, {} undecryptable, {} replayed, {} expired, {} "
      "spoofed source, {} no route; cookie replies {} sent, {} received",
      tun_.name(), c.handshakes_initiated.load(), c.handshakes_completed.load(),
      c.dropped_malformed.load(), c.dropped_mac.load(), c.dropped_handshake.load(),
      c.dropped_unknown_index.load(), c.dropped_decrypt.load(), c.dropped_replay.load(),
      c.dropped_expired.load(), c.dropped_source.load(), c.dropped_no_route.load(),
      c.cookie_replies_sent.load(), c.cookie_replies_received.load());
}

void NetDevice::TunLoop() {
  const bool vnet = tun_.vnet_hdr();
  const size_t capacity = kBufferSize - kPacketHeadroom - kPacketTailroom;
  std::vector<std::vector<uint8_t>> bufs(kTunSlots, std::vector<uint8_t>(kBufferSize));
  std::vector<uint8_t> scratch(vnet ? kVirtioNetHdrLen + 65535 : 0);
  std::vector<uint8_t*> outs(kTunSlots);
  std::vector<size_t> lens(kTunSlots), out_lens(kTunSlots);
  std::vector<Device::Outbound> results(kTunSlots);
  std::vector<Endpoint> to(kTunSlots);
  std::vector<iovec> iov(kTunSlots);
  std::vector<mmsghdr> v4(kTunSlots), v6(kTunSlots);
  std::vector<CmsgBuffer> ctrl4(kTunSlots), ctrl6(kTunSlots);
  std::vector<const Endpoint*> ep4(kTunSlots), ep6(kTunSlots);
  size_t pending = 0;  // a read in scratch that did not fit the last batch
  while (!stop_) {
    if (pending == 0) {
      pollfd fds[2] = {{tun_.fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (poll(fds, 2, 1000) <= 0) continue;
      if (fds[1].revents) break;
    }
    int count = 0;
    while (count < kTunSlots) {
      if (!vnet) {
        ssize_t n = read(tun_.fd(), bufs[count].data() + kPacketHeadroom, capacity);
        if (n <= 0) break;
        lens[count++] = static_cast<size_t>(n);
        continue;
      }
      if (pending == 0) {
        ssize_t n = read(tun_.fd(), scratch.data(), scratch.size());
        if (n <= 0) break;
        if (static_cast<size_t>(n) <= kVirtioNetHdrLen) continue;
        pending = static_cast<size_t>(n);
      }
      // One read may be a TCP super-packet: split it into wire-sized packets.
      VirtioNetHdr hdr = ParseVirtioNetHdr(scratch.data());
      const uint8_t* pkt = scratch.data() + kVirtioNetHdrLen;
      size_t len = pending - kVirtioNetHdrLen;
      size_t need = SegmentCount(pkt, len, hdr);
      if (need > static_cast<size_t>(kTunSlots - count) && count > 0) break;  // next batch
      for (size_t i = 0; i < need && count + i < kTunSlots; ++i) {
        outs[i] = bufs[count + i].data() + kPacketHeadroom;
      }
      size_t got = need == 0 ? 0
                             : Segment(pkt, len, hdr, outs.data(), kTunSlots - count, capacity,
                                       &lens[count]);
      pending = 0;
      count += static_cast<int>(got);
    }
    encrypt_pool_->ParallelFor(count, [&](int i) {
      results[i] = device_->Encrypt(bufs[i].data(), lens[i], &to[i], &out_lens[i]);
    });
    // Hand datagrams to the kernel in the order the TUN gave us the packets.
    // A run of equal-sized datagrams to one endpoint (the segments of one TCP
    // super-packet) goes as one UDP GSO message: the kernel splits it late.
    int n4 = 0, n6 = 0, niov = 0;
    mmsghdr* run = nullptr;
    const Endpoint* run_to = nullptr;
    size_t run_seg = 0, run_bytes = 0;
    int run_count = 0;
    bool run_closed = false;
    const bool gso = udp_gso_.load(std::memory_order_relaxed);
    for (int i = 0; i < count; ++i) {
      if (results[i] != Device::Outbound::kSend) continue;
      size_t len = out_lens[i];
      iov[niov] = {bufs[i].data(), len};
      if (gso && run != nullptr && !run_closed && *run_to == to[i] && len <= run_seg &&
          run_count < kMaxGsoSegments && run_bytes + len <= kMaxGsoBytes) {
        ++run->msg_hdr.msg_iovlen;
        ++run_count;
        run_bytes += len;
        run_closed = len < run_seg;  // only the last datagram may be shorter
        ++niov;
        continue;
      }
      bool six = to[i].addr.ss_family == AF_INET6;
      (six ? ep6[n6] : ep4[n4]) = &to[i];
      mmsghdr& m = six ? v6[n6++] : v4[n4++];
      m = mmsghdr{};
      m.msg_hdr.msg_name = &to[i].addr;
      m.msg_hdr.msg_namelen = to[i].len;
      m.msg_hdr.msg_iov = &iov[niov];
      m.msg_hdr.msg_iovlen = 1;
      run = &m;
      run_to = &to[i];
      run_seg = len;
      run_bytes = len;
      run_count = 1;
      run_closed = false;
      ++niov;
    }
    if (n4 == 0 && n6 == 0) continue;
    auto control = [&](mmsghdr& m, CmsgBuffer& ctrl, const Endpoint& ep) {
      uint16_t gso_size =
          m.msg_hdr.msg_iovlen > 1 ? static_cast<uint16_t>(m.msg_hdr.msg_iov[0].iov_len) : 0;
      SetSendControl(m.msg_hdr, ctrl, ep, gso_size);
    };
    for (int i = 0; i < n4; ++i) control(v4[i], ctrl4[i], *ep4[i]);
    for (int i = 0; i < n6; ++i) control(v6[i], ctrl6[i], *ep6[i]);
    // Our source address went away (the host's address changed): forget it
    // for that peer and resend from whatever address routing picks.
    auto stripper = [&](mmsghdr* msgs, std::vector<CmsgBuffer>& ctrls,
                        std::vector<const Endpoint*>& eps) {
      return [&, msgs](int i) {
        if (!eps[i]->has_source) return false;
        device_->ForgetSource(*eps[i]);
        Endpoint plain = *eps[i];
        plain.has_source = false;
        control(msgs[i], ctrls[i], plain);
        return true;
      };
    };
    SocketPair socks = udp_.sockets();
    bool gso_failed = false;
    if (n4 && socks.v4) {
      gso_failed |= !SendBatch(socks.v4->fd(), v4.data(), n4, stripper(v4.data(), ctrl4, ep4));
    }
    if (n6 && socks.v6) {
      gso_failed |= !SendBatch(socks.v6->fd(), v6.data(), n6, stripper(v6.data(), ctrl6, ep6));
    }
    if (gso_failed && udp_gso_.exchange(false)) {
      CORAL_LOG_WARN("wireguard: UDP GSO refused by the kernel on {}; sending datagrams one by one",
                     tun_.name());
    }
  }
}

void NetDevice::UdpLoop() {
  const bool vnet = tun_.vnet_hdr();
  TcpCoalescer coalescer;
  std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(kBufferSize));
  std::vector<iovec> iov(kBatch);
  std::vector<sockaddr_storage> from(kBatch);
  std::vector<Endpoint> eps(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<CmsgBuffer> ctrl(kBatch);
  // One datagram each: a GRO read is split back into its datagrams here.
  struct Item {
    uint8_t* data;
    size_t len;
    int msg;
  };
  std::vector<Item> items(kBatch * kMaxGroSegments);
  std::vector<size_t> plains(items.size());
  std::vector<Device::Inbound> results(items.size());
  SocketPair socks = udp_.sockets();
  while (!stop_) {
    SocketPair now = udp_.sockets();
    if (now.generation != socks.generation) socks = now;
    pollfd fds[3] = {{wake_fd_, POLLIN, 0},
                     {socks.v4 ? socks.v4->fd() : -1, POLLIN, 0},
                     {socks.v6 ? socks.v6->fd() : -1, POLLIN, 0}};
    // A bounded wait, so a rebind (new sockets) is picked up promptly.
    if (poll(fds, 3, 200) <= 0) continue;
    if (fds[0].revents) break;
    for (int s = 1; s <= 2; ++s) {
      if (!(fds[s].revents & POLLIN)) continue;
      for (int i = 0; i < kBatch; ++i) {
        iov[i] = {bufs[i].data(), kBufferSize};
        msgs[i] = mmsghdr{};
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = ctrl[i].data();
        msgs[i].msg_hdr.msg_controllen = ctrl[i].size();
      }
      int n = recvmmsg(fds[s].fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      int count = 0;
      for (int i = 0; i < n; ++i) {
        eps[i] = Endpoint::FromSockaddr(reinterpret_cast<sockaddr*>(&from[i]),
                                        msgs[i].msg_hdr.msg_namelen);
        size_t len = msgs[i].msg_len;
        size_t seg = ReadReceiveControl(msgs[i].msg_hdr, eps[i]);
        if (seg == 0 || seg >= len) seg = len;
        for (size_t off = 0; off < len && count < static_cast<int>(items.size()); off += seg) {
          items[count++] = {bufs[i].data() + off, std::min(seg, len - off), i};
        }
      }
      decrypt_pool_->ParallelFor(count, [&](int j) {
        results[j] = device_->Receive(items[j].data, items[j].len, eps[items[j].msg], &plains[j]);
      });
      // Deliver in arrival order.
      for (int j = 0; j < count; ++j) {
        if (results[j] != Device::Inbound::kDeliver) continue;
        uint8_t* plain = items[j].data + kTransportHeaderSize;
        size_t plain_len = plains[j];
        if (!vnet) {
          (void)write(tun_.fd(), plain, plain_len);
          continue;
        }
        // Runs of one TCP flow go to the kernel as one super-packet (GRO).
        if (coalescer.Add(plain, plain_len)) continue;
        if (!coalescer.empty()) {
          auto [run, run_len] = coalescer.Finish();
          (void)write(tun_.fd(), run, run_len);
          if (coalescer.Add(plain, plain_len)) continue;
        }
        // A zeroed virtio_net_hdr (no offload) in this datagram's own header room.
        plain -= kVirtioNetHdrLen;
        std::memset(plain, 0, kVirtioNetHdrLen);
        (void)write(tun_.fd(), plain, plain_len + kVirtioNetHdrLen);
      }
      if (!coalescer.empty()) {
        auto [run, run_len] = coalescer.Finish();
        (void)write(tun_.fd(), run, run_len);
      }
    }
  }
}

void NetDevice::TimerLoop() {
  // Timer resolution: a fiftieth of REKEY_TIMEOUT (100 ms at scale 1).
  auto step = std::chrono::duration_cast<std::chrono::milliseconds>(
      device_->timer_config().rekey_timeout / 50);
  int step_ms = std::max<int>(5, static_cast<int>(step.count()));
  while (!stop_) {
    pollfd p{wake_fd_, POLLIN, 0};
    if (poll(&p, 1, step_ms) > 0) break;
    device_->Tick();
  }
}

}  // namespace coral::wireguard
