// File descriptors: how many a process may hold and holds. A daemon raises
// its soft limit to the hard one at start (distributions default to 1024
// soft, which a thousand idle connections use up); listeners cap their
// connections well below it, so running out is the exception, not a lever an
// unauthenticated client holds.
//
// Thread-safety: any thread.
#pragma once

#include <cstddef>

namespace coral {

struct DescriptorLimit {
  size_t soft = 0;
  size_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (at most 1 << 20); the
// limits now in force.
DescriptorLimit RaiseDescriptorLimit();
DescriptorLimit CurrentDescriptorLimit();
// Descriptors the process holds now (entries of /proc/self/fd).
size_t OpenDescriptorCount();

}  // namespace coral
