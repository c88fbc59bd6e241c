#include "colony/colony_api.h"

#include <google/protobuf/util/json_util.h>

#include "analysis/raw_views.h"
#include "analysis/service_summary.h"
#include "analysis/sql.h"
#include "analysis/tools.h"
#include "net/grpc_server.h"
#include "storage/proto_rows.h"

namespace coral::colony {

namespace {

using auth::CallerKind;
using auth::Role;

constexpr std::chrono::seconds kHeartbeatInterval{10};

void FillJoinToken(const auth::TokenRecord& t, WallTime now, coral::v1::JoinTokenInfo* out) {
  out->set_id(t.id);
  out->set_name(t.name);
  out->set_created_at_unix_micros(ToUnixMicros(t.created_at));
  if (t.expires_at) out->set_expires_at_unix_micros(ToUnixMicros(*t.expires_at));
  out->set_uses_allowed(static_cast<int32_t>(t.uses_allowed));
  out->set_uses(static_cast<int32_t>(t.uses));
  out->set_revoked(t.revoked_at.has_value());
  out->set_state(std::string(auth::TokenStateName(auth::StateOf(t, now))));
}

void FillApiToken(const auth::TokenRecord& t, WallTime now, coral::v1::ApiTokenInfo* out) {
  out->set_id(t.id);
  out->set_name(t.name);
  out->set_role(std::string(auth::RoleName(t.role)));
  out->set_scope(t.scope.ToString());
  out->set_created_at_unix_micros(ToUnixMicros(t.created_at));
  if (t.expires_at) out->set_expires_at_unix_micros(ToUnixMicros(*t.expires_at));
  out->set_state(std::string(auth::TokenStateName(auth::StateOf(t, now))));
}

template <typename Response>
void FillRows(const storage::RowSet& rows, Response* out) {
  for (const auto& c : rows.columns) {
    auto* col = out->add_columns();
    col->set_name(c.name);
    col->set_type(std::string(storage::ColumnTypeName(c.type)));
  }
  storage::AppendProtoRows(rows.rows, out->mutable_rows());
  out->set_truncated(rows.truncated);
}

// A window of at most 30 days; 0 means the last hour.
Result<std::chrono::milliseconds> Window(int64_t since_ms) {
  if (since_ms < 0 || since_ms > int64_t{30} * 24 * 3600 * 1000) {
    return InvalidArgument("the window (since) must be between 1m and 30 days");
  }
  return since_ms == 0 ? std::chrono::hours(1) : std::chrono::milliseconds(since_ms);
}

Status ServiceName(const std::string& service) {
  if (service.size() > 256) return InvalidArgument("a service name is at most 256 bytes");
  return Status::Ok();
}

std::string RequestJson(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &text, print);
  return text;
}

}  // namespace

auth::Policy ColonyPolicy() {
  auth::Policy p;
  for (const char* read : {"GetStatus", "ListAgents", "QuerySql", "GetSummary", "GetTopology",
                           "GetHosts", "GetServices", "QueryTraces", "QueryLogs", "QueryMetrics"}) {
    p.Allow(std::string("rpc:") + read, Role::kViewer);
  }
  p.Allow("rpc:CreateJoinToken", Role::kOperator).Allow("rpc:ListJoinTokens", Role::kOperator);
  // Named although admin-only is the default, so the policy reads whole.
  for (const char* admin : {"RevokeAgent", "RevokeJoinToken", "CreateApiToken", "ListApiTokens",
                            "RevokeApiToken", "ListAudit"}) {
    p.Allow(std::string("rpc:") + admin, Role::kAdmin);
  }
  p.AllowKind("rpc:GetStatus", CallerKind::kAgent, auth::Policy::Record::kRefusalsOnly)
      .AllowKind("rpc:Register", CallerKind::kAgent)
      .AllowKind("rpc:Heartbeat", CallerKind::kAgent, auth::Policy::Record::kRefusalsOnly)
      .AllowKind("agent:self", CallerKind::kAgent, auth::Policy::Record::kRefusalsOnly)
      .AllowKind("enroll", CallerKind::kEnrollee);
  analysis::AllowTools(p);
  p.Allow("resource:read", Role::kViewer).Allow("prompt:get", Role::kViewer);
  return p;
}

