#include "agent/mesh/identity.h"

#include "base/files.h"
#include "crypto/keys.h"

namespace coral::agent {

namespace {

constexpr char kMeshFile[] = "mesh.yaml";

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A save interrupted between its two renames leaves only mesh.old: put it back.
void RecoverInterruptedSave(const std::filesystem::path& agent_dir) {
  std::error_code ec;
  auto dir = MeshIdentityDir(agent_dir), old = agent_dir / "mesh.old";
  if (!std::filesystem::exists(dir, ec) && std::filesystem::exists(old, ec)) {
    std::filesystem::rename(old, dir, ec);
  }
}

}  // namespace

MeshIdentity::~MeshIdentity() {
  crypto::Wipe(wireguard_private_key);
  crypto::Wipe(tls_key_pem);
}

std::filesystem::path MeshIdentityDir(const std::filesystem::path& agent_dir) {
  return agent_dir / "mesh";
}

bool HasMeshIdentity(const std::filesystem::path& agent_dir) {
  RecoverInterruptedSave(agent_dir);
  std::error_code ec;
  return std::filesystem::exists(MeshIdentityDir(agent_dir) / kMeshFile, ec);
}

Result<MeshIdentity> LoadMeshIdentity(const std::filesystem::path& agent_dir) {
  RecoverInterruptedSave(agent_dir);
  auto dir = MeshIdentityDir(agent_dir);
  MeshIdentity m = CORAL_TRY(config::LoadConfig<MeshIdentity>(dir / kMeshFile, "", true,
                                                              config::Overrides::kIgnore));
  m.wireguard_private_key = Trimmed(CORAL_TRY(ReadFile(dir / "wireguard.key")));
  m.tls_key_pem = CORAL_TRY(ReadFile(dir / "tls.key"));
  m.tls_cert_pem = CORAL_TRY(ReadFile(dir / "tls.crt"));
  m.ca_pem = CORAL_TRY(ReadFile(dir / "ca.crt"));
  return m;
}

Status SaveMeshIdentity(const std::filesystem::path& agent_dir, const MeshIdentity& m) {
  auto dir = MeshIdentityDir(agent_dir);
  auto tmp = agent_dir / "mesh.new";
  auto old = agent_dir / "mesh.old";
  CORAL_TRY(RemoveAll(tmp));
  CORAL_TRY(MakeDirs(tmp, FileMode::kPrivate));
  CORAL_TRY(config::SaveConfig(tmp / kMeshFile, m,
                               "This agent's membership of colony " + m.colony_id +
                                   ", written at enrollment. Keys are beside it."));
  CORAL_TRY(WriteFileAtomic(tmp / "wireguard.key", m.wireguard_private_key + "\n",
                            FileMode::kPrivate));
  CORAL_TRY(WriteFileAtomic(tmp / "tls.key", m.tls_key_pem, FileMode::kPrivate));
  CORAL_TRY(WriteFileAtomic(tmp / "tls.crt", m.tls_cert_pem, FileMode::kPublic));
  CORAL_TRY(WriteFileAtomic(tmp / "ca.crt", m.ca_pem, FileMode::kPublic));
  CORAL_TRY(RemoveAll(old));
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    std::filesystem::rename(dir, old, ec);
    if (ec) return IoError("replace " + dir.string() + ": " + ec.message());
  }
  std::filesystem::rename(tmp, dir, ec);
  if (ec) return IoError("save the mesh identity in " + dir.string() + ": " + ec.message());
  return RemoveAll(old);
}

}  // namespace coral::agent
