#include "wireguard/device.h"

#include <cstring>
#include <mutex>

#include "base/ids.h"
#include "base/log.h"

namespace coral::wireguard {
namespace {

// Handshake messages per second above which MAC2 (a cookie round trip) is
// demanded, in Load::kAuto.
constexpr uint32_t kUnderLoadHandshakesPerSecond = 256;

inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

Duration Jitter(const TimerConfig& c) {
  // Up to a fifteenth of REKEY_TIMEOUT (333 ms at scale 1), so peers that
  // lost packets together do not retry together.
  uint32_t r = 0;
  FillRandom(reinterpret_cast<uint8_t*>(&r), sizeof(r));
  auto span = c.rekey_timeout.count() / 15;
  return span > 0 ? Duration(static_cast<Duration::rep>(r % static_cast<uint64_t>(span)))
                  : Duration(0);
}

}  // namespace

uint64_t DeviceCounters::TotalDropped() const {
  return dropped_malformed + dropped_mac + dropped_handshake + dropped_unknown_index +
         dropped_decrypt + dropped_replay + dropped_expired + dropped_source + dropped_no_route;
}

Device::Device(const Clock& clock, Transport& transport, TimerConfig timers)
    : clock_(clock), transport_(transport), timer_config_(timers), cookie_checker_(clock) {}

Device::~Device() {
  std::unique_lock lock(config_mu_);
  while (!peers_.empty()) RemovePeerLocked(peers_.begin());
}

size_t Device::peer_count() const {
  std::shared_lock lock(config_mu_);
  return peers_.size();
}

Key Device::public_key() const {
  std::shared_lock lock(config_mu_);
  return identity_.public_key;
}

bool Device::UnderLoad(MonoTime now) {
  Load load = load_.load();
  if (load != Load::kAuto) return load == Load::kUnderLoad;
  std::lock_guard lock(load_mu_);
  if (now - load_window_start_ >= std::chrono::seconds(1)) {
    load_window_start_ = now;
    load_count_ = 0;
  }
  return ++load_count_ > kUnderLoadHandshakesPerSecond;
}

// --- Configuration -------------------------------------------------------

Status Device::Apply(const ConfigUpdate& update) {
  std::unique_lock lock(config_mu_);
  if (update.listen_port) {
    auto port = transport_.Bind(*update.listen_port);
    if (!port.ok()) return port.status().WithContext("listen_port");
    listen_port_ = *port;
  }
  if (update.fwmark) {
    CORAL_TRY(transport_.SetFwmark(*update.fwmark).WithContext("fwmark"));
    fwmark_ = *update.fwmark;
  }
  if (update.private_key) {
    bool zero = *update.private_key == Key{};
    Key new_public{};
    if (!zero) X25519Base(new_public, *update.private_key);
    if (!(identity_.has_key == !zero && identity_.private_key == *update.private_key)) {
      identity_.private_key = *update.private_key;
      identity_.public_key = new_public;
      identity_.has_key = !zero;
      cookie_checker_.SetPublicKey(new_public);
      // Sessions were keyed with the old identity; they cannot continue.
      for (auto& [key, peer] : peers_) {
        std::lock_guard peer_lock(peer->mu);
        ZeroKeysLocked(*peer);
      }
      // A device does not peer with itself.
      if (!zero) {
        auto self = peers_.find(new_public);
        if (self != peers_.end()) RemovePeerLocked(self);
      }
    }
  }
  if (update.replace_peers) {
    while (!peers_.empty()) RemovePeerLocked(peers_.begin());
  }
  MonoTime now = clock_.Monotonic();
  for (const PeerUpdate& pu : update.peers) {
    auto it = peers_.find(pu.public_key);
    if (pu.remove) {
      if (it != peers_.end()) RemovePeerLocked(it);
      continue;
    }
    if (it == peers_.end()) {
      if (pu.update_only) continue;
      if (identity_.has_key && pu.public_key == identity_.public_key) continue;
      it = peers_.emplace(pu.public_key, std::make_unique<Peer>(pu.public_key, &timer_config_))
               .first;
    }
    Peer& peer = *it->second;
    std::lock_guard peer_lock(peer.mu);
    if (pu.preshared_key) peer.handshake.SetPresharedKey(*pu.preshared_key);
    if (pu.endpoint) peer.endpoint = *pu.endpoint;
    if (pu.replace_allowed_ips) allowed_ips_.RemoveByPeer(&peer);
    for (const IpPrefix& p : pu.allowed_ips) allowed_ips_.Insert(p, &peer);
    if (pu.persistent_keepalive) {
      bool turned_on = peer.persistent_keepalive == 0 && *pu.persistent_keepalive > 0;
      peer.persistent_keepalive = *pu.persistent_keepalive;
      // A newly kept-alive peer announces itself now, as NAT traversal needs.
      if (turned_on && identity_.has_key && !peer.endpoint.empty()) SendKeepaliveLocked(peer, now);
    }
  }
  return Status::Ok();
}

DeviceSnapshot Device::Snapshot() const {
  std::shared_lock lock(config_mu_);
  DeviceSnapshot s;
  if (identity_.has_key) s.private_key = identity_.private_key;
  s.listen_port = listen_port_;
  s.fwmark = fwmark_;
  s.peers.reserve(peers_.size());
  for (const auto& [key, peer] : peers_) {
    PeerSnapshot& p = s.peers.emplace_back();
    std::lock_guard peer_lock(peer->mu);
    p.public_key = key;
    p.preshared_key = peer->handshake.preshared_key();
    p.endpoint = peer->endpoint;
    p.last_handshake = peer->last_handshake;
    p.rx_bytes = peer->rx_bytes;
    p.tx_bytes = peer->tx_bytes;
    p.persistent_keepalive = peer->persistent_keepalive;
    p.allowed_ips = allowed_ips_.PrefixesOf(peer.get());
  }
  return s;
}

void Device::RemovePeerLocked(std::map<Key, std::unique_ptr<Peer>>::iterator it) {
  Peer& peer = *it->second;
  {
    std::lock_guard peer_lock(peer.mu);
    ZeroKeysLocked(peer);
    peer.timers.Reset();
  }
  allowed_ips_.RemoveByPeer(&peer);
  peers_.erase(it);
}

// --- Keypairs --------------------------------------------------------------

std::shared_ptr<Keypair> Device::MakeKeypair(const SessionKeys& keys, MonoTime now) {
  auto kp = std::make_shared<Keypair>();
  kp->send_key = keys.send;
  kp->receive_key = keys.receive;
  kp->local_index = keys.local_index;
  kp->remote_index = keys.remote_index;
  kp->initiator = keys.initiator;
  kp->birth = now;
  return kp;
}

void Device::DropKeypair(std::shared_ptr<Keypair>& kp) {
  if (!kp) return;
  indices_.Remove(kp->local_index);
  kp.reset();
}

void Device::InstallKeypairLocked(Peer& peer, std::shared_ptr<Keypair> kp) {
  if (kp->initiator) {
    if (peer.next) {
      // An unconfirmed next session loses to the one we just completed, but
      // the peer may still use it for a moment: keep it as previous.
      DropKeypair(peer.previous);
      peer.previous = std::move(peer.next);
      DropKeypair(peer.current);
    } else {
      DropKeypair(peer.previous);
      peer.previous = std::move(peer.current);
    }
    peer.current = std::move(kp);
  } else {
    // The responder may not send on a session before the initiator has used
    // it, which proves the initiator has the keys.
    DropKeypair(peer.next);
    peer.next = std::move(kp);
    DropKeypair(peer.previous);
  }
}

void Device::ZeroKeysLocked(Peer& peer) {
  DropKeypair(peer.previous);
  DropKeypair(peer.current);
  DropKeypair(peer.next);
  if (peer.handshake_index) indices_.Remove(peer.handshake_index);
  peer.handshake_index = 0;
  peer.handshake.Clear();
}

std::shared_ptr<Keypair> Device::SendableKeypair(Peer& peer, MonoTime now) {
  Keypair* kp = peer.current.get();
  if (kp == nullptr) return nullptr;
  if (now - kp->birth >= timer_config_.reject_after_time) return nullptr;
  if (kp->send_counter.load(std::memory_order_relaxed) >= timer_config_.reject_after_messages) {
    return nullptr;
  }
  return peer.current;
}

// --- Sending ---------------------------------------------------------------

void Device::InitiateLocked(Peer& peer, MonoTime now, bool retry) {
  if (!identity_.has_key || peer.endpoint.empty()) return;
  if (!retry) peer.timers.ResetHandshakeAttempts();
  if (peer.last_initiation_sent && now - *peer.last_initiation_sent < timer_config_.rekey_timeout) {
    return;
  }
  if (peer.handshake_index) indices_.Remove(peer.handshake_index);
  uint32_t index = indices_.Insert(&peer);
  InitiationMessage msg;
  if (!peer.handshake.CreateInitiation(identity_, clock_.Now(), index, msg)) {
    indices_.Remove(index);
    peer.handshake_index = 0;
    return;
  }
  peer.handshake_index = index;
  peer.cookie.AddMacs(reinterpret_cast<uint8_t*>(&msg), sizeof(msg), now);
  transport_.SendDatagram(peer.endpoint, reinterpret_cast<const uint8_t*>(&msg), sizeof(msg));
  peer.tx_bytes += sizeof(msg);
  peer.last_initiation_sent = now;
  peer.timers.OnInitiationSent(now, Jitter(timer_config_));
  peer.timers.OnAuthenticatedPacketSent();
  peer.timers.OnAuthenticatedPacketTraversal(now, peer.persistent_keepalive);
  ++counters_.handshakes_initiated;
}

bool Device::EncryptWith(Keypair& kp, Peer& peer, uint8_t* buf, size_t len, size_t* out_len) {
  uint64_t counter = kp.send_counter.fetch_add(1, std::memory_order_relaxed);
  if (counter >= timer_config_.reject_after_messages) return false;
  size_t mtu = mtu_.load(std::memory_order_relaxed);
  size_t padded = (len + 15) & ~size_t{15};
  if (padded > mtu && len <= mtu) padded = mtu;
  if (padded < len) padded = len;
  std::memset(buf + kTransportHeaderSize + len, 0, padded - len);
  TransportHeader header{static_cast<uint32_t>(MessageType::kTransport), kp.remote_index, counter};
  std::memcpy(buf, &header, sizeof(header));
  AeadEncrypt(buf + kTransportHeaderSize, Bytes(buf + kTransportHeaderSize, padded), counter,
              kp.send_key, Bytes());
  *out_len = kTransportHeaderSize + padded + kTagLen;
  peer.tx_bytes.fetch_add(*out_len, std::memory_order_relaxed);
  return true;
}

void Device::SendKeepaliveLocked(Peer& peer, MonoTime now) {
  if (!peer.staged.empty()) {
    SendStagedLocked(peer, now);
    return;
  }
  auto kp = SendableKeypair(peer, now);
  if (!kp || peer.endpoint.empty()) {
    InitiateLocked(peer, now, false);
    return;
  }
  uint8_t buf[kTransportHeaderSize + kTagLen + 16];
  size_t out_len = 0;
  if (!EncryptWith(*kp, peer, buf, 0, &out_len)) return;
  transport_.SendDatagram(peer.endpoint, buf, out_len);
  peer.timers.OnAuthenticatedPacketSent();
  peer.timers.OnAuthenticatedPacketTraversal(now, peer.persistent_keepalive);
  ++counters_.keepalives_sent;
}

void Device::SendStagedLocked(Peer& peer, MonoTime now) {
  auto kp = SendableKeypair(peer, now);
  if (!kp || peer.endpoint.empty()) {
    InitiateLocked(peer, now, false);
    return;
  }
  while (!peer.staged.empty()) {
    std::vector<uint8_t>& pkt = peer.staged.front();
    size_t len = pkt.size() - kPacketHeadroom - kPacketTailroom;
    size_t out_len = 0;
    if (!EncryptWith(*kp, peer, pkt.data(), len, &out_len)) break;
    transport_.SendDatagram(peer.endpoint, pkt.data(), out_len);
    peer.staged.pop_front();
    peer.timers.OnDataSent(now);
    peer.timers.OnAuthenticatedPacketSent();
    peer.timers.OnAuthenticatedPacketTraversal(now, peer.persistent_keepalive);
  }
}

Device::Outbound Device::Encrypt(uint8_t* buf, size_t len, Endpoint* to, size_t* out_len) {
  const uint8_t* ip = buf + kPacketHeadroom;
  Family family;
  const uint8_t* dst;
  if (len >= 20 && (ip[0] >> 4) == 4) {
    family = Family::kV4;
    dst = ip + 16;
  } else if (len >= 40 && (ip[0] >> 4) == 6) {
    family = Family::kV6;
    dst = ip + 24;
  } else {
    ++counters_.dropped_malformed;
    return Outbound::kDropped;
  }
  std::shared_lock lock(config_mu_);
  Peer* peer = allowed_ips_.Lookup(family, dst);
  if (peer == nullptr) {
    ++counters_.dropped_no_route;
    return Outbound::kDropped;
  }
  MonoTime now = clock_.Monotonic();
  std::shared_ptr<Keypair> kp;
  {
    std::lock_guard peer_lock(peer->mu);
    kp = SendableKeypair(*peer, now);
    if (!kp || peer->endpoint.empty() || !peer->staged.empty()) {
      if (peer->staged.size() >= Peer::kMaxStagedPackets) peer->staged.pop_front();
      std::vector<uint8_t> copy(kPacketHeadroom + len + kPacketTailroom);
      std::memcpy(copy.data() + kPacketHeadroom, ip, len);
      peer->staged.push_back(std::move(copy));
      SendStagedLocked(*peer, now);
      return Outbound::kStaged;
    }
    if (kp->initiator &&
        (now - kp->birth >= timer_config_.rekey_after_time ||
         kp->send_counter.load(std::memory_order_relaxed) >= timer_config_.rekey_after_messages)) {
      InitiateLocked(*peer, now, false);
    }
    *to = peer->endpoint;
    peer->timers.OnDataSent(now);
    peer->timers.OnAuthenticatedPacketSent();
    peer->timers.OnAuthenticatedPacketTraversal(now, peer->persistent_keepalive);
  }
  if (!EncryptWith(*kp, *peer, buf, len, out_len)) {
    ++counters_.dropped_expired;
    return Outbound::kDropped;
  }
  return Outbound::kSend;
}

// --- Receiving -------------------------------------------------------------

Device::Inbound Device::Receive(uint8_t* buf, size_t len, const Endpoint& from, size_t* plain_len) {
  switch (ClassifyMessage(buf, len)) {
    case 4:
      return ReceiveTransport(buf, len, from, plain_len);
    case 1:
      return ReceiveInitiation(buf, len, from);
    case 2:
      return ReceiveResponse(buf, len, from);
    case 3:
      return ReceiveCookieReply(buf, len);
    default:
      ++counters_.dropped_malformed;
      return Inbound::kDropped;
  }
}

Device::Inbound Device::ReceiveTransport(uint8_t* buf, size_t len, const Endpoint& from,
                                         size_t* plain_len) {
  TransportHeader header;
  std::memcpy(&header, buf, sizeof(header));
  std::shared_lock lock(config_mu_);
  auto entry = indices_.Lookup(header.receiver);
  if (!entry || !entry->keypair) {
    ++counters_.dropped_unknown_index;
    return Inbound::kDropped;
  }
  Keypair& kp = *entry->keypair;
  Peer& peer = *entry->peer;
  MonoTime now = clock_.Monotonic();
  if (now - kp.birth >= timer_config_.reject_after_time ||
      header.counter >= timer_config_.reject_after_messages) {
    ++counters_.dropped_expired;
    return Inbound::kDropped;
  }
  // In place: a packet that fails to authenticate is dropped whole anyway.
  if (!AeadDecrypt(buf + kTransportHeaderSize,
                   Bytes(buf + kTransportHeaderSize, len - kTransportHeaderSize), header.counter,
                   kp.receive_key, Bytes())) {
    ++counters_.dropped_decrypt;
    return Inbound::kDropped;
  }
  {
    std::lock_guard replay_lock(kp.replay_mu);
    if (!kp.replay.Accept(header.counter)) {
      ++counters_.dropped_replay;
      return Inbound::kDropped;
    }
  }
  size_t payload = len - kTransportMinSize;
  {
    std::lock_guard peer_lock(peer.mu);
    if (entry->keypair == peer.next) {
      // The initiator used the session we answered: it is confirmed.
      DropKeypair(peer.previous);
      peer.previous = std::move(peer.current);
      peer.current = std::move(peer.next);
      peer.timers.OnHandshakeComplete();
      peer.last_handshake = clock_.Now();
      ++counters_.handshakes_completed;
      SendStagedLocked(peer, now);
    } else if (entry->keypair != peer.current && entry->keypair != peer.previous) {
      ++counters_.dropped_expired;  // rotated out while we decrypted
      return Inbound::kDropped;
    }
    peer.endpoint = from;  // roaming: follow the authenticated source
    peer.rx_bytes.fetch_add(len, std::memory_order_relaxed);
    peer.timers.OnAuthenticatedPacketReceived();
    peer.timers.OnAuthenticatedPacketTraversal(now, peer.persistent_keepalive);
    if (peer.current == entry->keypair && kp.initiator && !peer.sent_lastminute_handshake &&
        now - kp.birth >= timer_config_.reject_after_time - timer_config_.keepalive_timeout -
                              timer_config_.rekey_timeout) {
      peer.sent_lastminute_handshake = true;
      InitiateLocked(peer, now, false);
    }
    if (payload == 0) return Inbound::kConsumed;  // keepalive
    peer.timers.OnDataReceived(now);
  }
  const uint8_t* ip = buf + kTransportHeaderSize;
  Family family;
  const uint8_t* src;
  size_t ip_len;
  if (payload >= 20 && (ip[0] >> 4) == 4) {
    family = Family::kV4;
    src = ip + 12;
    ip_len = LoadBe16(ip + 2);
    if (ip_len < 20) ip_len = SIZE_MAX;
  } else if (payload >= 40 && (ip[0] >> 4) == 6) {
    family = Family::kV6;
    src = ip + 8;
    ip_len = 40 + static_cast<size_t>(LoadBe16(ip + 4));
  } else {
    ++counters_.dropped_malformed;
    return Inbound::kDropped;
  }
  if (ip_len > payload) {
    ++counters_.dropped_malformed;
    return Inbound::kDropped;
  }
  if (allowed_ips_.Lookup(family, src) != &peer) {
    ++counters_.dropped_source;
    return Inbound::kDropped;
  }
  *plain_len = ip_len;
  return Inbound::kDeliver;
}

std::optional<Device::Inbound> Device::CheckHandshakeMacs(uint8_t* buf, size_t len, uint32_t sender,
                                                          const Endpoint& from, bool under_load) {
  if (!identity_.has_key) {  // no key: no handshake can be for us
    ++counters_.dropped_handshake;
    return Inbound::kDropped;
  }
  switch (cookie_checker_.Check(buf, len, from, under_load)) {
    case MacCheck::kInvalidMac1:
      ++counters_.dropped_mac;
      return Inbound::kDropped;
    case MacCheck::kInvalidMac2: {
      CookieReplyMessage reply;
      cookie_checker_.CreateReply(buf, len, sender, from, reply);
      transport_.SendDatagram(from, reinterpret_cast<const uint8_t*>(&reply), sizeof(reply));
      ++counters_.cookie_replies_sent;
      return Inbound::kConsumed;
    }
    case MacCheck::kValid:
      break;
  }
  return std::nullopt;
}

Device::Inbound Device::ReceiveInitiation(uint8_t* buf, size_t len, const Endpoint& from) {
  MonoTime now = clock_.Monotonic();
  bool under_load = UnderLoad(now);
  std::shared_lock lock(config_mu_);
  InitiationMessage msg;
  std::memcpy(&msg, buf, sizeof(msg));
  if (auto stop = CheckHandshakeMacs(buf, len, msg.sender, from, under_load)) return *stop;
  auto init = DecryptInitiation(msg, identity_);
  if (!init) {
    ++counters_.dropped_handshake;
    return Inbound::kDropped;
  }
  auto it = peers_.find(init->remote_static);
  if (it == peers_.end()) {
    ++counters_.dropped_handshake;
    return Inbound::kDropped;
  }
  Peer& peer = *it->second;
  std::lock_guard peer_lock(peer.mu);
  if (!peer.handshake.AcceptInitiation(*init, now)) {
    ++counters_.dropped_handshake;
    return Inbound::kDropped;
  }
  if (peer.handshake_index) indices_.Remove(peer.handshake_index);
  peer.handshake_index = 0;
  uint32_t index = indices_.Insert(&peer);
  ResponseMessage resp;
  if (!peer.handshake.CreateResponse(index, resp)) {
    indices_.Remove(index);
    peer.handshake.Clear();
    ++counters_.dropped_handshake;
    return Inbound::kDropped;
  }
  auto keys = peer.handshake.BeginSession();
  CORAL_CHECK(keys.has_value(), "a created response always begins a session");
  auto kp = MakeKeypair(*keys, now);
  indices_.SetKeypair(index, kp);
  InstallKeypairLocked(peer, std::move(kp));
  peer.endpoint = from;
  peer.rx_bytes += len;
  peer.cookie.AddMacs(reinterpret_cast<uint8_t*>(&resp), sizeof(resp), now);
  transport_.SendDatagram(from, reinterpret_cast<const uint8_t*>(&resp), sizeof(resp));
  peer.tx_bytes += sizeof(resp);
  peer.timers.OnAuthenticatedPacketReceived();
  peer.timers.OnAuthenticatedPacketTraversal(now, peer.persistent_keepalive);
  peer.timers.OnAuthenticatedPacketSent();
  peer.timers.OnSessionDerived(now);
  return Inbound::kConsumed;
}

Device::Inbound Device::ReceiveResponse(uint8_t* buf, size_t len, const Endpoint& from) {
  MonoTime now = clock_.Monotonic();
  bool under_load = UnderLoad(now);
  std::shared_lock lock(config_mu_);
  ResponseMessage msg;
  std::memcpy(&msg, buf, sizeof(msg));
  if (auto stop = CheckHandshakeMacs(buf, len, msg.sender, from, under_load)) return *stop;
  auto entry = indices_.Lookup(msg.receiver);
  if (!entry || entry->keypair) {
    ++counters_.dropped_unknown_index;
    return Inbound::kDropped;
  }
  Peer& peer = *entry->peer;
  std::lock_guard peer_lock(peer.mu);
  if (peer.handshake_index != msg.receiver || !peer.handshake.ConsumeResponse(msg, identity_)) {
    ++counters_.dropped_handshake;
    return Inbound::kDropped;
  }
  auto keys = peer.handshake.BeginSession();
  CORAL_CHECK(keys.has_value(), "a consumed response always begins a session");
  auto kp = MakeKeypair(*keys, now);
  indices_.SetKeypair(peer.handshake_index, kp);
  peer.handshake_index = 0;
  InstallKeypairLocked(peer, std::move(kp));
  peer.endpoint = from;
  peer.rx_bytes += len;
  peer.last_handshake = clock_.Now();
  peer.sent_lastminute_handshake = false;
  peer.timers.OnAuthenticatedPacketReceived();
  peer.timers.OnAuthenticatedPacketTraversal(now, peer.persistent_keepalive);
  peer.timers.OnHandshakeComplete();
  peer.timers.OnSessionDerived(now);
  ++counters_.handshakes_completed;
  // Confirm the session to the responder: with staged data, or a keepalive.
  SendKeepaliveLocked(peer, now);
  return Inbound::kConsumed;
}

Device::Inbound Device::ReceiveCookieReply(uint8_t* buf, size_t /*len*/) {
  CookieReplyMessage msg;
  std::memcpy(&msg, buf, sizeof(msg));
  std::shared_lock lock(config_mu_);
  auto entry = indices_.Lookup(msg.receiver);
  if (!entry) {
    ++counters_.dropped_unknown_index;
    return Inbound::kDropped;
  }
  Peer& peer = *entry->peer;
  std::lock_guard peer_lock(peer.mu);
  if (!peer.cookie.ConsumeReply(msg, clock_.Monotonic())) {
    ++counters_.dropped_mac;
    return Inbound::kDropped;
  }
  ++counters_.cookie_replies_received;
  return Inbound::kConsumed;
}

void Device::ForgetSource(const Endpoint& remote) {
  std::shared_lock lock(config_mu_);
  for (auto& [key, peer] : peers_) {
    std::lock_guard peer_lock(peer->mu);
    if (peer->endpoint == remote) peer->endpoint.has_source = false;
  }
}

// --- Timers ----------------------------------------------------------------

void Device::Tick() {
  std::shared_lock lock(config_mu_);
  MonoTime now = clock_.Monotonic();
  for (auto& [key, peer_ptr] : peers_) {
    Peer& peer = *peer_ptr;
    std::lock_guard peer_lock(peer.mu);
    TimerActions a = peer.timers.Poll(now, peer.persistent_keepalive);
    if (a.give_up) peer.staged.clear();
    if (a.zero_keys) ZeroKeysLocked(peer);
    if (a.send_initiation) InitiateLocked(peer, now, a.retry);
    if (a.send_keepalive) SendKeepaliveLocked(peer, now);
  }
}

}  // namespace coral::wireguard
