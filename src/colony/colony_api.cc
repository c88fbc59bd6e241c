#include "colony/colony_api.h"

#include <google/protobuf/util/json_util.h>

#include "colony/colony.h"
#include "colony/raw_views.h"
#include "colony/service_summary.h"
#include "crypto/ca.h"
#include "mesh/names.h"
#include "net/grpc_server.h"
#include "storage/proto_rows.h"

namespace coral::colony {

namespace {

constexpr std::chrono::seconds kHeartbeatInterval{10};

void FillToken(const JoinTokenRecord& t, WallTime now, coral::v1::JoinTokenInfo* out) {
  out->set_id(t.id);
  out->set_name(t.name);
  out->set_created_at_unix_micros(ToUnixMicros(t.created_at));
  if (t.expires_at) out->set_expires_at_unix_micros(ToUnixMicros(*t.expires_at));
  out->set_uses_allowed(static_cast<int32_t>(t.uses_allowed));
  out->set_uses(static_cast<int32_t>(t.uses));
  out->set_revoked(t.revoked_at.has_value());
  out->set_state(JoinTokenState(t, now));
}

void FillColumns(const std::vector<storage::Column>& columns,
                 google::protobuf::RepeatedPtrField<coral::v1::SqlColumn>* out) {
  for (const auto& c : columns) {
    auto* col = out->Add();
    col->set_name(c.name);
    col->set_type(std::string(storage::ColumnTypeName(c.type)));
  }
}

// A raw view's rows into its response (all three have the same fields).
template <typename Response>
grpc::Status FillView(const Result<storage::RowSet>& rows, Response* out) {
  if (!rows.ok()) return net::ToGrpc(rows.status());
  FillColumns(rows->columns, out->mutable_columns());
  storage::AppendProtoRows(rows->rows, out->mutable_rows());
  out->set_truncated(rows->truncated);
  return grpc::Status::OK;
}

// A window of at most 30 days; 0 means the last hour.
grpc::Status Window(int64_t since_ms, std::chrono::milliseconds* out) {
  if (since_ms < 0 || since_ms > int64_t{30} * 24 * 3600 * 1000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the window (since) must be between 1m and 30 days");
  }
  *out = since_ms == 0 ? std::chrono::hours(1) : std::chrono::milliseconds(since_ms);
  return grpc::Status::OK;
}

void FillRows(const storage::RowSet& rows, std::string_view backend,
              coral::v1::QuerySqlResponse* out) {
  FillColumns(rows.columns, out->mutable_columns());
  storage::AppendProtoRows(rows.rows, out->mutable_rows());
  out->set_truncated(rows.truncated);
  out->set_backend(std::string(backend));
}

}  // namespace

grpc::Status ColonyApi::CallingAgent(grpc::ServerContext* ctx, std::string* agent_id) const {
  if (access_ != Access::kMesh) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "agents call the colony over the mesh with their certificate");
  }
  auto info = crypto::InspectCertificate(net::PeerCertificatePem(*ctx));
  if (!info.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no client certificate");
  }
  for (const auto& uri : info->uris) {
    std::string id = mesh::AgentIdFromUri(colony_.config().id, uri);
    if (id.empty()) continue;
    auto agent = colony_.registry().Authenticate(id, info->fingerprint);
    if (!agent.ok()) return net::ToGrpc(agent.status());
    *agent_id = id;
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      "the certificate names no agent of colony " + colony_.config().id);
}

grpc::Status ColonyApi::Authorize(grpc::ServerContext* ctx, std::string_view method,
                                  const google::protobuf::Message* request) const {
  if (access_ != Access::kLocal) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "agents may only register, heartbeat and read the status");
  }
  AuditEntry entry{.at = colony_.registry().clock().Now(), .action = "rpc:" + std::string(method)};
  if (request != nullptr) {
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(*request, &entry.arguments, print);
  }
  // The operator on this host (the token derived from colony.secret), or an
  // API token with a role.
  Result<Caller> caller = Unauthenticated("");
  if (net::CheckBearer(*ctx, colony_.local_token(), "").ok()) {
    caller = Caller{"local operator", Role::kAdmin};
  } else {
    auto it = ctx->client_metadata().find("authorization");
    std::string bearer;
    if (it != ctx->client_metadata().end()) bearer.assign(it->second.data(), it->second.size());
    if (bearer.rfind("Bearer ", 0) == 0) bearer = bearer.substr(7);
    caller = bearer.empty() ? Unauthenticated(
                                  "missing bearer token: the local token derived from "
                                  "<home>/colonies/<id>/colony.secret, or an API token")
                            : colony_.access().Authenticate(bearer);
  }
  Status decision = caller.ok() ? AccessControl::Authorize(*caller, entry.action) : caller.status();
  entry.who = caller.ok() ? caller->who : "unauthenticated";
  entry.allowed = decision.ok();
  entry.error = decision.ok() ? "" : decision.message();
  colony_.access().Record(entry);
  return net::ToGrpc(decision);
}

