// libFuzzer entry for UAPI requests (clang builds with -DCORAL_FUZZ=ON; see
// fuzz_targets.h).
#include "wireguard/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return coral::wireguard::fuzz::FuzzUapi(data, size);
}
