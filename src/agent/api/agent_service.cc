#include "agent/api/agent_service.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "agent/agent.h"
#include "agent/store/agent_schema.h"
#include "crypto/ca.h"
#include "net/grpc_server.h"
#include "storage/proto_rows.h"

namespace coral::agent {

namespace {

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

}  // namespace

AgentApi::AgentApi(Agent& agent, Access access) : agent_(agent) {
  for (const char* method :
       {"GetRuntimeContext", "ListServices", "ConnectService", "DisconnectService", "QueryTable"}) {
    policy_.Allow(std::string("rpc:") + method, auth::Role::kAdmin)
        .AllowKind(std::string("rpc:") + method, auth::CallerKind::kColony);
  }
  auth::Verifier verifier;
  if (access == Access::kLocal) {
    verifier = auth::LocalTokenVerifier(agent_.token());
  } else {
    // gRPC has checked that the certificate chains to the colony CA; of those
    // certificates only the colony's own may call.
    verifier = [this](const auth::Credentials& c) -> std::optional<Result<auth::Caller>> {
      auto info = crypto::InspectCertificate(c.client_cert_pem);
      const std::string& allowed = agent_.mesh_caller_uri();
      if (!info.ok() || allowed.empty() ||
          std::find(info->uris.begin(), info->uris.end(), allowed) == info->uris.end()) {
        return Result<auth::Caller>(PermissionDenied("only the colony (" + allowed +
                                                     ") may call this agent over the mesh"));
      }
      return auth::Caller{.kind = auth::CallerKind::kColony, .id = allowed, .who = allowed};
    };
  }
  door_ = std::make_unique<auth::FrontDoor>(auth::FrontDoorOptions{
      .verifiers = {std::move(verifier)},
      .policy = &policy_,
      .missing_hint = access == Access::kLocal
                          ? "the agent's API token from <home>/agent/api.token as "
                            "'authorization: Bearer <token>'"
                          : "the colony's certificate"});
}

grpc::Status AgentApi::Authorize(grpc::ServerContext* ctx, std::string_view method) {
  return net::ToGrpc(door_->Admit(auth::FromGrpc(*ctx), "rpc:" + std::string(method)).status());
}

grpc::Status AgentApi::GetRuntimeContext(grpc::ServerContext* ctx,
                                         const coral::v1::GetRuntimeContextRequest*,
                                         coral::v1::RuntimeContext* out) {
  if (auto s = Authorize(ctx, "GetRuntimeContext"); !s.ok()) return s;
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
  if (const auto& m = agent_.options().mesh; m && agent_.mesh_device() != nullptr) {
    auto* mesh = out->mutable_mesh();
    mesh->set_colony_id(m->colony_id);
    mesh->set_mesh_ip(m->mesh_ip);
    mesh->set_interface(agent_.mesh_device()->interface_name());
    mesh->set_colony_mesh_ip(m->colony_mesh_ip);
    mesh->set_colony_endpoint(m->colony_endpoint);
    mesh->set_api_address(agent_.mesh_api_address());
    for (const auto& p : agent_.mesh_device()->Peers()) {
      if (p.last_handshake) mesh->set_last_handshake_unix_micros(ToUnixMicros(*p.last_handshake));
    }
    if (const ColonyLink* link = agent_.colony_link()) {
      ColonyLinkState st = link->state();
      mesh->set_state(st.state);
      mesh->set_last_error(st.last_error);
      if (st.last_heartbeat != WallTime{}) {
        mesh->set_last_heartbeat_unix_micros(ToUnixMicros(st.last_heartbeat));
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status AgentApi::ListServices(grpc::ServerContext* ctx, const coral::v1::ListServicesRequest*,
                                    coral::v1::ListServicesResponse* out) {
  if (auto s = Authorize(ctx, "ListServices"); !s.ok()) return s;
  WallTime at;
  for (const auto& st : agent_.Services(&at)) FillService(st, out->add_services());
  out->set_discovered_at_unix_micros(ToUnixMicros(at));
  return grpc::Status::OK;
}

grpc::Status AgentApi::ConnectService(grpc::ServerContext* ctx,
                                      const coral::v1::ConnectServiceRequest* req,
                                      coral::v1::ConnectServiceResponse* out) {
  if (auto s = Authorize(ctx, "ConnectService"); !s.ok()) return s;
  if (req->port() <= 0 || req->port() > 65535) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "port must be 1-65535");
  }
  auto st = agent_.Connect({req->name(), static_cast<uint16_t>(req->port()), req->health_path()});
  if (!st.ok()) return net::ToGrpc(st.status());
  FillService(*st, out->mutable_service());
  return grpc::Status::OK;
}

grpc::Status AgentApi::DisconnectService(grpc::ServerContext* ctx,
                                         const coral::v1::DisconnectServiceRequest* req,
                                         coral::v1::DisconnectServiceResponse*) {
  if (auto s = Authorize(ctx, "DisconnectService"); !s.ok()) return s;
  return net::ToGrpc(agent_.Disconnect(req->name()));
}

grpc::Status AgentApi::QueryTable(grpc::ServerContext* ctx, const coral::v1::QueryTableRequest* req,
                                  coral::v1::QueryTableResponse* out) {
  if (auto s = Authorize(ctx, "QueryTable"); !s.ok()) return s;
  auto page = agent_.store().Read(req->table(), req->after_seq(), req->limit());
  if (!page.ok()) return net::ToGrpc(page.status());
  out->set_table(page->table);
  for (const auto& c : page->columns) out->add_columns(c.name);
  storage::AppendProtoRows(page->rows, out->mutable_rows());
  out->set_next_seq(page->next_seq);
  out->set_more(page->more);
  out->set_oldest_seq(page->oldest_seq);
  return grpc::Status::OK;
}

}  // namespace coral::agent
