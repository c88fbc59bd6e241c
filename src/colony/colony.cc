#include "colony/colony.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "analysis/mcp_tools.h"
#include "analysis/rest_api.h"
#include "analysis/telemetry_schema.h"
#include "auth/local_secrets.h"
#include "base/descriptors.h"
#include "base/files.h"
#include "base/json_text.h"
#include "base/log.h"
#include "colony/colony_api.h"
#include "colony/control_schema.h"
#include "config/colonies.h"
#include "coral/v1/agent.grpc.pb.h"
#include "coral/v1/mesh.pb.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "mesh/addressing.h"
#include "mesh/endpoint.h"
#include "mesh/join_token.h"
#include "mesh/names.h"

namespace coral::colony {

namespace {

std::string HostOf(const std::string& host_port) {
  auto hp = mesh::SplitHostPort(host_port);
  return hp.ok() ? hp->host : host_port;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// Where agents can reach this host when colony.yaml names no public
// endpoints: every IPv4 address of an interface that is up, except loopback
// and the mesh itself; 127.0.0.1 when there is nothing else.
std::vector<std::string> DetectEndpoints(const mesh::Ipv4Prefix& mesh_range, int port) {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
      uint32_t ip = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
      if (mesh_range.Contains(ip)) continue;
      std::string ep = mesh::Ipv4ToString(ip) + ":" + std::to_string(port);
      if (std::find(out.begin(), out.end(), ep) == out.end()) out.push_back(ep);
    }
    freeifaddrs(list);
  }
  if (out.empty()) out.push_back("127.0.0.1:" + std::to_string(port));
  return out;
}

net::HttpResponse JsonError(int status, const std::string& message) {
  nlohmann::json body = {{"error", message}};
  return net::HttpResponse::Json(status, JsonText(body));
}

}  // namespace

