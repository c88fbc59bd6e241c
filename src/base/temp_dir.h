// TempDir: a fresh folder under the system temp folder, removed with
// everything in it when the TempDir goes away. For tests and scratch work.
#pragma once

#include <filesystem>
#include <string>

#include "base/files.h"
#include "base/ids.h"

namespace coral {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "coral")
      : path_(std::filesystem::temp_directory_path() / (prefix + "-" + RandomHex(6))) {
    CORAL_CHECK(MakeDirs(path_, FileMode::kPrivate).ok(), "cannot create " + path_.string());
  }
  ~TempDir() { (void)RemoveAll(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace coral
