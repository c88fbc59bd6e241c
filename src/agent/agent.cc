#include "agent/agent.h"

#include <malloc.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "agent/api/agent_service.h"
#include "agent/observers/sock_diag.h"
#include "agent/services_file.h"
#include "agent/store/agent_schema.h"
#include "base/descriptors.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/resident.h"
#include "crypto/keys.h"
#include "mesh/addressing.h"
#include "mesh/names.h"

namespace coral::agent {

using storage::Value;

namespace {

constexpr std::chrono::minutes kPruneInterval{1};

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

Result<std::string> LoadOrCreateToken(const std::filesystem::path& path) {
  auto existing = ReadFile(path);
  if (existing.ok()) {
    std::string token = *existing;
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    if (token.size() >= 32) return token;
  }
  std::string token = RandomHex(32);
  CORAL_TRY(WriteFileAtomic(path, token + "\n", FileMode::kPrivate));
  return token;
}

std::string HostPort(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

Agent::Agent(AgentOptions options)
    : options_(std::move(options)),
      procfs_(options_.proc_root),
      host_metrics_(options_.proc_root, options_.sys_root) {}

Result<std::unique_ptr<Agent>> Agent::Start(AgentOptions options) {
  DescriptorLimit fds = RaiseDescriptorLimit();
  CORAL_LOG_INFO("agent: may hold {} file descriptors (hard limit {})", fds.soft, fds.hard);
  CORAL_TRY(MakeDirs(options.dir, FileMode::kPrivate));
  // glibc gives each thread that allocates its own arena; a dozen mostly idle
  // threads would each keep one. Two arenas serve this workload.
  mallopt(M_ARENA_MAX, 2);
  std::unique_ptr<Agent> agent(new Agent(std::move(options)));
  Agent& a = *agent;
  a.started_at_ = SystemClock::Get().Now();
  // One DuckDB worker and a memory cap: the agent's writes are small batches,
  // and it must stay light on the host it observes. Checkpoints every 64 MB
  // of WAL rather than DuckDB's 16 MB: each checkpoint recompresses the row
  // group still filling, so at 16 MB OTLP ingest spent ~40% more CPU a row.
  // Spans are staged: journaled at once, written to DuckDB a row group at a
  // time (see AgentStore), which costs DuckDB about a third of the CPU a row.
  StagingOptions staging{.journal_dir = a.options_.dir / "agent.journal",
                         .tables = {std::string(kSpansTable)}};
  a.redactor_ = CORAL_TRY(CommandLineRedactor::Make(a.options_.config.redact_patterns));
  a.store_ =
      CORAL_TRY(AgentStore::Open("duckdb://" + (a.options_.dir / "agent.duckdb").string() +
                                     "?threads=1&memory_limit=64MB&checkpoint_threshold=64MB",
                                 SystemClock::Get(), std::move(staging)));
  a.token_ = CORAL_TRY(LoadOrCreateToken(a.options_.dir / "api.token"));
  a.explicit_ = CORAL_TRY(LoadExplicitServices(a.options_.dir / "services.yaml"));
  a.boot_time_ = a.procfs_.BootTime().value_or(0);
  CORAL_TRY(a.StartOtlp());
  if (auto ebpf = EbpfConnections::Open(); ebpf.ok()) {
    a.ebpf_ = std::move(*ebpf);
    a.connection_method_ = {
        .ebpf = true,
        .name = "ebpf",
        .reason = "the kernel accepted the eBPF program " + std::string(kConnTrackerProgram)};
    CORAL_LOG_INFO("agent: connections: using eBPF {}", kConnTrackerProgram);
  } else {
    a.connection_method_ = {.ebpf = false, .name = "sock_diag", .reason = ebpf.status().message()};
    CORAL_LOG_INFO("agent: connections: using sock_diag netlink snapshots ({})",
                   ebpf.status().message());
  }

  // A first pass before the API opens, so the first answer is not empty.
  if (Status s = a.DiscoverOnce(); !s.ok()) CORAL_LOG_WARN("agent: discovery: {}", s.message());
  (void)a.SampleHostMetricsOnce();

  a.api_ = std::make_unique<AgentApi>(a, AgentApi::Access::kLocal);
  a.server_ = CORAL_TRY(net::GrpcServer::Start(
      {.addresses = {"127.0.0.1:" + std::to_string(a.options_.config.grpc_port)},
       .services = {a.api_.get()}}));
  if (a.options_.mesh) CORAL_TRY(a.StartMesh());
  a.loop_thread_ = std::thread([&a] { a.LoopMain(); });
  a.health_thread_ = std::thread([&a] { a.HealthMain(); });
  CORAL_LOG_INFO("agent: {} serving on 127.0.0.1:{}", a.options_.config.agent_id, a.grpc_port());
  return agent;
}

Agent::~Agent() { Stop(); }

Status Agent::StartMesh() {
  const MeshIdentity& m = *options_.mesh;
  mesh::Ipv4Prefix range = CORAL_TRY(mesh::ParseIpv4Prefix(m.mesh_cidr));
  uint32_t ip = CORAL_TRY(mesh::ParseIpv4(m.mesh_ip));
  auto key = crypto::KeyFromBase64(m.wireguard_private_key);
  if (!key.ok()) return Corruption("the agent's mesh WireGuard key is not a key");
  mesh::MeshDeviceOptions device{
      .interface_name = mesh::AgentInterfaceName(m.agent_id),
      .private_key = crypto::PrivateKey(*key),
      .listen_port = static_cast<uint16_t>(options_.config.wireguard_port),
      .address = ip,
      .prefix_len = range.length,
      .uapi_dir = options_.uapi_dir};
  crypto::Wipe(key->data(), key->size());
  mesh_device_ = CORAL_TRY(mesh::MeshDevice::Start(device));
  // Hub and spoke: the colony routes the whole mesh range; we keep the path
  // open (NAT) with a keepalive.
  CORAL_TRY(mesh_device_->SetPeer({.public_key = m.colony_public_key,
                                   .endpoint = m.colony_endpoint,
                                   .allowed_ips = {m.mesh_cidr},
                                   .persistent_keepalive = 25}));
  mesh_caller_uri_ = mesh::ColonyUri(m.colony_id);
  mesh_api_ = std::make_unique<AgentApi>(*this, AgentApi::Access::kMesh);
  mesh_server_ = CORAL_TRY(net::GrpcServer::Start(
      {.addresses = {m.mesh_ip + ":" + std::to_string(options_.config.grpc_port)},
       .tls =
           net::GrpcTls{
               .cert_pem = m.tls_cert_pem, .key_pem = m.tls_key_pem, .client_ca_pem = m.ca_pem},
       .services = {mesh_api_.get()},
       // The watch proves the listener accepts with our own certificate.
       .probe_credentials = net::ChannelCredentials(m.ca_pem, m.tls_cert_pem, m.tls_key_pem)}));
  char host[256] = "";
  ::gethostname(host, sizeof(host) - 1);
  colony_link_ = std::make_unique<ColonyLink>(ColonyLinkOptions{
      .colony_address = m.colony_mesh_ip + ":" + std::to_string(m.colony_grpc_port),
      .public_endpoints = m.colony_public_endpoints,
      .ca_pem = m.ca_pem,
      .cert_pem = m.tls_cert_pem,
      .key_pem = m.tls_key_pem,
      .hostname = host,
      .version = options_.version,
      .api_port = mesh_server_->ports()[0]});
  colony_link_->Start();
  CORAL_LOG_INFO("agent: joined colony {} as {} on {}; API also on {} (mTLS)", m.colony_id,
                 m.mesh_ip, mesh_device_->interface_name(), mesh_api_address());
  return Status::Ok();
}

std::string Agent::mesh_api_address() const {
  if (!mesh_server_) return "";
  return options_.mesh->mesh_ip + ":" + std::to_string(mesh_server_->ports()[0]);
}

Status Agent::StartOtlp() {
  const config::AgentConfig& c = options_.config;
  AgentTelemetrySinkOptions sink_options;
  sink_options.sampling.error_spans = c.otlp_keep_errors ? ErrorSpans::kKeep : ErrorSpans::kSample;
  sink_options.sampling.latency_threshold = c.otlp_latency_threshold;
  sink_options.sampling.keep_fraction = c.otlp_keep_percent / 100.0;
  sink_options.max_inflight = c.otlp_max_inflight;
  telemetry_sink_ = std::make_unique<AgentTelemetrySink>(*store_, sink_options);
  telemetry::OtlpReceiverOptions receiver_options;
  receiver_options.bind = c.otlp_bind;
  receiver_options.grpc_port = static_cast<uint16_t>(c.otlp_grpc_port);
  receiver_options.http_port = static_cast<uint16_t>(c.otlp_http_port);
  auto receiver = telemetry::OtlpReceiver::Start(receiver_options, telemetry_sink_.get());
  if (!receiver.ok()) {
    return receiver.status().WithContext(
        "OTLP receivers on " + c.otlp_bind + " ports " + std::to_string(c.otlp_grpc_port) + "/" +
        std::to_string(c.otlp_http_port) +
        " (another agent or collector may hold them; set otlp.grpc_port and otlp.http_port in "
        "agent.yaml, or CORAL_AGENT_OTLP_GRPC_PORT / CORAL_AGENT_OTLP_HTTP_PORT)");
  }
  otlp_ = std::move(*receiver);
  CORAL_LOG_INFO(
      "agent: OTLP receivers on {} (gRPC) and {} (HTTP); sampling keeps {}% of spans "
      "that are neither errors nor slower than {}",
      otlp_grpc_endpoint(), otlp_http_endpoint(), c.otlp_keep_percent,
      FormatDuration(c.otlp_latency_threshold));
  return Status::Ok();
}

std::string Agent::otlp_grpc_endpoint() const {
  return otlp_ ? HostPort(options_.config.otlp_bind, otlp_->grpc_port()) : "";
}

std::string Agent::otlp_http_endpoint() const {
  return otlp_ ? "http://" + HostPort(options_.config.otlp_bind, otlp_->http_port()) : "";
}

void Agent::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    if (stopping_ && !loop_thread_.joinable()) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  // Receivers first: requests in flight finish into the store, which stays open.
  if (otlp_) otlp_->Stop();
  if (colony_link_) colony_link_->Stop();
  if (mesh_server_) mesh_server_->Stop();
  if (server_) server_->Stop();
  if (loop_thread_.joinable()) loop_thread_.join();
  if (health_thread_.joinable()) health_thread_.join();
  if (mesh_device_) mesh_device_->Stop();
}

int Agent::grpc_port() const { return server_ ? server_->ports()[0] : 0; }

bool Agent::WaitOrStop(std::chrono::milliseconds d) {
  std::unique_lock lock(stop_mutex_);
  return stop_cv_.wait_for(lock, d, [this] { return stopping_; });
}

void Agent::LoopMain() {
  auto now = [] { return SystemClock::Get().Monotonic(); };
  MonoTime next_discovery = now() + options_.config.discovery_interval;
  MonoTime next_metrics = now() + options_.config.host_metrics_interval;
  MonoTime next_prune = now();
  bool started = false;
  while (true) {
    MonoTime wake = std::min({next_discovery, next_metrics, next_prune});
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now());
    if (WaitOrStop(std::max(wait, std::chrono::milliseconds(0)))) return;
    MonoTime t = now();
    if (t >= next_discovery) {
      if (Status s = DiscoverOnce(); !s.ok()) CORAL_LOG_WARN("agent: discovery: {}", s.message());
      next_discovery = t + options_.config.discovery_interval;
    }
    if (t >= next_metrics) {
      if (Status s = SampleHostMetricsOnce(); !s.ok()) {
        CORAL_LOG_WARN("agent: host metrics: {}", s.message());
      }
      next_metrics = t + options_.config.host_metrics_interval;
    }
    if (t >= next_prune) {
      auto pruned = store_->Prune(options_.config.retention,
                                  static_cast<int64_t>(options_.config.store_max_mb) << 20);
      if (!pruned.ok()) CORAL_LOG_WARN("agent: prune: {}", pruned.status().message());
      next_prune = t + kPruneInterval;
    }
    if (!started) {
      // Every kind of work has run once: what start-up alone read in goes back.
      started = true;
      auto released = ReleaseFileBackedPages();
      if (released.ok()) {
        CORAL_LOG_INFO("agent: up; gave back {} MB of start-up code pages", *released >> 20);
      } else {
        CORAL_LOG_INFO("agent: up; start-up code pages kept: {}", released.status().message());
      }
    }
  }
}

void Agent::HealthMain() {
  while (!WaitOrStop(options_.config.health_interval)) {
    if (Status s = CheckHealthOnce(); !s.ok()) CORAL_LOG_WARN("agent: health: {}", s.message());
  }
}

void Agent::AddTracedConnections(
    const std::map<std::pair<uint64_t, uint16_t>, pid_t>& listener_owners,
    const std::function<std::string(pid_t)>& process_name,
    std::vector<std::vector<storage::Value>>& rows) {
  auto events = ebpf_->Poll(std::chrono::milliseconds(0));
  if (!events.ok()) {
    CORAL_LOG_WARN("agent: connections: {}", events.status().message());
    return;
  }
  for (const auto& e : *events) {
    // Passive opens complete in softirq with no owner: the listener's owner
    // accepted them (a pre-fork server's worker shows as its parent).
    pid_t pid = e.pid;
    if (pid == 0) {
      auto l = listener_owners.find({e.netns, e.local_port});
      if (l != listener_owners.end()) pid = l->second;
    }
    std::string name = process_name(pid);
    if (name.empty()) name = e.comm;  // a short-lived client, gone by this pass
    bool open = e.kind == ConnEventKind::kOpen;
    Value sent = std::monostate{}, received = std::monostate{};
    if (!open) {
      sent = static_cast<int64_t>(e.bytes_sent);
      received = static_cast<int64_t>(e.bytes_received);
    }
    rows.push_back({int64_t{pid}, name, e.local_address, int64_t{e.local_port}, e.remote_address,
                    int64_t{e.remote_port}, std::string(open ? "established" : "closed"), sent,
                    received, std::string("ebpf"), static_cast<int64_t>(e.netns),
                    std::string(ConnEventKindName(e.kind))});
  }
  if (uint64_t dropped = ebpf_->dropped(); dropped > ebpf_dropped_) {
    CORAL_LOG_WARN("agent: connections: the eBPF ring buffer overflowed; {} events lost so far",
                   dropped);
    ebpf_dropped_ = dropped;
  }
}

Status Agent::DiscoverOnce() {
  std::lock_guard discovery_lock(discovery_mutex_);
  MonoTime now = SystemClock::Get().Monotonic();
  double elapsed = last_discovery_ == MonoTime{}
                       ? 0
                       : std::chrono::duration<double>(now - last_discovery_).count();
  last_discovery_ = now;
  static const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));

  // Processes, with CPU % since the previous pass.
  std::map<pid_t, ProcessInfo> processes;
  std::map<pid_t, double> cpu_percent;
  std::map<pid_t, CpuMark> marks;
  for (pid_t pid : procfs_.ListPids()) {
    auto p = procfs_.ReadProcess(pid);
    if (!p.ok()) continue;  // exited meanwhile
    auto prev = cpu_marks_.find(pid);
    if (elapsed > 0 && prev != cpu_marks_.end() && prev->second.start_ticks == p->start_ticks &&
        p->cpu_ticks >= prev->second.cpu_ticks) {
      cpu_percent[pid] = 100.0 * static_cast<double>(p->cpu_ticks - prev->second.cpu_ticks) /
                         kTicksPerSecond / elapsed;
    }
    marks[pid] = {p->start_ticks, p->cpu_ticks};
    processes.emplace(pid, std::move(*p));
  }
  cpu_marks_ = std::move(marks);

  // Sockets: this namespace, and one process's view of every other namespace.
  auto owners = procfs_.SocketOwners();
  auto self = procfs_.ReadProcess(::getpid());
  uint64_t own_netns = self.ok() ? self->netns : 0;
  std::map<uint64_t, pid_t> other_namespaces;
  for (const auto& [pid, p] : processes) {
    if (p.netns != 0 && p.netns != own_netns) other_namespaces.emplace(p.netns, pid);
  }
  struct NsSockets {
    uint64_t netns;
    std::vector<SocketEntry> sockets;
  };
  std::vector<NsSockets> all{{own_netns, procfs_.ReadSockets(0)}};
  for (const auto& [ns, pid] : other_namespaces) all.push_back({ns, procfs_.ReadSockets(pid)});

  std::vector<Listener> listeners;
  std::map<std::pair<uint64_t, uint16_t>, pid_t> listener_owners;  // (netns, port) -> pid
  std::map<pid_t, std::string> otel_names;
  for (const auto& ns : all) {
    for (const auto& s : ns.sockets) {
      if (!IsListening(s)) continue;
      auto owner = owners.find(s.inode);
      pid_t pid = owner == owners.end() ? 0 : owner->second;
      listeners.push_back({s, pid});
      if (pid != 0) listener_owners.emplace(std::pair{ns.netns, s.local_port}, pid);
      if (pid != 0 && !otel_names.contains(pid)) {
        if (auto name = procfs_.ReadEnv(pid, "OTEL_SERVICE_NAME")) otel_names[pid] = *name;
      }
    }
  }
  std::vector<ExplicitService> explicit_services;
  {
    std::lock_guard lock(state_mutex_);
    explicit_services = explicit_;
  }
  std::vector<Service> services =
      DeriveServices(processes, listeners, otel_names, explicit_services);
  std::map<pid_t, std::string> service_of_pid;
  for (const auto& s : services) {
    if (s.pid != 0) service_of_pid.emplace(s.pid, s.name);
  }
  auto process_name = [&](pid_t pid) -> std::string {
    if (auto it = service_of_pid.find(pid); it != service_of_pid.end()) return it->second;
    if (auto it = processes.find(pid); it != processes.end()) {
      return ServiceNameFor(it->second, std::nullopt);
    }
    return "";
  };

  // Established connections. Without eBPF, a snapshot each pass: sock_diag for
  // this namespace (with byte counts), procfs for the others. With eBPF, the
  // first pass still snapshots the connections older than the agent, then
  // the traced opens and closes follow.
  std::vector<std::vector<Value>> conn_rows;
  auto add_conn = [&](const SocketEntry& e, uint64_t netns, int64_t sent, int64_t received,
                      const char* method) {
    auto owner = owners.find(e.inode);
    pid_t pid = owner == owners.end() ? 0 : owner->second;
    conn_rows.push_back({int64_t{pid}, process_name(pid), e.local_address, int64_t{e.local_port},
                         e.remote_address, int64_t{e.remote_port}, std::string("established"), sent,
                         received, std::string(method), static_cast<int64_t>(netns),
                         std::string("snapshot")});
  };
  if (!ebpf_ || !connections_snapshotted_) {
    auto diag = DumpTcpSockets(1u << kTcpEstablished);
    if (diag.ok()) {
      for (const auto& s : *diag) {
        add_conn(s.entry, own_netns, static_cast<int64_t>(s.bytes_sent),
                 static_cast<int64_t>(s.bytes_received), "sock_diag");
      }
    } else {
      CORAL_LOG_WARN("agent: sock_diag failed ({}); reading /proc/net/tcp instead",
                     diag.status().message());
    }
    for (const auto& ns : all) {
      if (diag.ok() && ns.netns == own_netns) continue;
      for (const auto& s : ns.sockets) {
        if (s.transport == Transport::kTcp && s.state == kTcpEstablished) {
          add_conn(s, ns.netns, 0, 0, "procfs");
        }
      }
    }
    connections_snapshotted_ = true;
  }
  if (ebpf_) AddTracedConnections(listener_owners, process_name, conn_rows);
  // Rows.
  std::vector<std::vector<Value>> proc_rows;
  std::map<std::string, std::pair<double, double>> per_service;  // name -> cpu %, rss
  for (const auto& [pid, p] : processes) {
    auto user = user_names_.find(p.uid);
    if (user == user_names_.end()) {
      passwd pw{}, *found = nullptr;
      char buf[1024];
      getpwuid_r(p.uid, &pw, buf, sizeof(buf), &found);
      user = user_names_.emplace(p.uid, found ? found->pw_name : std::to_string(p.uid)).first;
    }
    Value started = std::monostate{};
    if (boot_time_ > 0) {
      started = storage::Timestamp{
          boot_time_ * 1'000'000 +
          static_cast<int64_t>(static_cast<double>(p.start_ticks) / kTicksPerSecond * 1e6)};
    }
    Value cpu = std::monostate{};
    if (auto c = cpu_percent.find(pid); c != cpu_percent.end()) cpu = c->second;
    proc_rows.push_back({int64_t{pid}, int64_t{p.ppid}, p.comm, p.exe,
                         JoinArgs(redactor_->Redact(p.cmdline)), user->second, started, cpu,
                         static_cast<int64_t>(p.rss_bytes), p.cgroup, p.container_id,
                         static_cast<int64_t>(p.netns)});
    if (auto s = service_of_pid.find(pid); s != service_of_pid.end()) {
      auto& agg = per_service[s->second];
      if (auto c = cpu_percent.find(pid); c != cpu_percent.end()) agg.first += c->second;
      agg.second += static_cast<double>(p.rss_bytes);
    }
  }
  std::vector<std::vector<Value>> svc_rows;
  for (const auto& s : services) {
    svc_rows.push_back({s.name, int64_t{s.pid}, int64_t{s.port},
                        std::string(TransportName(s.transport)), s.protocol, s.address,
                        std::string(ServiceSourceName(s.source)), s.health_path,
                        static_cast<int64_t>(s.netns), s.container_id});
  }
  std::vector<std::vector<Value>> metric_rows;
  for (const auto& [name, agg] : per_service) {
    if (elapsed > 0) metric_rows.push_back({std::string("service.cpu_percent"), name, agg.first});
    metric_rows.push_back({std::string("service.rss_bytes"), name, agg.second});
  }

  CORAL_TRY(store_->Append(kProcessesTable,
                           {"pid", "ppid", "name", "exe", "cmdline", "username", "started_at",
                            "cpu_percent", "rss_bytes", "cgroup", "container_id", "netns"},
                           std::move(proc_rows)));
  CORAL_TRY(store_->Append(kServicesTable,
                           {"name", "pid", "port", "transport", "protocol", "address", "source",
                            "health_path", "netns", "container_id"},
                           std::move(svc_rows)));
  CORAL_TRY(store_->Append(
      kConnectionsTable,
      {"pid", "process", "local_address", "local_port", "remote_address", "remote_port", "state",
       "bytes_sent", "bytes_received", "method", "netns", "event"},
      std::move(conn_rows)));
  CORAL_TRY(
      store_->Append(kHostMetricsTable, {"name", "resource", "value"}, std::move(metric_rows)));
  std::lock_guard lock(state_mutex_);
  services_ = std::move(services);
  discovered_at_ = SystemClock::Get().Now();
  return Status::Ok();
}

