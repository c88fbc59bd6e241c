// coral agent start [--foreground] | stop | status
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "agent/agent.h"
#include "agent/mesh/enroll.h"
#include "agent/mesh/identity.h"
#include "auth/local_secrets.h"
#include "base/daemon.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/log.h"
#include "cli/agent_client.h"
#include "cli/context.h"
#include "cli/process_control.h"
#include "config/colonies.h"
#include "crypto/keys.h"

namespace coral::cli {

namespace {

std::filesystem::path PidFile(const config::Home& home) { return home.agent_dir() / "agent.pid"; }
std::filesystem::path LogFile(const config::Home& home) { return home.agent_dir() / "agent.log"; }

// The agent config, with an agent id made and saved on first start.
Result<config::AgentConfig> PrepareConfig(const config::Home& home) {
  CORAL_TRY(MakeDirs(home.agent_dir(), FileMode::kPrivate));
  auto path = home.agent_dir() / "agent.yaml";
  auto file = CORAL_TRY(config::LoadConfig<config::AgentConfig>(path, config::kAgentEnvPrefix,
                                                                false, config::Overrides::kIgnore));
  if (file.agent_id.empty()) {
    char host[256] = "";
    ::gethostname(host, sizeof(host) - 1);
    std::string name;
    for (char c : std::string(host)) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        name += c;
      else if (!name.empty() && name.back() != '-')
        name += '-';
      if (name.size() >= 24) break;
    }
    while (!name.empty() && name.back() == '-') name.pop_back();
    file.agent_id = (name.empty() ? "host" : name) + "-" + RandomHex(3);
    CORAL_TRY(config::SaveConfig(path, file, "Coral agent on this host."));
  }
  return config::LoadConfig<config::AgentConfig>(path, config::kAgentEnvPrefix, false);
}

Json StartedRecord(const config::Home& home, const config::AgentConfig& cfg,
                   const std::string& mesh_ip, pid_t pid, int port) {
  return {{"agent_id", cfg.agent_id},
          {"pid", pid},
          {"api", "127.0.0.1:" + std::to_string(port)},
          {"colony", cfg.colony_id},
          {"mesh_ip", mesh_ip},
          {"log", LogFile(home).string()}};
}

struct StartFlags {
  bool foreground = false;
  bool standalone = false;
  std::string join;
};

std::string Hostname() {
  char host[256] = "";
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

// Which colony the agent belongs to: the one a join token names (enrolling
// now), the one it enrolled with before, the colony on this host (enrolling
// with the same-host secret), or none.
Result<std::optional<agent::MeshIdentity>> ResolveMesh(Context& ctx, const StartFlags& f,
                                                       config::AgentConfig& cfg) {
  const auto dir = ctx.home.agent_dir();
  if (f.standalone) return std::optional<agent::MeshIdentity>();
  agent::EnrollOptions enroll{
      .agent_id = cfg.agent_id, .hostname = Hostname(), .version = CORAL_VERSION};
  bool same_host = false;
  if (!f.join.empty()) {
    enroll.token = CORAL_TRY(mesh::ParseJoinToken(f.join));
  } else {
    if (agent::HasMeshIdentity(dir)) {
      auto m = CORAL_TRY(agent::LoadMeshIdentity(dir));
      // A same-host colony that was replaced (coral init --force) is gone for
      // good: join the one this home has now instead.
      std::error_code ec;
      if (!m.same_host || std::filesystem::exists(ctx.home.colony_dir(m.colony_id), ec)) {
        return std::optional<agent::MeshIdentity>(std::move(m));
      }
      ctx.err << "agent: colony " << m.colony_id
              << " is gone from this home; joining the current one\n";
    }
    auto colonies = CORAL_TRY(config::ListColonies(ctx.home));
    if (colonies.empty()) return std::optional<agent::MeshIdentity>();
    auto sel = CORAL_TRY(config::SelectColony(ctx.home, ctx.flags.colony));
    auto c = CORAL_TRY(config::LoadColony(ctx.home, sel.id));
    if (ReadLivePid(ctx.home.colony_dir(sel.id) / "colony.pid") == 0) {
      return FailedPrecondition("colony " + sel.id +
                                " on this host is not running, so the agent cannot join it: "
                                "start it with 'coral colony start', or run the agent without "
                                "a colony with 'coral agent start --standalone'");
    }
    std::string secret = CORAL_TRY(auth::ReadColonySecret(ctx.home, sel.id));
    enroll.token = {.colony_id = c.id,
                    .endpoints = {"127.0.0.1:" + std::to_string(c.public_port)},
                    .ca_fingerprint = c.ca_fingerprint,
                    .token_id = "same-host",
                    .secret = auth::SameHostSecret(secret)};
    crypto::Wipe(secret);
    same_host = true;
  }
  agent::MeshIdentity m = CORAL_TRY(agent::Enroll(enroll));
  m.same_host = same_host;
  CORAL_TRY(agent::SaveMeshIdentity(dir, m));
  // Remember the colony in agent.yaml too (not the overrides of this run).
  auto path = dir / "agent.yaml";
  auto file = CORAL_TRY(config::LoadConfig<config::AgentConfig>(path, config::kAgentEnvPrefix,
                                                                false, config::Overrides::kIgnore));
  file.colony_id = m.colony_id;
  CORAL_TRY(config::SaveConfig(path, file, "Coral agent on this host."));
  cfg.colony_id = m.colony_id;
  return std::optional<agent::MeshIdentity>(std::move(m));
}

Status RunStart(Context& ctx, const StartFlags& flags) {
  bool foreground = flags.foreground;
  if (flags.standalone && !flags.join.empty()) {
    return InvalidArgument("--join and --standalone exclude each other");
  }
  auto cfg = CORAL_TRY(PrepareConfig(ctx.home));
  if (pid_t running = ReadLivePid(PidFile(ctx.home)); running != 0) {
    return AlreadyExists("the agent is already running (pid " + std::to_string(running) +
                         "); stop it with 'coral agent stop'");
  }
  // Enrollment happens here, before the agent goes to the background, so
  // its errors reach the terminal.
  auto mesh_identity = CORAL_TRY(ResolveMesh(ctx, flags, cfg));
  std::string mesh_ip = mesh_identity ? mesh_identity->mesh_ip : "";
  bool in_child = false;
  if (!foreground) {
    auto outcome = CORAL_TRY(Daemonize(LogFile(ctx.home)));
    if (!outcome.in_child) {
      ctx.out.Object(StartedRecord(ctx.home, cfg, mesh_ip, outcome.child_pid, cfg.grpc_port));
      return Status::Ok();
    }
    in_child = true;
  }
  BlockStopSignals();
  CORAL_TRY(log::Init(ctx.flags.verbosity >= 2 ? log::Level::kDebug : log::Level::kInfo));
  agent::AgentOptions options;
  options.config = cfg;
  options.dir = ctx.home.agent_dir();
  options.version = CORAL_VERSION;
  options.mesh = std::move(mesh_identity);
  auto agent = agent::Agent::Start(std::move(options));
  if (!agent.ok()) {
    if (in_child) ReportFailed(agent.status().message());
    return agent.status().WithContext("agent start");
  }
  if (Status s = WritePidFile(PidFile(ctx.home)); !s.ok()) {
    if (in_child) ReportFailed(s.message());
    return s;
  }
  if (in_child) {
    ReportStarted();
  } else {
    ctx.out.Object(StartedRecord(ctx.home, cfg, mesh_ip, ::getpid(), (*agent)->grpc_port()));
  }
  int sig = WaitForStopSignal();
  CORAL_LOG_INFO("agent: stopping on signal {}", sig);
  (*agent)->Stop();
  (void)RemoveAll(PidFile(ctx.home));
  return Status::Ok();
}

Status RunStop(Context& ctx) {
  ctx.out.Object(CORAL_TRY(StopByPidFile(PidFile(ctx.home), "agent")));
  return Status::Ok();
}

Status RunStatus(Context& ctx) {
  pid_t pid = ReadLivePid(PidFile(ctx.home));
  if (pid == 0) {
    ctx.out.Object({{"running", false}, {"hint", "start it with 'coral agent start'"}});
    return Status::Ok();
  }
  auto client = CORAL_TRY(AgentClient::Open(ctx.home, ""));
  auto rc = CORAL_TRY(client.RuntimeContext());
  Json tables = Json::array();
  for (const auto& t : rc.tables()) tables.push_back(t);
  const auto& o = rc.otlp();
  Json otlp = {{"grpc", o.grpc_endpoint()},
               {"http", o.http_endpoint()},
               {"spans_received", o.spans_received()},
               {"spans_stored", o.spans_stored()},
               {"spans_kept_error", o.spans_kept_error()},
               {"spans_kept_slow", o.spans_kept_slow()},
               {"spans_sampled_out", o.spans_sampled_out()},
               {"metric_points_stored", o.metric_points_stored()},
               {"log_records_stored", o.log_records_stored()},
               {"requests_overloaded", o.requests_overloaded()}};
  Json programs = Json::array();
  for (const auto& p : rc.capabilities().ebpf_programs()) programs.push_back(p);
  Json mesh = nullptr;
  if (rc.has_mesh()) {
    const auto& m = rc.mesh();
    auto when = [](int64_t us) {
      return us == 0 ? std::string() : FormatRfc3339(FromUnixMicros(us));
    };
    mesh = {{"colony_id", m.colony_id()},
            {"mesh_ip", m.mesh_ip()},
            {"interface", m.interface()},
            {"state", m.state()},
            {"last_error", m.last_error()},
            {"last_heartbeat", when(m.last_heartbeat_unix_micros())},
            {"last_handshake", when(m.last_handshake_unix_micros())},
            {"colony_mesh_ip", m.colony_mesh_ip()},
            {"colony_endpoint", m.colony_endpoint()},
            {"mesh_api", m.api_address()}};
  }
  ctx.out.Object({{"running", true},
                  {"pid", pid},
                  {"agent_id", rc.agent_id()},
                  {"api", client.address()},
                  {"hostname", rc.hostname()},
                  {"os", rc.os()},
                  {"kernel", rc.kernel()},
                  {"version", rc.version()},
                  {"started_at", FormatRfc3339(FromUnixMicros(rc.started_at_unix_micros()))},
                  {"connections", rc.capabilities().connection_method()},
                  {"ebpf", rc.capabilities().ebpf()},
                  {"ebpf_programs", programs},
                  {"ebpf_note", rc.capabilities().connection_method_reason()},
                  {"retention_s", rc.retention_seconds()},
                  {"tables", tables},
                  {"otlp", otlp},
                  {"colony", mesh}});
  return Status::Ok();
}

}  // namespace

void AddAgentCommands(CLI::App& app, Commands& commands) {
  CLI::App* agent = app.add_subcommand("agent", "Run the agent that observes this host");
  agent->require_subcommand(1);

  auto flags = std::make_shared<StartFlags>();
  CLI::App* start =
      agent->add_subcommand("start", "Start the agent (in the background by default)");
  start->add_flag("--foreground", flags->foreground, "Stay in the foreground, logging to stderr");
  start->add_option("--join", flags->join,
                    "Enroll with a colony using a join token from 'coral colony token create'");
  start->add_flag("--standalone", flags->standalone,
                  "Do not join any colony (the API stays on 127.0.0.1 only)");
  start->footer(
      "Joining a colony: with --join TOKEN the agent makes its WireGuard and TLS keys, checks\n"
      "the colony's CA against the token's fingerprint, enrolls, and keeps the result in\n"
      "<home>/agent/mesh/; later starts reuse it with no token. With no token and a running\n"
      "colony in this home, it joins that colony (the same-host shortcut). Joined, it brings\n"
      "up a WireGuard interface (coralag + 8 hex, UDP agent.yaml wireguard.port, 51820),\n"
      "heartbeats to the colony and serves its API on its mesh address too, to the colony's\n"
      "certificate only. Needs root (or CAP_NET_ADMIN) for the interface.\n"
      "\n"
      "The agent discovers processes, listening services and TCP connections, samples host\n"
      "metrics and checks connected services' health, keeping a rolling window (1h) in\n"
      "<home>/agent/agent.duckdb. Its API listens on 127.0.0.1:9001 (agent.yaml api.grpc_port,\n"
      "env CORAL_AGENT_API_GRPC_PORT) and needs the token in <home>/agent/api.token.\n"
      "It takes OTLP on 127.0.0.1:4317 (gRPC) and :4318 (HTTP) into the spans, metric_points\n"
      "and log_records tables (otlp.* in agent.yaml; CORAL_AGENT_OTLP_GRPC_PORT and so on).\n"
      "In the background it logs to <home>/agent/agent.log.");
  commands.Bind(start, [flags](Context& ctx) { return RunStart(ctx, *flags); });

  CLI::App* stop = agent->add_subcommand("stop", "Stop the background agent");
  commands.Bind(stop, RunStop);
  CLI::App* status = agent->add_subcommand("status", "Whether the agent runs, and what it can see");
  commands.Bind(status, RunStatus);
}

}  // namespace coral::cli
