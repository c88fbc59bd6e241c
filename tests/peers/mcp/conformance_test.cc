// The official MCP conformance suite (@modelcontextprotocol/conformance, run
// on Node 22) against a server built from src/mcp with the suite's fixture
// tools, resources and prompts, over Streamable HTTP on loopback. Every
// active server scenario for spec 2025-11-25 (which includes the 2025-06-18
// ones) must pass; the suite's own verdict is the assertion.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include "base/temp_dir.h"
#include "conformance_fixtures.h"
#include "mcp/http_transport.h"
#include "mcp_js.h"
#include "net/http_server.h"

namespace coral::mcp {
namespace {

TEST(McpConformanceTest, EveryActiveServerScenarioPasses) {
  if (std::string missing = MissingMcpJs(); !missing.empty()) FAIL() << missing;
  McpServer server(McpServerOptions{.name = "coral-conformance-fixture"});
  AddConformanceFixtures(server);
  McpHttpTransport transport(server,
                             HttpTransportOptions{.sse_retry = std::chrono::milliseconds(200)});
  auto http = net::HttpServer::Start(
      {.threads = 4}, [&](const net::HttpRequest& r) { return transport.Handle(r); });
  ASSERT_TRUE(http.ok()) << http.status().ToString();
  TempDir results("coral-mcp-conformance");
  std::string url = "http://127.0.0.1:" + std::to_string((*http)->port()) + "/mcp";
  NodeRun run = RunNode22({ConformanceCli(), "server", "--url", url, "--spec-version", "2025-11-25",
                           "--output-dir", results.path().string()},
                          std::chrono::seconds(600));
  std::string all = run.out + run.err;
  std::smatch total;
  ASSERT_TRUE(std::regex_search(all, total, std::regex(R"(Total: (\d+) passed, (\d+) failed)")))
      << all;
  EXPECT_EQ(total[2].str(), "0") << all;
  EXPECT_GE(std::stoi(total[1].str()), 30) << "fewer scenarios than the suite lists:\n" << all;
  EXPECT_TRUE(run.exit.ok()) << run.exit.ToString() << "\n" << all;
  std::cout << total[0] << "\n";
  // The suite's checks per scenario: none may fail; warnings (SHOULDs) are
  // printed, so a run shows what is not yet as good as it could be.
  int checks = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(results.path())) {
    if (entry.path().filename() != "checks.json") continue;
    std::ifstream in(entry.path());
    auto list = Json::parse(in, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(list.is_array()) << entry.path();
    for (const Json& check : list) {
      ++checks;
      std::string status = check.value("status", "");
      EXPECT_NE(status, "FAILURE") << entry.path().parent_path().filename() << ": " << check.dump();
      if (status == "WARNING") {
        std::cout << "warning in " << entry.path().parent_path().filename().string() << ": "
                  << check.value("name", "") << ": " << check.value("errorMessage", "") << "\n";
      }
    }
  }
  EXPECT_GT(checks, 0) << "the suite wrote no checks.json under " << results.path();
  (*http)->Stop();
}

}  // namespace
}  // namespace coral::mcp
