#include "mcp_js.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace coral::mcp {
namespace {

std::filesystem::path Dir() { return CORAL_MCP_JS_DIR; }

}  // namespace

std::string ConformanceCli() {
  return (Dir() / "node_modules/@modelcontextprotocol/conformance/dist/index.js").string();
}

std::string ConformanceAlphaCli() {
  return (std::filesystem::path(CORAL_MCP_CONFORMANCE_ALPHA_DIR) /
          "node_modules/@modelcontextprotocol/conformance/dist/index.js")
      .string();
}

std::string MissingConformanceAlpha() {
  if (!std::filesystem::exists(ConformanceAlphaCli())) {
    return ConformanceAlphaCli() + " is missing; run scripts/setup.sh";
  }
  return "";
}

std::string MissingMcpJs() {
  for (const auto& p : {Dir() / "node/bin/node", std::filesystem::path(ConformanceCli()),
                        Dir() / "node_modules/@modelcontextprotocol/sdk/package.json"}) {
    if (!std::filesystem::exists(p)) return p.string() + " is missing; run scripts/setup.sh";
  }
  return "";
}

NodeRun RunNode22(const std::vector<std::string>& args, std::chrono::seconds timeout,
                  const std::map<std::string, std::string>& env) {
  SubprocessOptions options;
  options.argv = {(Dir() / "node/bin/node").string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env;
  options.env["NODE_PATH"] = (Dir() / "node_modules").string();
  // The suite's client may spawn `node`; make it this one.
  const char* path = std::getenv("PATH");
  options.env["PATH"] = (Dir() / "node/bin").string() + ":" + (path ? path : "/usr/bin:/bin");
  NodeRun run;
  auto child = Subprocess::Start(options);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return run;
  auto exit = child->Wait(timeout);
  EXPECT_TRUE(exit.ok()) << exit.status().ToString() << "\nstdout: " << child->stdout_data()
                         << "\nstderr: " << child->stderr_data();
  if (exit.ok()) run.exit = *exit;
  run.out = child->stdout_data();
  run.err = child->stderr_data();
  return run;
}

}  // namespace coral::mcp