template <typename Body>
grpc::Status ColonyApi::Serve(grpc::ServerContext* ctx, std::string_view method,
                              const google::protobuf::Message& request,
                              const google::protobuf::Message& response, Body&& body) {
  auth::FrontDoor& door = colony_.door();
  auto pass = door.Admit(auth::FromGrpc(*ctx), "rpc:" + std::string(method), RequestJson(request));
  if (!pass.ok()) return net::ToGrpc(pass.status());
  Status done = body(pass->caller);
  door.Finish(*pass, done.ok() ? static_cast<int64_t>(response.ByteSizeLong()) : 0,
              done.ok() ? "" : done.message());
  return net::ToGrpc(done);
}

grpc::Status ColonyApi::GetStatus(grpc::ServerContext* ctx, const coral::v1::GetStatusRequest* req,
                                  coral::v1::GetStatusResponse* out) {
  return Serve(ctx, "GetStatus", *req, *out, [&](const auth::Caller&) {
    *out = colony_.Status();
    return Status::Ok();
  });
}

grpc::Status ColonyApi::Register(grpc::ServerContext* ctx, const coral::v1::RegisterRequest* req,
                                 coral::v1::RegisterResponse* out) {
  return Serve(ctx, "Register", *req, *out, [&](const auth::Caller& agent) -> Status {
    if (req->api_port() < 0 || req->api_port() > 65535) {
      return InvalidArgument("api_port out of range");
    }
    if (req->hostname().size() > 255 || req->version().size() > 64) {
      return InvalidArgument("hostname is at most 255 bytes and version 64");
    }
    CORAL_TRY(colony_.AgentRegistered(agent.id, req->hostname(), req->version(), req->api_port()));
    out->set_colony_id(colony_.config().id);
    out->set_heartbeat_interval_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(kHeartbeatInterval).count());
    return Status::Ok();
  });
}

grpc::Status ColonyApi::Heartbeat(grpc::ServerContext* ctx, const coral::v1::HeartbeatRequest* req,
                                  coral::v1::HeartbeatResponse* out) {
  return Serve(ctx, "Heartbeat", *req, *out,
               [&](const auth::Caller& agent) { return colony_.AgentHeartbeat(agent.id); });
}

grpc::Status ColonyApi::ListAgents(grpc::ServerContext* ctx,
                                   const coral::v1::ListAgentsRequest* req,
                                   coral::v1::ListAgentsResponse* out) {
  return Serve(ctx, "ListAgents", *req, *out, [&](const auth::Caller&) {
    for (auto& a : colony_.Agents()) *out->add_agents() = std::move(a);
    return Status::Ok();
  });
}

grpc::Status ColonyApi::RevokeAgent(grpc::ServerContext* ctx,
                                    const coral::v1::RevokeAgentRequest* req,
                                    coral::v1::RevokeAgentResponse* out) {
  return Serve(ctx, "RevokeAgent", *req, *out, [&](const auth::Caller&) -> Status {
    *out->mutable_agent() = CORAL_TRY(colony_.RevokeAgent(req->agent_id()));
    return Status::Ok();
  });
}

grpc::Status ColonyApi::CreateJoinToken(grpc::ServerContext* ctx,
                                        const coral::v1::CreateJoinTokenRequest* req,
                                        coral::v1::CreateJoinTokenResponse* out) {
  // The answer carries the token: only its size is audited, never its text.
  return Serve(ctx, "CreateJoinToken", *req, *out, [&](const auth::Caller&) -> Status {
    auto token = CORAL_TRY(colony_.tokens().Create({.kind = auth::TokenKind::kJoin,
                                                    .name = req->name(),
                                                    .ttl = std::chrono::seconds(req->ttl_seconds()),
                                                    .uses = req->uses()}));
    out->set_token(CORAL_TRY(colony_.JoinTokenText(token)));
    FillJoinToken(token.record, colony_.clock().Now(), out->mutable_info());
    return Status::Ok();
  });
}

grpc::Status ColonyApi::ListJoinTokens(grpc::ServerContext* ctx,
                                       const coral::v1::ListJoinTokensRequest* req,
                                       coral::v1::ListJoinTokensResponse* out) {
  return Serve(ctx, "ListJoinTokens", *req, *out, [&](const auth::Caller&) {
    WallTime now = colony_.clock().Now();
    for (const auto& t : colony_.tokens().List(auth::TokenKind::kJoin)) {
      FillJoinToken(t, now, out->add_tokens());
    }
    return Status::Ok();
  });
}

grpc::Status ColonyApi::RevokeJoinToken(grpc::ServerContext* ctx,
                                        const coral::v1::RevokeJoinTokenRequest* req,
                                        coral::v1::RevokeJoinTokenResponse* out) {
  return Serve(ctx, "RevokeJoinToken", *req, *out, [&](const auth::Caller&) -> Status {
    auto t = CORAL_TRY(colony_.tokens().Revoke(auth::TokenKind::kJoin, req->id()));
    FillJoinToken(t, colony_.clock().Now(), out->mutable_info());
    return Status::Ok();
  });
}

