#include "mesh/mesh_device.h"

#include <net/if.h>

#include <cstdio>

#include "base/log.h"
#include "mesh/endpoint.h"
#include "mesh/netlink.h"
#include "wireguard/config.h"
#include "wireguard/net_device.h"

namespace coral::mesh {
namespace {

Status ValidateInterfaceName(const std::string& name) {
  bool chars_ok = !name.empty() && name.size() < IFNAMSIZ;
  for (char c : name) {
    chars_ok = chars_ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_');
  }
  if (!chars_ok) {
    return InvalidArgument("mesh: interface name '" + name + "' must be 1-" +
                           std::to_string(IFNAMSIZ - 1) + " characters of [A-Za-z0-9_-]");
  }
  return Status::Ok();
}

Result<wireguard::PeerUpdate> ToPeerUpdate(const MeshPeer& peer) {
  wireguard::PeerUpdate update;
  auto key = crypto::KeyFromBase64(peer.public_key);
  if (!key.ok()) {
    return InvalidArgument("mesh: peer public key '" + peer.public_key +
                           "': " + key.status().message());
  }
  update.public_key = *key;
  auto context = [&](const Status& s) { return s.WithContext("mesh: peer " + peer.public_key); };
  if (!peer.endpoint.empty()) {
    auto endpoint = ResolveEndpoint(peer.endpoint);
    if (!endpoint.ok()) return context(endpoint.status());
    update.endpoint = *endpoint;
  }
  update.persistent_keepalive = peer.persistent_keepalive;
  update.replace_allowed_ips = true;
  for (const std::string& text : peer.allowed_ips) {
    auto prefix = wireguard::IpPrefix::Parse(text);
    if (!prefix.ok()) return context(prefix.status().WithContext("allowed IP '" + text + "'"));
    update.allowed_ips.push_back(*prefix);
  }
  return update;
}

}  // namespace

std::string MeshInterfaceName(std::string_view prefix, std::string_view id) {
  bool prefix_ok = !prefix.empty() && prefix.size() <= IFNAMSIZ - 1 - 8;
  for (char c : prefix) {
    prefix_ok = prefix_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }
  CORAL_CHECK(prefix_ok, "interface name prefix '" + std::string(prefix) +
                             "' must be 1-7 characters of [a-z0-9-]");
  uint64_t h = StableHash(id);
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", static_cast<uint32_t>(h ^ (h >> 32)));
  return std::string(prefix) + hex;
}

Result<std::unique_ptr<MeshDevice>> MeshDevice::Start(const MeshDeviceOptions& options) {
  const std::string& name = options.interface_name;
  CORAL_TRY(ValidateInterfaceName(name));
  if (options.private_key.is_zero()) {
    return InvalidArgument("mesh: no private key for interface " + name);
  }
  if (options.address == 0 || options.prefix_len < 1 || options.prefix_len > 32) {
    return InvalidArgument("mesh: interface " + name + " needs an address and a prefix length " +
                           "1-32, got " + Ipv4ToString(options.address) + "/" +
                           std::to_string(options.prefix_len));
  }
  // Creating a TUN that exists would attach to it or fail obscurely; refuse
  // plainly. (NetDevice refuses a UAPI socket another live device serves,
  // which covers a same-named device in another namespace.)
  if (InterfaceIndex(name).ok()) {
    return AlreadyExists("mesh: interface " + name +
                         " already exists in this network namespace (another Coral mesh device "
                         "or another program owns it); stop that one or pick another name");
  }
  auto context = [&](const Status& s) { return s.WithContext("mesh: start interface " + name); };
  wireguard::NetDeviceOptions net_options;
  net_options.interface_name = name;
  net_options.uapi_dir = options.uapi_dir;
  net_options.mtu = options.mtu;
  auto net = wireguard::NetDevice::Start(net_options);
  if (!net.ok()) return context(net.status());

  auto device = std::unique_ptr<MeshDevice>(new MeshDevice());
  device->net_ = std::move(*net);
  device->interface_name_ = name;
  wireguard::ConfigUpdate config;
  config.private_key = options.private_key.bytes();
  // NetDevice already listens on a port the kernel picked.
  if (options.listen_port != 0) config.listen_port = options.listen_port;
  Status applied = device->net_->device().Apply(config);
  if (!applied.ok()) {
    return context(
        applied.WithContext("listen on UDP port " + std::to_string(options.listen_port)));
  }
  Status s = AddAddress(name, options.address, options.prefix_len);
  if (s.ok()) s = SetLinkUp(name);
  if (!s.ok()) return context(s);

  device->listen_port_ = device->net_->device().Snapshot().listen_port;
  device->public_key_ = crypto::KeyToBase64(device->net_->device().public_key());
  CORAL_LOG_INFO("mesh: interface {} up with {}/{}, WireGuard on UDP {}, public key {}", name,
                 Ipv4ToString(options.address), options.prefix_len, device->listen_port_,
                 device->public_key_);
  return device;
}

MeshDevice::~MeshDevice() { Stop(); }

void MeshDevice::Stop() {
  if (!net_) return;
  net_->Stop();
  net_.reset();  // closing the TUN removes the interface
  CORAL_LOG_INFO("mesh: interface {} removed", interface_name_);
}

Status MeshDevice::CheckRunning() const {
  if (!net_) return FailedPrecondition("mesh: interface " + interface_name_ + " is stopped");
  return Status::Ok();
}

Status MeshDevice::SetPeer(const MeshPeer& peer) {
  CORAL_TRY(CheckRunning());
  wireguard::ConfigUpdate config;
  config.peers.push_back(CORAL_TRY(ToPeerUpdate(peer)));
  Status s = net_->device().Apply(config);
  if (!s.ok()) return s.WithContext("mesh: set peer " + peer.public_key + " on " + interface_name_);
  return Status::Ok();
}

Status MeshDevice::RemovePeer(const std::string& public_key) {
  CORAL_TRY(CheckRunning());
  auto key = crypto::KeyFromBase64(public_key);
  if (!key.ok()) {
    return InvalidArgument("mesh: peer public key '" + public_key + "': " + key.status().message());
  }
  wireguard::ConfigUpdate config;
  wireguard::PeerUpdate& remove = config.peers.emplace_back();
  remove.public_key = *key;
  remove.remove = true;
  Status s = net_->device().Apply(config);
  if (!s.ok()) return s.WithContext("mesh: remove peer " + public_key + " on " + interface_name_);
  return Status::Ok();
}

Status MeshDevice::ReplacePeers(const std::vector<MeshPeer>& peers) {
  CORAL_TRY(CheckRunning());
  wireguard::ConfigUpdate config;
  config.replace_peers = true;
  for (const MeshPeer& peer : peers) config.peers.push_back(CORAL_TRY(ToPeerUpdate(peer)));
  Status s = net_->device().Apply(config);
  if (!s.ok()) return s.WithContext("mesh: replace peers on " + interface_name_);
  return Status::Ok();
}

std::vector<MeshPeerStatus> MeshDevice::Peers() const {
  std::vector<MeshPeerStatus> out;
  if (!net_) return out;
  wireguard::DeviceSnapshot snapshot = net_->device().Snapshot();
  for (const wireguard::PeerSnapshot& p : snapshot.peers) {
    MeshPeerStatus& s = out.emplace_back();
    s.public_key = crypto::KeyToBase64(p.public_key);
    if (!p.endpoint.empty()) s.endpoint = p.endpoint.ToString();
    s.last_handshake = p.last_handshake;
    s.rx_bytes = p.rx_bytes;
    s.tx_bytes = p.tx_bytes;
    s.persistent_keepalive = p.persistent_keepalive;
    for (const wireguard::IpPrefix& prefix : p.allowed_ips) {
      s.allowed_ips.push_back(prefix.ToString());
    }
  }
  return out;
}

}  // namespace coral::mesh
