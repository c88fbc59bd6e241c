#include "analysis/colony_view.h"

namespace coral::analysis {

std::map<std::string, std::string> ColonyView::HostNames() {
  std::map<std::string, std::string> names;
  for (const auto& a : Agents()) names[a.agent_id()] = a.hostname();
  return names;
}

}  // namespace coral::analysis
