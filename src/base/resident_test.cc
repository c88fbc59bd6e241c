#include "base/resident.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "base/files.h"
#include "base/temp_dir.h"

namespace coral {
namespace {

// Rss of the mapping that starts at `start`, from /proc/self/smaps, in kB.
int64_t MappingRssKb(const void* start) {
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "%lx-", reinterpret_cast<unsigned long>(start));
  std::ifstream smaps("/proc/self/smaps");
  bool in = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.find('-') != std::string::npos && line.find(':') > line.find(' ')) {
      in = line.rfind(prefix, 0) == 0;
    } else if (in && line.rfind("Rss:", 0) == 0) {
      return std::stoll(line.substr(4));
    }
  }
  return -1;
}

TEST(ResidentTest, ReadOnlyFilePagesAreGivenBackAndComeBackWhenRead) {
  TempDir dir("coral-resident");
  constexpr size_t kSize = 8 << 20;
  std::string content(kSize, 'x');
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "code", content, FileMode::kPrivate).ok());
  int fd = ::open((dir.path() / "code").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto* map = static_cast<const char*>(::mmap(nullptr, kSize, PROT_READ, MAP_PRIVATE, fd, 0));
  ::close(fd);
  ASSERT_NE(map, MAP_FAILED);
  long sum = 0;
  for (size_t i = 0; i < kSize; i += 4096) sum += map[i];
  EXPECT_EQ(sum, 'x' * long(kSize / 4096));
  EXPECT_EQ(MappingRssKb(map), int64_t{kSize >> 10});

  auto released = ReleaseFileBackedPages();
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_GE(*released, int64_t{kSize} / 2);  // our mapping, and whatever start-up code
  EXPECT_EQ(MappingRssKb(map), 0);
  // Read again, it is all there.
  EXPECT_EQ(map[kSize - 1], 'x');
  EXPECT_GT(MappingRssKb(map), 0);
  ::munmap(const_cast<char*>(map), kSize);
}

TEST(ResidentTest, ResidentBytesIsThisProcesssResidentSet) {
  auto rss = ResidentBytes();
  ASSERT_TRUE(rss.ok());
  std::ifstream status("/proc/self/status");
  int64_t kb = -1;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) kb = std::stoll(line.substr(6));
  }
  EXPECT_NEAR(*rss >> 10, kb, 2048);
}

}  // namespace
}  // namespace coral
