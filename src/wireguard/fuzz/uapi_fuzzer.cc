// UAPI requests (wg set / wg show) into a Device; see wireguard/fuzz_targets.h
// for the invariants.
#include "fuzz_target.h"
#include "wireguard/fuzz_targets.h"

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  return coral::wireguard::fuzz::FuzzUapi(data, size);
}
std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return coral::wireguard::fuzz::UapiSeeds(); }
