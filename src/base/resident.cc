#include "base/resident.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace coral {

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21  // Linux 5.4
#endif

Result<int64_t> ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return Internal("read /proc/self/statm");
  return resident * ::sysconf(_SC_PAGESIZE);
}

Result<int64_t> ReleaseFileBackedPages() {
  const int64_t before = CORAL_TRY(ResidentBytes());
  std::ifstream maps("/proc/self/maps");
  if (!maps) return Internal("read /proc/self/maps");
  int paged_out = 0, refused = 0;
  // start-end perms offset dev inode path
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, perms, offset, dev, path;
    uint64_t inode = 0;
    if (!(fields >> range >> perms >> offset >> dev >> inode >> path)) continue;
    if (inode == 0 || path.empty() || path[0] != '/' || perms.size() < 2 || perms[1] == 'w') {
      continue;  // anonymous, special ([heap], [vdso]) or writable
    }
    auto dash = range.find('-');
    if (dash == std::string::npos) continue;
    uintptr_t start = std::stoull(range.substr(0, dash), nullptr, 16);
    uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_PAGEOUT) == 0) {
      ++paged_out;
    } else if (errno == EINVAL) {
      ++refused;  // a kernel without MADV_PAGEOUT, or a locked or device mapping
    }
    // ENOMEM: another thread unmapped it meanwhile.
  }
  if (paged_out == 0 && refused > 0) {
    return Unimplemented("this kernel cannot page out (MADV_PAGEOUT is Linux 5.4+)");
  }
  const int64_t after = CORAL_TRY(ResidentBytes());
  return before - after;
}

}  // namespace coral
