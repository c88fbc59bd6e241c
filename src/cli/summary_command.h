// The summary views of `coral query`, and service health for `coral status`.
#pragma once

#include "cli/colony_client.h"
#include "cli/context.h"
#include "cli/query_output.h"

namespace coral::cli {

// summary, topology and hosts under `coral query`.
void AddSummaryQueryCommands(CLI::App& query, Commands& commands);

// Service health over the last 15 minutes, as `coral status` shows it.
Status PrintServiceHealth(Context& ctx, ColonyClient& client);
// The same for -o json/yaml; null (and *status set) when the colony failed.
Json ServiceHealthJson(ColonyClient& client, Status* status);

}  // namespace coral::cli
