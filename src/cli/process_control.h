// Stopping a background role (agent, colony) by its pid file: SIGTERM, wait
// up to 15 s, then SIGKILL. One helper so every role stops the same way.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/status.h"
#include "cli/output.h"

namespace coral::cli {

// {"stopped": true, "pid": N, "forced": bool}, or {"stopped": false, "reason": ...}
// when nothing was running.
Result<Json> StopByPidFile(const std::filesystem::path& pid_file, std::string_view role);

}  // namespace coral::cli
