// Colonies on this machine: colonies/<id>/ under CORAL_HOME. Creating one
// makes its identity (WireGuard key pair, CA, colony secret, mesh range) in a
// temp folder and renames it into place, so a crash never leaves half a
// colony. Files:
//   colony.yaml     config (public)           wireguard.key  private key (0600)
//   ca.crt          CA certificate (public)   ca.key         CA key (0600)
//   colony.secret   shared secret (0600), used by same-host agents and tokens
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "config/colony_config.h"
#include "config/home.h"

namespace coral::colony {

enum class Replace { kNo, kYes };

struct CreateColonyOptions {
  std::string app;
  std::string env = "dev";
  Replace replace = Replace::kNo;  // --force: replace a colony of the same app and env
};

// Creates a colony; it becomes the default when there was none (or when it
// replaces the default).
Result<config::ColonyConfig> CreateColony(const config::Home& home,
                                          const CreateColonyOptions& options,
                                          const Clock& clock = SystemClock::Get());

Result<config::ColonyConfig> LoadColony(const config::Home& home, std::string_view colony_id);

// Every colony in the home, sorted by id.
Result<std::vector<config::ColonyConfig>> ListColonies(const config::Home& home);

enum class ColonySource { kFlag, kEnvironment, kConfig, kOnlyOne };
std::string_view ColonySourceName(ColonySource source);

struct SelectedColony {
  std::string id;
  ColonySource source;
};

// Which colony a command acts on: --colony, else CORAL_COLONY, else the
// default in config.yaml, else the only colony there is. The colony must exist.
Result<SelectedColony> SelectColony(const config::Home& home, std::string_view flag_value);

Status SetDefaultColony(const config::Home& home, std::string_view colony_id);

}  // namespace coral::colony
