// The agent's membership of a colony's mesh, written when it enrolls and
// reused on every start after (no token needed again). In <home>/agent/mesh/:
//   mesh.yaml       colony id, addresses, the colony's key and endpoint (public)
//   wireguard.key   the agent's WireGuard private key (0600)
//   tls.key         the agent's TLS private key (0600); it never left the host
//   tls.crt         its certificate from the colony CA (URI coral://COLONY/agent/ID)
//   ca.crt          the colony CA, pinned at enrollment by its fingerprint
// The folder is written whole and renamed into place, so a crash leaves the
// old identity or the new one, never a mix.
//
// Thread-safety: plain values and functions.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/fields.h"

namespace coral::agent {

struct MeshIdentity {
  std::string colony_id;
  std::string agent_id;
  std::string mesh_ip;          // ours, e.g. 100.97.0.7
  std::string mesh_cidr;        // the colony's /16
  std::string colony_mesh_ip;   // .1
  int colony_grpc_port = 9000;
  std::string colony_public_key;  // base64
  std::string colony_endpoint;    // WireGuard host:port
  std::vector<std::string> colony_public_endpoints;  // HTTPS host:port, as in the join token
  std::string enrolled_at;        // RFC 3339
  bool same_host = false;         // joined the colony in this home without a token
  // Secrets and certificates, in their own files.
  std::string wireguard_private_key;  // base64
  std::string tls_key_pem;
  std::string tls_cert_pem;
  std::string ca_pem;

  template <typename V>
  static void Visit(MeshIdentity& m, V& v) {
    using config::Env;
    v.String("colony_id", m.colony_id, Env::kNone, config::NonEmpty);
    v.String("agent_id", m.agent_id, Env::kNone, config::NonEmpty);
    v.String("mesh.ip", m.mesh_ip, Env::kNone, config::NonEmpty);
    v.String("mesh.cidr", m.mesh_cidr, Env::kNone, config::NonEmpty);
    v.String("colony.mesh_ip", m.colony_mesh_ip, Env::kNone, config::NonEmpty);
    v.Int("colony.grpc_port", m.colony_grpc_port, Env::kNone, 1, 65535);
    v.String("colony.wireguard_public_key", m.colony_public_key, Env::kNone, config::NonEmpty);
    v.String("colony.wireguard_endpoint", m.colony_endpoint, Env::kNone, config::NonEmpty);
    v.StringList("colony.public_endpoints", m.colony_public_endpoints, Env::kNone);
    v.String("enrolled_at", m.enrolled_at, Env::kNone);
    v.Bool("same_host", m.same_host, Env::kNone);
  }
  ~MeshIdentity();
};

std::filesystem::path MeshIdentityDir(const std::filesystem::path& agent_dir);
bool HasMeshIdentity(const std::filesystem::path& agent_dir);
Result<MeshIdentity> LoadMeshIdentity(const std::filesystem::path& agent_dir);
Status SaveMeshIdentity(const std::filesystem::path& agent_dir, const MeshIdentity& identity);

}  // namespace coral::agent