grpc::Status ColonyApi::AnyCaller(grpc::ServerContext* ctx) const {
  if (access_ == Access::kLocal) return Authorize(ctx, "GetStatus", nullptr);
  std::string id;
  return CallingAgent(ctx, &id);
}

grpc::Status ColonyApi::GetStatus(grpc::ServerContext* ctx, const coral::v1::GetStatusRequest*,
                                  coral::v1::GetStatusResponse* out) {
  if (auto s = AnyCaller(ctx); !s.ok()) return s;
  *out = colony_.Status();
  return grpc::Status::OK;
}

grpc::Status ColonyApi::Register(grpc::ServerContext* ctx, const coral::v1::RegisterRequest* req,
                                 coral::v1::RegisterResponse* out) {
  std::string id;
  if (auto s = CallingAgent(ctx, &id); !s.ok()) return s;
  if (req->api_port() < 0 || req->api_port() > 65535) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "api_port out of range");
  }
  if (auto s = colony_.registry().MarkSeen(id, req->hostname(), req->version(), req->api_port());
      !s.ok()) {
    return net::ToGrpc(s);
  }
  colony_.ProbeSoon();
  out->set_colony_id(colony_.config().id);
  out->set_heartbeat_interval_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(kHeartbeatInterval).count());
  return grpc::Status::OK;
}

grpc::Status ColonyApi::Heartbeat(grpc::ServerContext* ctx, const coral::v1::HeartbeatRequest*,
                                  coral::v1::HeartbeatResponse*) {
  std::string id;
  if (auto s = CallingAgent(ctx, &id); !s.ok()) return s;
  return net::ToGrpc(colony_.registry().MarkSeen(id));
}

grpc::Status ColonyApi::ListAgents(grpc::ServerContext* ctx, const coral::v1::ListAgentsRequest*,
                                   coral::v1::ListAgentsResponse* out) {
  if (auto s = Authorize(ctx, "ListAgents", nullptr); !s.ok()) return s;
  for (const auto& a : colony_.registry().Agents()) *out->add_agents() = colony_.Describe(a);
  return grpc::Status::OK;
}

grpc::Status ColonyApi::RevokeAgent(grpc::ServerContext* ctx,
                                    const coral::v1::RevokeAgentRequest* req,
                                    coral::v1::RevokeAgentResponse* out) {
  if (auto s = Authorize(ctx, "RevokeAgent", req); !s.ok()) return s;
  auto info = colony_.Revoke(req->agent_id());
  if (!info.ok()) return net::ToGrpc(info.status());
  *out->mutable_agent() = std::move(*info);
  return grpc::Status::OK;
}

