// The agent: the per-host observer. It discovers processes, services and
// connections, samples host metrics, checks the health of connected services,
// keeps everything in its rolling store, and serves AgentService over gRPC.
//
// Threads: one loop thread runs discovery, host metrics and pruning in turn;
// one thread runs health checks (they may block for their timeout); gRPC runs
// the API on its own threads; the OTLP receivers run on theirs and write
// through telemetry_sink_ into the store. State the API reads (the latest services and
// health) is guarded by state_mutex_.
//
// Memory: once every kind of work has run, the loop thread gives back the
// code pages only start-up used (base/resident.h): the agent's resident set
// is then what it keeps using, not what it took to start.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "agent/health_checker.h"
#include "agent/mesh/colony_link.h"
#include "agent/mesh/identity.h"
#include "agent/observers/ebpf_connections.h"
#include "agent/observers/host_metrics.h"
#include "agent/observers/procfs.h"
#include "agent/observers/redact.h"
#include "agent/observers/service_discovery.h"
#include "agent/otlp/agent_telemetry_sink.h"
#include "agent/store/agent_store.h"
#include "base/clock.h"
#include "config/agent_config.h"
#include "mesh/mesh_device.h"
#include "net/grpc_server.h"
#include "telemetry/otlp_receiver.h"

namespace coral::agent {

struct AgentOptions {
  config::AgentConfig config;
  std::filesystem::path dir;  // <home>/agent: store, token, services.yaml
  std::filesystem::path proc_root = "/proc";
  std::filesystem::path sys_root = "/sys";
  std::string version;
  // Set when the agent has joined a colony: it brings up its WireGuard
  // interface, serves its API on the mesh address too (mTLS, the colony's
  // certificate only) and registers and heartbeats with the colony.
  std::optional<MeshIdentity> mesh;
  std::filesystem::path uapi_dir = "/var/run/wireguard";
};

// How the agent observes TCP connections, decided once at start.
struct ConnectionMethod {
  bool ebpf = false;
  std::string name;    // "ebpf" or "sock_diag"
  std::string reason;  // why this method, for the log and GetRuntimeContext
};

// A service with its latest health (explicit services only).
struct ServiceStatus {
  Service service;
  std::string health = "unknown";  // healthy | unhealthy | unknown
  std::string health_reason;
};

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> Start(AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  void Stop();
  int grpc_port() const;
  const AgentOptions& options() const { return options_; }
  const std::string& token() const { return token_; }
  WallTime started_at() const { return started_at_; }
  // Set in Start() before any thread runs, constant after.
  const ConnectionMethod& connection_method() const { return connection_method_; }

  std::vector<ServiceStatus> Services(WallTime* discovered_at = nullptr);
  Result<ServiceStatus> Connect(const ExplicitService& service);
  Status Disconnect(const std::string& name);
  AgentStore& store() { return *store_; }
  // Where the OTLP receivers listen ("127.0.0.1:4317", "http://127.0.0.1:4318").
  std::string otlp_grpc_endpoint() const;
  std::string otlp_http_endpoint() const;
  TelemetryCounters telemetry_counters() const { return telemetry_sink_->counters(); }
  // The mesh side; null / empty without a colony.
  const mesh::MeshDevice* mesh_device() const { return mesh_device_.get(); }
  const ColonyLink* colony_link() const { return colony_link_.get(); }
  // The certificate URI allowed to call the API on the mesh (the colony's).
  const std::string& mesh_caller_uri() const { return mesh_caller_uri_; }
  std::string mesh_api_address() const;

  // One discovery pass, one host metrics sample, one health round: the loops
  // call these; tests may too.
  Status DiscoverOnce();
  Status SampleHostMetricsOnce();
  // Checks every connected service, or only `only` when given.
  Status CheckHealthOnce(const std::string& only = "");

 private:
  explicit Agent(AgentOptions options);
  Status StartOtlp();
  Status StartMesh();
  void LoopMain();
  void HealthMain();
  bool WaitOrStop(std::chrono::milliseconds d);
  // Rows for the connection events traced since the last pass.
  void AddTracedConnections(const std::map<std::pair<uint64_t, uint16_t>, pid_t>& listener_owners,
                            const std::function<std::string(pid_t)>& process_name,
                            std::vector<std::vector<storage::Value>>& rows);

  AgentOptions options_;
  ProcFs procfs_;
  HostMetrics host_metrics_;
  std::unique_ptr<AgentStore> store_;
  std::optional<CommandLineRedactor> redactor_;  // set at start
  // Declared after store_ (the sink writes into it) and before otlp_ (which
  // feeds the sink), so destruction stops them in the right order.
  std::unique_ptr<AgentTelemetrySink> telemetry_sink_;
  std::unique_ptr<telemetry::OtlpReceiver> otlp_;
  std::string token_;
  WallTime started_at_;
  std::unique_ptr<grpc::Service> api_;
  std::unique_ptr<net::GrpcServer> server_;
  // The mesh: interface, API on the mesh address, link to the colony.
  std::unique_ptr<mesh::MeshDevice> mesh_device_;
  std::unique_ptr<grpc::Service> mesh_api_;
  std::unique_ptr<net::GrpcServer> mesh_server_;
  std::unique_ptr<ColonyLink> colony_link_;
  std::string mesh_caller_uri_;

  // Discovery runs on the loop thread and after Connect/Disconnect (an API
  // thread): discovery_mutex_ serializes passes and guards what they keep.
  std::mutex discovery_mutex_;  // guards cpu_marks_, last_discovery_, user_names_, ebpf_,
                                // connections_snapshotted_, ebpf_dropped_
  // CPU accounting between discovery passes.
  struct CpuMark {
    uint64_t start_ticks = 0;
    uint64_t cpu_ticks = 0;
  };
  std::map<pid_t, CpuMark> cpu_marks_;
  MonoTime last_discovery_{};
  int64_t boot_time_ = 0;
  std::map<uint32_t, std::string> user_names_;
  // With eBPF, connections that predate the agent come from one sock_diag
  // snapshot on the first pass; later passes write the traced events.
  std::unique_ptr<EbpfConnections> ebpf_;
  bool connections_snapshotted_ = false;
  uint64_t ebpf_dropped_ = 0;  // drops already reported
  ConnectionMethod connection_method_;

  std::mutex state_mutex_;  // guards explicit_, services_, discovered_at_, health_
  std::vector<ExplicitService> explicit_;
  std::vector<Service> services_;
  WallTime discovered_at_{};
  std::map<std::string, HealthResult> health_;  // by explicit service name

  std::mutex stop_mutex_;  // guards stopping_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread loop_thread_;
  std::thread health_thread_;
};

}  // namespace coral::agent