Result<std::unique_ptr<Colony>> Colony::Start(ColonyOptions options) {
  DescriptorLimit fds = RaiseDescriptorLimit();
  CORAL_LOG_INFO("colony: may hold {} file descriptors (hard limit {})", fds.soft, fds.hard);
  std::unique_ptr<Colony> colony(new Colony(std::move(options)));
  Colony& c = *colony;
  c.started_at_ = SystemClock::Get().Now();
  c.config_ = CORAL_TRY(config::LoadColony(c.options_.home, c.options_.colony_id));
  const auto dir = c.options_.home.colony_dir(c.config_.id);
  mesh::Ipv4Prefix range = CORAL_TRY(mesh::ParseIpv4Prefix(c.config_.mesh_cidr));
  uint32_t mesh_ip = CORAL_TRY(mesh::ParseIpv4(c.config_.mesh_ip));

  std::string secret = CORAL_TRY(auth::ReadColonySecret(c.options_.home, c.config_.id));
  c.local_token_ = auth::LocalApiToken(secret);
  std::string same_host = auth::SameHostSecret(secret);
  crypto::Wipe(secret);

  crypto::CaFiles ca_files{CORAL_TRY(ReadFile(dir / "ca.crt")),
                           CORAL_TRY(ReadFile(dir / "ca.key"))};
  c.ca_ = std::make_unique<crypto::CertificateAuthority>(
      CORAL_TRY(crypto::CertificateAuthority::Load(ca_files)));
  crypto::Wipe(ca_files.key_pem);

  c.endpoints_ = c.config_.public_endpoints;
  if (c.endpoints_.empty()) c.endpoints_ = DetectEndpoints(range, c.config_.public_port);

  // The colony's own certificate, fresh each start: it serves HTTPS and the
  // mesh API, and is the client certificate agents accept on their API.
  crypto::LeafSpec spec{.common_name = "colony " + c.config_.id,
                        .dns_names = {"localhost"},
                        .ip_addresses = {c.config_.mesh_ip, "127.0.0.1"},
                        .uris = {mesh::ColonyUri(c.config_.id)},
                        .days = 30,
                        .usage = crypto::CertUsage::kServerAndClient};
  for (const auto& ep : c.endpoints_) {
    std::string host = HostOf(ep);
    auto& list = IsIpLiteral(host) ? spec.ip_addresses : spec.dns_names;
    if (std::find(list.begin(), list.end(), host) == list.end()) list.push_back(host);
  }
  char hostname[256] = "";
  if (::gethostname(hostname, sizeof(hostname) - 1) == 0 && hostname[0] != '\0' &&
      std::string(hostname) != "localhost") {
    spec.dns_names.push_back(hostname);
  }
  c.colony_cert_ = CORAL_TRY(c.ca_->Issue(spec));
  // The names clients may reach the public endpoint by are the ones its
  // certificate carries; MCP answers only to those (DNS rebinding guard).
  std::vector<std::string> mcp_hosts;
  for (const auto& name : spec.dns_names) mcp_hosts.push_back(name);
  for (const auto& ip : spec.ip_addresses) mcp_hosts.push_back(ip);

  c.control_ = CORAL_TRY(storage::OpenStore("duckdb://" + (dir / "control.duckdb").string() +
                                            "?threads=1&memory_limit=128MB"));
  CORAL_TRY(c.control_->Migrate(ControlMigrations()));
  c.tokens_ = CORAL_TRY(auth::TokenStore::Open(*c.control_));
  c.audit_ = std::make_unique<auth::AuditLog>(*c.control_);
  c.registry_ = CORAL_TRY(Registry::Open(*c.control_, range, *c.tokens_));
  c.policy_ = ColonyPolicy();
  c.door_ = std::make_unique<auth::FrontDoor>(auth::FrontDoorOptions{
      .resource = {.colony = c.config_.id, .app = c.config_.app, .env = c.config_.env},
      .verifiers = {auth::LocalTokenVerifier(c.local_token_), auth::ApiTokenVerifier(*c.tokens_),
                    auth::JoinTokenVerifier(*c.tokens_, std::move(same_host)),
                    c.AgentCertificates()},
      .policy = &c.policy_,
      .audit = c.audit_.get(),
      .missing_hint = "an API token ('coral colony token create --role viewer') as "
                      "'Authorization: Bearer <token>'"});
  c.telemetry_ = CORAL_TRY(storage::OpenStore(analysis::TelemetryStoreUrl(c.config_.storage_url)));
  CORAL_TRY(
      c.telemetry_->Migrate(analysis::TelemetryMigrations()).WithContext(c.config_.storage_url));

  // The mesh interface, with every enrolled agent as a peer again.
  std::string key_text = CORAL_TRY(ReadFile(dir / "wireguard.key"));
  while (!key_text.empty() && (key_text.back() == '\n' || key_text.back() == ' ')) {
    key_text.pop_back();
  }
  auto key_bytes = crypto::KeyFromBase64(key_text);
  crypto::Wipe(key_text);
  if (!key_bytes.ok()) return key_bytes.status().WithContext((dir / "wireguard.key").string());
  mesh::MeshDeviceOptions mesh_options{
      .interface_name = mesh::ColonyInterfaceName(c.config_.id),
      .private_key = crypto::PrivateKey(*key_bytes),
      .listen_port = static_cast<uint16_t>(c.config_.wireguard_port),
      .address = mesh_ip,
      .prefix_len = range.length,
      .uapi_dir = c.options_.uapi_dir};
  crypto::Wipe(key_bytes->data(), key_bytes->size());
  c.mesh_ = CORAL_TRY(mesh::MeshDevice::Start(mesh_options));
  std::vector<mesh::MeshPeer> peers;
  for (const auto& a : c.registry_->Agents()) {
    if (a.revoked_at) continue;
    peers.push_back({.public_key = a.wireguard_public_key, .allowed_ips = {a.mesh_ip + "/32"}});
  }
  CORAL_TRY(c.mesh_->ReplacePeers(peers));

  c.mesh_api_ = std::make_unique<ColonyApi>(c);
  c.local_api_ = std::make_unique<ColonyApi>(c);
  std::string port = std::to_string(c.config_.grpc_port);
  c.mesh_server_ = CORAL_TRY(net::GrpcServer::Start(
      {.addresses = {c.config_.mesh_ip + ":" + port},
       .tls = net::GrpcTls{.cert_pem = c.colony_cert_.cert_pem,
                           .key_pem = c.colony_cert_.key_pem,
                           .client_ca_pem = c.ca_->files().cert_pem},
       .services = {c.mesh_api_.get()},
       .probe_credentials = net::ChannelCredentials(
           c.ca_->files().cert_pem, c.colony_cert_.cert_pem, c.colony_cert_.key_pem)}));
  c.local_server_ = CORAL_TRY(net::GrpcServer::Start(
      {.addresses = {"127.0.0.1:" + port}, .services = {c.local_api_.get()}}));

  c.mcp_ = std::make_unique<mcp::McpServer>(mcp::McpServerOptions{
      .name = "coral",
      .title = "Coral colony " + c.config_.id,
      .version = c.options_.version,
      .instructions = "Observability of the " + c.config_.app + " application (" + c.config_.env +
                      "): start with coral_service_summary; its findings carry evidence."});
  analysis::AddColonyTools(*c.mcp_, c);
  c.mcp_transport_ = std::make_unique<mcp::McpHttpTransport>(
      *c.mcp_, mcp::HttpTransportOptions{.allowed_hosts = std::move(mcp_hosts)});
  c.mcp_gate_ = std::make_unique<auth::McpGate>(*c.door_, *c.mcp_transport_);
  c.rest_ = std::make_unique<analysis::RestApi>(c, *c.door_, c.options_.version);

  net::HttpServerOptions http{
      .bind = "0.0.0.0",
      .port = static_cast<uint16_t>(c.config_.public_port),
      .tls = net::TlsServerConfig{.cert_pem = c.colony_cert_.cert_pem,
                                  .key_pem = c.colony_cert_.key_pem,
                                  .client_ca_pem = c.ca_->files().cert_pem,
                                  .client_certs = net::ClientCerts::kOptional},
      // More threads than REST answers may run at once (RestApiOptions), so
      // enrollment and MCP keep some while viewers ask heavy questions.
      .threads = 8,
      .max_body_bytes = 1 << 20};
  Colony* self = colony.get();
  c.public_server_ = CORAL_TRY(net::HttpServer::Start(
      http, [self](const net::HttpRequest& req) { return self->Public(req); }));

  c.prober_ = std::thread([self] { self->ProberMain(); });
  c.agent_source_ = std::make_unique<GrpcAgentSource>(
      c.ca_->files().cert_pem, c.colony_cert_.cert_pem, c.colony_cert_.key_pem);
  c.summarizer_ = std::make_unique<analysis::Summarizer>(
      *c.telemetry_, analysis::SummarizerOptions{.interval = c.config_.summary_interval,
                                                 .raw_retention = c.config_.raw_retention,
                                                 .summary_retention = c.config_.summary_retention});
  c.summarizer_->Start();
  c.poller_ = std::make_unique<Poller>(
      *c.telemetry_, *c.agent_source_,
      PollerOptions{.interval = std::chrono::duration_cast<std::chrono::milliseconds>(
                        c.config_.poll_interval),
                    .concurrency = c.config_.poll_concurrency},
      c.summarizer_.get());
  c.poller_->Start([self] {
    std::vector<PollTarget> targets;
    for (const auto& a : self->registry_->Agents()) {
      if (a.revoked_at || a.api_port <= 0) continue;
      targets.push_back({a.agent_id, a.mesh_ip + ":" + std::to_string(a.api_port)});
    }
    return targets;
  });
  CORAL_LOG_INFO(
      "colony: {} up: mesh {} on {} (WireGuard UDP {}), API {}:{} (mesh, mTLS) and "
      "127.0.0.1:{}, enrollment https://{} ; {} agents restored",
      c.config_.id, c.config_.mesh_ip, c.mesh_->interface_name(), c.mesh_->listen_port(),
      c.config_.mesh_ip, c.grpc_port(), c.grpc_port(), c.endpoints_.front(), peers.size());
  return colony;
}

