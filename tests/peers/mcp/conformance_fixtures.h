// The tools, resources and prompts the official MCP conformance suite
// (@modelcontextprotocol/conformance) expects of a server under test, built on
// src/mcp. Each one does what the suite's scenario description asks; nothing
// here knows what the suite will check.
#pragma once

#include "mcp/server.h"

namespace coral::mcp {

void AddConformanceFixtures(McpServer& server);

}  // namespace coral::mcp
