#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace coral {

namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

ExitInfo FromWaitStatus(int status) {
  ExitInfo info;
  if (WIFEXITED(status)) info.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) info.signal = WTERMSIG(status);
  return info;
}

}  // namespace

std::string ExitInfo::ToString() const {
  if (signal != 0)
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit code " + std::to_string(exit_code);
}

Result<Subprocess> Subprocess::Start(SubprocessOptions options) {
  if (options.argv.empty()) return InvalidArgument("subprocess: empty argv");
  // Build everything the child needs before fork: the child may only call
  // async-signal-safe functions.
  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};  // reports exec failure (errno) back to the parent
  auto close_all = [&] {
    for (int* p : {out_pipe, err_pipe, exec_pipe}) {
      CloseFd(p[0]);
      CloseFd(p[1]);
    }
  };
  if ((options.stdout_mode == Capture::kPipe && ::pipe2(out_pipe, O_CLOEXEC) != 0) ||
      (options.stderr_mode == Capture::kPipe && ::pipe2(err_pipe, O_CLOEXEC) != 0) ||
      ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    close_all();
    return ErrnoError("subprocess: pipe", err);
  }
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    close_all();
    if (devnull >= 0) ::close(devnull);
    return ErrnoError("subprocess: fork " + options.argv[0], err);
  }
  if (pid == 0) {
    if (options.new_process_group) ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    auto redirect = [&](Capture mode, int pipe_write, int target) {
      if (mode == Capture::kPipe) ::dup2(pipe_write, target);
      if (mode == Capture::kDiscard) ::dup2(devnull, target);
    };
    redirect(options.stdout_mode, out_pipe[1], STDOUT_FILENO);
    redirect(options.stderr_mode, err_pipe[1], STDERR_FILENO);
    ::dup2(devnull, STDIN_FILENO);
    if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) {
      int err = errno;
      (void)!::write(exec_pipe[1], &err, sizeof(err));
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!::write(exec_pipe[1], &err, sizeof(err));
    ::_exit(127);
  }

  if (devnull >= 0) ::close(devnull);
  CloseFd(out_pipe[1]);
  CloseFd(err_pipe[1]);
  CloseFd(exec_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  CloseFd(exec_pipe[0]);
  if (n == sizeof(child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    CloseFd(out_pipe[0]);
    CloseFd(err_pipe[0]);
    return ErrnoError("subprocess: start " + options.argv[0], child_errno);
  }

  Subprocess p;
  p.pid_ = pid;
  p.group_ = options.new_process_group;
  p.out_fd_ = out_pipe[0];
  p.err_fd_ = err_pipe[0];
  return p;
}

Subprocess::Subprocess(Subprocess&& other) noexcept { *this = std::move(other); }

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = std::exchange(other.pid_, -1);
    group_ = other.group_;
    out_fd_ = std::exchange(other.out_fd_, -1);
    err_fd_ = std::exchange(other.err_fd_, -1);
    out_ = std::move(other.out_);
    err_ = std::move(other.err_);
    exit_ = std::exchange(other.exit_, std::nullopt);
  }
  return *this;
}

Subprocess::~Subprocess() { Reset(); }

void Subprocess::Reset() {
  if (pid_ > 0 && !exit_) {
    Kill(SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFd(out_fd_);
  CloseFd(err_fd_);
  pid_ = -1;
  exit_.reset();
}

void Subprocess::Kill(int sig) {
  if (pid_ <= 0 || exit_) return;
  if (group_) {
    ::kill(-pid_, sig);
  } else {
    ::kill(pid_, sig);
  }
}

bool Subprocess::Running() {
  if (pid_ <= 0 || exit_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_ = FromWaitStatus(status);
    return false;
  }
  return true;
}

bool Subprocess::WaitForOutput(std::string_view marker, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (out_.find(marker) == std::string::npos) {
    if (out_fd_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{out_fd_, POLLIN, 0};
    int r = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::read(out_fd_, buf, sizeof(buf));
    if (n > 0) {
      out_.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      CloseFd(out_fd_);
    }
  }
  return true;
}

Result<ExitInfo> Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return FailedPrecondition("subprocess: wait on a process that was not started");
  if (exit_) return *exit_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    pollfd fds[2];
    int nfds = 0;
    for (int fd : {out_fd_, err_fd_}) {
      if (fd >= 0) fds[nfds++] = pollfd{fd, POLLIN, 0};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    int r = ::poll(fds, nfds, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    for (int i = 0; i < nfds; ++i) {
      if (fds[i].revents == 0) continue;
      bool is_out = fds[i].fd == out_fd_;
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (is_out ? out_ : err_).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        CloseFd(is_out ? out_fd_ : err_fd_);
      }
    }
  }
  // Output is closed (or time ran out): wait for the exit itself.
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_ = FromWaitStatus(status);
      return *exit_;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    ::usleep(2000);
  }
  Kill(SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exit_ = FromWaitStatus(status);
  return DeadlineExceeded("subprocess: pid " + std::to_string(pid_) + " still running after " +
                          std::to_string(timeout.count()) + " ms; killed it");
}

Result<RunResult> RunCommand(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout) {
  SubprocessOptions options;
  options.argv = argv;
  Subprocess p = CORAL_TRY(Subprocess::Start(std::move(options)));
  ExitInfo exit = CORAL_TRY(p.Wait(timeout));
  return RunResult{exit, p.stdout_data(), p.stderr_data()};
}

}  // namespace coral