Colony::~Colony() { Stop(); }

void Colony::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopping_ && !prober_.joinable()) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (prober_.joinable()) prober_.join();
  if (poller_) poller_->Stop();
  if (summarizer_) summarizer_->Stop();
  if (public_server_) public_server_->Stop();
  // Waits for MCP requests still running on their own threads; they use the
  // stores, which go before the transport would.
  mcp_gate_.reset();
  mcp_transport_.reset();
  if (mesh_server_) mesh_server_->Stop();
  if (local_server_) local_server_->Stop();
  if (mesh_) mesh_->Stop();
}

int Colony::grpc_port() const { return local_server_ ? local_server_->ports()[0] : 0; }
uint16_t Colony::public_port() const { return public_server_ ? public_server_->port() : 0; }

Result<std::string> Colony::JoinTokenText(const auth::TokenStore::NewToken& token) {
  mesh::JoinToken t{.colony_id = config_.id,
                    .endpoints = endpoints_,
                    .ca_fingerprint = ca_->fingerprint(),
                    .token_id = token.record.id,
                    .secret = token.secret};
  return mesh::EncodeJoinToken(t);
}

net::HttpResponse Colony::Public(const net::HttpRequest& req) {
  if (req.path == "/v1/ca" && req.method == "GET") {
    return net::HttpResponse{.status = 200,
                             .headers = {{"Content-Type", "application/x-pem-file"}},
                             .body = ca_->files().cert_pem};
  }
  if (req.path == "/v1/enroll") return Enroll(req);
  if (req.path == "/v1/agent/self" && req.method == "GET") return AgentSelf(req);
  if (req.path == "/mcp") return mcp_gate_->Handle(req);
  if (analysis::RestApi::Handles(req.path)) return rest_->Handle(req);
  return JsonError(404,
                   "no such endpoint; the colony serves /v1/ca, /v1/enroll, /v1/agent/self, /mcp "
                   "and /api/v1/ (see /api/v1/openapi.json)");
}

