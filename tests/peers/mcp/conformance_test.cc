// The official MCP conformance suite (@modelcontextprotocol/conformance, run
// on Node 22) against a server built from src/mcp with the suite's fixture
// tools, resources and prompts, over Streamable HTTP on loopback; the suite's
// own verdict is the assertion. One endpoint serves both eras, and both runs
// go to the same server:
//   - 0.1.16: every active server scenario for spec 2025-11-25 (which
//     includes the 2025-06-18 ones), over the initialize handshake;
//   - 0.2.0-alpha.12: every server scenario of 2026-07-28 (active, pending
//     and draft; extensions are not part of the revision), stateless. What
//     cannot pass for a reason outside Coral is listed, with the reason, in
//     conformance_2026_baseline.yml, which the suite enforces both ways: a
//     listed check that passes fails the run too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>

#include "base/temp_dir.h"
#include "conformance_fixtures.h"
#include "mcp/http_transport.h"
#include "mcp_js.h"
#include "net/http_server.h"

namespace coral::mcp {
namespace {

class McpConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddConformanceFixtures(server_);
    transport_ = std::make_unique<McpHttpTransport>(
        server_, HttpTransportOptions{.sse_retry = std::chrono::milliseconds(200)});
    auto http = net::HttpServer::Start(
        {.threads = 4}, [this](const net::HttpRequest& r) { return transport_->Handle(r); });
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
    url_ = "http://127.0.0.1:" + std::to_string(http_->port()) + "/mcp";
  }
  void TearDown() override {
    if (http_) http_->Stop();
  }

  struct Run {
    NodeRun node;
    std::string all;  // stdout and stderr
    int passed = 0, failed = 0;
  };

  // Runs the suite with these arguments, results into `results`; checks that
  // it printed its totals.
  Run RunSuite(std::vector<std::string> args, const TempDir& results) {
    args.insert(args.end(), {"--url", url_, "--output-dir", results.path().string()});
    Run run;
    run.node = RunNode22(args, std::chrono::seconds(900));
    run.all = run.node.out + run.node.err;
    std::smatch total;
    EXPECT_TRUE(
        std::regex_search(run.all, total, std::regex(R"(Total: (\d+) passed, (\d+) failed)")))
        << run.all;
    if (!total.empty()) {
      run.passed = std::stoi(total[1].str());
      run.failed = std::stoi(total[2].str());
    }
    // The suite's summary (a line per scenario, the totals, the baseline's
    // verdict), so a run's log shows what ran.
    if (size_t summary = run.node.out.find("=== SUMMARY ==="); summary != std::string::npos) {
      std::cout << run.node.out.substr(summary);
    }
    return run;
  }

  // The suite's checks per scenario, as it wrote them: calls `each` with the
  // scenario's folder name and the check; prints the ones that did not
  // plainly pass (warnings for SHOULDs, skipped, informational), so a run
  // shows what is not yet as good as it could be. Returns how many.
  static int ForEachCheck(const TempDir& results,
                          const std::function<void(const std::string&, const Json&)>& each) {
    int checks = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(results.path())) {
      if (entry.path().filename() != "checks.json") continue;
      std::ifstream in(entry.path());
      auto list = Json::parse(in, nullptr, /*allow_exceptions=*/false);
      EXPECT_TRUE(list.is_array()) << entry.path();
      if (!list.is_array()) continue;
      std::string scenario = entry.path().parent_path().filename().string();
      for (const Json& check : list) {
        ++checks;
        if (std::string status = check.value("status", ""); status != "SUCCESS") {
          std::cout << status << " in " << scenario << ": " << check.value("name", "") << ": "
                    << check.value("errorMessage", "") << "\n";
        }
        each(scenario, check);
      }
    }
    return checks;
  }

  McpServer server_{McpServerOptions{.name = "coral-conformance-fixture"}};
  std::unique_ptr<McpHttpTransport> transport_;
  std::unique_ptr<net::HttpServer> http_;
  std::string url_;
};

TEST_F(McpConformanceTest, EveryActiveServerScenarioPasses) {
  if (std::string missing = MissingMcpJs(); !missing.empty()) FAIL() << missing;
  TempDir results("coral-mcp-conformance");
  Run run = RunSuite({ConformanceCli(), "server", "--spec-version", "2025-11-25"}, results);
  EXPECT_EQ(run.failed, 0) << run.all;
  EXPECT_GE(run.passed, 30) << "fewer scenarios than the suite lists:\n" << run.all;
  EXPECT_TRUE(run.node.exit.ok()) << run.node.exit.ToString() << "\n" << run.all;
  int checks = ForEachCheck(results, [](const std::string& scenario, const Json& check) {
    EXPECT_NE(check.value("status", ""), "FAILURE") << scenario << ": " << check.dump();
  });
  EXPECT_GT(checks, 0) << "the suite wrote no checks.json under " << results.path();
}

TEST_F(McpConformanceTest, Every2026ServerScenarioPassesStatelessly) {
  if (std::string missing = MissingMcpJs(); !missing.empty()) FAIL() << missing;
  if (std::string missing = MissingConformanceAlpha(); !missing.empty()) FAIL() << missing;
  TempDir results("coral-mcp-conformance-2026");
  Run run = RunSuite({ConformanceAlphaCli(), "server", "--suite", "all", "--spec-version",
                      "2026-07-28", "--expected-failures", CORAL_MCP_CONFORMANCE_2026_BASELINE},
                     results);
  // With a baseline the suite decides: exit 0 only when every failure (and
  // warning) is a listed one and every listed one still fails.
  EXPECT_TRUE(run.node.exit.ok()) << run.node.exit.ToString() << "\n" << run.all;
  EXPECT_NE(run.all.find("Baseline check passed"), std::string::npos) << run.all;
  EXPECT_GE(run.passed, 100) << "fewer checks than the suite has:\n" << run.all;
  // Result folders are named server-SCENARIO-TIMESTAMP.
  std::set<std::string> folders;
  int checks = ForEachCheck(
      results, [&](const std::string& folder, const Json&) { folders.insert(folder); });
  EXPECT_GT(checks, 0) << "the suite wrote no checks.json under " << results.path();
  for (std::string name : {"server-stateless", "caching", "input-required-result-multi-round",
                           "http-header-validation", "http-custom-header-server-validation"}) {
    bool ran = false;
    for (const std::string& f : folders) ran = ran || f.starts_with("server-" + name + "-2");
    EXPECT_TRUE(ran) << name << " did not run; results: " << results.path();
  }
  // Nothing stateless made a session.
  EXPECT_EQ(transport_->session_count(), 0u);
}

}  // namespace
}  // namespace coral::mcp
