#include "cli/colony_client.h"

#include <grpcpp/grpcpp.h>

#include <cstdlib>

#include "auth/local_secrets.h"
#include "base/daemon.h"
#include "config/colonies.h"
#include "crypto/keys.h"
#include "net/grpc_server.h"

namespace coral::cli {

Result<ColonyClient> ColonyClient::Open(const config::Home& home, const std::string& colony_id) {
  auto cfg = CORAL_TRY(config::LoadColony(home, colony_id));
  ColonyClient c;
  c.colony_id_ = cfg.id;
  c.address_ = "127.0.0.1:" + std::to_string(cfg.grpc_port);
  if (const char* token = std::getenv("CORAL_TOKEN"); token != nullptr && *token != '\0') {
    c.token_ = token;
  } else {
    std::string secret = CORAL_TRY(auth::ReadColonySecret(home, cfg.id));
    c.token_ = auth::LocalApiToken(secret);
    crypto::Wipe(secret);
  }
  c.stub_ = coral::v1::ColonyService::NewStub(
      grpc::CreateChannel(c.address_, net::ChannelCredentials("")));
  return c;
}

Result<ColonyClient> ColonyClient::OpenRunning(const config::Home& home, const std::string& flag) {
  auto sel = CORAL_TRY(config::SelectColony(home, flag));
  if (ReadLivePid(home.colony_dir(sel.id) / "colony.pid") == 0) {
    return FailedPrecondition("colony " + sel.id +
                              " is not running; start it with 'coral colony start'");
  }
  return Open(home, sel.id);
}

template <typename Call>
coral::Status ColonyClient::Invoke(std::string_view what, Call&& call) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  ctx.AddMetadata("authorization", "Bearer " + token_);
  grpc::Status s = call(ctx);
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return Unavailable("colony " + colony_id_ + " is not answering at " + address_ +
                       "; is it running? ('coral colony status', 'coral colony start')");
  }
  return net::FromGrpc(s, std::string(what));
}

Result<coral::v1::GetStatusResponse> ColonyClient::Status() {
  coral::v1::GetStatusResponse out;
  CORAL_TRY(Invoke("colony status",
                   [&](grpc::ClientContext& ctx) { return stub_->GetStatus(&ctx, {}, &out); }));
  return out;
}

Result<coral::v1::ListAgentsResponse> ColonyClient::ListAgents() {
  coral::v1::ListAgentsResponse out;
  CORAL_TRY(Invoke("list agents",
                   [&](grpc::ClientContext& ctx) { return stub_->ListAgents(&ctx, {}, &out); }));
  return out;
}

Result<coral::v1::AgentInfo> ColonyClient::RevokeAgent(const std::string& agent_id) {
  coral::v1::RevokeAgentRequest req;
  req.set_agent_id(agent_id);
  coral::v1::RevokeAgentResponse out;
  CORAL_TRY(Invoke("revoke agent",
                   [&](grpc::ClientContext& ctx) { return stub_->RevokeAgent(&ctx, req, &out); }));
  return out.agent();
}