net::HttpResponse Colony::Enroll(const net::HttpRequest& req) {
  if (req.method != "POST") return JsonError(405, "enroll takes POST");
  coral::v1::EnrollRequest er;
  google::protobuf::util::JsonParseOptions parse;
  if (!google::protobuf::util::JsonStringToMessage(req.body, &er, parse).ok()) {
    return JsonError(400, "the enrollment request is not a JSON EnrollRequest");
  }
  auth::Credentials credentials{.join_secret = er.token_secret(), .remote = req.remote};
  nlohmann::json arguments = {{"agent_id", er.agent_id().substr(0, 80)},
                              {"hostname", er.hostname().substr(0, 255)}};
  auto pass = door_->Admit(credentials, "enroll", JsonText(arguments));
  Result<coral::v1::EnrollResponse> resp = Unauthenticated("");
  if (pass.ok()) {
    std::string host = req.header("Host").empty() ? "" : HostOf(std::string(req.header("Host")));
    resp = Enroll(er, pass->caller.id, host);
    door_->Finish(*pass, 0, resp.ok() ? "" : resp.status().message());
  } else {
    resp = pass.status();
  }
  if (!resp.ok()) {
    CORAL_LOG_WARN("colony: enrollment of agent '{}' from {} refused: {}",
                   er.agent_id().substr(0, 80), req.remote, resp.status().message());
    return JsonError(net::HttpStatusOf(resp.status()), resp.status().message());
  }
  std::string body;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(*resp, &body, print);
  return net::HttpResponse::Json(200, body);
}

