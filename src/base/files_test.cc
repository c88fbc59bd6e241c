#include "base/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/ids.h"
#include "base/temp_dir.h"

namespace coral {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  TempDir dir_{"coral-files-test"};
};

TEST_F(FilesTest, AtomicWriteReplacesContentAndSetsMode) {
  auto path = dir_ / "secret.key";
  ASSERT_TRUE(WriteFileAtomic(path, "first", FileMode::kPrivate).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second", FileMode::kPrivate).ok());
  EXPECT_EQ(*ReadFile(path), "second");
  EXPECT_EQ(*FilePermissions(path), 0600u);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "pub", "x", FileMode::kPublic).ok());
  EXPECT_EQ(*FilePermissions(dir_ / "pub"), 0644u);
  // No temp files are left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 2);
}

TEST_F(FilesTest, PrivateModeHoldsEvenWithAPermissiveUmask) {
  mode_t old = ::umask(0);
  Status s = WriteFileAtomic(dir_ / "k", "x", FileMode::kPrivate);
  ::umask(old);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*FilePermissions(dir_ / "k"), 0600u);
}

TEST_F(FilesTest, ErrorsNameThePath) {
  auto r = ReadFile(dir_ / "missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("missing"), std::string::npos);
  Status s = WriteFileAtomic(dir_ / "no" / "such" / "dir" / "f", "x", FileMode::kPublic);
  EXPECT_FALSE(s.ok());
}

TEST_F(FilesTest, MakeDirsCreatesParentsAndRefusesFiles) {
  ASSERT_TRUE(MakeDirs(dir_ / "a" / "b" / "c", FileMode::kPrivate).ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "a" / "b" / "c"));
  EXPECT_EQ(*FilePermissions(dir_ / "a"), 0700u);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f", "x", FileMode::kPublic).ok());
  EXPECT_FALSE(MakeDirs(dir_ / "f", FileMode::kPublic).ok());
}

}  // namespace
}  // namespace coral
