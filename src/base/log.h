// Logging. Every Coral process logs to stderr through spdlog so that stdout
// stays free for machine output (tables, JSON, JSON-RPC on stdio). Daemons add
// a log file. Never log secrets: keys, tokens and passwords stay out of every
// message, including error messages that may end up here.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

#include "base/status.h"

namespace coral::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug" | "info" | "warn" | "error" | "off".
Result<Level> ParseLevel(std::string_view name);

// Sets up the default logger: stderr, and a file too when file_path is not
// empty. Safe to call again (the last call wins).
Status Init(Level level, const std::string& file_path = "");

}  // namespace coral::log

// Thin aliases so call sites read the same everywhere.
#define CORAL_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define CORAL_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define CORAL_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define CORAL_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
