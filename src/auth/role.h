// Roles people and API tokens hold, each with everything of the ones before it:
//   viewer    reads: status, agents, services, summaries, traces, logs, metrics,
//             topology, hosts, read-only SQL, the read-only MCP tools
//   operator  + bringing hosts into the mesh (join tokens)
//   admin     + revoking agents and tokens, API tokens, the audit log, and
//             anything the policy does not name
#pragma once

#include <string_view>

#include "base/status.h"

namespace coral::auth {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };

std::string_view RoleName(Role role);
// "viewer", "operator" or "admin"; InvalidArgument naming them otherwise.
Result<Role> ParseRole(std::string_view name);

}  // namespace coral::auth
