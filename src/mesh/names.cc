#include "mesh/names.h"

#include "mesh/mesh_device.h"

namespace coral::mesh {

std::string AgentUri(std::string_view colony_id, std::string_view agent_id) {
  return "coral://" + std::string(colony_id) + "/agent/" + std::string(agent_id);
}

std::string ColonyUri(std::string_view colony_id) {
  return "coral://" + std::string(colony_id) + "/colony";
}

std::string AgentIdFromUri(std::string_view colony_id, std::string_view uri) {
  std::string prefix = AgentUri(colony_id, "");
  if (uri.size() <= prefix.size() || uri.substr(0, prefix.size()) != prefix) return "";
  return std::string(uri.substr(prefix.size()));
}

std::string ColonyInterfaceName(std::string_view colony_id) {
  return MeshInterfaceName("coral", colony_id);
}

std::string AgentInterfaceName(std::string_view agent_id) {
  return MeshInterfaceName("coralag", agent_id);
}

}  // namespace coral::mesh