grpc::Status ColonyApi::CreateJoinToken(grpc::ServerContext* ctx,
                                        const coral::v1::CreateJoinTokenRequest* req,
                                        coral::v1::CreateJoinTokenResponse* out) {
  if (auto s = Authorize(ctx, "CreateJoinToken", req); !s.ok()) return s;
  auto token = colony_.registry().CreateToken(std::chrono::seconds(req->ttl_seconds()), req->uses(),
                                              req->name());
  if (!token.ok()) return net::ToGrpc(token.status());
  auto text = colony_.TokenFor(*token);
  if (!text.ok()) return net::ToGrpc(text.status());
  out->set_token(*text);
  FillToken(token->record, colony_.registry().clock().Now(), out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ColonyApi::ListJoinTokens(grpc::ServerContext* ctx,
                                       const coral::v1::ListJoinTokensRequest*,
                                       coral::v1::ListJoinTokensResponse* out) {
  if (auto s = Authorize(ctx, "ListJoinTokens", nullptr); !s.ok()) return s;
  WallTime now = colony_.registry().clock().Now();
  for (const auto& t : colony_.registry().Tokens()) FillToken(t, now, out->add_tokens());
  return grpc::Status::OK;
}

grpc::Status ColonyApi::RevokeJoinToken(grpc::ServerContext* ctx,
                                        const coral::v1::RevokeJoinTokenRequest* req,
                                        coral::v1::RevokeJoinTokenResponse* out) {
  if (auto s = Authorize(ctx, "RevokeJoinToken", req); !s.ok()) return s;
  auto t = colony_.registry().RevokeToken(req->id());
  if (!t.ok()) return net::ToGrpc(t.status());
  FillToken(*t, colony_.registry().clock().Now(), out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ColonyApi::QuerySql(grpc::ServerContext* ctx, const coral::v1::QuerySqlRequest* req,
                                 coral::v1::QuerySqlResponse* out) {
  if (auto s = Authorize(ctx, "QuerySql", req); !s.ok()) return s;
  if (req->max_rows() < 0 || req->max_rows() > 100'000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "max_rows must be 0..100000");
  }
  if (req->timeout_ms() < 0 || req->timeout_ms() > 300'000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout must be 0..300 s");
  }
  storage::QueryOptions options{
      .max_rows = static_cast<size_t>(req->max_rows() == 0 ? 1000 : req->max_rows()),
      .timeout = std::chrono::milliseconds(req->timeout_ms() == 0 ? 30'000 : req->timeout_ms()),
      .statements = storage::Statements::kSelectOnly};
  auto rows = colony_.telemetry().Query(req->sql(), {}, options);
  if (!rows.ok()) return net::ToGrpc(rows.status());
  FillRows(*rows, colony_.telemetry().backend(), out);
  return grpc::Status::OK;
}

std::map<std::string, std::string> ColonyApi::HostNames() const {
  std::map<std::string, std::string> names;
  for (const auto& a : colony_.registry().Agents()) names[a.agent_id] = a.hostname;
  return names;
}

grpc::Status ColonyApi::GetSummary(grpc::ServerContext* ctx,
                                   const coral::v1::GetSummaryRequest* req,
                                   coral::v1::GetSummaryResponse* out) {
  if (auto s = Authorize(ctx, "GetSummary", req); !s.ok()) return s;
  SummaryRequest request{.service = req->service(), .host_names = HostNames()};
  if (auto s = Window(req->since_ms(), &request.since); !s.ok()) return s;
  if (req->slow_ms() < 0 || req->service().size() > 256) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "slow_ms must not be negative and a service name is at most 256 bytes");
  }
  if (req->slow_ms() > 0) request.slow_ms = req->slow_ms();
  auto summary = Summarize(colony_.telemetry(), request, colony_.registry().clock().Now());
  if (!summary.ok()) return net::ToGrpc(summary.status());
  *out = std::move(*summary);
  return grpc::Status::OK;
}

grpc::Status ColonyApi::GetTopology(grpc::ServerContext* ctx,
                                    const coral::v1::GetTopologyRequest* req,
                                    coral::v1::QuerySqlResponse* out) {
  if (auto s = Authorize(ctx, "GetTopology", req); !s.ok()) return s;
  std::chrono::milliseconds since;
  if (auto s = Window(req->since_ms(), &since); !s.ok()) return s;
  auto rows = Topology(colony_.telemetry(), since, colony_.registry().clock().Now());
  if (!rows.ok()) return net::ToGrpc(rows.status());
  FillRows(*rows, colony_.telemetry().backend(), out);
  return grpc::Status::OK;
}

grpc::Status ColonyApi::GetServices(grpc::ServerContext* ctx,
                                    const coral::v1::GetServicesRequest* req,
                                    coral::v1::QuerySqlResponse* out) {
  if (auto s = Authorize(ctx, "GetServices", req); !s.ok()) return s;
  SummaryRequest request{.service = req->service(), .host_names = HostNames()};
  if (auto s = Window(req->since_ms(), &request.since); !s.ok()) return s;
  if (req->service().size() > 256) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a service name is at most 256 bytes");
  }
  auto rows = Services(colony_.telemetry(), request, colony_.registry().clock().Now());
  if (!rows.ok()) return net::ToGrpc(rows.status());
  FillRows(*rows, colony_.telemetry().backend(), out);
  return grpc::Status::OK;
}

grpc::Status ColonyApi::GetHosts(grpc::ServerContext* ctx, const coral::v1::GetHostsRequest* req,
                                 coral::v1::QuerySqlResponse* out) {
  if (auto s = Authorize(ctx, "GetHosts", req); !s.ok()) return s;
  std::chrono::milliseconds since;
  if (auto s = Window(req->since_ms(), &since); !s.ok()) return s;
  auto rows = Hosts(colony_.telemetry(), since, colony_.registry().clock().Now(), HostNames());
  if (!rows.ok()) return net::ToGrpc(rows.status());
  FillRows(*rows, colony_.telemetry().backend(), out);
  return grpc::Status::OK;
}

grpc::Status ColonyApi::QueryTraces(grpc::ServerContext* ctx,
                                    const coral::v1::QueryTracesRequest* req,
                                    coral::v1::QueryTracesResponse* out) {
  if (auto s = Authorize(ctx, "QueryTraces", req); !s.ok()) return s;
  TraceFilter filter{.service = req->service(),
                     .min_duration = std::chrono::milliseconds(req->min_duration_ms()),
                     .trace_id = req->trace_id(),
                     .since = std::chrono::milliseconds(req->since_ms()),
                     .limit = req->limit()};
  return FillView(
      colony::QueryTraces(colony_.telemetry(), filter, colony_.registry().clock().Now()), out);
}

grpc::Status ColonyApi::QueryLogs(grpc::ServerContext* ctx, const coral::v1::QueryLogsRequest* req,
                                  coral::v1::QueryLogsResponse* out) {
  if (auto s = Authorize(ctx, "QueryLogs", req); !s.ok()) return s;
  LogFilter filter{.service = req->service(),
                   .grep = req->grep(),
                   .severity = req->severity(),
                   .since = std::chrono::milliseconds(req->since_ms()),
                   .limit = req->limit()};
  return FillView(colony::QueryLogs(colony_.telemetry(), filter, colony_.registry().clock().Now()),
                  out);
}

grpc::Status ColonyApi::QueryMetrics(grpc::ServerContext* ctx,
                                     const coral::v1::QueryMetricsRequest* req,
                                     coral::v1::QueryMetricsResponse* out) {
  if (auto s = Authorize(ctx, "QueryMetrics", req); !s.ok()) return s;
  MetricFilter filter{.name = req->name(),
                      .service = req->service(),
                      .since = std::chrono::milliseconds(req->since_ms()),
                      .limit = req->limit()};
  return FillView(
      colony::QueryMetrics(colony_.telemetry(), filter, colony_.registry().clock().Now()), out);
}

namespace {

void FillApiToken(const ApiTokenRecord& t, WallTime now, coral::v1::ApiTokenInfo* out) {
  out->set_id(t.id);
  out->set_name(t.name);
  out->set_role(std::string(RoleName(t.role)));
  out->set_created_at_unix_micros(ToUnixMicros(t.created_at));
  if (t.expires_at) out->set_expires_at_unix_micros(ToUnixMicros(*t.expires_at));
  out->set_state(ApiTokenState(t, now));
}

}  // namespace

grpc::Status ColonyApi::CreateApiToken(grpc::ServerContext* ctx,
                                       const coral::v1::CreateApiTokenRequest* req,
                                       coral::v1::CreateApiTokenResponse* out) {
  if (auto s = Authorize(ctx, "CreateApiToken", req); !s.ok()) return s;
  auto role = ParseRole(req->role());
  if (!role.ok()) return net::ToGrpc(role.status());
  auto token =
      colony_.access().CreateToken(*role, std::chrono::seconds(req->ttl_seconds()), req->name());
  if (!token.ok()) return net::ToGrpc(token.status());
  out->set_token(token->token);
  FillApiToken(token->record, colony_.access().clock().Now(), out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ColonyApi::ListApiTokens(grpc::ServerContext* ctx,
                                      const coral::v1::ListApiTokensRequest* req,
                                      coral::v1::ListApiTokensResponse* out) {
  if (auto s = Authorize(ctx, "ListApiTokens", req); !s.ok()) return s;
  WallTime now = colony_.access().clock().Now();
  for (const auto& t : colony_.access().Tokens()) FillApiToken(t, now, out->add_tokens());
  return grpc::Status::OK;
}

grpc::Status ColonyApi::RevokeApiToken(grpc::ServerContext* ctx,
                                       const coral::v1::RevokeApiTokenRequest* req,
                                       coral::v1::RevokeApiTokenResponse* out) {
  if (auto s = Authorize(ctx, "RevokeApiToken", req); !s.ok()) return s;
  auto t = colony_.access().RevokeToken(req->id());
  if (!t.ok()) return net::ToGrpc(t.status());
  FillApiToken(*t, colony_.access().clock().Now(), out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ColonyApi::ListAudit(grpc::ServerContext* ctx, const coral::v1::ListAuditRequest* req,
                                  coral::v1::ListAuditResponse* out) {
  if (auto s = Authorize(ctx, "ListAudit", req); !s.ok()) return s;
  if (req->limit() < 0 || req->limit() > 10'000 || req->since_ms() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "limit must be 0..10000 and since must not be negative");
  }
  std::optional<WallTime> since;
  if (req->since_ms() > 0) {
    since = colony_.access().clock().Now() - std::chrono::milliseconds(req->since_ms());
  }
  auto log = colony_.access().AuditLog(req->limit() == 0 ? 100 : req->limit(), since);
  if (!log.ok()) return net::ToGrpc(log.status());
  for (const auto& e : *log) {
    auto* r = out->add_records();
    r->set_at_unix_micros(ToUnixMicros(e.at));
    r->set_who(e.who);
    r->set_action(e.action);
    r->set_arguments(e.arguments);
    r->set_allowed(e.allowed);
    r->set_result_bytes(e.result_bytes);
    r->set_duration_ms(e.duration_ms);
    r->set_error(e.error);
  }
  return grpc::Status::OK;
}

}  // namespace coral::colony
