// The colony's registry of enrolled agents, kept in the colony's control store
// (DuckDB, control.duckdb) and mirrored in memory. Enrollment (after the front
// door checked the join token, auth/front_door.h) gives the agent a persistent
// mesh address (the same agent id always gets the same address), records the
// certificate the colony signed for it, and counts the token's use
// (auth/tokens.h) in the same transaction.
// Heartbeats move an agent's last-seen time; its state follows from it:
// healthy up to 30 s, degraded up to 2 min, unhealthy after. Revoking an agent
// is permanent: its certificate is refused and it may not enroll again.
//
// Thread-safety: every method is safe from any thread (mu_ serializes them).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/tokens.h"
#include "base/clock.h"
#include "base/status.h"
#include "mesh/addressing.h"
#include "storage/store.h"

namespace coral::colony {

inline constexpr std::chrono::seconds kHealthyWithin{30};
inline constexpr std::chrono::minutes kDegradedWithin{2};

struct AgentRecord {
  std::string agent_id;
  std::string hostname;
  std::string version;
  std::string mesh_ip;
  std::string wireguard_public_key;  // base64
  std::string cert_fingerprint;      // the only certificate accepted from it
  WallTime cert_expires_at{};
  WallTime enrolled_at{};
  int64_t api_port = 0;  // its AgentService on the mesh, from Register
  std::optional<WallTime> last_seen;
  std::optional<WallTime> revoked_at;
};

enum class AgentState { kEnrolled, kHealthy, kDegraded, kUnhealthy, kRevoked };
AgentState StateOf(const AgentRecord& agent, WallTime now);
std::string_view AgentStateName(AgentState state);

// Agent ids: 1 to 64 of [a-z0-9-], no leading or trailing '-' (they appear in
// URIs, file names and interface-name hashes).
Status ValidateAgentId(std::string_view id);

struct EnrollClaim {
  std::string token_id;  // the join token it came with, or "same-host"
  std::string agent_id;
  std::string hostname;
  std::string version;
  std::string wireguard_public_key;  // base64
};

struct Enrolled {
  AgentRecord agent;
  std::string replaced_wireguard_key;  // the key of an earlier enrollment, if it changed
};

// Signs the agent's certificate once its address is known: returns the PEM.
using CertIssuer = std::function<Result<std::string>(const std::string& mesh_ip)>;

class Registry {
 public:
  // Loads the agents from `store`, whose control migrations must have run;
  // `tokens` (in the same store) counts join token uses.
  static Result<std::unique_ptr<Registry>> Open(storage::Store& store, mesh::Ipv4Prefix range,
                                                auth::TokenStore& tokens,
                                                const Clock& clock = SystemClock::Get());

  Result<Enrolled> Enroll(const EnrollClaim& claim, const CertIssuer& issue);

  // Whether the agent may call the colony with the certificate of this
  // fingerprint; an error says why not (unknown, revoked, superseded).
  Result<AgentRecord> Authenticate(const std::string& agent_id,
                                   const std::string& cert_fingerprint);
  // Register and Heartbeat: mark the agent seen (after Authenticate).
  Status MarkSeen(const std::string& agent_id, const std::string& hostname,
                  const std::string& version, int64_t api_port);
  Status MarkSeen(const std::string& agent_id);

  std::vector<AgentRecord> Agents();
  Result<AgentRecord> Agent(const std::string& agent_id);
  Result<AgentRecord> RevokeAgent(const std::string& agent_id);

  const Clock& clock() const { return clock_; }

 private:
  Registry(storage::Store& store, mesh::Ipv4Prefix range, auth::TokenStore& tokens,
           const Clock& clock)
      : store_(store), range_(range), tokens_(tokens), clock_(clock) {}
  Status Load();
  Result<std::string> AddressForLocked(const std::string& agent_id);

  storage::Store& store_;
  const mesh::Ipv4Prefix range_;
  auth::TokenStore& tokens_;
  const Clock& clock_;

  std::mutex mu_;                              // guards agents_; serializes enrollments
  std::map<std::string, AgentRecord> agents_;  // by agent id
};

}  // namespace coral::colony
