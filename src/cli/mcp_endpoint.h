// Where the CLI's MCP clients (`coral mcp proxy|list-tools`, `coral ask`)
// find a colony's /mcp endpoint and the API token to call it with.
#pragma once

#include <string>

#include "base/status.h"
#include "cli/context.h"
#include "mcp/client.h"

namespace coral::cli {

// --url (with --ca-file for https), else the selected colony on this host
// (its public port and CA from the colony folder). The token is CORAL_TOKEN:
// an API token, whose role decides which tools work.
Result<mcp::McpEndpoint> ResolveMcpEndpoint(Context& ctx, const std::string& url_flag,
                                            const std::string& ca_file);

}  // namespace coral::cli
