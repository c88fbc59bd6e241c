// Who is calling, once a credential was checked (see front_door.h). People and
// API tokens hold grants, a role over a scope; agents and enrollees are known
// by their identity alone, and the policy names what each kind may do.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/role.h"
#include "auth/scope.h"

namespace coral::auth {

enum class CallerKind {
  kLocalOperator,  // the local token on the process's own host: admin over everything
  kApiToken,       // a coralapi1_ token, with its role and scope
  kAgent,          // an agent's certificate (coral://COLONY/agent/ID)
  kEnrollee,       // a join token's secret, or the same-host secret: may enroll
  kColony,         // an agent's colony, by its certificate (coral://COLONY/colony)
};

std::string_view CallerKindName(CallerKind kind);

struct Grant {
  Role role = Role::kViewer;
  Scope scope;  // everything when empty
};

struct Caller {
  CallerKind kind = CallerKind::kApiToken;
  std::string id;   // token id, agent id, "local"; what actions key on
  std::string who;  // as the audit log names it: "token api-1a2b (ci)", "agent web1"
  std::vector<Grant> grants;

  // The strongest role a grant gives over `target`; none when no grant covers it.
  std::optional<Role> RoleOver(const Scope& target) const;
};

}  // namespace coral::auth
