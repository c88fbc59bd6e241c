// Human durations on the command line and in config files: "90s", "15m",
// "1h", "30d", "1h30m", "250ms".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace coral {

using Duration = std::chrono::milliseconds;

Result<Duration> ParseDuration(std::string_view text);
// The shortest exact spelling ParseDuration reads back: "1h30m", "250ms", "0s".
std::string FormatDuration(Duration d);

}  // namespace coral
