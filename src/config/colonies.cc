#include "config/colonies.h"

#include <algorithm>
#include <cstdlib>

#include "base/files.h"
#include "base/ids.h"
#include "config/global_config.h"

namespace coral::config {

namespace {

Result<GlobalConfig> LoadGlobal(const Home& home) {
  return LoadConfig<GlobalConfig>(home.global_config(), kGlobalEnvPrefix, false);
}

// The global config as the file has it, to change and save.
Result<GlobalConfig> LoadGlobalFileOnly(const Home& home) {
  return LoadConfig<GlobalConfig>(home.global_config(), kGlobalEnvPrefix, false,
                                  Overrides::kIgnore);
}

}  // namespace

Result<ColonyConfig> LoadColony(const Home& home, std::string_view colony_id) {
  CORAL_TRY(ParseColonyId(colony_id));
  std::filesystem::path path = home.colony_dir(colony_id) / "colony.yaml";
  auto loaded = LoadConfig<ColonyConfig>(path, kColonyEnvPrefix, true);
  if (loaded.status().code() == StatusCode::kNotFound) {
    return NotFound("no colony '" + std::string(colony_id) + "' in " + home.root().string() +
                    "; see 'coral colony list'");
  }
  return loaded;
}

Result<std::vector<ColonyConfig>> ListColonies(const Home& home) {
  std::vector<ColonyConfig> out;
  std::error_code ec;
  if (!std::filesystem::exists(home.colonies_dir(), ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(home.colonies_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.starts_with(".")) continue;
    if (!ParseColonyId(name).ok()) continue;  // not ours
    out.push_back(CORAL_TRY(LoadColony(home, name)));
  }
  if (ec) return IoError("list " + home.colonies_dir().string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::string_view ColonySourceName(ColonySource source) {
  switch (source) {
    case ColonySource::kFlag:
      return "flag";
    case ColonySource::kEnvironment:
      return "environment";
    case ColonySource::kConfig:
      return "config";
    case ColonySource::kOnlyOne:
      return "only";
  }
  CORAL_PANIC("unknown ColonySource");
}

Result<SelectedColony> SelectColony(const Home& home, std::string_view flag_value) {
  SelectedColony selected;
  if (!flag_value.empty()) {
    selected = {std::string(flag_value), ColonySource::kFlag};
  } else if (const char* env = std::getenv("CORAL_COLONY"); env != nullptr && *env != '\0') {
    selected = {env, ColonySource::kEnvironment};
  } else {
    GlobalConfig global = CORAL_TRY(LoadGlobal(home));
    if (!global.default_colony.empty()) {
      selected = {global.default_colony, ColonySource::kConfig};
    } else {
      auto all = CORAL_TRY(ListColonies(home));
      if (all.size() != 1) {
        return FailedPrecondition(
            all.empty()
                ? "no colony in " + home.root().string() + "; create one with 'coral init APP'"
                : "no default colony and " + std::to_string(all.size()) +
                      " to choose from; pick one with 'coral colony use ID' or --colony");
      }
      selected = {all[0].id, ColonySource::kOnlyOne};
    }
  }
  CORAL_TRY(LoadColony(home, selected.id));
  return selected;
}

Status SetDefaultColony(const Home& home, std::string_view colony_id) {
  CORAL_TRY(LoadColony(home, colony_id));
  GlobalConfig global = CORAL_TRY(LoadGlobalFileOnly(home));
  global.default_colony = std::string(colony_id);
  CORAL_TRY(MakeDirs(home.root(), FileMode::kPrivate));
  return SaveConfig(home.global_config(), global, "Coral settings for this machine.");
}

}  // namespace coral::config
