#!/usr/bin/env bash
# The whole test suite: set-up, an ASan + UBSan build, then every test through
# ctest (unit tests everywhere; tests labelled `root` skip with a reason when
# not run as root). Ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
BUILD=${CORAL_TEST_BUILD:-build/asan}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCORAL_SANITIZE=ON >/dev/null
ninja -C "$BUILD"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$BUILD"
ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
