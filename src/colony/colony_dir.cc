#include "colony/colony_dir.h"

#include <algorithm>
#include <cstdlib>

#include "base/files.h"
#include "base/ids.h"
#include "config/global_config.h"
#include "crypto/ca.h"
#include "crypto/keys.h"
#include "mesh/addressing.h"

namespace coral::colony {

namespace {

Result<config::GlobalConfig> LoadGlobal(const config::Home& home) {
  return config::LoadConfig<config::GlobalConfig>(home.global_config(), config::kGlobalEnvPrefix,
                                                  false);
}

// The global config as the file has it, to change and save.
Result<config::GlobalConfig> LoadGlobalFileOnly(const config::Home& home) {
  return config::LoadConfig<config::GlobalConfig>(home.global_config(), config::kGlobalEnvPrefix,
                                                  false, config::Overrides::kIgnore);
}

Status WriteIdentity(const std::filesystem::path& dir, config::ColonyConfig& c) {
  crypto::PrivateKey wg_key = crypto::PrivateKey::Generate();
  c.wireguard_public_key = crypto::KeyToBase64(crypto::DerivePublicKey(wg_key).bytes);
  std::string wg_text = crypto::KeyToBase64(wg_key.bytes()) + "\n";
  Status s = WriteFileAtomic(dir / "wireguard.key", wg_text, FileMode::kPrivate);
  crypto::Wipe(wg_text);
  CORAL_TRY(s);

  auto ca = CORAL_TRY(crypto::CertificateAuthority::Create("Coral colony CA " + c.id, 10));
  c.ca_fingerprint = ca.fingerprint();
  CORAL_TRY(WriteFileAtomic(dir / "ca.crt", ca.files().cert_pem, FileMode::kPublic));
  CORAL_TRY(WriteFileAtomic(dir / "ca.key", ca.files().key_pem, FileMode::kPrivate));

  std::string secret = RandomHex(32) + "\n";
  s = WriteFileAtomic(dir / "colony.secret", secret, FileMode::kPrivate);
  crypto::Wipe(secret);
  return s;
}

}  // namespace

Result<config::ColonyConfig> CreateColony(const config::Home& home,
                                          const CreateColonyOptions& options, const Clock& clock) {
  ColonyId id = CORAL_TRY(NewColonyId(options.app, options.env));
  CORAL_TRY(MakeDirs(home.colonies_dir(), FileMode::kPrivate));

  std::vector<config::ColonyConfig> existing = CORAL_TRY(ListColonies(home));
  std::vector<std::string> replaced;
  for (const auto& c : existing) {
    if (c.app != id.app || c.env != id.env) continue;
    if (options.replace == Replace::kNo) {
      return AlreadyExists("a colony for app '" + c.app + "' env '" + c.env + "' exists: " + c.id +
                           " (" + home.colony_dir(c.id).string() +
                           "); pass --force to replace it (its keys and CA are deleted), or "
                           "choose another --env");
    }
    replaced.push_back(c.id);
  }

  config::ColonyConfig c;
  c.id = id.str();
  c.app = id.app;
  c.env = id.env;
  c.created_at = FormatRfc3339(clock.Now());
  mesh::Ipv4Prefix range = mesh::ColonyMeshRange(c.id);
  c.mesh_cidr = range.ToString();
  c.mesh_ip = mesh::Ipv4ToString(mesh::ColonyMeshIp(range));
  c.storage_url = "duckdb://" + (home.colony_dir(c.id) / "colony.duckdb").string();

  // Build the whole colony in a temp folder, then rename it into place.
  std::filesystem::path tmp = home.colonies_dir() / (".creating-" + c.id);
  CORAL_TRY(RemoveAll(tmp));
  CORAL_TRY(MakeDirs(tmp, FileMode::kPrivate));
  Status built = WriteIdentity(tmp, c);
  if (built.ok()) {
    built =
        config::SaveConfig(tmp / "colony.yaml", c,
                           "Coral colony " + c.id + ". Secrets are in the 0600 files beside it.");
  }
  if (!built.ok()) {
    (void)RemoveAll(tmp);
    return built.WithContext("create colony " + c.id);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, home.colony_dir(c.id), ec);
  if (ec) {
    (void)RemoveAll(tmp);
    return IoError("create colony " + c.id + ": " + ec.message());
  }

  config::GlobalConfig global = CORAL_TRY(LoadGlobalFileOnly(home));
  bool replaced_default =
      std::find(replaced.begin(), replaced.end(), global.default_colony) != replaced.end();
  for (const auto& old : replaced) CORAL_TRY(RemoveAll(home.colony_dir(old)));
  if (global.default_colony.empty() || replaced_default) CORAL_TRY(SetDefaultColony(home, c.id));
  return c;
}

Result<config::ColonyConfig> LoadColony(const config::Home& home, std::string_view colony_id) {
  CORAL_TRY(ParseColonyId(colony_id));
  std::filesystem::path path = home.colony_dir(colony_id) / "colony.yaml";
  auto loaded = config::LoadConfig<config::ColonyConfig>(path, config::kColonyEnvPrefix, true);
  if (loaded.status().code() == StatusCode::kNotFound) {
    return NotFound("no colony '" + std::string(colony_id) + "' in " + home.root().string() +
                    "; see 'coral colony list'");
  }
  return loaded;
}

Result<std::vector<config::ColonyConfig>> ListColonies(const config::Home& home) {
  std::vector<config::ColonyConfig> out;
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

Result<SelectedColony> SelectColony(const config::Home& home, std::string_view flag_value) {
  SelectedColony selected;
  if (!flag_value.empty()) {
    selected = {std::string(flag_value), ColonySource::kFlag};
  } else if (const char* env = std::getenv("CORAL_COLONY"); env != nullptr && *env != '\0') {
    selected = {env, ColonySource::kEnvironment};
  } else {
    config::GlobalConfig global = CORAL_TRY(LoadGlobal(home));
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

Status SetDefaultColony(const config::Home& home, std::string_view colony_id) {
  CORAL_TRY(LoadColony(home, colony_id));
  config::GlobalConfig global = CORAL_TRY(LoadGlobalFileOnly(home));
  global.default_colony = std::string(colony_id);
  CORAL_TRY(MakeDirs(home.root(), FileMode::kPrivate));
  return config::SaveConfig(home.global_config(), global, "Coral settings for this machine.");
}

}  // namespace coral::colony
