// Who may do what on a colony: API tokens with roles, the policy that maps a
// role to the actions it may take (deny by default), and the audit log of
// every decision. Kept in the colony's control store (control.duckdb).
//
// API tokens read `coralapi1_<id>_<secret>`: the id names the token in lists,
// revocation and the audit log; only the SHA-256 of the secret is stored. The
// operator on the colony's host (the local token derived from colony.secret)
// is an admin.
//
// Actions are "rpc:<ColonyService method>" for the gRPC API and
// "tool:<name>", "resource:read" and "prompt:get" for MCP. Roles, each with
// everything of the ones before it:
//   viewer    status, agents, services, summaries, traces, logs, metrics,
//             topology, hosts, read-only SQL, the read-only MCP tools
//   operator  + join tokens (create, list): bring hosts into the mesh
//   admin     + revoking agents and join tokens, API tokens, the audit log
// An action the policy does not name is denied to everyone but admins.
//
// Thread-safety: every method is safe from any thread (mu_ guards the maps).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "storage/store.h"

namespace coral::colony {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };
std::string_view RoleName(Role role);
Result<Role> ParseRole(std::string_view name);

// The least role allowed `action`; nullopt when only an admin may.
std::optional<Role> LeastRoleFor(std::string_view action);

struct ApiTokenRecord {
  std::string id;
  std::string name;
  Role role = Role::kViewer;
  WallTime created_at{};
  std::optional<WallTime> expires_at;
  std::optional<WallTime> revoked_at;
};
// usable | expired | revoked
std::string ApiTokenState(const ApiTokenRecord& token, WallTime now);

// Who is calling, once authenticated.
struct Caller {
  std::string who;  // "local operator" or "token <id> (<name>)"
  Role role = Role::kViewer;
};

struct AuditEntry {
  WallTime at{};
  std::string who;
  std::string action;
  std::string arguments;  // JSON, cut at 2 KiB
  bool allowed = false;
  int64_t result_bytes = 0;
  double duration_ms = 0;
  std::string error;  // why it was denied or failed; empty when it went well
};

class AccessControl {
 public:
  // Loads the tokens from `store`, whose control migrations must have run.
  static Result<std::unique_ptr<AccessControl>> Open(storage::Store& store,
                                                     const Clock& clock = SystemClock::Get());

  struct NewToken {
    ApiTokenRecord record;
    std::string token;  // the whole token, shown once
  };
  Result<NewToken> CreateToken(Role role, std::chrono::seconds ttl, const std::string& name);
  std::vector<ApiTokenRecord> Tokens();
  Result<ApiTokenRecord> RevokeToken(const std::string& id);
  bool IsApiTokenId(std::string_view id) const;

  // The caller a bearer token stands for: Unauthenticated when it is not a
  // token of this colony, or is expired or revoked (saying which).
  Result<Caller> Authenticate(std::string_view bearer);
  // OK when the caller's role allows the action; PermissionDenied naming the
  // role needed otherwise.
  static Status Authorize(const Caller& caller, std::string_view action);

  // Appends to the audit log (a failure to write is logged, never thrown).
  void Record(const AuditEntry& entry);
  // Newest first.
  Result<std::vector<AuditEntry>> AuditLog(int limit, std::optional<WallTime> since);
  // Deletes audit entries older than `before` (retention.audit).
  Status PruneAuditLog(WallTime before);

  const Clock& clock() const { return clock_; }

 private:
  AccessControl(storage::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  Status Load();

  storage::Store& store_;
  const Clock& clock_;
  std::mutex mu_;                                 // guards tokens_, hashes_
  std::map<std::string, ApiTokenRecord> tokens_;  // by id
  std::map<std::string, std::string> hashes_;     // secret hash -> id
};

}  // namespace coral::colony
