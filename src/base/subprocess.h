// Child processes: tests start daemons and peers (wireguard-go, clickhouse),
// agents run control actions. A Subprocess owns its child: destroying it
// kills (SIGKILL) and reaps a child that is still running, so a failing test
// never leaks processes.
//
// Thread-safety: one Subprocess is used from one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace coral {

enum class Capture { kInherit, kPipe, kDiscard };

struct SubprocessOptions {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;  // added to (or replacing in) the parent's
  std::string working_dir;                 // empty: the parent's
  Capture stdout_mode = Capture::kPipe;
  Capture stderr_mode = Capture::kPipe;
  bool new_process_group = true;  // so Kill reaches grandchildren too
};

struct ExitInfo {
  int exit_code = -1;  // when the child exited
  int signal = 0;      // when a signal ended it
  bool ok() const { return signal == 0 && exit_code == 0; }
  std::string ToString() const;
};

class Subprocess {
 public:
  static Result<Subprocess> Start(SubprocessOptions options);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // Reads piped output until the child closes it and exits, up to `timeout`;
  // on timeout the child is killed and DeadlineExceeded returned.
  Result<ExitInfo> Wait(std::chrono::milliseconds timeout);
  // Reads piped stdout until it contains `marker` (true), or until the child
  // closes stdout or `timeout` passes (false). What was read stays in
  // stdout_data(). For waiting until a daemon says it is ready.
  bool WaitForOutput(std::string_view marker, std::chrono::milliseconds timeout);
  // Sends `signal` to the child (its whole group when it has one).
  void Kill(int signal);
  // Whether the child has not been reaped yet (polls without blocking).
  bool Running();

  const std::string& stdout_data() const { return out_; }
  const std::string& stderr_data() const { return err_; }

 private:
  Subprocess() = default;
  void Reset();

  pid_t pid_ = -1;
  bool group_ = false;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<ExitInfo> exit_;
};

struct RunResult {
  ExitInfo exit;
  std::string out;
  std::string err;
};

// Runs argv to completion, capturing stdout and stderr.
Result<RunResult> RunCommand(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace coral
