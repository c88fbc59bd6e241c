// What a fuzz target source file defines: one function that feeds a parser
// facing the network the bytes it is given and checks the parser's
// invariants with CORAL_CHECK, so a violation is a crash. The same file
// builds twice (cmake's coral_fuzz_target):
//   - a libFuzzer binary fuzz_<name> (clang, -DCORAL_FUZZ=ON), with
//     libfuzzer_main.cc;
//   - a bounded smoke run in every build's test suite, with smoke_main.cc:
//     the seed corpus in the repository, then seeded mutations of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// Feeds one input; returns 0 (libFuzzer's convention).
int CoralFuzzTarget(const uint8_t* data, size_t size);

// Seeds made by code (genuine messages), besides the corpus files; may be
// empty.
std::vector<std::vector<uint8_t>> CoralFuzzSeeds();
