// The WireGuard protocol engine of one interface, without any I/O of its own:
// it turns plaintext IP packets into transport datagrams (cryptokey routing by
// destination), turns datagrams into plaintext packets or handshake replies, and
// runs every peer's timers when ticked. A Transport does the sending, so two
// Devices can talk to each other in-process in tests, and NetDevice wires one to
// a TUN device and UDP sockets.
//
// Bad input (malformed, truncated, replayed, wrong-key, unknown-index, spoofed
// inner source) is dropped and counted in DeviceCounters; only authenticated
// messages change state.
//
// Thread-safety: every public method is safe from any thread. Lock order:
// config_mu_ (shared on the data path, exclusive for configuration), then a
// peer's mu, then the index table's and a keypair's own locks.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>

#include "base/clock.h"
#include "base/status.h"
#include "wireguard/allowed_ips.h"
#include "wireguard/config.h"
#include "wireguard/cookie.h"
#include "wireguard/index_table.h"
#include "wireguard/noise.h"
#include "wireguard/peer.h"
#include "wireguard/timers.h"

namespace coral::wireguard {

// Where a Device sends datagrams; owns the UDP socket(s) in a real device.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void SendDatagram(const Endpoint& to, const uint8_t* data, size_t len) = 0;
  // (Re)binds the UDP port; 0 picks one. Returns the bound port.
  virtual Result<uint16_t> Bind(uint16_t port) = 0;
  virtual Status SetFwmark(uint32_t mark) = 0;
};

struct DeviceCounters {
  std::atomic<uint64_t> dropped_malformed{0};  // not a WireGuard message, bad inner IP packet
  std::atomic<uint64_t> dropped_mac{0};        // bad MAC1
  std::atomic<uint64_t> dropped_handshake{0};  // undecryptable, unknown peer, stale, flood
  std::atomic<uint64_t> dropped_unknown_index{0};
  std::atomic<uint64_t> dropped_decrypt{0};  // transport authentication failed
  std::atomic<uint64_t> dropped_replay{0};
  std::atomic<uint64_t> dropped_expired{0};   // keypair too old or worn out
  std::atomic<uint64_t> dropped_source{0};    // inner source not allowed for the peer
  std::atomic<uint64_t> dropped_no_route{0};  // outbound destination has no peer
  std::atomic<uint64_t> cookie_replies_sent{0};
  std::atomic<uint64_t> cookie_replies_received{0};
  std::atomic<uint64_t> handshakes_initiated{0};
  std::atomic<uint64_t> handshakes_completed{0};
  std::atomic<uint64_t> keepalives_sent{0};
  uint64_t TotalDropped() const;
};

// Room a caller leaves around an IP packet so it encrypts in place: the
// transport header in front, padding and the tag behind.
inline constexpr size_t kPacketHeadroom = kTransportHeaderSize;
inline constexpr size_t kPacketTailroom = 16 + kTagLen;

class Device {
 public:
  enum class Outbound { kSend, kStaged, kDropped };
  enum class Inbound { kDeliver, kConsumed, kDropped };
  enum class Load { kNormal, kUnderLoad, kAuto };

  Device(const Clock& clock, Transport& transport, TimerConfig timers = TimerConfig());
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Applies a UAPI set (listen port first, so a port in use fails before any
  // other change).
  Status Apply(const ConfigUpdate& update);
  DeviceSnapshot Snapshot() const;
  Key public_key() const;

  // Encrypts the IP packet at buf[kPacketHeadroom, +len) in place. buf has room
  // for kPacketTailroom more bytes. On kSend, buf[0, *out_len) is the datagram
  // for *to.
  Outbound Encrypt(uint8_t* buf, size_t len, Endpoint* to, size_t* out_len);
  // Handles one datagram from `from`, in place. On kDeliver the plaintext IP
  // packet is buf[kTransportHeaderSize, +*plain_len).
  Inbound Receive(uint8_t* buf, size_t len, const Endpoint& from, size_t* plain_len);
  // Runs due timers of every peer.
  void Tick();
  // Our source address for `remote` stopped working (the host's address
  // changed): replies to it leave from whatever address routing picks until
  // the peer is heard from again.
  void ForgetSource(const Endpoint& remote);

  void set_mtu(size_t mtu) { mtu_ = mtu; }
  // Forces MAC2 checking on or off (kAuto: on when handshakes flood in).
  void set_load(Load load) { load_ = load; }
  const DeviceCounters& counters() const { return counters_; }
  const TimerConfig& timer_config() const { return timer_config_; }
  size_t peer_count() const;

 private:
  bool UnderLoad(MonoTime now);
  std::shared_ptr<Keypair> SendableKeypair(Peer& peer, MonoTime now);
  void InitiateLocked(Peer& peer, MonoTime now, bool retry);
  void SendKeepaliveLocked(Peer& peer, MonoTime now);
  void SendStagedLocked(Peer& peer, MonoTime now);
  bool EncryptWith(Keypair& kp, Peer& peer, uint8_t* buf, size_t len, size_t* out_len);
  void InstallKeypairLocked(Peer& peer, std::shared_ptr<Keypair> kp);
  void DropKeypair(std::shared_ptr<Keypair>& kp);
  void ZeroKeysLocked(Peer& peer);
  void RemovePeerLocked(std::map<Key, std::unique_ptr<Peer>>::iterator it);
  std::shared_ptr<Keypair> MakeKeypair(const SessionKeys& keys, MonoTime now);
  Inbound ReceiveTransport(uint8_t* buf, size_t len, const Endpoint& from, size_t* plain_len);
  // Whether a handshake message may go on: we have a key, MAC1 (and MAC2
  // under load) hold; a missing MAC2 gets a cookie reply. Returns the outcome when the message
  // stops here, nothing when it may go on. The caller holds config_mu_.
  std::optional<Inbound> CheckHandshakeMacs(uint8_t* buf, size_t len, uint32_t sender,
                                            const Endpoint& from, bool under_load);
  Inbound ReceiveInitiation(uint8_t* buf, size_t len, const Endpoint& from);
  Inbound ReceiveResponse(uint8_t* buf, size_t len, const Endpoint& from);
  Inbound ReceiveCookieReply(uint8_t* buf, size_t len);

  const Clock& clock_;
  Transport& transport_;
  const TimerConfig timer_config_;
  std::atomic<size_t> mtu_{1420};
  std::atomic<Load> load_{Load::kAuto};
  DeviceCounters counters_;
  IndexTable indices_;
  CookieChecker cookie_checker_;

  mutable std::shared_mutex
      config_mu_;  // guards identity_, peers_, allowed_ips_, listen_port_, fwmark_
  StaticIdentity identity_;
  std::map<Key, std::unique_ptr<Peer>> peers_;
  AllowedIps allowed_ips_;
  uint16_t listen_port_ = 0;
  uint32_t fwmark_ = 0;

  std::mutex load_mu_;  // guards load_window_start_ and load_count_
  MonoTime load_window_start_{};
  uint32_t load_count_ = 0;
};

}  // namespace coral::wireguard
