// The process's resident memory. A long-running host agent reads in much of
// its code, and DuckDB's, only to start (migrations, catalogs, servers): the
// kernel keeps those pages mapped until memory runs short. Once it is up,
// the agent gives them back, so its resident set is what it keeps using.
//
// Thread-safety: any thread.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace coral {

// The process's resident set, in bytes (VmRSS).
Result<int64_t> ResidentBytes();

// Reclaims the pages of the process's read-only file mappings (code and
// constants of the program and its libraries) that no other process maps
// (MADV_PAGEOUT). Those it uses again are read back from the page cache or
// the file. Returns how far the resident set shrank, in bytes.
// Unimplemented on kernels older than Linux 5.4, which lack MADV_PAGEOUT.
Result<int64_t> ReleaseFileBackedPages();

}  // namespace coral
