// The CLI's connection to a colony on this host: 127.0.0.1:<api.grpc_port>,
// with the local operator token derived from the colony's secret (so only
// whoever may read colony.secret may operate the colony), or the API token in
// CORAL_TOKEN when set (then the token's role decides what is allowed).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "config/home.h"
#include "coral/v1/colony.grpc.pb.h"

namespace coral::cli {

class ColonyClient {
 public:
  static Result<ColonyClient> Open(const config::Home& home, const std::string& colony_id);
  // The colony --colony / CORAL_COLONY / the default names, which must be
  // running (FailedPrecondition saying how to start it otherwise).
  static Result<ColonyClient> OpenRunning(const config::Home& home, const std::string& flag);

  const std::string& address() const { return address_; }
  Result<coral::v1::GetStatusResponse> Status();
  Result<coral::v1::ListAgentsResponse> ListAgents();
  Result<coral::v1::AgentInfo> RevokeAgent(const std::string& agent_id);
  Result<coral::v1::CreateJoinTokenResponse> CreateJoinToken(
      const coral::v1::CreateJoinTokenRequest& req);
  Result<coral::v1::ListJoinTokensResponse> ListJoinTokens();
  Result<coral::v1::JoinTokenInfo> RevokeJoinToken(const std::string& id);
  Result<coral::v1::QuerySqlResponse> QuerySql(const coral::v1::QuerySqlRequest& req);
  Result<coral::v1::CreateApiTokenResponse> CreateApiToken(
      const coral::v1::CreateApiTokenRequest& req);
  Result<coral::v1::ListApiTokensResponse> ListApiTokens();
  Result<coral::v1::ApiTokenInfo> RevokeApiToken(const std::string& id);
  Result<coral::v1::ListAuditResponse> ListAudit(const coral::v1::ListAuditRequest& req);
  Result<coral::v1::GetSummaryResponse> GetSummary(const coral::v1::GetSummaryRequest& req);
  Result<coral::v1::QuerySqlResponse> GetTopology(const coral::v1::GetTopologyRequest& req);
  Result<coral::v1::QuerySqlResponse> GetHosts(const coral::v1::GetHostsRequest& req);
  Result<coral::v1::QuerySqlResponse> GetServices(const coral::v1::GetServicesRequest& req);
  Result<coral::v1::QueryTracesResponse> QueryTraces(const coral::v1::QueryTracesRequest& req);
  Result<coral::v1::QueryLogsResponse> QueryLogs(const coral::v1::QueryLogsRequest& req);
  Result<coral::v1::QueryMetricsResponse> QueryMetrics(const coral::v1::QueryMetricsRequest& req);

 private:
  template <typename Call>
  coral::Status Invoke(std::string_view what, Call&& call);

  std::string colony_id_;
  std::string address_;
  std::string token_;
  std::shared_ptr<coral::v1::ColonyService::Stub> stub_;
};

}  // namespace coral::cli
