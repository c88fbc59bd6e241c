#include "agent/api/agent_service.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "agent/agent.h"
#include "agent/store/agent_schema.h"

namespace coral::agent {

namespace {

grpc::Status ToGrpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (s.code()) {
    case StatusCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case StatusCode::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case StatusCode::kAlreadyExists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case StatusCode::kPermissionDenied: code = grpc::StatusCode::PERMISSION_DENIED; break;
    case StatusCode::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case StatusCode::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case StatusCode::kDeadlineExceeded: code = grpc::StatusCode::DEADLINE_EXCEEDED; break;
    case StatusCode::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    default: break;
  }
  return grpc::Status(code, s.message());
}

void FillService(const ServiceStatus& st, coral::v1::ServiceInfo* out) {
  const Service& s = st.service;
  out->set_name(s.name);
  out->set_pid(s.pid);
  out->set_port(s.port);
  out->set_transport(std::string(TransportName(s.transport)));
  out->set_protocol(s.protocol);
  out->set_address(s.address);
  out->set_source(std::string(ServiceSourceName(s.source)));
  out->set_health_path(s.health_path);
  if (s.source == ServiceSource::kExplicit) {
    out->set_health(st.health);
    out->set_health_reason(st.health_reason);
  }
  out->set_container_id(s.container_id);
}

std::string OsName() {
  std::ifstream in("/etc/os-release");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

// Constant time, so the comparison does not leak how much of a guess matched.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

grpc::Status AgentApi::Authorize(grpc::ServerContext* ctx) const {
  auto it = ctx->client_metadata().find("authorization");
  if (it == ctx->client_metadata().end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing bearer token; the token is in <home>/agent/api.token");
  }
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.substr(0, kPrefix.size()) != kPrefix ||
      !SameSecret(value.substr(kPrefix.size()), agent_.token())) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad bearer token");
  }
  return grpc::Status::OK;
}

grpc::Status AgentApi::GetRuntimeContext(grpc::ServerContext* ctx,
                                         const coral::v1::GetRuntimeContextRequest*,
                                         coral::v1::RuntimeContext* out) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  char host[256] = "";
  ::gethostname(host, sizeof(host) - 1);
  utsname u{};
  ::uname(&u);
  out->set_agent_id(agent_.options().config.agent_id);
  out->set_hostname(host);
  out->set_os(OsName());
  out->set_kernel(u.release);
  out->set_arch(u.machine);
  out->set_version(agent_.options().version);
  out->set_started_at_unix_micros(ToUnixMicros(agent_.started_at()));
  auto* caps = out->mutable_capabilities();
  const ConnectionMethod& method = agent_.connection_method();
  caps->set_ebpf(method.ebpf);
  if (method.ebpf) caps->add_ebpf_programs(std::string(kConnTrackerProgram));
  caps->set_connection_method(method.name);
  caps->set_connection_method_reason(method.reason);
  for (const auto& t : AgentTables()) out->add_tables(t);
  out->set_retention_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(agent_.options().config.retention).count());
  auto* otlp = out->mutable_otlp();
  otlp->set_grpc_endpoint(agent_.otlp_grpc_endpoint());
  otlp->set_http_endpoint(agent_.otlp_http_endpoint());
  TelemetryCounters c = agent_.telemetry_counters();
  otlp->set_spans_received(c.spans_received);
  otlp->set_spans_stored(c.spans_stored);
  otlp->set_spans_kept_error(c.spans_kept_error);
  otlp->set_spans_kept_slow(c.spans_kept_slow);
  otlp->set_spans_sampled_out(c.spans_sampled_out);
  otlp->set_metric_points_stored(c.metric_points_stored);
  otlp->set_log_records_stored(c.log_records_stored);
  otlp->set_requests_overloaded(c.requests_overloaded);
  otlp->set_requests_failed(c.requests_failed);
  return grpc::Status::OK;
}

grpc::Status AgentApi::ListServices(grpc::ServerContext* ctx, const coral::v1::ListServicesRequest*,
                                    coral::v1::ListServicesResponse* out) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  WallTime at;
  for (const auto& st : agent_.Services(&at)) FillService(st, out->add_services());
  out->set_discovered_at_unix_micros(ToUnixMicros(at));
  return grpc::Status::OK;
}

grpc::Status AgentApi::ConnectService(grpc::ServerContext* ctx,
                                      const coral::v1::ConnectServiceRequest* req,
                                      coral::v1::ConnectServiceResponse* out) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  if (req->port() <= 0 || req->port() > 65535) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "port must be 1-65535");
  }
  auto st = agent_.Connect(
      {req->name(), static_cast<uint16_t>(req->port()), req->health_path()});
  if (!st.ok()) return ToGrpc(st.status());
  FillService(*st, out->mutable_service());
  return grpc::Status::OK;
}

grpc::Status AgentApi::DisconnectService(grpc::ServerContext* ctx,
                                         const coral::v1::DisconnectServiceRequest* req,
                                         coral::v1::DisconnectServiceResponse*) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  return ToGrpc(agent_.Disconnect(req->name()));
}

grpc::Status AgentApi::QueryTable(grpc::ServerContext* ctx, const coral::v1::QueryTableRequest* req,
                                  coral::v1::QueryTableResponse* out) {
  if (auto s = Authorize(ctx); !s.ok()) return s;
  auto page = agent_.store().Read(req->table(), req->after_seq(), req->limit());
  if (!page.ok()) return ToGrpc(page.status());
  out->set_table(page->table);
  for (const auto& c : page->columns) out->add_columns(c.name);
  for (const auto& row : page->rows) {
    auto* r = out->add_rows();
    for (const auto& v : row) {
      auto* cell = r->add_values();
      if (auto* b = std::get_if<bool>(&v)) cell->set_bool_value(*b);
      if (auto* i = std::get_if<int64_t>(&v)) cell->set_int_value(*i);
      if (auto* d = std::get_if<double>(&v)) cell->set_double_value(*d);
      if (auto* s = std::get_if<std::string>(&v)) cell->set_string_value(*s);
      if (auto* t = std::get_if<storage::Timestamp>(&v)) cell->set_timestamp_micros(t->micros);
    }
  }
  out->set_next_seq(page->next_seq);
  out->set_more(page->more);
  out->set_oldest_seq(page->oldest_seq);
  return grpc::Status::OK;
}

}  // namespace coral::agent