Status Agent::SampleHostMetricsOnce() {
  std::vector<std::vector<Value>> rows;
  for (auto& m : host_metrics_.Sample(SystemClock::Get().Monotonic())) {
    rows.push_back({std::move(m.name), std::move(m.resource), m.value});
  }
  return store_->Append(kHostMetricsTable, {"name", "resource", "value"}, std::move(rows));
}

Status Agent::CheckHealthOnce(const std::string& only) {
  std::vector<ExplicitService> targets;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& s : explicit_) {
      if (only.empty() || s.name == only) targets.push_back(s);
    }
  }
  // Results are stored before readers can see them in memory, so whoever sees
  // a state change also finds its event.
  std::vector<std::vector<Value>> rows;
  std::map<std::string, HealthResult> results;
  for (const auto& s : targets) {
    HealthResult r = CheckHealth(
        "127.0.0.1", s.port, s.health_path,
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.config.health_timeout));
    bool changed;
    {
      std::lock_guard lock(state_mutex_);
      auto prev = health_.find(s.name);
      changed = prev == health_.end() || prev->second.healthy != r.healthy;
    }
    if (changed) {
      CORAL_LOG_INFO("agent: {} is now {} ({})", s.name, r.healthy ? "healthy" : "unhealthy",
                     r.reason);
      rows.push_back({s.name, int64_t{s.port}, r.healthy, r.reason,
                      r.status_code ? Value(int64_t{r.status_code}) : Value(std::monostate{}),
                      r.latency_ms});
    }
    results[s.name] = std::move(r);
  }
  CORAL_TRY(store_->Append(kHealthEventsTable,
                           {"service", "port", "healthy", "reason", "status_code", "latency_ms"},
                           std::move(rows)));
  std::lock_guard lock(state_mutex_);
  for (auto& [name, r] : results) health_[name] = std::move(r);
  return Status::Ok();
}

