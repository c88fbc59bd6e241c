// CORAL_CHECK and CORAL_PANIC: for states that cannot happen unless the code
// is wrong. They print the message with file and line to stderr and abort, in
// every build type. Expected failures are a Status instead (base/status.h).
#pragma once

#include <string_view>

namespace coral::internal {
[[noreturn]] void Panic(const char* file, int line, std::string_view condition,
                        std::string_view message);
}  // namespace coral::internal

#define CORAL_CHECK(cond, message)                                    \
  do {                                                                \
    if (!(cond)) [[unlikely]] {                                       \
      ::coral::internal::Panic(__FILE__, __LINE__, #cond, (message)); \
    }                                                                 \
  } while (0)

#define CORAL_PANIC(message) ::coral::internal::Panic(__FILE__, __LINE__, "", (message))
