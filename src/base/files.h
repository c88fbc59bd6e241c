// Files. Everything Coral persists goes through WriteFileAtomic: a crash
// leaves either the old file or the new one, never a torn one. Secrets (keys,
// tokens, the colony secret) are written with FileMode::kPrivate (0600).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace coral {

enum class FileMode { kPublic /* 0644 */, kPrivate /* 0600 */ };

// Writes to a temp file in the same folder, fsyncs it, renames it over path,
// and fsyncs the folder. The file has `mode` from the moment it exists.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view content, FileMode mode);

Result<std::string> ReadFile(const std::filesystem::path& path);

// Creates the folder and its parents; new folders get 0700 (kPrivate) or
// 0755 (kPublic). An existing folder is left as it is.
Status MakeDirs(const std::filesystem::path& path, FileMode mode);

// Removes a file or folder tree; a missing one is not an error.
Status RemoveAll(const std::filesystem::path& path);

// The file's permission bits (e.g. 0600), for checks on secrets.
Result<unsigned> FilePermissions(const std::filesystem::path& path);

}  // namespace coral
