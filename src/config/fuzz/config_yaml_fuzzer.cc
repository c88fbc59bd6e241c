// Config files as an operator (or anyone who can write one) leaves them: the
// input is a YAML file loaded as the agent's, the colony's and the CLI's
// config (LoadConfig: defaults, the file, no environment overrides).
//
// Invariants: a file loads or gets an error, never a crash; what loads is
// saved and loads again.
#include <filesystem>

#include "base/check.h"
#include "base/files.h"
#include "base/temp_dir.h"
#include "config/agent_config.h"
#include "config/colony_config.h"
#include "config/global_config.h"
#include "fuzz_target.h"

namespace {

using namespace coral;

template <typename C>
void LoadAndRoundTrip(const std::filesystem::path& file, const std::filesystem::path& again) {
  auto loaded = config::LoadConfig<C>(file, "CORAL_", true, config::Overrides::kIgnore);
  if (!loaded.ok()) return;
  CORAL_CHECK(config::SaveConfig(again, *loaded, "# fuzz").ok(), "save");
  auto reloaded = config::LoadConfig<C>(again, "CORAL_", true, config::Overrides::kIgnore);
  CORAL_CHECK(reloaded.ok(), "a saved config does not load: " + reloaded.status().ToString());
}

}  // namespace

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  static TempDir* dir = new TempDir("coral-fuzz-config");
  const auto file = dir->path() / "config.yaml";
  const auto again = dir->path() / "again.yaml";
  CORAL_CHECK(
      WriteFileAtomic(file, {reinterpret_cast<const char*>(data), size}, FileMode::kPrivate).ok(),
      "write");
  LoadAndRoundTrip<config::AgentConfig>(file, again);
  LoadAndRoundTrip<config::ColonyConfig>(file, again);
  LoadAndRoundTrip<config::GlobalConfig>(file, again);
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return {}; }