auth::Verifier Colony::AgentCertificates() {
  return [this](const auth::Credentials& c) -> std::optional<Result<auth::Caller>> {
    if (c.client_cert_pem.empty()) return std::nullopt;
    auto info = crypto::InspectCertificate(c.client_cert_pem);
    if (!info.ok()) return Result<auth::Caller>(Unauthenticated("unreadable client certificate"));
    for (const auto& uri : info->uris) {
      std::string id = mesh::AgentIdFromUri(config_.id, uri);
      if (id.empty()) continue;
      auto agent = registry_->Authenticate(id, info->fingerprint);
      if (!agent.ok()) return Result<auth::Caller>(agent.status());
      return auth::Caller{.kind = auth::CallerKind::kAgent, .id = id, .who = "agent " + id};
    }
    return Result<auth::Caller>(
        PermissionDenied("the certificate names no agent of colony " + config_.id));
  };
}

Result<coral::v1::EnrollResponse> Colony::Enroll(const coral::v1::EnrollRequest& request,
                                                 const std::string& token_id,
                                                 const std::string& enrolled_via_host) {
  auto wg_key = crypto::KeyFromBase64(request.wireguard_public_key());
  if (!wg_key.ok()) {
    return InvalidArgument("wireguard_public_key is not a base64 WireGuard key (44 characters)");
  }
  if (request.csr_pem().empty()) return InvalidArgument("csr_pem is missing");
  EnrollClaim claim{.token_id = token_id,
                    .agent_id = request.agent_id(),
                    .hostname = request.hostname(),
                    .version = request.version(),
                    .wireguard_public_key = request.wireguard_public_key()};
  std::string cert_pem;
  auto issue = [&](const std::string& mesh_ip) -> Result<std::string> {
    cert_pem = CORAL_TRY(ca_->IssueForCsr(request.csr_pem(),
                                          {.common_name = "agent " + request.agent_id(),
                                           .ip_addresses = {mesh_ip},
                                           .uris = {mesh::AgentUri(config_.id, request.agent_id())},
                                           .days = 90,
                                           .usage = crypto::CertUsage::kServerAndClient}));
    return cert_pem;
  };
  Enrolled enrolled = CORAL_TRY(registry_->Enroll(claim, issue));
  if (!enrolled.replaced_wireguard_key.empty()) {
    (void)mesh_->RemovePeer(enrolled.replaced_wireguard_key);
  }
  CORAL_TRY(mesh_->SetPeer({.public_key = enrolled.agent.wireguard_public_key,
                            .allowed_ips = {enrolled.agent.mesh_ip + "/32"}}));
  CORAL_LOG_INFO("colony: agent {} ({}) enrolled at {}", enrolled.agent.agent_id,
                 enrolled.agent.hostname, enrolled.agent.mesh_ip);

  coral::v1::EnrollResponse out;
  out.set_colony_id(config_.id);
  out.set_mesh_ip(enrolled.agent.mesh_ip);
  out.set_mesh_cidr(config_.mesh_cidr);
  out.set_colony_mesh_ip(config_.mesh_ip);
  out.set_colony_grpc_port(config_.grpc_port);
  out.set_colony_wireguard_public_key(config_.wireguard_public_key);
  std::string wg_port = std::to_string(mesh_->listen_port());
  // The host the agent reached us through first: it is known to route.
  if (!enrolled_via_host.empty()) {
    bool v6 = enrolled_via_host.find(':') != std::string::npos;
    out.add_colony_wireguard_endpoints((v6 ? "[" + enrolled_via_host + "]" : enrolled_via_host) +
                                       ":" + wg_port);
  }
  for (const auto& ep : endpoints_) {
    std::string host = HostOf(ep);
    if (host == enrolled_via_host) continue;
    bool v6 = host.find(':') != std::string::npos;
    out.add_colony_wireguard_endpoints((v6 ? "[" + host + "]" : host) + ":" + wg_port);
  }
  out.set_certificate_pem(cert_pem);
  out.set_ca_pem(ca_->files().cert_pem);
  return out;
}

