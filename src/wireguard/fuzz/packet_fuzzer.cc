// Datagrams from the network (and packets from the TUN) into a Device; see
// wireguard/fuzz_targets.h for the invariants.
#include "fuzz_target.h"
#include "wireguard/fuzz_targets.h"

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  return coral::wireguard::fuzz::FuzzPacket(data, size);
}
std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return coral::wireguard::fuzz::PacketSeeds(); }