grpc::Status ColonyApi::QuerySql(grpc::ServerContext* ctx, const coral::v1::QuerySqlRequest* req,
                                 coral::v1::QuerySqlResponse* out) {
  return Serve(ctx, "QuerySql", *req, *out, [&](const auth::Caller&) -> Status {
    if (req->max_rows() < 0 || req->timeout_ms() < 0) {
      return InvalidArgument("max_rows and timeout must not be negative");
    }
    analysis::SqlQuery q{.sql = req->sql()};
    if (req->max_rows() != 0) q.max_rows = req->max_rows();
    if (req->timeout_ms() != 0) q.timeout = std::chrono::milliseconds(req->timeout_ms());
    auto rows = CORAL_TRY(analysis::ReadOnlySql(colony_.telemetry(), q));
    FillRows(rows, out);
    out->set_backend(std::string(colony_.telemetry().backend()));
    return Status::Ok();
  });
}

grpc::Status ColonyApi::GetSummary(grpc::ServerContext* ctx,
                                   const coral::v1::GetSummaryRequest* req,
                                   coral::v1::GetSummaryResponse* out) {
  return Serve(ctx, "GetSummary", *req, *out, [&](const auth::Caller&) -> Status {
    CORAL_TRY(ServiceName(req->service()));
    if (req->slow_ms() < 0) return InvalidArgument("slow_ms must not be negative");
    analysis::SummaryRequest request{.service = req->service(),
                                     .since = CORAL_TRY(Window(req->since_ms())),
                                     .host_names = colony_.HostNames()};
    if (req->slow_ms() > 0) request.slow_ms = req->slow_ms();
    *out = CORAL_TRY(analysis::Summarize(colony_.telemetry(), request, colony_.clock().Now()));
    return Status::Ok();
  });
}

grpc::Status ColonyApi::GetTopology(grpc::ServerContext* ctx,
                                    const coral::v1::GetTopologyRequest* req,
                                    coral::v1::QuerySqlResponse* out) {
  return Serve(ctx, "GetTopology", *req, *out, [&](const auth::Caller&) -> Status {
    auto rows = CORAL_TRY(analysis::Topology(
        colony_.telemetry(), CORAL_TRY(Window(req->since_ms())), colony_.clock().Now()));
    FillRows(rows, out);
    out->set_backend(std::string(colony_.telemetry().backend()));
    return Status::Ok();
  });
}

grpc::Status ColonyApi::GetServices(grpc::ServerContext* ctx,
                                    const coral::v1::GetServicesRequest* req,
                                    coral::v1::QuerySqlResponse* out) {
  return Serve(ctx, "GetServices", *req, *out, [&](const auth::Caller&) -> Status {
    CORAL_TRY(ServiceName(req->service()));
    analysis::SummaryRequest request{.service = req->service(),
                                     .since = CORAL_TRY(Window(req->since_ms())),
                                     .host_names = colony_.HostNames()};
    auto rows = CORAL_TRY(analysis::Services(colony_.telemetry(), request, colony_.clock().Now()));
    FillRows(rows, out);
    out->set_backend(std::string(colony_.telemetry().backend()));
    return Status::Ok();
  });
}

grpc::Status ColonyApi::GetHosts(grpc::ServerContext* ctx, const coral::v1::GetHostsRequest* req,
                                 coral::v1::QuerySqlResponse* out) {
  return Serve(ctx, "GetHosts", *req, *out, [&](const auth::Caller&) -> Status {
    auto rows = CORAL_TRY(analysis::Hosts(colony_.telemetry(), CORAL_TRY(Window(req->since_ms())),
                                          colony_.clock().Now(), colony_.HostNames()));
    FillRows(rows, out);
    out->set_backend(std::string(colony_.telemetry().backend()));
    return Status::Ok();
  });
}

grpc::Status ColonyApi::QueryTraces(grpc::ServerContext* ctx,
                                    const coral::v1::QueryTracesRequest* req,
                                    coral::v1::QueryTracesResponse* out) {
  return Serve(ctx, "QueryTraces", *req, *out, [&](const auth::Caller&) -> Status {
    analysis::TraceFilter filter{.service = req->service(),
                                 .min_duration = std::chrono::milliseconds(req->min_duration_ms()),
                                 .trace_id = req->trace_id(),
                                 .since = std::chrono::milliseconds(req->since_ms()),
                                 .limit = req->limit()};
    FillRows(CORAL_TRY(analysis::QueryTraces(colony_.telemetry(), filter, colony_.clock().Now())),
             out);
    return Status::Ok();
  });
}