net::HttpResponse Colony::AgentSelf(const net::HttpRequest& req) {
  auto pass = door_->Admit(auth::FromHttp(req), "agent:self");
  if (!pass.ok()) {
    return JsonError(
        net::HttpStatusOf(pass.status()),
        pass.status().code() == StatusCode::kUnauthenticated && req.peer_cert_pem.empty()
            ? "present the certificate this agent got at enrollment"
            : pass.status().message());
  }
  auto agent = registry_->Agent(pass->caller.id);
  if (!agent.ok()) return JsonError(net::HttpStatusOf(agent.status()), agent.status().message());
  nlohmann::json body = {
      {"agent_id", agent->agent_id},
      {"state", std::string(AgentStateName(StateOf(*agent, registry_->clock().Now())))},
      {"mesh_ip", agent->mesh_ip}};
  std::string text = JsonText(body);
  door_->Finish(*pass, static_cast<int64_t>(text.size()));
  return net::HttpResponse::Json(200, text);
}

coral::v1::GetStatusResponse Colony::Status() {
  coral::v1::GetStatusResponse out;
  out.set_colony_id(config_.id);
  out.set_app(config_.app);
  out.set_env(config_.env);
  out.set_mesh_cidr(config_.mesh_cidr);
  out.set_mesh_ip(config_.mesh_ip);
  out.mutable_build()->set_version(options_.version);
  out.set_started_at_unix_micros(ToUnixMicros(started_at_));
  out.set_wireguard_interface(mesh_->interface_name());
  out.set_wireguard_port(mesh_->listen_port());
  out.set_wireguard_public_key(config_.wireguard_public_key);
  for (const auto& ep : endpoints_) out.add_public_endpoints(ep);
  out.set_ca_fingerprint(ca_->fingerprint());
  out.set_pid(::getpid());
  WallTime now = registry_->clock().Now();
  for (const auto& a : registry_->Agents()) {
    switch (StateNow(a, now)) {
      case AgentState::kHealthy:
        out.set_agents_healthy(out.agents_healthy() + 1);
        break;
      case AgentState::kDegraded:
        out.set_agents_degraded(out.agents_degraded() + 1);
        break;
      case AgentState::kRevoked:
        out.set_agents_revoked(out.agents_revoked() + 1);
        break;
      default:
        out.set_agents_unhealthy(out.agents_unhealthy() + 1);
        break;
    }
  }
  return out;
}

AgentState Colony::StateNow(const AgentRecord& a, WallTime now) {
  AgentState state = StateOf(a, now);
  if (state != AgentState::kHealthy || !poller_) return state;
  // Heartbeats alone do not make an agent healthy: its data must come too.
  auto stats = poller_->Stats();
  auto it = stats.find(a.agent_id);
  return it != stats.end() && it->second.failures >= 2 ? AgentState::kDegraded : state;
}

coral::v1::AgentInfo Colony::Describe(const AgentRecord& a) {
  coral::v1::AgentInfo out;
  out.set_agent_id(a.agent_id);
  out.set_hostname(a.hostname);
  out.set_mesh_ip(a.mesh_ip);
  out.set_version(a.version);
  out.set_state(std::string(AgentStateName(StateNow(a, registry_->clock().Now()))));
  if (a.last_seen) out.set_last_seen_unix_micros(ToUnixMicros(*a.last_seen));
  out.set_enrolled_at_unix_micros(ToUnixMicros(a.enrolled_at));
  out.set_wireguard_public_key(a.wireguard_public_key);
  out.set_certificate_expires_unix_micros(ToUnixMicros(a.cert_expires_at));
  for (const auto& p : mesh_->Peers()) {
    if (p.public_key != a.wireguard_public_key) continue;
    out.set_wireguard_endpoint(p.endpoint);
    if (p.last_handshake) out.set_last_handshake_unix_micros(ToUnixMicros(*p.last_handshake));
  }
  if (poller_) {
    auto stats = poller_->Stats();
    if (auto it = stats.find(a.agent_id); it != stats.end()) {
      out.set_rows_pulled(it->second.rows_pulled);
      out.set_rows_lost(it->second.rows_lost);
      out.set_pull_error(it->second.last_error);
      if (it->second.failures > 0) {
        out.set_pull_failing_since_unix_micros(ToUnixMicros(it->second.failing_since));
      }
      if (it->second.last_ok != WallTime{}) {
        out.set_last_pull_unix_micros(ToUnixMicros(it->second.last_ok));
      }
    }
  }
  std::lock_guard lock(probe_mu_);
  if (auto it = probes_.find(a.agent_id); it != probes_.end()) {
    out.set_api_reachable(it->second.reachable);
    out.set_api_error(it->second.error);
    *out.mutable_runtime() = it->second.runtime;
  }
  return out;
}

