// The colony process (`coral colony start`): the control plane of one mesh.
// It brings up the colony's WireGuard interface (.1 of its /16, UDP 41580),
// restores every enrolled agent as a peer, and serves, all through one front
// door (auth/front_door.h, ColonyPolicy):
//   - its public HTTPS endpoint (8443, certificate from the colony CA):
//     enrollment (/v1/ca, /v1/enroll, /v1/agent/self), MCP (/mcp) and the
//     REST API (/api/v1/..., analysis/rest_api.h);
//   - the colony gRPC API (colony_api.h) on mesh-ip:9000 (mTLS, agents) and
//     127.0.0.1:9000 (the operator on this host with the local token, or API
//     tokens).
// It pulls the agents' tables (poller.h), keeps the summaries
// (analysis/summarizer.h), and calls each agent's API over the mesh to learn
// its runtime context, which also proves the path works.
//
// Threads: gRPC and the HTTPS server run on their own; one prober thread calls
// agents. Shared state is the Registry and the auth/ stores (thread-safe) and
// probes_ (probe_mu_).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "analysis/rest_api.h"
#include "analysis/summarizer.h"
#include "auth/audit.h"
#include "auth/front_door.h"
#include "auth/mcp_gate.h"
#include "auth/policy.h"
#include "auth/tokens.h"
#include "base/clock.h"
#include "base/status.h"
#include "colony/control.h"
#include "colony/poller.h"
#include "colony/registry.h"
#include "config/colony_config.h"
#include "config/home.h"
#include "coral/v1/agent.pb.h"
#include "coral/v1/colony.pb.h"
#include "coral/v1/mesh.pb.h"
#include "crypto/ca.h"
#include "mcp/http_transport.h"
#include "mcp/server.h"
#include "mesh/mesh_device.h"
#include "net/grpc_server.h"
#include "net/http_server.h"
#include "storage/store.h"

namespace grpc {
class Service;
}

namespace coral::colony {

struct ColonyOptions {
  config::Home home;
  std::string colony_id;
  std::string version;
  std::filesystem::path uapi_dir = "/var/run/wireguard";
  std::chrono::milliseconds probe_interval{15'000};
};

// What the colony last heard from an agent's API over the mesh.
struct AgentProbe {
  bool reachable = false;
  std::string error;
  WallTime at{};
  coral::v1::RuntimeContext runtime;
};

class Colony final : public ColonyControl {
 public:
  static Result<std::unique_ptr<Colony>> Start(ColonyOptions options);
  ~Colony() override;
  Colony(const Colony&) = delete;
  Colony& operator=(const Colony&) = delete;
  void Stop();

  Registry& registry() { return *registry_; }
  const std::string& local_token() const { return local_token_; }
  WallTime started_at() const { return started_at_; }
  int grpc_port() const;
  uint16_t public_port() const;
  std::vector<std::string> public_endpoints() const { return endpoints_; }

  // ColonyControl.
  storage::Store& telemetry() override { return *telemetry_; }
  const Clock& clock() const override { return SystemClock::Get(); }
  coral::v1::GetStatusResponse Status() override;
  std::vector<coral::v1::AgentInfo> Agents() override;
  Result<std::vector<auth::AuditEntry>> Audit(const auth::AuditQuery& query) override;
  const config::ColonyConfig& config() const override { return config_; }
  auth::FrontDoor& door() override { return *door_; }
  auth::TokenStore& tokens() override { return *tokens_; }
  coral::Status AgentRegistered(const std::string& agent_id, const std::string& hostname,
                                const std::string& version, int64_t api_port) override;
  coral::Status AgentHeartbeat(const std::string& agent_id) override;
  Result<coral::v1::AgentInfo> RevokeAgent(const std::string& agent_id) override;
  Result<std::string> JoinTokenText(const auth::TokenStore::NewToken& token) override;

  coral::v1::AgentInfo Describe(const AgentRecord& agent);
  // The registry's state (heartbeats), degraded while pulls keep failing.
  AgentState StateNow(const AgentRecord& agent, WallTime now);
  // Calls one agent's API over the mesh (the prober does this for all, every
  // probe_interval); ProbeSoon makes the prober go round now.
  void Probe(const AgentRecord& agent);
  void ProbeSoon();

 private:
  explicit Colony(ColonyOptions options) : options_(std::move(options)) {}
  void ProberMain();
  // The public endpoint's routes.
  net::HttpResponse Public(const net::HttpRequest& req);
  // /v1/enroll: a join token's secret lets an agent in; adds it as a peer.
  net::HttpResponse Enroll(const net::HttpRequest& req);
  Result<coral::v1::EnrollResponse> Enroll(const coral::v1::EnrollRequest& request,
                                           const std::string& token_id,
                                           const std::string& enrolled_via_host);
  // GET /v1/agent/self on the public endpoint, with the agent's certificate:
  // how an agent cut off from the mesh learns why (say, it was revoked).
  net::HttpResponse AgentSelf(const net::HttpRequest& req);
  // Agents' certificates (coral://COLONY/agent/ID), as the registry holds them.
  auth::Verifier AgentCertificates();

  ColonyOptions options_;
  config::ColonyConfig config_;
  std::string local_token_;
  std::vector<std::string> endpoints_;  // public HTTPS host:port list
  WallTime started_at_{};
  std::unique_ptr<crypto::CertificateAuthority> ca_;
  crypto::IssuedCert colony_cert_;  // server + client, URI coral://<colony>/colony
  std::unique_ptr<storage::Store> control_;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<auth::AuditLog> audit_;
  auth::Policy policy_;
  std::unique_ptr<auth::FrontDoor> door_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<mcp::McpServer> mcp_;
  std::unique_ptr<mcp::McpHttpTransport> mcp_transport_;
  std::unique_ptr<auth::McpGate> mcp_gate_;
  std::unique_ptr<analysis::RestApi> rest_;
  std::unique_ptr<storage::Store> telemetry_;  // config storage.url
  std::unique_ptr<GrpcAgentSource> agent_source_;
  std::unique_ptr<analysis::Summarizer> summarizer_;
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<mesh::MeshDevice> mesh_;
  std::unique_ptr<grpc::Service> mesh_api_;
  std::unique_ptr<grpc::Service> local_api_;
  std::unique_ptr<net::GrpcServer> mesh_server_;
  std::unique_ptr<net::GrpcServer> local_server_;
  std::unique_ptr<net::HttpServer> public_server_;

  std::mutex probe_mu_;  // guards probes_
  std::map<std::string, AgentProbe> probes_;

  std::mutex stop_mu_;  // guards stopping_, probe_soon_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool probe_soon_ = false;
  std::thread prober_;
};

}  // namespace coral::colony
