// Names both ends of the mesh agree on: the URIs in the certificates the
// colony CA issues (who a TLS peer is) and the WireGuard interface names.
#pragma once

#include <string>
#include <string_view>

namespace coral::mesh {

// coral://COLONY/agent/AGENT: an agent's certificate.
std::string AgentUri(std::string_view colony_id, std::string_view agent_id);
// coral://COLONY/colony: the colony's own certificate.
std::string ColonyUri(std::string_view colony_id);
// The agent id in an agent URI of this colony, or "" when it is not one.
std::string AgentIdFromUri(std::string_view colony_id, std::string_view uri);

// Interface names (at most 15 characters): "coral" + 8 hex for a colony,
// "coralag" + 8 hex for an agent, from a hash of the id.
std::string ColonyInterfaceName(std::string_view colony_id);
std::string AgentInterfaceName(std::string_view agent_id);

}  // namespace coral::mesh
