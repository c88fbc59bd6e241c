// The CORAL_HOME layout. Every command takes --home, so tests and several
// roles run side by side on one machine:
//   config.yaml                 global config (default colony)
//   colonies/<colony-id>/       colony.yaml, keys, CA, colony.duckdb
//   agent/                      agent.yaml, keys, agent.duckdb
//   reefs/<reef-id>/
//   conversations/<colony-id>/
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace coral::config {

class Home {
 public:
  // The home folder from, in order: the --home flag (if not empty), the
  // CORAL_HOME environment variable, $HOME/.coral.
  static Result<Home> Resolve(std::string_view flag_value);
  explicit Home(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path global_config() const { return root_ / "config.yaml"; }
  std::filesystem::path colonies_dir() const { return root_ / "colonies"; }
  std::filesystem::path colony_dir(std::string_view colony_id) const {
    return colonies_dir() / std::string(colony_id);
  }
  std::filesystem::path agent_dir() const { return root_ / "agent"; }
  std::filesystem::path reefs_dir() const { return root_ / "reefs"; }
  std::filesystem::path conversations_dir() const { return root_ / "conversations"; }

 private:
  std::filesystem::path root_;
};

}  // namespace coral::config
