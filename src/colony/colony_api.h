// ColonyService over gRPC (proto/coral/v1/colony.proto), served on the mesh
// (mesh-ip:9000, mTLS: agents present the certificate they got at enrollment)
// and on 127.0.0.1:9000 (the operator on the colony's host with the local
// token, or anyone with an API token). Every call goes through the colony's
// front door (auth/front_door.h) as "rpc:<method>": agents may Register,
// Heartbeat and read the status; people and tokens what their role allows
// (ColonyPolicy). The read calls are adapters over analysis/.
//
// Thread-safety: gRPC calls these from its threads; ColonyControl is
// thread-safe.
#pragma once

#include <string_view>

#include "auth/policy.h"
#include "colony/control.h"
#include "coral/v1/colony.grpc.pb.h"

namespace coral::colony {

// Who may call what on a colony, every door included: the gRPC API (rpc:),
// MCP (tool:, resource:read, prompt:get), REST (api:) and enrollment.
//   viewer    status, agents, services, summaries, traces, logs, metrics,
//             topology, hosts, read-only SQL, the read-only MCP tools
//   operator  + join tokens (create, list): bring hosts into the mesh
//   admin     + revoking agents and join tokens, API tokens, the audit log
//   agents    register, heartbeat (neither audited when allowed), status
//   enrollees (a join token's secret) enroll
auth::Policy ColonyPolicy();

class ColonyApi final : public coral::v1::ColonyService::Service {
 public:
  explicit ColonyApi(ColonyControl& colony) : colony_(colony) {}

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
  // Admits the call through the front door as "rpc:<method>", runs `body`
  // with the caller, and finishes the audit record with the answer's size.
  template <typename Body>
  grpc::Status Serve(grpc::ServerContext* ctx, std::string_view method,
                     const google::protobuf::Message& request,
                     const google::protobuf::Message& response, Body&& body);

  ColonyControl& colony_;
};

}  // namespace coral::colony
