#include "base/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/files.h"

namespace coral {

namespace {
int g_report_fd = -1;  // the child's end of the readiness pipe

void Report(const std::string& line) {
  if (g_report_fd < 0) return;
  std::string msg = line + "\n";
  (void)!::write(g_report_fd, msg.data(), msg.size());
  ::close(g_report_fd);
  g_report_fd = -1;
}
}  // namespace

Result<DaemonOutcome> Daemonize(const std::filesystem::path& log_file) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("daemon: pipe", errno);
  int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return ErrnoError("daemon: open log file " + log_file.string(), err);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    ::close(log);
    return ErrnoError("daemon: fork", err);
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setsid();
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    if (null > STDERR_FILENO) ::close(null);
    ::close(log);
    g_report_fd = fds[1];
    return DaemonOutcome{true, 0};
  }
  ::close(fds[1]);
  ::close(log);
  std::string reply;
  char buf[512];
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (reply.rfind("OK", 0) == 0) return DaemonOutcome{false, pid};
  // The child failed or died: reap it if it exited, and pass its reason on.
  int status = 0;
  ::waitpid(pid, &status, WNOHANG);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.rfind("ERR ", 0) == 0) return Unavailable(reply.substr(4));
  return Unavailable("the background process exited before it started; see " + log_file.string());
}

void ReportStarted() { Report("OK"); }
void ReportFailed(const std::string& message) { Report("ERR " + message); }

Status WritePidFile(const std::filesystem::path& path) {
  return WriteFileAtomic(path, std::to_string(::getpid()) + "\n", FileMode::kPrivate);
}

pid_t ReadLivePid(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return 0;
  pid_t pid = static_cast<pid_t>(std::atoi(text->c_str()));
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) return 0;
  // Guard against pid reuse: the process must still be a coral binary.
  auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (cmdline.ok() && cmdline->find("coral") == std::string::npos) return 0;
  return pid;
}

static sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  sigset_t set = StopSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace coral
