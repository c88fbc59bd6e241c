// Who may take which action: deny by default. Actions are named by the door
// they come through and what they ask: "rpc:<gRPC method>", "tool:<MCP tool>",
// "api:<REST question>", "resource:read", "prompt:get", "enroll".
//
// A rule lets people and tokens whose role over the target is at least its
// least role, and/or callers of the kinds it names (agents, enrollees). Admins
// may take every action that is not reserved to a kind, including the ones no
// rule names; nobody else may take an action no rule names.
//
// Thread-safety: fill it before serving; then it is read-only and shared.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/caller.h"
#include "base/status.h"

namespace coral::auth {

class Policy {
 public:
  // People and tokens with at least `least` over the target may take `action`.
  Policy& Allow(std::string action, Role least);
  // Whether a call let in is recorded in the audit log. Refusals always are.
  enum class Record { kAlways, kRefusalsOnly };
  // Callers of `kind` may take `action` (their identity is their scope).
  // kRefusalsOnly keeps routine calls (an agent's heartbeat every 10 s) out of
  // the audit log.
  Policy& AllowKind(std::string action, CallerKind kind, Record record = Record::kAlways);
  // Whether `caller`'s call of `action`, once let in, is recorded.
  bool Recorded(const Caller& caller, std::string_view action) const;

  // The least role a rule names for `action`; nullopt when only admins may.
  std::optional<Role> LeastRole(std::string_view action) const;

  // OK, or PermissionDenied saying what the caller lacks: the role needed, or
  // that no grant covers `target`.
  Status Authorize(const Caller& caller, std::string_view action, const Scope& target) const;

 private:
  struct Rule {
    std::optional<Role> least;
    std::map<CallerKind, Record> kinds;
  };
  std::map<std::string, Rule, std::less<>> rules_;
};

}  // namespace coral::auth
