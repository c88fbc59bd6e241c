// The colony process (`coral colony start`): the control plane of one mesh.
// It brings up the colony's WireGuard interface (.1 of its /16, UDP 41580),
// restores every enrolled agent as a peer, serves enrollment on its public
// HTTPS endpoint (8443, certificate from the colony CA), and the colony gRPC
// API on mesh-ip:9000 (mTLS, agents) and 127.0.0.1:9000 (the operator on this
// host, with the local token). It calls each agent's API over the mesh to
// learn its runtime context, which also proves the path works.
//
// Threads: gRPC and the HTTPS server run on their own; one prober thread calls
// agents. Shared state is the Registry (thread-safe) and probes_ (probe_mu_).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "colony/access.h"
#include "colony/poller.h"
#include "colony/registry.h"
#include "colony/summarizer.h"
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

class Colony {
 public:
  static Result<std::unique_ptr<Colony>> Start(ColonyOptions options);
  ~Colony();
  Colony(const Colony&) = delete;
  Colony& operator=(const Colony&) = delete;
  void Stop();

  const config::ColonyConfig& config() const { return config_; }
  Registry& registry() { return *registry_; }
  AccessControl& access() { return *access_; }
  storage::Store& telemetry() { return *telemetry_; }
  const std::string& local_token() const { return local_token_; }
  WallTime started_at() const { return started_at_; }
  int grpc_port() const;
  uint16_t public_port() const;
  std::vector<std::string> public_endpoints() const { return endpoints_; }

  // API helpers (colony_api.cc and the enrollment endpoint call these).
  coral::v1::GetStatusResponse Status();
  coral::v1::AgentInfo Describe(const AgentRecord& agent);
  Result<coral::v1::AgentInfo> Revoke(const std::string& agent_id);
  Result<std::string> TokenFor(const Registry::NewToken& token) const;
  // Handles an enrollment (already parsed); adds the agent as a peer.
  Result<coral::v1::EnrollResponse> Enroll(const coral::v1::EnrollRequest& request,
                                           const std::string& enrolled_via_host);
  // GET /v1/agent/self on the public endpoint, with the agent's certificate:
  // how an agent cut off from the mesh learns why (say, it was revoked).
  net::HttpResponse AgentSelf(const net::HttpRequest& req);
  // /mcp: a bearer token (API token, or the local one) first, then the role's
  // check of the tool, resource or prompt asked for, then the MCP transport;
  // every tool call, resource read and prompt is audited.
  net::HttpResponse Mcp(const net::HttpRequest& req);
  // Calls one agent's API over the mesh (the prober does this for all, every
  // probe_interval); ProbeSoon makes the prober go round now.
  void Probe(const AgentRecord& agent);
  void ProbeSoon();

 private:
  explicit Colony(ColonyOptions options) : options_(std::move(options)) {}
  Result<bool> LoadIdentity();
  void ProberMain();

  ColonyOptions options_;
  config::ColonyConfig config_;
  std::string local_token_;
  std::vector<std::string> endpoints_;  // public HTTPS host:port list
  WallTime started_at_{};
  std::unique_ptr<crypto::CertificateAuthority> ca_;
  crypto::IssuedCert colony_cert_;  // server + client, URI coral://<colony>/colony
  std::unique_ptr<storage::Store> control_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<mcp::McpServer> mcp_;
  std::unique_ptr<mcp::McpHttpTransport> mcp_transport_;
  std::unique_ptr<storage::Store> telemetry_;  // config storage.url
  std::unique_ptr<GrpcAgentSource> agent_source_;
  std::unique_ptr<Summarizer> summarizer_;
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
