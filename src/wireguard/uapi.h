// The cross-platform WireGuard configuration protocol that wg(8) speaks over
// /var/run/wireguard/IFACE.sock: "get=1" answers with the device's keys,
// port, peers and their statistics as key=value lines; "set=1" carries changes.
// This file turns that text into a ConfigUpdate (validating all of it before
// anything is applied, so a bad request changes nothing) and a DeviceSnapshot
// into text.
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "wireguard/config.h"

namespace coral::wireguard {

// Parses the lines of a set request after "set=1", up to the blank line that
// ends it (which may be present or not). Keys are lowercase hex.
Result<ConfigUpdate> ParseSetRequest(std::string_view body);
// The key=value lines of a get reply, without the trailing "errno=0" and blank line.
std::string FormatGetReply(const DeviceSnapshot& snapshot);

}  // namespace coral::wireguard
