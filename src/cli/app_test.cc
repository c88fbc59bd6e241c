#include "cli/app.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "base/files.h"
#include "base/ids.h"
#include "cli/output.h"

namespace coral::cli {
namespace {

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = (std::filesystem::temp_directory_path() / ("coral-cli-test-" + RandomHex(6))).string();
    ::unsetenv("CORAL_COLONY");
    ::unsetenv("CORAL_HOME");
  }
  void TearDown() override { (void)RemoveAll(home_); }

  RunResult Coral(std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home_});
    std::ostringstream out, err;
    int code = cli::Run(args, out, err);
    return {code, out.str(), err.str()};
  }
  std::string home_;
};

TEST_F(AppTest, HelpShowsTheWholeTreeAndMarksPlannedCommands) {
  auto r = Coral({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* cmd :
       {"init", "colony", "agent", "connect", "services", "status", "query", "mcp", "ask", "exec",
        "shell", "profile", "reef", "wireguard", "version"}) {
    EXPECT_NE(r.out.find(std::string("  ") + cmd), std::string::npos) << cmd << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("--home"), std::string::npos);
  EXPECT_NE(r.out.find("not implemented yet"), std::string::npos);
  auto sub = Coral({"init", "--help"});
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--force"), std::string::npos) << sub.out;
}

TEST_F(AppTest, PlannedCommandsExit2AndPrintNothingOnStdout) {
  for (const char* cmd : {"profile", "reef"}) {
    auto r = Coral({cmd, "some", "args"});
    EXPECT_EQ(r.code, 2) << cmd;
    EXPECT_EQ(r.out, "") << cmd;
    EXPECT_NE(r.err.find("not implemented yet"), std::string::npos) << cmd;
  }
}

TEST_F(AppTest, AskRefusesToStoreKeysAndChecksItsFlagsFirst) {
  auto key = Coral({"ask", "config", "--api-key", "sk-secret-123"});
  EXPECT_EQ(key.code, 2);
  EXPECT_NE(key.err.find("refusing to store an API key"), std::string::npos) << key.err;
  EXPECT_EQ(key.err.find("sk-secret-123"), std::string::npos) << key.err;
  auto model = Coral({"ask", "config", "--model", "gpt4"});
  EXPECT_EQ(model.code, 2);
  EXPECT_NE(model.err.find("provider:model"), std::string::npos) << model.err;
  auto set = Coral({"ask", "config", "--model", "ollama:qwen3", "-o", "json"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(nlohmann::json::parse(set.out)["model"], "ollama:qwen3") << set.out;
  auto no_model = Coral({"ask", "--model", "nope", "why?"});
  EXPECT_EQ(no_model.code, 2);
  EXPECT_NE(no_model.err.find("provider:model"), std::string::npos) << no_model.err;
  auto both = Coral({"ask", "--continue", "--resume", "x", "why?"});
  EXPECT_EQ(both.code, 2);
  auto help = Coral({"ask", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("OPENAI_BASE_URL"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("line editing and history recall"), std::string::npos) << help.out;
}

TEST_F(AppTest, QuerySummaryChecksItsFlagsBeforeCallingTheColony) {
  auto too_short = Coral({"query", "summary", "--since", "10s"});
  EXPECT_NE(too_short.code, 0);
  EXPECT_EQ(too_short.out, "");
  EXPECT_NE(too_short.err.find("must be a duration from 1m to 30d"), std::string::npos)
      << too_short.err;
  auto slow = Coral({"query", "summary", "--slow", "fast"});
  EXPECT_NE(slow.code, 0);
  EXPECT_NE(slow.err.find("--slow 'fast'"), std::string::npos) << slow.err;
  auto no_colony = Coral({"query", "topology"});
  EXPECT_NE(no_colony.code, 0);
  EXPECT_NE(no_colony.err.find("coral init"), std::string::npos) << no_colony.err;
}

TEST_F(AppTest, InitPrintsIdMeshAndFingerprintAsJson) {
  auto r = Coral({"init", "shop", "--env", "prod", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["id"].get<std::string>().rfind("shop-prod-", 0), 0u);
  EXPECT_EQ(j["mesh_cidr"].get<std::string>().rfind("100.", 0), 0u);
  EXPECT_EQ(j["ca_fingerprint"].get<std::string>().rfind("sha256:", 0), 0u);
  EXPECT_EQ(j["default"], true);
  EXPECT_TRUE(
      std::filesystem::exists(home_ + "/colonies/" + j["id"].get<std::string>() + "/colony.yaml"));
}

TEST_F(AppTest, InitRefusesADuplicateUnlessForced) {
  ASSERT_EQ(Coral({"init", "shop"}).code, 0);
  auto again = Coral({"init", "shop"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(again.out, "");
  EXPECT_EQ(Coral({"init", "shop", "--force"}).code, 0);
}

TEST_F(AppTest, BadInputExits2WithAReason) {
  auto bad_name = Coral({"init", "Bad_Name"});
  EXPECT_EQ(bad_name.code, 2);
  EXPECT_NE(bad_name.err.find("a-z, 0-9"), std::string::npos) << bad_name.err;
  auto bad_format = Coral({"colony", "list", "-o", "xml"});
  EXPECT_EQ(bad_format.code, 2);
  auto unknown = Coral({"frobnicate"});
  EXPECT_EQ(unknown.code, 2);
  auto missing_arg = Coral({"init"});
  EXPECT_EQ(missing_arg.code, 2);
  EXPECT_NE(missing_arg.err.find("app"), std::string::npos) << missing_arg.err;
}

TEST_F(AppTest, QueryViewsExplainThemselvesWithAnExample) {
  for (const auto& [view, flags] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"traces", {"--service", "--min-duration", "--trace-id", "--since", "--limit"}},
           {"logs", {"--service", "--grep", "--severity", "--since", "--limit"}},
           {"metrics", {"--name", "--service", "--since", "--limit"}}}) {
    auto r = Coral({"query", view, "--help"});
    EXPECT_EQ(r.code, 0) << view;
    for (const auto& flag : flags) EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
    EXPECT_NE(r.out.find("coral query " + view + " --"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("not implemented yet"), std::string::npos) << r.out;
  }
  auto query = Coral({"query", "--help"});
  EXPECT_NE(query.out.find("traces"), std::string::npos) << query.out;
}

// Bad flags are refused before any colony is asked (this home has none).
TEST_F(AppTest, QueryViewsRejectBadFlagsSayingWhich) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"traces", "--since", "banana"}, "--since 'banana' is not a duration"},
           {{"traces", "--since", "31d"}, "--since must be at most 30d"},
           {{"traces", "--min-duration", "fast"}, "--min-duration 'fast' is not a duration"},
           {{"traces", "--limit", "10001"}, "--limit must be 1..10000"},
           {{"traces", "--limit", "-1"}, "--limit must be 1..10000"},
           {{"traces", "--trace-id", std::string(32, 'a'), "--service", "web"},
            "leave out --service"},
           {{"logs", "--severity", "loud"}, "--severity 'loud' is not a level"},
           {{"logs", "--since", "2"}, "--since '2' is not a duration"},
           {{"metrics", "--limit", "0x"}, "--limit"},
           {{"traces", "--bogus"}, "--bogus"},
       }) {
    std::vector<std::string> args = {"query"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = Coral(args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.err;
    EXPECT_EQ(r.out, "") << c.says;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
  // Good flags get as far as the colony, which this home lacks.
  auto r = Coral({"query", "logs", "--severity", "WARN", "--grep", "100%_done", "--since", "2h"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("coral init"), std::string::npos) << r.err;
}

TEST_F(AppTest, ColonyListUseAndCurrent) {
  auto empty = Coral({"colony", "list"});
  EXPECT_EQ(empty.code, 0);
  EXPECT_NE(empty.out.find("coral init"), std::string::npos);
  std::string a = Json::parse(Coral({"init", "aaa", "-o", "json"}).out)["id"];
  std::string b = Json::parse(Coral({"init", "bbb", "-o", "json"}).out)["id"];

  auto table = Coral({"colony", "list"});
  ASSERT_EQ(table.code, 0);
  EXPECT_EQ(table.out.rfind("CURRENT   ID", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("*         " + a), std::string::npos) << table.out;

  auto json = Json::parse(Coral({"colony", "list", "-o", "json"}).out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["id"], a);
  EXPECT_EQ(json[0]["current"], true);
  EXPECT_EQ(json[1]["current"], false);

  EXPECT_EQ(Coral({"colony", "use", b}).code, 0);
  auto current = Json::parse(Coral({"colony", "current", "-o", "json"}).out);
  EXPECT_EQ(current["colony"], b);
  EXPECT_EQ(current["source"], "config");
  auto flagged = Json::parse(Coral({"--colony", a, "colony", "current", "-o", "json"}).out);
  EXPECT_EQ(flagged["source"], "flag");

  auto csv = Coral({"colony", "list", "-o", "csv"});
  EXPECT_EQ(csv.out.rfind("id,app,env,mesh_cidr,mesh_ip,created_at,ca_fingerprint,current\r\n", 0),
            0u);

  auto unknown = Coral({"colony", "use", "zzz-dev-000000"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("coral colony list"), std::string::npos);
}

TEST_F(AppTest, AgentTokenIsNeverSentToAnotherHost) {
  for (const char* addr : {"10.0.0.5:9001", "example.com:9001", "127.0.0.1"}) {
    auto r = Coral({"services", "--agent", addr});
    EXPECT_EQ(r.code, 2) << addr;
    EXPECT_NE(r.err.find("never sent elsewhere"), std::string::npos) << r.err;
  }
}

TEST_F(AppTest, VersionNamesDuckDb) {
  auto r = Coral({"version", "-o", "json"});
  ASSERT_EQ(r.code, 0);
  auto j = Json::parse(r.out);
  EXPECT_EQ(j["duckdb"], "v1.5.6");
  EXPECT_FALSE(j["version"].get<std::string>().empty());
}

TEST_F(AppTest, NoArgumentsPrintsHelp) {
  auto r = Coral({});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Usage"), std::string::npos);
}

}  // namespace
}  // namespace coral::cli
