#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "base/ids.h"
#include "base/unique_fd.h"

namespace coral {

namespace {

Status WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write " + what, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view content, FileMode mode) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::filesystem::path tmp = dir / ("." + path.filename().string() + ".tmp-" + RandomHex(4));
  mode_t bits = mode == FileMode::kPrivate ? 0600 : 0644;
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, bits));
  if (fd.get() < 0) return ErrnoError("create " + tmp.string(), errno);
  // open() applies the umask; fchmod makes the mode exact.
  if (::fchmod(fd.get(), bits) != 0 || !WriteAll(fd.get(), content, tmp.string()).ok() ||
      ::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("write " + path.string(), err);
  }
  if (::close(fd.release()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("close " + tmp.string(), err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("rename " + tmp.string() + " to " + path.string(), err);
  }
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());  // best effort: some filesystems refuse
  return Status::Ok();
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("read " + path.string(), errno);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read " + path.string(), errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status MakeDirs(const std::filesystem::path& path, FileMode mode) {
  std::filesystem::path current;
  for (const auto& part : path) {
    current /= part;
    if (current.empty() || current == "/") continue;
    if (::mkdir(current.c_str(), mode == FileMode::kPrivate ? 0700 : 0755) != 0 &&
        errno != EEXIST) {
      return ErrnoError("create folder " + current.string(), errno);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("create folder " + path.string(), errno);
  if (!S_ISDIR(st.st_mode)) {
    return AlreadyExists("create folder " + path.string() + ": a file with that name exists");
  }
  return Status::Ok();
}

Status RemoveAll(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return IoError("remove " + path.string() + ": " + ec.message());
  return Status::Ok();
}

Result<unsigned> FilePermissions(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat " + path.string(), errno);
  return static_cast<unsigned>(st.st_mode & 07777);
}

}  // namespace coral
