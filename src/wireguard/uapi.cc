#include "wireguard/uapi.h"

#include <charconv>

#include "crypto/keys.h"

namespace coral::wireguard {
namespace {

template <typename T>
Result<T> ParseUnsigned(std::string_view key, std::string_view value, T max) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || v > max) {
    return InvalidArgument(std::string(key) + "=" + std::string(value) + ": not a number in 0.." +
                           std::to_string(max));
  }
  return static_cast<T>(v);
}

Result<Key> ParseKey(std::string_view key, std::string_view value) {
  auto bytes = crypto::KeyFromHex(value);
  if (!bytes.ok()) return InvalidArgument(std::string(key) + ": not 64 hex characters");
  Key k;
  std::copy(bytes->begin(), bytes->end(), k.begin());
  crypto::Wipe(bytes->data(), bytes->size());
  return k;
}

Status ExpectTrue(std::string_view key, std::string_view value) {
  if (value != "true") {
    return InvalidArgument(std::string(key) + "=" + std::string(value) + ": only 'true' is valid");
  }
  return Status::Ok();
}

std::string Hex(const Key& k) {
  crypto::KeyBytes b;
  std::copy(k.begin(), k.end(), b.begin());
  std::string s = crypto::KeyToHex(b);
  crypto::Wipe(b.data(), b.size());
  return s;
}

}  // namespace

Result<ConfigUpdate> ParseSetRequest(std::string_view body) {
  ConfigUpdate update;
  PeerUpdate* peer = nullptr;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    if (line.empty()) break;  // end of the request
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      // The line itself stays out of the message: it may hold key material.
      return InvalidArgument("a line of the request is not key=value");
    }
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    if (key == "public_key") {
      peer = &update.peers.emplace_back();
      peer->public_key = CORAL_TRY(ParseKey(key, value));
      continue;
    }
    if (peer == nullptr) {
      if (key == "private_key") {
        update.private_key = CORAL_TRY(ParseKey(key, value));
      } else if (key == "listen_port") {
        update.listen_port = CORAL_TRY(ParseUnsigned<uint16_t>(key, value, 65535));
      } else if (key == "fwmark") {
        update.fwmark = CORAL_TRY(ParseUnsigned<uint32_t>(key, value, UINT32_MAX));
      } else if (key == "replace_peers") {
        CORAL_TRY(ExpectTrue(key, value));
        update.replace_peers = true;
      } else {
        return InvalidArgument("unknown interface key '" + std::string(key.substr(0, 32)) + "'");
      }
      continue;
    }
    if (key == "remove") {
      CORAL_TRY(ExpectTrue(key, value));
      peer->remove = true;
    } else if (key == "update_only") {
      CORAL_TRY(ExpectTrue(key, value));
      peer->update_only = true;
    } else if (key == "preshared_key") {
      peer->preshared_key = CORAL_TRY(ParseKey(key, value));
    } else if (key == "endpoint") {
      auto ep = Endpoint::Parse(value);
      if (!ep.ok()) return ep.status();
      peer->endpoint = *ep;
    } else if (key == "persistent_keepalive_interval") {
      peer->persistent_keepalive = CORAL_TRY(ParseUnsigned<uint16_t>(key, value, 65535));
    } else if (key == "replace_allowed_ips") {
      CORAL_TRY(ExpectTrue(key, value));
      peer->replace_allowed_ips = true;
    } else if (key == "allowed_ip") {
      auto prefix = IpPrefix::Parse(value);
      if (!prefix.ok()) return prefix.status();
      peer->allowed_ips.push_back(*prefix);
    } else if (key == "protocol_version") {
      if (value != "1")
        return InvalidArgument("protocol_version " + std::string(value.substr(0, 16)) +
                               " is not supported (only 1)");
    } else {
      return InvalidArgument("unknown peer key '" + std::string(key.substr(0, 32)) + "'");
    }
  }
  return update;
}

std::string FormatGetReply(const DeviceSnapshot& s) {
  std::string out;
  if (s.private_key) out += "private_key=" + Hex(*s.private_key) + "\n";
  out += "listen_port=" + std::to_string(s.listen_port) + "\n";
  if (s.fwmark) out += "fwmark=" + std::to_string(s.fwmark) + "\n";
  for (const PeerSnapshot& p : s.peers) {
    out += "public_key=" + Hex(p.public_key) + "\n";
    if (p.preshared_key != Key{}) out += "preshared_key=" + Hex(p.preshared_key) + "\n";
    out += "protocol_version=1\n";
    if (!p.endpoint.empty()) out += "endpoint=" + p.endpoint.ToString() + "\n";
    int64_t ns = p.last_handshake ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        p.last_handshake->time_since_epoch())
                                        .count()
                                  : 0;
    out += "last_handshake_time_sec=" + std::to_string(ns / 1'000'000'000) + "\n";
    out += "last_handshake_time_nsec=" + std::to_string(ns % 1'000'000'000) + "\n";
    out += "tx_bytes=" + std::to_string(p.tx_bytes) + "\n";
    out += "rx_bytes=" + std::to_string(p.rx_bytes) + "\n";
    out += "persistent_keepalive_interval=" + std::to_string(p.persistent_keepalive) + "\n";
    for (const IpPrefix& a : p.allowed_ips) out += "allowed_ip=" + a.ToString() + "\n";
  }
  return out;
}

}  // namespace coral::wireguard
