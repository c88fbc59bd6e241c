// Enrollment, the agent's side: with a join token, make a WireGuard key and a
// TLS key (which never leave this host), fetch the colony CA from the token's
// endpoint and check it against the token's fingerprint (a mismatch aborts,
// naming both), then POST /v1/enroll over TLS pinned to that CA with a
// certificate request. The answer becomes the MeshIdentity the agent keeps.
//
// Thread-safety: a plain function.
#pragma once

#include <chrono>
#include <string>

#include "agent/mesh/identity.h"
#include "base/status.h"
#include "mesh/join_token.h"

namespace coral::agent {

struct EnrollOptions {
  mesh::JoinToken token;
  std::string agent_id;
  std::string hostname;
  std::string version;
  std::chrono::milliseconds timeout{15'000};
};

Result<MeshIdentity> Enroll(const EnrollOptions& options);

}  // namespace coral::agent