grpc::Status ColonyApi::QueryLogs(grpc::ServerContext* ctx, const coral::v1::QueryLogsRequest* req,
                                  coral::v1::QueryLogsResponse* out) {
  return Serve(ctx, "QueryLogs", *req, *out, [&](const auth::Caller&) -> Status {
    analysis::LogFilter filter{.service = req->service(),
                               .grep = req->grep(),
                               .severity = req->severity(),
                               .since = std::chrono::milliseconds(req->since_ms()),
                               .limit = req->limit()};
    FillRows(CORAL_TRY(analysis::QueryLogs(colony_.telemetry(), filter, colony_.clock().Now())),
             out);
    return Status::Ok();
  });
}

grpc::Status ColonyApi::QueryMetrics(grpc::ServerContext* ctx,
                                     const coral::v1::QueryMetricsRequest* req,
                                     coral::v1::QueryMetricsResponse* out) {
  return Serve(ctx, "QueryMetrics", *req, *out, [&](const auth::Caller&) -> Status {
    analysis::MetricFilter filter{.name = req->name(),
                                  .service = req->service(),
                                  .since = std::chrono::milliseconds(req->since_ms()),
                                  .limit = req->limit()};
    FillRows(CORAL_TRY(analysis::QueryMetrics(colony_.telemetry(), filter, colony_.clock().Now())),
             out);
    return Status::Ok();
  });
}

grpc::Status ColonyApi::CreateApiToken(grpc::ServerContext* ctx,
                                       const coral::v1::CreateApiTokenRequest* req,
                                       coral::v1::CreateApiTokenResponse* out) {
  return Serve(ctx, "CreateApiToken", *req, *out, [&](const auth::Caller&) -> Status {
    auto role = CORAL_TRY(auth::ParseRole(req->role()));
    auto scope = CORAL_TRY(auth::ParseScope(req->scope()));
    auto token =
        CORAL_TRY(colony_.tokens().Create({.kind = auth::TokenKind::kApi,
                                           .name = req->name(),
                                           .role = role,
                                           .scope = scope,
                                           .ttl = std::chrono::seconds(req->ttl_seconds())}));
    out->set_token(token.text);
    FillApiToken(token.record, colony_.clock().Now(), out->mutable_info());
    return Status::Ok();
  });
}

grpc::Status ColonyApi::ListApiTokens(grpc::ServerContext* ctx,
                                      const coral::v1::ListApiTokensRequest* req,
                                      coral::v1::ListApiTokensResponse* out) {
  return Serve(ctx, "ListApiTokens", *req, *out, [&](const auth::Caller&) {
    WallTime now = colony_.clock().Now();
    for (const auto& t : colony_.tokens().List(auth::TokenKind::kApi)) {
      FillApiToken(t, now, out->add_tokens());
    }
    return Status::Ok();
  });
}

grpc::Status ColonyApi::RevokeApiToken(grpc::ServerContext* ctx,
                                       const coral::v1::RevokeApiTokenRequest* req,
                                       coral::v1::RevokeApiTokenResponse* out) {
  return Serve(ctx, "RevokeApiToken", *req, *out, [&](const auth::Caller&) -> Status {
    auto t = CORAL_TRY(colony_.tokens().Revoke(auth::TokenKind::kApi, req->id()));
    FillApiToken(t, colony_.clock().Now(), out->mutable_info());
    return Status::Ok();
  });
}

grpc::Status ColonyApi::ListAudit(grpc::ServerContext* ctx, const coral::v1::ListAuditRequest* req,
                                  coral::v1::ListAuditResponse* out) {
  return Serve(ctx, "ListAudit", *req, *out, [&](const auth::Caller&) -> Status {
    if (req->since_ms() < 0) return InvalidArgument("since must not be negative");
    auth::AuditQuery q{.limit = req->limit() == 0 ? 100 : req->limit(),
                       .who = req->who(),
                       .action = req->action()};
    if (req->since_ms() > 0) {
      q.since = colony_.clock().Now() - std::chrono::milliseconds(req->since_ms());
    }
    for (const auto& e : CORAL_TRY(colony_.Audit(q))) {
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
    return Status::Ok();
  });
}

}  // namespace coral::colony
