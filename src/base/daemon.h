// Running a long-lived role (agent, colony) in the background. Daemonize()
// forks: the parent waits until the child reports that it started (or why it
// failed), so `coral agent start` can print a real result; the child carries
// on in a new session with stdin on /dev/null and stdout/stderr appended to a
// log file. Call it before starting any thread.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "base/status.h"

namespace coral {

class DaemonChild;

struct DaemonOutcome {
  bool in_child = false;
  pid_t child_pid = 0;  // parent only
};

// In the parent: returns once the child reported; Ok means it started (the
// message it sent is discarded), an error carries the child's message.
// In the child: returns {in_child = true}; the child must call ReportStarted
// or ReportFailed exactly once.
Result<DaemonOutcome> Daemonize(const std::filesystem::path& log_file);
void ReportStarted();
void ReportFailed(const std::string& message);

// Pid files: written atomically; a pid file whose process is gone (or is not
// a coral process any more) counts as absent.
Status WritePidFile(const std::filesystem::path& path);
// The live pid in the file, or 0.
pid_t ReadLivePid(const std::filesystem::path& path);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it
// starts afterwards; WaitForStopSignal() then returns the signal that came.
void BlockStopSignals();
int WaitForStopSignal();

}  // namespace coral
