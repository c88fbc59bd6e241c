// coral agent start [--foreground] | stop | status
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "agent/agent.h"
#include "base/daemon.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/log.h"
#include "cli/agent_client.h"
#include "cli/context.h"

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
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) name += c;
      else if (!name.empty() && name.back() != '-') name += '-';
      if (name.size() >= 24) break;
    }
    while (!name.empty() && name.back() == '-') name.pop_back();
    file.agent_id = (name.empty() ? "host" : name) + "-" + RandomHex(3);
    CORAL_TRY(config::SaveConfig(path, file, "Coral agent on this host."));
  }
  return config::LoadConfig<config::AgentConfig>(path, config::kAgentEnvPrefix, false);
}

Json StartedRecord(const config::Home& home, const config::AgentConfig& cfg, pid_t pid, int port) {
  return {{"agent_id", cfg.agent_id},
          {"pid", pid},
          {"api", "127.0.0.1:" + std::to_string(port)},
          {"log", LogFile(home).string()}};
}

Status RunStart(Context& ctx, bool foreground) {
  auto cfg = CORAL_TRY(PrepareConfig(ctx.home));
  if (pid_t running = ReadLivePid(PidFile(ctx.home)); running != 0) {
    return AlreadyExists("the agent is already running (pid " + std::to_string(running) +
                         "); stop it with 'coral agent stop'");
  }
  bool in_child = false;
  if (!foreground) {
    auto outcome = CORAL_TRY(Daemonize(LogFile(ctx.home)));
    if (!outcome.in_child) {
      ctx.out.Object(StartedRecord(ctx.home, cfg, outcome.child_pid, cfg.grpc_port));
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
    ctx.out.Object(StartedRecord(ctx.home, cfg, ::getpid(), (*agent)->grpc_port()));
  }
  int sig = WaitForStopSignal();
  CORAL_LOG_INFO("agent: stopping on signal {}", sig);
  (*agent)->Stop();
  (void)RemoveAll(PidFile(ctx.home));
  return Status::Ok();
}

Status RunStop(Context& ctx) {
  pid_t pid = ReadLivePid(PidFile(ctx.home));
  if (pid == 0) {
    (void)RemoveAll(PidFile(ctx.home));
    ctx.out.Object({{"stopped", false}, {"reason", "the agent is not running"}});
    return Status::Ok();
  }
  ::kill(pid, SIGTERM);
  bool forced = false;
  for (int i = 0; ::kill(pid, 0) == 0; ++i) {
    if (i == 150) {  // 15 s
      ::kill(pid, SIGKILL);
      forced = true;
    }
    if (i > 200) return Internal("agent pid " + std::to_string(pid) + " did not exit");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (void)RemoveAll(PidFile(ctx.home));
  ctx.out.Object({{"stopped", true}, {"pid", pid}, {"forced", forced}});
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
                  {"otlp", otlp}});
  return Status::Ok();
}

}  // namespace

void AddAgentCommands(CLI::App& app, Commands& commands) {
  CLI::App* agent = app.add_subcommand("agent", "Run the agent that observes this host");
  agent->require_subcommand(1);

  auto foreground = std::make_shared<bool>(false);
  CLI::App* start = agent->add_subcommand("start", "Start the agent (in the background by default)");
  start->add_flag("--foreground", *foreground, "Stay in the foreground, logging to stderr");
  start->footer(
      "The agent discovers processes, listening services and TCP connections, samples host\n"
      "metrics and checks connected services' health, keeping a rolling window (1h) in\n"
      "<home>/agent/agent.duckdb. Its API listens on 127.0.0.1:9001 (agent.yaml api.grpc_port,\n"
      "env CORAL_AGENT_API_GRPC_PORT) and needs the token in <home>/agent/api.token.\n"
      "It takes OTLP on 127.0.0.1:4317 (gRPC) and :4318 (HTTP) into the spans, metric_points\n"
      "and log_records tables (otlp.* in agent.yaml; CORAL_AGENT_OTLP_GRPC_PORT and so on).\n"
      "In the background it logs to <home>/agent/agent.log.");
  commands.Bind(start, [foreground](Context& ctx) { return RunStart(ctx, *foreground); });

  CLI::App* stop = agent->add_subcommand("stop", "Stop the background agent");
  commands.Bind(stop, RunStop);
  CLI::App* status = agent->add_subcommand("status", "Whether the agent runs, and what it can see");
  commands.Bind(status, RunStatus);
}

}  // namespace coral::cli
