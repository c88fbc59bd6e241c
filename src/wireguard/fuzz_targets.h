// Fuzz targets for the two parsers that face untrusted input: datagrams from
// the network (and packets from the TUN, segmented and coalesced as with TUN
// offloads) into a Device, and UAPI requests.
// Each target checks its invariants with CORAL_CHECK, so a violation is a crash
// that libFuzzer (fuzz_wireguard_*, clang builds) or the bounded smoke test
// (fuzz_smoke_wireguard_*, every build) reports; see tests/fuzz/fuzz_target.h.
//
// Invariants: no crash or sanitizer report; a datagram that is dropped is
// counted and changes no peer state; a UAPI request always gets an errno reply,
// and a rejected one changes nothing.
//
// Thread-safety: each target keeps process-wide state; call from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace coral::wireguard::fuzz {

int FuzzPacket(const uint8_t* data, size_t size);
int FuzzUapi(const uint8_t* data, size_t size);

// Genuine messages of every kind (initiation, response, cookie reply,
// transport data, keepalive) from an in-process handshake, as seeds.
std::vector<std::vector<uint8_t>> PacketSeeds();
std::vector<std::vector<uint8_t>> UapiSeeds();

}  // namespace coral::wireguard::fuzz
