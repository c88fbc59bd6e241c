#include "wireguard/standalone.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "wireguard/net_device.h"

namespace coral::wireguard {
namespace {

// Runs the device until a signal or the socket file's removal. `ready_fd`
// (if >= 0) gets one byte: 0 once the device is up, 1 if it failed.
int RunDevice(const StandaloneOptions& options, int ready_fd) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // Blocked before any thread starts, so every thread inherits the mask and
  // the signal is taken only by sigtimedwait below.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  NetDeviceOptions nd_options;
  nd_options.interface_name = options.interface_name;
  nd_options.uapi_dir = options.uapi_dir;
  auto nd = NetDevice::Start(nd_options);
  uint8_t status = nd.ok() ? 0 : 1;
  if (!nd.ok()) CORAL_LOG_ERROR("wireguard: {}", nd.status().ToString());
  if (ready_fd >= 0) {
    (void)write(ready_fd, &status, 1);
    close(ready_fd);
  }
  if (!nd.ok()) return 1;
  if (nd->get()->device().timer_config().rekey_timeout != kRekeyTimeout) {
    CORAL_LOG_WARN("wireguard: protocol timers scaled by CORAL_WG_TEST_TIMER_SCALE (tests only)");
  }
  for (;;) {
    timespec wait{0, 250'000'000};
    int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) {
      CORAL_LOG_INFO("wireguard: {} received, shutting down {}", strsignal(sig),
                     options.interface_name);
      break;
    }
    if (!(*nd)->uapi().SocketFilePresent()) {
      CORAL_LOG_INFO("wireguard: UAPI socket removed, shutting down {}", options.interface_name);
      break;
    }
  }
  (*nd)->Stop();
  return 0;
}

}  // namespace

int RunStandalone(const StandaloneOptions& options) {
  if (options.foreground == Foreground::kYes) {
    if (!log::Init(options.log_level, options.log_file).ok()) return 1;
    return RunDevice(options, -1);
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
    std::perror("wireguard: pipe");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("wireguard: fork");
    return 1;
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    setsid();
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
    }
    if (!log::Init(options.log_file.empty() ? log::Level::kOff : options.log_level,
                   options.log_file)
             .ok()) {
      _exit(1);
    }
    _exit(RunDevice(options, pipe_fds[1]));
  }
  close(pipe_fds[1]);
  pollfd p{pipe_fds[0], POLLIN, 0};
  uint8_t status = 1;
  if (poll(&p, 1, 30'000) > 0 && read(pipe_fds[0], &status, 1) == 1 && status == 0) {
    close(pipe_fds[0]);
    return 0;
  }
  close(pipe_fds[0]);
  std::fprintf(stderr, "wireguard: device %s failed to start (run with --foreground to see why)\n",
               options.interface_name.c_str());
  int wstatus = 0;
  waitpid(pid, &wstatus, WNOHANG);
  return 1;
}

}  // namespace coral::wireguard
