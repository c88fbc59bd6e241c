// <agent home>/services.yaml: the services a user connected with
// `coral connect`, kept across agent restarts.
#pragma once

#include <filesystem>
#include <vector>

#include "agent/observers/service_discovery.h"
#include "base/status.h"

namespace coral::agent {

Result<std::vector<ExplicitService>> LoadExplicitServices(const std::filesystem::path& path);
Status SaveExplicitServices(const std::filesystem::path& path,
                            const std::vector<ExplicitService>& services);
// "NAME:PORT[:HEALTH_PATH]" as `coral connect` takes it.
Result<ExplicitService> ParseServiceSpec(std::string_view spec);
Status ValidateExplicitService(const ExplicitService& s);

}  // namespace coral::agent
