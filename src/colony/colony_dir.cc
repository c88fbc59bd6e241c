#include "colony/colony_dir.h"

#include <algorithm>

#include "base/files.h"
#include "base/ids.h"
#include "config/colonies.h"
#include "config/global_config.h"
#include "crypto/ca.h"
#include "crypto/keys.h"
#include "mesh/addressing.h"

namespace coral::colony {

namespace {

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

  std::vector<config::ColonyConfig> existing = CORAL_TRY(config::ListColonies(home));
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
  if (global.default_colony.empty() || replaced_default)
    CORAL_TRY(config::SetDefaultColony(home, c.id));
  return c;
}

}  // namespace coral::colony
