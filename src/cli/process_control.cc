#include "cli/process_control.h"

#include <signal.h>

#include <thread>

#include "base/daemon.h"
#include "base/files.h"

namespace coral::cli {

Result<Json> StopByPidFile(const std::filesystem::path& pid_file, std::string_view role) {
  pid_t pid = ReadLivePid(pid_file);
  if (pid == 0) {
    (void)RemoveAll(pid_file);
    return Json{{"stopped", false}, {"reason", "the " + std::string(role) + " is not running"}};
  }
  ::kill(pid, SIGTERM);
  bool forced = false;
  for (int i = 0; ::kill(pid, 0) == 0; ++i) {
    if (i == 150) {  // 15 s
      ::kill(pid, SIGKILL);
      forced = true;
    }
    if (i > 200) return Internal(std::string(role) + " pid " + std::to_string(pid) + " did not exit");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (void)RemoveAll(pid_file);
  return Json{{"stopped", true}, {"pid", pid}, {"forced", forced}};
}

}  // namespace coral::cli
