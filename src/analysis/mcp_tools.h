// Coral's MCP tools, resource and prompt, as a colony serves them to AI
// assistants (its /mcp endpoint, `coral mcp proxy`, `coral ask`): the tools
// are the read side's table (tools.h), each answering with concise text and
// the same JSON the CLI and REST API give as structuredContent.
//
//   tools                    see tools.h
//   resource coral://schema  the tables and columns SQL can use
//   prompt investigate       how to look into a problem with these tools
//
// Who may call what is checked by the endpoint (auth/front_door.h, each
// tool's least role) before a call reaches these handlers.
#pragma once

#include "analysis/colony_view.h"
#include "mcp/server.h"

namespace coral::analysis {

// Registers every tool over `colony`, which must outlive the server.
void AddColonyTools(mcp::McpServer& server, ColonyView& colony);

}  // namespace coral::analysis
