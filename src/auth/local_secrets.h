// Secrets derived from a colony's colony.secret (0600, readable only by the
// colony's owner). Each purpose gets its own value, so one leaked value opens
// one door: the same-host enrollment secret lets an agent on the colony's host
// join without a token; the local API token lets the operator on that host call
// the colony's API on 127.0.0.1 (and its MCP endpoint) as an admin.
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "config/home.h"

namespace coral::auth {

// colonies/<id>/colony.secret, trimmed. PermissionDenied when it cannot be read.
Result<std::string> ReadColonySecret(const config::Home& home, std::string_view colony_id);
std::string SameHostSecret(std::string_view colony_secret);
std::string LocalApiToken(std::string_view colony_secret);

}  // namespace coral::auth
