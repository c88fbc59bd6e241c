// For tests of the colony's doors without its mesh: a ColonyControl over a
// telemetry store and an in-memory control store (real tokens, audit log,
// policy and front door), served on loopback the way the colony serves it:
// the gRPC API (ColonyApi), /mcp (auth::McpGate) and /api/v1 (RestApi).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "analysis/mcp_tools.h"
#include "analysis/rest_api.h"
#include "auth/mcp_gate.h"
#include "colony/colony_api.h"
#include "colony/control.h"
#include "colony/control_schema.h"
#include "mcp/http_transport.h"
#include "net/grpc_server.h"
#include "net/http_server.h"

namespace coral::colony {

inline constexpr char kTestLocalToken[] = "local-operator-token-for-tests";

class FakeColony final : public ColonyControl {
 public:
  FakeColony(storage::Store& telemetry, const Clock& clock) : telemetry_(telemetry), clock_(clock) {
    config_.id = "shop-test-1a2b3c";
    config_.app = "shop";
    config_.env = "test";
    status.set_colony_id(config_.id);
    status.set_app(config_.app);
    status.set_env(config_.env);
    control_ = std::move(*storage::OpenStore("duckdb://:memory:"));
    coral::Status migrated = control_->Migrate(ControlMigrations());
    EXPECT_TRUE(migrated.ok()) << migrated.ToString();
    tokens_ = std::move(*auth::TokenStore::Open(*control_, clock_));
    audit_ = std::make_unique<auth::AuditLog>(*control_);
    policy_ = ColonyPolicy();
    door_ = std::make_unique<auth::FrontDoor>(auth::FrontDoorOptions{
        .resource = {.colony = config_.id, .app = config_.app, .env = config_.env},
        .verifiers = {auth::LocalTokenVerifier(kTestLocalToken), auth::ApiTokenVerifier(*tokens_)},
        .policy = &policy_,
        .audit = audit_.get(),
        .clock = &clock_});
  }

  storage::Store& telemetry() override { return telemetry_; }
  const Clock& clock() const override { return clock_; }
  coral::v1::GetStatusResponse Status() override { return status; }
  std::vector<coral::v1::AgentInfo> Agents() override { return agents; }
  Result<std::vector<auth::AuditEntry>> Audit(const auth::AuditQuery& query) override {
    return audit_->List(query);
  }
  const config::ColonyConfig& config() const override { return config_; }
  auth::FrontDoor& door() override { return *door_; }
  auth::TokenStore& tokens() override { return *tokens_; }
  coral::Status AgentRegistered(const std::string& agent_id, const std::string&, const std::string&,
                                int64_t) override {
    registered.push_back(agent_id);
    return coral::Status::Ok();
  }
  coral::Status AgentHeartbeat(const std::string&) override { return coral::Status::Ok(); }
  Result<coral::v1::AgentInfo> RevokeAgent(const std::string& agent_id) override {
    for (auto& a : agents) {
      if (a.agent_id() == agent_id) {
        a.set_state("revoked");
        return a;
      }
    }
    return NotFound("no agent '" + agent_id + "' in this colony");
  }
  Result<std::string> JoinTokenText(const auth::TokenStore::NewToken& token) override {
    return "coraljoin1_test_" + token.record.id;
  }

  auth::AuditLog& audit() { return *audit_; }
  // An API token's text, made now.
  std::string ApiToken(auth::Role role, auth::Scope scope = {},
                       std::chrono::seconds ttl = std::chrono::seconds(0)) {
    auto t = tokens_->Create(
        {.kind = auth::TokenKind::kApi, .role = role, .scope = std::move(scope), .ttl = ttl});
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->text : "";
  }

  coral::v1::GetStatusResponse status;
  std::vector<coral::v1::AgentInfo> agents;
  std::vector<std::string> registered;

 private:
  storage::Store& telemetry_;
  const Clock& clock_;
  config::ColonyConfig config_;
  std::unique_ptr<storage::Store> control_;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<auth::AuditLog> audit_;
  auth::Policy policy_;
  std::unique_ptr<auth::FrontDoor> door_;
};

// The fake colony's doors on loopback: grpc_address() and http_url().
class ServedColony {
 public:
  explicit ServedColony(FakeColony& colony) : colony_(colony), api_(colony) {
    auto grpc = net::GrpcServer::Start({.addresses = {"127.0.0.1:0"}, .services = {&api_}});
    EXPECT_TRUE(grpc.ok()) << grpc.status().ToString();
    if (grpc.ok()) grpc_ = std::move(*grpc);
    analysis::AddColonyTools(mcp_, colony_);
    transport_ = std::make_unique<mcp::McpHttpTransport>(mcp_, mcp::HttpTransportOptions{});
    gate_ = std::make_unique<auth::McpGate>(colony_.door(), *transport_);
    rest_ = std::make_unique<analysis::RestApi>(colony_, colony_.door(), "test");
    auto http = net::HttpServer::Start({.threads = 4}, [this](const net::HttpRequest& req) {
      if (req.path == "/mcp") return gate_->Handle(req);
      if (analysis::RestApi::Handles(req.path)) return rest_->Handle(req);
      return net::HttpResponse::Json(404, "{}");
    });
    EXPECT_TRUE(http.ok()) << http.status().ToString();
    if (http.ok()) http_ = std::move(*http);
  }
  ~ServedColony() {
    if (http_) http_->Stop();
    gate_.reset();
    transport_.reset();
    if (grpc_) grpc_->Stop();
  }

  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_->ports()[0]); }
  int grpc_port() const { return grpc_->ports()[0]; }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(http_->port()); }

 private:
  FakeColony& colony_;
  ColonyApi api_;
  mcp::McpServer mcp_{{.name = "coral", .version = "test"}};
  std::unique_ptr<net::GrpcServer> grpc_;
  std::unique_ptr<mcp::McpHttpTransport> transport_;
  std::unique_ptr<auth::McpGate> gate_;
  std::unique_ptr<analysis::RestApi> rest_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace coral::colony
