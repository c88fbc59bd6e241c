// ColonyService over gRPC (proto/coral/v1/colony.proto), served twice:
//   kMesh  on mesh-ip:9000 with mTLS: the caller is the agent named by its
//          certificate's URI (coral://COLONY/agent/ID), which must be the
//          certificate the registry holds for a non-revoked agent. Agents may
//          Register, Heartbeat and GetStatus.
//   kLocal on 127.0.0.1:9000: the operator on the colony's host, with the
//          local token derived from colony.secret. Everything but agent calls.
//
// Thread-safety: gRPC calls these from its threads; Colony is thread-safe.
#pragma once

#include <map>
#include <string>

#include "coral/v1/colony.grpc.pb.h"

namespace coral::colony {

class Colony;

class ColonyApi final : public coral::v1::ColonyService::Service {
 public:
  enum class Access { kLocal, kMesh };
  ColonyApi(Colony& colony, Access access) : colony_(colony), access_(access) {}

  grpc::Status GetStatus(grpc::ServerContext* ctx, const coral::v1::GetStatusRequest* req,
                         coral::v1::GetStatusResponse* out) override;
  grpc::Status Register(grpc::ServerContext* ctx, const coral::v1::RegisterRequest* req,
                        coral::v1::RegisterResponse* out) override;
  grpc::Status Heartbeat(grpc::ServerContext* ctx, const coral::v1::HeartbeatRequest* req,
                         coral::v1::HeartbeatResponse* out) override;
  grpc::Status ListAgents(grpc::ServerContext* ctx, const coral::v1::ListAgentsRequest* req,
                          coral::v1::ListAgentsResponse* out) override;
  grpc::Status RevokeAgent(grpc::ServerContext* ctx, const coral::v1::RevokeAgentRequest* req,
                           coral::v1::RevokeAgentResponse* out) override;
  grpc::Status CreateJoinToken(grpc::ServerContext* ctx,
                               const coral::v1::CreateJoinTokenRequest* req,
                               coral::v1::CreateJoinTokenResponse* out) override;
  grpc::Status ListJoinTokens(grpc::ServerContext* ctx, const coral::v1::ListJoinTokensRequest* req,
                              coral::v1::ListJoinTokensResponse* out) override;
  grpc::Status RevokeJoinToken(grpc::ServerContext* ctx,
                               const coral::v1::RevokeJoinTokenRequest* req,
                               coral::v1::RevokeJoinTokenResponse* out) override;
  grpc::Status QuerySql(grpc::ServerContext* ctx, const coral::v1::QuerySqlRequest* req,
                        coral::v1::QuerySqlResponse* out) override;
  grpc::Status GetSummary(grpc::ServerContext* ctx, const coral::v1::GetSummaryRequest* req,
                          coral::v1::GetSummaryResponse* out) override;
  grpc::Status GetTopology(grpc::ServerContext* ctx, const coral::v1::GetTopologyRequest* req,
                           coral::v1::QuerySqlResponse* out) override;
  grpc::Status GetServices(grpc::ServerContext* ctx, const coral::v1::GetServicesRequest* req,
                           coral::v1::QuerySqlResponse* out) override;
  grpc::Status GetHosts(grpc::ServerContext* ctx, const coral::v1::GetHostsRequest* req,
                        coral::v1::QuerySqlResponse* out) override;
  grpc::Status QueryTraces(grpc::ServerContext* ctx, const coral::v1::QueryTracesRequest* req,
                           coral::v1::QueryTracesResponse* out) override;
  grpc::Status QueryLogs(grpc::ServerContext* ctx, const coral::v1::QueryLogsRequest* req,
                         coral::v1::QueryLogsResponse* out) override;
  grpc::Status QueryMetrics(grpc::ServerContext* ctx, const coral::v1::QueryMetricsRequest* req,
                            coral::v1::QueryMetricsResponse* out) override;
  grpc::Status CreateApiToken(grpc::ServerContext* ctx, const coral::v1::CreateApiTokenRequest* req,
                              coral::v1::CreateApiTokenResponse* out) override;
  grpc::Status ListApiTokens(grpc::ServerContext* ctx, const coral::v1::ListApiTokensRequest* req,
                             coral::v1::ListApiTokensResponse* out) override;
  grpc::Status RevokeApiToken(grpc::ServerContext* ctx, const coral::v1::RevokeApiTokenRequest* req,
                              coral::v1::RevokeApiTokenResponse* out) override;
  grpc::Status ListAudit(grpc::ServerContext* ctx, const coral::v1::ListAuditRequest* req,
                         coral::v1::ListAuditResponse* out) override;

 private:
  // The calling agent's id (kMesh), checked against the registry.
  grpc::Status CallingAgent(grpc::ServerContext* ctx, std::string* agent_id) const;
  // OK for a caller on kLocal whose role allows `method` (the local token is
  // an admin, API tokens have their role); every decision is audited with
  // the request as JSON.
  grpc::Status Authorize(grpc::ServerContext* ctx, std::string_view method,
                         const google::protobuf::Message* request) const;
  // OK for either kind of caller.
  grpc::Status AnyCaller(grpc::ServerContext* ctx) const;
  // agent id -> hostname, from the registry.
  std::map<std::string, std::string> HostNames() const;

  Colony& colony_;
  const Access access_;
};

}  // namespace coral::colony