Result<coral::v1::CreateJoinTokenResponse> ColonyClient::CreateJoinToken(
    const coral::v1::CreateJoinTokenRequest& req) {
  coral::v1::CreateJoinTokenResponse out;
  CORAL_TRY(Invoke("create join token", [&](grpc::ClientContext& ctx) {
    return stub_->CreateJoinToken(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::ListJoinTokensResponse> ColonyClient::ListJoinTokens() {
  coral::v1::ListJoinTokensResponse out;
  CORAL_TRY(Invoke("list join tokens", [&](grpc::ClientContext& ctx) {
    return stub_->ListJoinTokens(&ctx, {}, &out);
  }));
  return out;
}

Result<coral::v1::JoinTokenInfo> ColonyClient::RevokeJoinToken(const std::string& id) {
  coral::v1::RevokeJoinTokenRequest req;
  req.set_id(id);
  coral::v1::RevokeJoinTokenResponse out;
  CORAL_TRY(Invoke("revoke join token", [&](grpc::ClientContext& ctx) {
    return stub_->RevokeJoinToken(&ctx, req, &out);
  }));
  return out.info();
}

Result<coral::v1::QuerySqlResponse> ColonyClient::QuerySql(const coral::v1::QuerySqlRequest& req) {
  coral::v1::QuerySqlResponse out;
  CORAL_TRY(Invoke("query", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(req.timeout_ms() == 0 ? 30'000 : req.timeout_ms()) +
                     std::chrono::seconds(5));
    return stub_->QuerySql(&ctx, req, &out);
  }));
  return out;
}

// The views run with the colony's 30 s query timeout; a little more here.
Result<coral::v1::QueryTracesResponse> ColonyClient::QueryTraces(
    const coral::v1::QueryTracesRequest& req) {
  coral::v1::QueryTracesResponse out;
  CORAL_TRY(Invoke("query traces", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(35));
    return stub_->QueryTraces(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::QueryLogsResponse> ColonyClient::QueryLogs(
    const coral::v1::QueryLogsRequest& req) {
  coral::v1::QueryLogsResponse out;
  CORAL_TRY(Invoke("query logs", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(35));
    return stub_->QueryLogs(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::QueryMetricsResponse> ColonyClient::QueryMetrics(
    const coral::v1::QueryMetricsRequest& req) {
  coral::v1::QueryMetricsResponse out;
  CORAL_TRY(Invoke("query metrics", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(35));
    return stub_->QueryMetrics(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::CreateApiTokenResponse> ColonyClient::CreateApiToken(
    const coral::v1::CreateApiTokenRequest& req) {
  coral::v1::CreateApiTokenResponse out;
  CORAL_TRY(Invoke("create API token", [&](grpc::ClientContext& ctx) {
    return stub_->CreateApiToken(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::ListApiTokensResponse> ColonyClient::ListApiTokens() {
  coral::v1::ListApiTokensResponse out;
  CORAL_TRY(Invoke("list API tokens",
                   [&](grpc::ClientContext& ctx) { return stub_->ListApiTokens(&ctx, {}, &out); }));
  return out;
}

Result<coral::v1::ApiTokenInfo> ColonyClient::RevokeApiToken(const std::string& id) {
  coral::v1::RevokeApiTokenRequest req;
  req.set_id(id);
  coral::v1::RevokeApiTokenResponse out;
  CORAL_TRY(Invoke("revoke API token", [&](grpc::ClientContext& ctx) {
    return stub_->RevokeApiToken(&ctx, req, &out);
  }));
  return out.info();
}

Result<coral::v1::ListAuditResponse> ColonyClient::ListAudit(
    const coral::v1::ListAuditRequest& req) {
  coral::v1::ListAuditResponse out;
  CORAL_TRY(Invoke("audit log",
                   [&](grpc::ClientContext& ctx) { return stub_->ListAudit(&ctx, req, &out); }));
  return out;
}

Result<coral::v1::GetSummaryResponse> ColonyClient::GetSummary(
    const coral::v1::GetSummaryRequest& req) {
  coral::v1::GetSummaryResponse out;
  CORAL_TRY(Invoke("summary", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return stub_->GetSummary(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::QuerySqlResponse> ColonyClient::GetTopology(
    const coral::v1::GetTopologyRequest& req) {
  coral::v1::QuerySqlResponse out;
  CORAL_TRY(Invoke("topology", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return stub_->GetTopology(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::QuerySqlResponse> ColonyClient::GetServices(
    const coral::v1::GetServicesRequest& req) {
  coral::v1::QuerySqlResponse out;
  CORAL_TRY(Invoke("services", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return stub_->GetServices(&ctx, req, &out);
  }));
  return out;
}

Result<coral::v1::QuerySqlResponse> ColonyClient::GetHosts(const coral::v1::GetHostsRequest& req) {
  coral::v1::QuerySqlResponse out;
  CORAL_TRY(Invoke("hosts", [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return stub_->GetHosts(&ctx, req, &out);
  }));
  return out;
}

}  // namespace coral::cli
