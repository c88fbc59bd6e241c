// libFuzzer's entry point for a fuzz target (see fuzz_target.h). libFuzzer
// reads the seed corpus itself: fuzz_<name> <corpus dir>.
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return CoralFuzzTarget(data, size);
}
