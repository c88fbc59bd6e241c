// The summary views of `coral query`, and service health for `coral status`.
#pragma once

#include "cli/colony_client.h"
#include "cli/context.h"
#include "cli/query_output.h"

namespace coral::cli {

// summary, topology and hosts under `coral query`.
void AddSummaryQueryCommands(CLI::App& query, Commands& commands);

// Service health over the last 15 minutes, as `coral status` asks for it and
// prints it in a table.
Result<coral::v1::GetSummaryResponse> RecentServiceHealth(ColonyClient& client);
void PrintServiceHealth(Context& ctx, const coral::v1::GetSummaryResponse& summary);

}  // namespace coral::cli