std::vector<coral::v1::AgentInfo> Colony::Agents() {
  std::vector<coral::v1::AgentInfo> out;
  for (const auto& a : registry_->Agents()) out.push_back(Describe(a));
  return out;
}

Result<std::vector<auth::AuditEntry>> Colony::Audit(const auth::AuditQuery& query) {
  return audit_->List(query);
}

coral::Status Colony::AgentRegistered(const std::string& agent_id, const std::string& hostname,
                                      const std::string& version, int64_t api_port) {
  CORAL_TRY(registry_->MarkSeen(agent_id, hostname, version, api_port));
  ProbeSoon();
  return coral::Status::Ok();
}

coral::Status Colony::AgentHeartbeat(const std::string& agent_id) {
  return registry_->MarkSeen(agent_id);
}

Result<coral::v1::AgentInfo> Colony::RevokeAgent(const std::string& agent_id) {
  AgentRecord a = CORAL_TRY(registry_->RevokeAgent(agent_id));
  CORAL_TRY(mesh_->RemovePeer(a.wireguard_public_key));
  {
    std::lock_guard lock(probe_mu_);
    probes_.erase(agent_id);
  }
  return Describe(a);
}

void Colony::Probe(const AgentRecord& agent) {
  if (agent.revoked_at || agent.api_port <= 0) return;
  AgentProbe probe;
  probe.at = SystemClock::Get().Now();
  auto channel = grpc::CreateChannel(
      agent.mesh_ip + ":" + std::to_string(agent.api_port),
      net::ChannelCredentials(ca_->files().cert_pem, colony_cert_.cert_pem, colony_cert_.key_pem));
  auto stub = coral::v1::AgentService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  coral::v1::GetRuntimeContextRequest req;
  grpc::Status s = stub->GetRuntimeContext(&ctx, req, &probe.runtime);
  probe.reachable = s.ok();
  if (!s.ok()) probe.error = s.error_message();
  std::lock_guard lock(probe_mu_);
  auto& slot = probes_[agent.agent_id];
  if (slot.reachable != probe.reachable || slot.at == WallTime{}) {
    if (probe.reachable) {
      CORAL_LOG_INFO("colony: agent {} API reachable over the mesh at {}", agent.agent_id,
                     agent.mesh_ip);
    } else {
      CORAL_LOG_WARN("colony: agent {} API unreachable over the mesh: {}", agent.agent_id,
                     probe.error);
    }
  }
  slot = std::move(probe);
}

void Colony::ProberMain() {
  std::optional<MonoTime> pruned;  // when the audit log was last pruned
  while (true) {
    if (MonoTime now = registry_->clock().Monotonic();
        !pruned || now - *pruned >= std::chrono::hours(1)) {
      pruned = now;
      if (coral::Status s = audit_->Prune(registry_->clock().Now() - config_.audit_retention);
          !s.ok()) {
        CORAL_LOG_WARN("colony: pruning the audit log: {}", s.message());
      }
    }
    for (const auto& a : registry_->Agents()) {
      {
        std::lock_guard lock(stop_mu_);
        if (stopping_) return;
      }
      Probe(a);
    }
    std::unique_lock lock(stop_mu_);
    if (stop_cv_.wait_for(lock, options_.probe_interval,
                          [this] { return stopping_ || probe_soon_; })) {
      if (stopping_) return;
    }
    probe_soon_ = false;
  }
}

void Colony::ProbeSoon() {
  {
    std::lock_guard lock(stop_mu_);
    probe_soon_ = true;
  }
  stop_cv_.notify_all();
}

}  // namespace coral::colony
