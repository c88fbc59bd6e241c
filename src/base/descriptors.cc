#include "base/descriptors.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>

namespace coral {

DescriptorLimit CurrentDescriptorLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return {};
  return {static_cast<size_t>(r.rlim_cur), static_cast<size_t>(r.rlim_max)};
}

DescriptorLimit RaiseDescriptorLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0) {
    rlim_t want = std::min<rlim_t>(r.rlim_max, rlim_t{1} << 20);
    if (r.rlim_cur < want) {
      r.rlim_cur = want;
      (void)::setrlimit(RLIMIT_NOFILE, &r);
    }
  }
  return CurrentDescriptorLimit();
}

size_t OpenDescriptorCount() {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace coral
