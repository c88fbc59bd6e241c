// Colonies on this machine, as the CLI and the colony process read them:
// colonies/<id>/colony.yaml under CORAL_HOME, which one a command acts on, and
// the default in config.yaml. Creating a colony (keys, CA, secret) is the
// colony's own business: colony/colony_dir.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/colony_config.h"
#include "config/home.h"

namespace coral::config {

Result<ColonyConfig> LoadColony(const Home& home, std::string_view colony_id);

// Every colony in the home, sorted by id.
Result<std::vector<ColonyConfig>> ListColonies(const Home& home);

enum class ColonySource { kFlag, kEnvironment, kConfig, kOnlyOne };
std::string_view ColonySourceName(ColonySource source);

struct SelectedColony {
  std::string id;
  ColonySource source;
};

// Which colony a command acts on: --colony, else CORAL_COLONY, else the
// default in config.yaml, else the only colony there is. The colony must exist.
Result<SelectedColony> SelectColony(const Home& home, std::string_view flag_value);

Status SetDefaultColony(const Home& home, std::string_view colony_id);

}  // namespace coral::config
