// The colony's API handlers over a fake colony (test_colony.h), and the auth
// matrix: every kind of bad or insufficient credential against every door
// (gRPC, MCP with a session, MCP stateless, REST), each refused the same way
// and audited.
#include "colony/colony_api.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "analysis/test_store.h"
#include "colony/test_colony.h"
#include "net/http_client.h"

namespace coral::colony {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

class ColonyApiTest : public analysis::DemoColonyTest {
 protected:
  void SetUp() override {
    analysis::DemoColonyTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    colony_ = std::make_unique<FakeColony>(*store_, clock_);
    served_ = std::make_unique<ServedColony>(*colony_);
    stub_ = coral::v1::ColonyService::NewStub(
        grpc::CreateChannel(served_->grpc_address(), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    served_.reset();
    colony_.reset();
  }

  // A gRPC call's outcome: OK, or the status code and message.
  template <typename Request, typename Response, typename Method>
  grpc::Status Call(Method method, const Request& req, Response* out, const std::string& token) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    return ((*stub_).*method)(&ctx, req, out);
  }

  net::HttpClientResponse Http(const std::string& method, const std::string& path,
                               const std::string& token, const std::string& body = "",
                               net::Headers headers = {}) {
    if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
    auto r = net::HttpFetch(
        {.method = method, .url = served_->http_url() + path, .headers = headers, .body = body});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : net::HttpClientResponse{};
  }

  // An MCP tools/call with `token`: initialize, then the call in that session.
  // The HTTP status of whichever failed first, and the call's JSON-RPC answer.
  std::pair<int, Json> McpTool(const std::string& token, const std::string& tool) {
    net::Headers h = {{"Content-Type", "application/json"},
                      {"Accept", "application/json, text/event-stream"}};
    Json init = {{"jsonrpc", "2.0"},
                 {"id", 1},
                 {"method", "initialize"},
                 {"params",
                  {{"protocolVersion", "2025-11-25"},
                   {"capabilities", Json::object()},
                   {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};
    auto r = Http("POST", "/mcp", token, init.dump(), h);
    if (r.status != 200) return {r.status, Json()};
    h.push_back({"Mcp-Session-Id", std::string(r.header("Mcp-Session-Id"))});
    h.push_back({"MCP-Protocol-Version", "2025-11-25"});
    Json call = {{"jsonrpc", "2.0"},
                 {"id", 2},
                 {"method", "tools/call"},
                 {"params", {{"name", tool}, {"arguments", Json::object()}}}};
    auto c = Http("POST", "/mcp", token, call.dump(), h);
    return {c.status, Json::parse(c.body, nullptr, false)};
  }

  // The same call in MCP's stateless revision (2026-07-28): no initialize,
  // no session; the version and capabilities ride in the request's _meta and
  // the routing headers.
  std::pair<int, Json> McpStatelessTool(const std::string& token, const std::string& tool) {
    net::Headers h = {{"Content-Type", "application/json"},
                      {"Accept", "application/json, text/event-stream"},
                      {"MCP-Protocol-Version", "2026-07-28"},
                      {"Mcp-Method", "tools/call"},
                      {"Mcp-Name", tool}};
    Json call = {{"jsonrpc", "2.0"},
                 {"id", 7},
                 {"method", "tools/call"},
                 {"params",
                  {{"name", tool},
                   {"arguments", Json::object()},
                   {"_meta",
                    {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                     {"io.modelcontextprotocol/clientCapabilities", Json::object()}}}}}};
    auto c = Http("POST", "/mcp", token, call.dump(), h);
    return {c.status, Json::parse(c.body, nullptr, false)};
  }

  std::unique_ptr<FakeColony> colony_;
  std::unique_ptr<ServedColony> served_;
  std::unique_ptr<coral::v1::ColonyService::Stub> stub_;
};

// What a door said about one call.
enum class Outcome { kAllowed, kUnauthenticated, kDenied };

// The matrix: each credential against each door, for a viewer's read and an
// admin's action. Every refusal must be the same kind on every door and land
// in the audit log.
TEST_P(ColonyApiTest, AuthMatrixIsTheSameOnEveryDoor) {
  std::string viewer = colony_->ApiToken(auth::Role::kViewer);
  std::string revoked = colony_->ApiToken(auth::Role::kAdmin);
  ASSERT_TRUE(colony_->tokens().Revoke(auth::TokenKind::kApi, revoked.substr(10, 12)).ok());
  std::string expired = colony_->ApiToken(auth::Role::kAdmin, {}, 60s);
  std::string other_env = colony_->ApiToken(auth::Role::kAdmin, {.env = "prod"});
  std::string operator_token = colony_->ApiToken(auth::Role::kOperator);
  clock_.Advance(61s);

  struct Credential {
    const char* name;
    std::string token;
    Outcome read;   // a summary
    Outcome admin;  // the audit log
  };
  std::vector<Credential> credentials = {
      {"no token", "", Outcome::kUnauthenticated, Outcome::kUnauthenticated},
      {"unknown token", "coralapi1_api-00000000_" + std::string(64, '0'), Outcome::kUnauthenticated,
       Outcome::kUnauthenticated},
      {"not a token", "hunter2", Outcome::kUnauthenticated, Outcome::kUnauthenticated},
      {"revoked", revoked, Outcome::kUnauthenticated, Outcome::kUnauthenticated},
      {"expired", expired, Outcome::kUnauthenticated, Outcome::kUnauthenticated},
      {"another environment's admin", other_env, Outcome::kDenied, Outcome::kDenied},
      {"viewer", viewer, Outcome::kAllowed, Outcome::kDenied},
      {"operator", operator_token, Outcome::kAllowed, Outcome::kDenied},
      {"local operator", kTestLocalToken, Outcome::kAllowed, Outcome::kAllowed},
  };

  struct Door {
    const char* name;
    std::function<Outcome(const std::string& token, bool admin)> call;
  };
  std::vector<Door> doors = {
      {"grpc",
       [&](const std::string& token, bool admin) {
         grpc::Status s;
         if (admin) {
           coral::v1::ListAuditResponse out;
           s = Call(&coral::v1::ColonyService::Stub::ListAudit, coral::v1::ListAuditRequest(), &out,
                    token);
         } else {
           coral::v1::GetSummaryResponse out;
           s = Call(&coral::v1::ColonyService::Stub::GetSummary, coral::v1::GetSummaryRequest(),
                    &out, token);
         }
         if (s.ok()) return Outcome::kAllowed;
         EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                     s.error_code() == grpc::StatusCode::PERMISSION_DENIED)
             << s.error_message();
         return s.error_code() == grpc::StatusCode::UNAUTHENTICATED ? Outcome::kUnauthenticated
                                                                    : Outcome::kDenied;
       }},
      {"mcp",
       [&](const std::string& token, bool admin) {
         auto [status, answer] =
             McpTool(token, admin ? "coral_audit_log" : "coral_service_summary");
         if (status == 401) return Outcome::kUnauthenticated;
         EXPECT_EQ(status, 200) << answer.dump();
         if (answer.contains("error")) {
           EXPECT_EQ(answer["error"]["code"], -32003) << answer.dump();
           return Outcome::kDenied;
         }
         EXPECT_FALSE(answer["result"].value("isError", false)) << answer.dump();
         return Outcome::kAllowed;
       }},
      {"mcp stateless",
       [&](const std::string& token, bool admin) {
         auto [status, answer] =
             McpStatelessTool(token, admin ? "coral_audit_log" : "coral_service_summary");
         if (status == 401) return Outcome::kUnauthenticated;
         EXPECT_EQ(status, 200) << answer.dump();
         if (answer.contains("error")) {
           EXPECT_EQ(answer["error"]["code"], -32003) << answer.dump();
           return Outcome::kDenied;
         }
         EXPECT_FALSE(answer["result"].value("isError", false)) << answer.dump();
         EXPECT_EQ(answer["result"]["resultType"], "complete") << answer.dump();
         return Outcome::kAllowed;
       }},
      {"rest",
       [&](const std::string& token, bool admin) {
         auto r = Http("GET", admin ? "/api/v1/audit" : "/api/v1/summary", token);
         if (r.status == 401) {
           EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"coral\"");
           return Outcome::kUnauthenticated;
         }
         if (r.status == 403) return Outcome::kDenied;
         EXPECT_EQ(r.status, 200) << r.body;
         return Outcome::kAllowed;
       }},
  };

  for (const Door& door : doors) {
    for (const Credential& c : credentials) {
      for (bool admin : {false, true}) {
        SCOPED_TRACE(std::string(door.name) + ", " + c.name +
                     (admin ? ", admin action" : ", read"));
        auto before = *colony_->audit().List({.limit = 10'000});
        clock_.Advance(1ms);
        Outcome got = door.call(c.token, admin);
        EXPECT_EQ(got, admin ? c.admin : c.read);
        // The decision is in the audit log, with the door's action.
        auto after = *colony_->audit().List({.limit = 10'000});
        ASSERT_GT(after.size(), before.size());
        const auth::AuditEntry& last = after.front();
        EXPECT_EQ(last.allowed, got == Outcome::kAllowed) << last.action << " " << last.error;
        std::string prefix = door.name == std::string("grpc")   ? "rpc:"
                             : door.name == std::string("rest") ? "api:"
                                                                : "";
        if (std::string(door.name).rfind("mcp", 0) == 0) {
          prefix = got == Outcome::kUnauthenticated ? "mcp" : "tool:";
        }
        EXPECT_EQ(last.action.rfind(prefix, 0), 0u) << last.action;
        if (got == Outcome::kUnauthenticated) {
          EXPECT_EQ(last.who.rfind("unauthenticated", 0), 0u) << last.who;
        }
      }
    }
  }
}

// An MCP session belongs to the credential that made it: another token that
// presents its id (seen in a log, a proxy, a shared terminal) gets the 404 of
// a session that does not exist, for calls, streams and DELETE alike.
TEST_P(ColonyApiTest, AnMcpSessionServesOnlyTheCallerThatMadeIt) {
  std::string admin = colony_->ApiToken(auth::Role::kAdmin);
  std::string viewer = colony_->ApiToken(auth::Role::kViewer);
  net::Headers h = {{"Content-Type", "application/json"},
                    {"Accept", "application/json, text/event-stream"}};
  Json init = {{"jsonrpc", "2.0"},
               {"id", 1},
               {"method", "initialize"},
               {"params",
                {{"protocolVersion", "2025-11-25"},
                 {"capabilities", Json::object()},
                 {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}};
  auto made = Http("POST", "/mcp", admin, init.dump(), h);
  ASSERT_EQ(made.status, 200) << made.body;
  std::string session(made.header("Mcp-Session-Id"));
  ASSERT_FALSE(session.empty());
  h.push_back({"Mcp-Session-Id", session});
  h.push_back({"MCP-Protocol-Version", "2025-11-25"});
  Json call = {{"jsonrpc", "2.0"},
               {"id", 2},
               {"method", "tools/call"},
               {"params", {{"name", "coral_audit_log"}, {"arguments", Json::object()}}}};
  auto stolen = Http("POST", "/mcp", viewer, call.dump(), h);
  EXPECT_EQ(stolen.status, 404) << stolen.body;
  EXPECT_EQ(Http("GET", "/mcp", viewer, "", h).status, 404);
  EXPECT_EQ(Http("DELETE", "/mcp", viewer, "", h).status, 404);
  // Nothing of that touched the session: its maker still uses it.
  auto own = Http("POST", "/mcp", admin, call.dump(), h);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_FALSE(Json::parse(own.body)["result"].value("isError", false)) << own.body;
  EXPECT_TRUE(Json::parse(own.body)["result"].contains("structuredContent")) << own.body;
  bool audited = false;
  auto log = colony_->audit().List({.limit = 20, .action = "mcp"});
  ASSERT_TRUE(log.ok());
  for (const auto& e : *log)
    audited |= !e.allowed && e.error.find("another caller") != std::string::npos;
  EXPECT_TRUE(audited);
  EXPECT_EQ(Http("DELETE", "/mcp", admin, "", h).status / 100, 2);
  EXPECT_EQ(Http("POST", "/mcp", admin, call.dump(), h).status, 404);  // ended
}

TEST_P(ColonyApiTest, HandlersAnswerFromTheReadSideAndRefuseBadInput) {
  std::string viewer = colony_->ApiToken(auth::Role::kViewer);
  coral::v1::QuerySqlResponse rows;
  coral::v1::QuerySqlRequest sql;
  sql.set_sql("SELECT count(*) AS n FROM spans");
  ASSERT_TRUE(Call(&coral::v1::ColonyService::Stub::QuerySql, sql, &rows, viewer).ok());
  EXPECT_EQ(rows.rows(0).values(0).int_value(), 80);
  EXPECT_EQ(rows.backend(), GetParam());
  for (int bad : {-1, 100'001}) {
    sql.set_max_rows(bad);
    auto s = Call(&coral::v1::ColonyService::Stub::QuerySql, sql, &rows, viewer);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
  }
  coral::v1::GetSummaryRequest summary;
  summary.set_since_ms(-5);
  coral::v1::GetSummaryResponse out;
  EXPECT_EQ(Call(&coral::v1::ColonyService::Stub::GetSummary, summary, &out, viewer).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  summary.set_since_ms(0);
  summary.set_service(std::string(300, 's'));
  EXPECT_EQ(Call(&coral::v1::ColonyService::Stub::GetSummary, summary, &out, viewer).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Agents' calls need an agent: a person with a token cannot register.
  coral::v1::RegisterResponse reg;
  auto s = Call(&coral::v1::ColonyService::Stub::Register, coral::v1::RegisterRequest(), &reg,
                kTestLocalToken);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_TRUE(colony_->registered.empty());
}

TEST_P(ColonyApiTest, TokensShareOneLifecycleThroughTheApi) {
  std::string admin = kTestLocalToken;
  coral::v1::CreateApiTokenRequest create;
  create.set_role("viewer");
  create.set_scope("env=test");
  create.set_name("dash");
  coral::v1::CreateApiTokenResponse made;
  ASSERT_TRUE(Call(&coral::v1::ColonyService::Stub::CreateApiToken, create, &made, admin).ok());
  EXPECT_EQ(made.info().scope(), "env=test");
  // The token it printed works, within its scope.
  coral::v1::GetSummaryResponse summary;
  EXPECT_TRUE(Call(&coral::v1::ColonyService::Stub::GetSummary, coral::v1::GetSummaryRequest(),
                   &summary, made.token())
                  .ok());
  create.set_scope("env=Bad!");
  EXPECT_EQ(
      Call(&coral::v1::ColonyService::Stub::CreateApiToken, create, &made, admin).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  coral::v1::CreateJoinTokenRequest join;
  join.set_uses(1);
  join.set_ttl_seconds(600);
  coral::v1::CreateJoinTokenResponse joined;
  ASSERT_TRUE(Call(&coral::v1::ColonyService::Stub::CreateJoinToken, join, &joined, admin).ok());
  EXPECT_EQ(joined.token(), "coraljoin1_test_" + joined.info().id());
  coral::v1::ListJoinTokensResponse joins;
  ASSERT_TRUE(Call(&coral::v1::ColonyService::Stub::ListJoinTokens,
                   coral::v1::ListJoinTokensRequest(), &joins, admin)
                  .ok());
  ASSERT_EQ(joins.tokens_size(), 1);
  EXPECT_EQ(joins.tokens(0).state(), "usable");
  // Revoking one kind by the other's call is refused.
  coral::v1::RevokeApiTokenRequest wrong;
  wrong.set_id(joined.info().id());
  coral::v1::RevokeApiTokenResponse revoked;
  EXPECT_EQ(
      Call(&coral::v1::ColonyService::Stub::RevokeApiToken, wrong, &revoked, admin).error_code(),
      grpc::StatusCode::NOT_FOUND);
  // The token's text never reaches the audit log.
  auto entries = colony_->audit().List({.limit = 100});
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    EXPECT_EQ(e.arguments.find(made.token()), std::string::npos) << e.arguments;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ColonyApiTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::colony