std::vector<ServiceStatus> Agent::Services(WallTime* discovered_at) {
  std::lock_guard lock(state_mutex_);
  if (discovered_at != nullptr) *discovered_at = discovered_at_;
  std::vector<ServiceStatus> out;
  for (const auto& s : services_) {
    ServiceStatus st{s};
    if (s.source == ServiceSource::kExplicit) {
      if (auto h = health_.find(s.name); h != health_.end()) {
        st.health = h->second.healthy ? "healthy" : "unhealthy";
        st.health_reason = h->second.reason;
      }
    }
    out.push_back(std::move(st));
  }
  return out;
}

Result<ServiceStatus> Agent::Connect(const ExplicitService& service) {
  CORAL_TRY(ValidateExplicitService(service));
  {
    std::lock_guard lock(state_mutex_);
    std::vector<ExplicitService> next;
    for (const auto& s : explicit_) {
      if (s.name == service.name) continue;
      if (s.port == service.port) {
        return AlreadyExists("port " + std::to_string(s.port) + " is already connected as '" +
                             s.name + "'; disconnect it first");
      }
      next.push_back(s);
    }
    next.push_back(service);
    CORAL_TRY(SaveExplicitServices(options_.dir / "services.yaml", next));
    explicit_ = std::move(next);
    health_.erase(service.name);
  }
  CORAL_TRY(DiscoverOnce());
  CORAL_TRY(CheckHealthOnce(service.name));  // answer with a real health state
  for (auto& s : Services()) {
    if (s.service.name == service.name && s.service.source == ServiceSource::kExplicit) return s;
  }
  return Internal("connected service '" + service.name + "' is missing after discovery");
}

Status Agent::Disconnect(const std::string& name) {
  {
    std::lock_guard lock(state_mutex_);
    auto it = std::find_if(explicit_.begin(), explicit_.end(),
                           [&](const ExplicitService& s) { return s.name == name; });
    if (it == explicit_.end()) {
      return NotFound("no connected service '" + name + "'; see 'coral services'");
    }
    std::vector<ExplicitService> next = explicit_;
    next.erase(next.begin() + (it - explicit_.begin()));
    CORAL_TRY(SaveExplicitServices(options_.dir / "services.yaml", next));
    explicit_ = std::move(next);
    health_.erase(name);
  }
  return DiscoverOnce();
}

}  // namespace coral::agent
