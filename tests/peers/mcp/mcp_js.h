// Running the MCP JS packages scripts/setup.sh installs (Node 22, the
// conformance suite, the TypeScript SDK) from peer tests.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "base/subprocess.h"

namespace coral::mcp {

// What is missing for the MCP peer tests, or "" when all is there.
std::string MissingMcpJs();

struct NodeRun {
  ExitInfo exit;
  std::string out, err;
};

// Runs Node 22 with these arguments (a script and its flags), NODE_PATH set to
// the installed packages; fails the test when it cannot start or times out.
NodeRun RunNode22(const std::vector<std::string>& args, std::chrono::seconds timeout,
                  const std::map<std::string, std::string>& env = {});

// The conformance suite's entry point.
std::string ConformanceCli();

// The suite's prerelease with the 2026-07-28 scenarios
// (CORAL_MCP_CONFORMANCE_ALPHA_DIR), run on the same Node 22; what is missing
// for it, or "".
std::string ConformanceAlphaCli();
std::string MissingConformanceAlpha();

}  // namespace coral::mcp
