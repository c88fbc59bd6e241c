// coral colony list | use ID | current | start | stop | status | agents |
//              agent revoke ID | token create|list|revoke ; coral status
#include <unistd.h>

#include "analysis/answers.h"
#include "auth/scope.h"
#include "base/daemon.h"
#include "base/duration.h"
#include "base/files.h"
#include "base/log.h"
#include "cli/colony_client.h"
#include "cli/context.h"
#include "cli/process_control.h"
#include "cli/summary_command.h"
#include "colony/colony.h"
#include "config/colonies.h"

namespace coral::cli {

namespace {

std::filesystem::path PidFile(const config::Home& home, const std::string& id) {
  return home.colony_dir(id) / "colony.pid";
}
std::filesystem::path LogFile(const config::Home& home, const std::string& id) {
  return home.colony_dir(id) / "colony.log";
}

using analysis::TimeText;

// "12s ago" for tables.
std::string Ago(int64_t micros) {
  if (micros == 0) return "never";
  auto d = SystemClock::Get().Now() - FromUnixMicros(micros);
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}

// The selected colony, and a client when its process runs.
struct Target {
  std::string id;
  pid_t pid = 0;
};
Result<Target> Selected(Context& ctx) {
  auto sel = CORAL_TRY(config::SelectColony(ctx.home, ctx.flags.colony));
  return Target{sel.id, ReadLivePid(PidFile(ctx.home, sel.id))};
}
Result<ColonyClient> RunningClient(Context& ctx, const Target& t) {
  return ColonyClient::OpenRunning(ctx.home, t.id);
}

Json AgentJson(const coral::v1::AgentInfo& a, Format format) {
  if (format != Format::kTable) return analysis::AgentJson(a);
  std::string api = a.api_reachable() ? "ok" : (a.api_error().empty() ? "-" : "unreachable");
  return {{"agent", a.agent_id()},
          {"state", a.state()},
          {"mesh_ip", a.mesh_ip()},
          {"host", a.hostname()},
          {"version", a.version()},
          {"last_seen", Ago(a.last_seen_unix_micros())},
          {"api", api},
          {"pull", a.pull_failing_since_unix_micros() != 0 ? "failing"
                   : a.last_pull_unix_micros() == 0        ? "-"
                                                           : "ok"},
          {"rows", a.rows_pulled()},
          {"endpoint", a.wireguard_endpoint()}};
}

const std::vector<std::string>& AgentColumns(Format format) {
  static const std::vector<std::string> kTable = {"agent",   "state",     "mesh_ip", "host",
                                                  "version", "last_seen", "api",     "pull",
                                                  "rows",    "endpoint"};
  static const std::vector<std::string> kFull = {"agent_id",
                                                 "state",
                                                 "mesh_ip",
                                                 "hostname",
                                                 "version",
                                                 "last_seen",
                                                 "enrolled_at",
                                                 "wireguard_public_key",
                                                 "wireguard_endpoint",
                                                 "last_handshake",
                                                 "api_reachable",
                                                 "api_error",
                                                 "certificate_expires",
                                                 "rows_pulled",
                                                 "rows_lost",
                                                 "last_pull",
                                                 "pull_error",
                                                 "runtime"};
  return format == Format::kTable ? kTable : kFull;
}

Json TokenJson(const coral::v1::JoinTokenInfo& t, Format format) {
  std::string uses =
      std::to_string(t.uses()) + "/" +
      (t.uses_allowed() == 0 ? std::string("unlimited") : std::to_string(t.uses_allowed()));
  if (format == Format::kTable) {
    return {{"kind", "join"},
            {"id", t.id()},
            {"name", t.name()},
            {"role", "-"},
            {"state", t.state()},
            {"uses", uses},
            {"created", TimeText(t.created_at_unix_micros())},
            {"expires",
             t.expires_at_unix_micros() == 0 ? "never" : TimeText(t.expires_at_unix_micros())}};
  }
  return {{"kind", "join"},
          {"id", t.id()},
          {"name", t.name()},
          {"state", t.state()},
          {"uses", t.uses()},
          {"uses_allowed", t.uses_allowed()},
          {"created_at", TimeText(t.created_at_unix_micros())},
          {"expires_at", TimeText(t.expires_at_unix_micros())},
          {"revoked", t.revoked()}};
}

Json ApiTokenJson(const coral::v1::ApiTokenInfo& t, Format format) {
  std::string expires =
      t.expires_at_unix_micros() == 0 ? "never" : TimeText(t.expires_at_unix_micros());
  if (format == Format::kTable) {
    std::string role = t.role();
    if (!t.scope().empty() && t.scope() != "*") role += " (" + t.scope() + ")";
    return {{"kind", "api"},
            {"id", t.id()},
            {"name", t.name()},
            {"role", role},
            {"state", t.state()},
            {"uses", "-"},
            {"created", TimeText(t.created_at_unix_micros())},
            {"expires", expires}};
  }
  return {{"kind", "api"},
          {"id", t.id()},
          {"name", t.name()},
          {"role", t.role()},
          {"scope", t.scope().empty() ? "*" : t.scope()},
          {"state", t.state()},
          {"created_at", TimeText(t.created_at_unix_micros())},
          {"expires_at", TimeText(t.expires_at_unix_micros())}};
}

Status RunStart(Context& ctx, bool foreground) {
  Target t = CORAL_TRY(Selected(ctx));
  auto cfg = CORAL_TRY(config::LoadColony(ctx.home, t.id));
  if (t.pid != 0) {
    return AlreadyExists("colony " + t.id + " is already running (pid " + std::to_string(t.pid) +
                         "); stop it with 'coral colony stop'");
  }
  auto record = [&](pid_t pid) -> Json {
    return {{"colony_id", t.id},
            {"pid", pid},
            {"mesh_ip", cfg.mesh_ip},
            {"api", "127.0.0.1:" + std::to_string(cfg.grpc_port)},
            {"wireguard_port", cfg.wireguard_port},
            {"public_port", cfg.public_port},
            {"log", LogFile(ctx.home, t.id).string()}};
  };
  bool in_child = false;
  if (!foreground) {
    auto outcome = CORAL_TRY(Daemonize(LogFile(ctx.home, t.id)));
    if (!outcome.in_child) {
      ctx.out.Object(record(outcome.child_pid));
      return Status::Ok();
    }
    in_child = true;
  }
  BlockStopSignals();
  CORAL_TRY(log::Init(ctx.flags.verbosity >= 2 ? log::Level::kDebug : log::Level::kInfo));
  auto started =
      colony::Colony::Start({.home = ctx.home, .colony_id = t.id, .version = CORAL_VERSION});
  if (!started.ok()) {
    if (in_child) ReportFailed(started.status().message());
    return started.status().WithContext("colony start");
  }
  if (Status s = WritePidFile(PidFile(ctx.home, t.id)); !s.ok()) {
    if (in_child) ReportFailed(s.message());
    return s;
  }
  if (in_child) {
    ReportStarted();
  } else {
    ctx.out.Object(record(::getpid()));
  }
  int sig = WaitForStopSignal();
  CORAL_LOG_INFO("colony: stopping on signal {}", sig);
  (*started)->Stop();
  (void)RemoveAll(PidFile(ctx.home, t.id));
  return Status::Ok();
}

Status RunStop(Context& ctx) {
  Target t = CORAL_TRY(Selected(ctx));
  ctx.out.Object(CORAL_TRY(StopByPidFile(PidFile(ctx.home, t.id), "colony")));
  return Status::Ok();
}

Status RunStatus(Context& ctx) {
  Target t = CORAL_TRY(Selected(ctx));
  if (t.pid == 0) {
    ctx.out.Object(
        {{"running", false}, {"colony_id", t.id}, {"hint", "start it with 'coral colony start'"}});
    return Status::Ok();
  }
  auto client = CORAL_TRY(RunningClient(ctx, t));
  ctx.out.Object(analysis::ColonyJson(CORAL_TRY(client.Status())));
  return Status::Ok();
}

Status RunAgents(Context& ctx) {
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  auto agents = CORAL_TRY(client.ListAgents());
  Json rows = Json::array();
  for (const auto& a : agents.agents()) rows.push_back(AgentJson(a, ctx.out.format()));
  ctx.out.List(AgentColumns(ctx.out.format()), rows,
               "No agents yet. On each host: 'coral agent start --join TOKEN' with a token from "
               "'coral colony token create'.");
  return Status::Ok();
}

Status RunAgentRevoke(Context& ctx, const std::string& id) {
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  ctx.out.Object(AgentJson(CORAL_TRY(client.RevokeAgent(id)), ctx.out.format()));
  return Status::Ok();
}

struct TokenFlags {
  std::string ttl = "1h";
  int uses = 1;
  std::string name;
  std::string role;  // set: an API token
  std::string scope;
  CLI::Option* ttl_option = nullptr;
  CLI::Option* uses_option = nullptr;
};

Status RunApiTokenCreate(Context& ctx, const TokenFlags& f, std::chrono::seconds ttl) {
  if (f.uses_option->count() > 0) return InvalidArgument("--uses is for join tokens, not --role");
  if (auto scope = auth::ParseScope(f.scope); !scope.ok()) {
    return scope.status().WithContext("--scope");
  }
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  coral::v1::CreateApiTokenRequest req;
  req.set_role(f.role);
  req.set_scope(f.scope);
  req.set_ttl_seconds(ttl.count());
  req.set_name(f.name);
  auto resp = CORAL_TRY(client.CreateApiToken(req));
  Json out = ApiTokenJson(resp.info(), ctx.out.format());
  out["token"] = resp.token();
  if (ctx.out.format() == Format::kTable) {
    out["use"] =
        "Authorization: Bearer <token> on https://<colony>:8443/mcp, or CORAL_TOKEN=<token>";
  }
  ctx.out.Object(out);
  return Status::Ok();
}

Status RunTokenCreate(Context& ctx, const TokenFlags& f) {
  auto ttl = ParseDuration(f.ttl);
  if (!ttl.ok()) return InvalidArgument("--ttl '" + f.ttl + "' is not a duration like 1h, 30m, 0");
  if (f.uses < 0) return InvalidArgument("--uses must be 0 (unlimited) or more");
  if (!f.role.empty()) {
    // API tokens live until revoked unless --ttl says otherwise.
    auto seconds = f.ttl_option->count() > 0
                       ? std::chrono::duration_cast<std::chrono::seconds>(*ttl)
                       : std::chrono::seconds(0);
    return RunApiTokenCreate(ctx, f, seconds);
  }
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  coral::v1::CreateJoinTokenRequest req;
  req.set_ttl_seconds(std::chrono::duration_cast<std::chrono::seconds>(*ttl).count());
  req.set_uses(f.uses);
  req.set_name(f.name);
  auto resp = CORAL_TRY(client.CreateJoinToken(req));
  Json out = TokenJson(resp.info(), ctx.out.format());
  out["token"] = resp.token();
  if (ctx.out.format() == Format::kTable) {
    out["join with"] = "coral agent start --join " + resp.token();
  }
  ctx.out.Object(out);
  return Status::Ok();
}

Status RunTokenList(Context& ctx) {
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  auto tokens = CORAL_TRY(client.ListJoinTokens());
  Json rows = Json::array();
  for (const auto& tk : tokens.tokens()) rows.push_back(TokenJson(tk, ctx.out.format()));
  // API tokens are for admins to see; others get the join tokens alone.
  auto api = client.ListApiTokens();
  if (!api.ok() && api.status().code() != StatusCode::kPermissionDenied) return api.status();
  if (api.ok()) {
    for (const auto& tk : api->tokens()) rows.push_back(ApiTokenJson(tk, ctx.out.format()));
  }
  std::vector<std::string> columns =
      ctx.out.format() == Format::kTable
          ? std::vector<std::string>{"kind",  "id",   "name",    "role",
                                     "state", "uses", "created", "expires"}
          : std::vector<std::string>{"kind", "id",           "name",       "role",       "state",
                                     "uses", "uses_allowed", "created_at", "expires_at", "revoked"};
  ctx.out.List(columns, rows,
               "No tokens. 'coral colony token create' makes a join token, '... --role viewer' "
               "an API token.");
  return Status::Ok();
}

Status RunTokenRevoke(Context& ctx, const std::string& id) {
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  if (id.rfind("api-", 0) == 0) {
    ctx.out.Object(ApiTokenJson(CORAL_TRY(client.RevokeApiToken(id)), ctx.out.format()));
  } else {
    ctx.out.Object(TokenJson(CORAL_TRY(client.RevokeJoinToken(id)), ctx.out.format()));
  }
  return Status::Ok();
}

struct AuditFlags {
  int limit = 50;
  std::string since;
  std::string who;
  std::string action;
};

Status RunAudit(Context& ctx, const AuditFlags& f) {
  if (f.limit < 1 || f.limit > 10'000) return InvalidArgument("--limit must be 1..10000");
  coral::v1::ListAuditRequest req;
  req.set_limit(f.limit);
  req.set_who(f.who);
  req.set_action(f.action);
  if (!f.since.empty()) {
    auto since = ParseDuration(f.since);
    if (!since.ok()) return InvalidArgument("--since '" + f.since + "' is not a duration");
    req.set_since_ms(since->count());
  }
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  auto log = CORAL_TRY(client.ListAudit(req));
  if (ctx.out.format() != Format::kTable) {
    // The rows the MCP tool coral_audit_log and GET /api/v1/audit give.
    std::vector<auth::AuditEntry> entries;
    for (const auto& r : log.records()) {
      entries.push_back({.at = FromUnixMicros(r.at_unix_micros()),
                         .who = r.who(),
                         .action = r.action(),
                         .arguments = r.arguments(),
                         .allowed = r.allowed(),
                         .result_bytes = r.result_bytes(),
                         .duration_ms = r.duration_ms(),
                         .error = r.error()});
    }
    Json answer = analysis::RowsJson(analysis::AuditRows(entries));
    ctx.out.List(answer["columns"].get<std::vector<std::string>>(), answer["rows"],
                 "Nothing in the audit log yet.");
    return Status::Ok();
  }
  Json rows = Json::array();
  for (const auto& r : log.records()) {
    rows.push_back({{"at", TimeText(r.at_unix_micros())},
                    {"who", r.who()},
                    {"action", r.action()},
                    {"allowed", r.allowed() ? "yes" : "DENIED"},
                    {"arguments", r.arguments()},
                    {"error", r.error()}});
  }
  ctx.out.List({"at", "who", "action", "allowed", "arguments", "error"}, rows,
               "Nothing in the audit log yet.");
  return Status::Ok();
}

// coral status: the colony and its agents at a glance.
Status RunOverallStatus(Context& ctx) {
  Target t = CORAL_TRY(Selected(ctx));
  auto client = CORAL_TRY(RunningClient(ctx, t));
  auto status = CORAL_TRY(client.Status());
  auto agents = CORAL_TRY(client.ListAgents());
  auto services = CORAL_TRY(RecentServiceHealth(client));
  if (ctx.out.format() == Format::kTable) {
    ctx.out.Object({{"colony", status.colony_id()},
                    {"mesh", status.mesh_cidr() + " (" + status.wireguard_interface() + ")"},
                    {"agents", std::to_string(status.agents_healthy()) + " healthy, " +
                                   std::to_string(status.agents_degraded()) + " degraded, " +
                                   std::to_string(status.agents_unhealthy()) + " unhealthy"}});
    Json rows = Json::array();
    for (const auto& a : agents.agents()) rows.push_back(AgentJson(a, ctx.out.format()));
    ctx.out.List(AgentColumns(ctx.out.format()), rows, "No agents yet.");
    for (const auto& a : agents.agents()) {
      if (a.pull_failing_since_unix_micros() == 0) continue;
      ctx.out.Text("\nThe colony cannot pull agent " + a.agent_id() + " (failing since " +
                   Ago(a.pull_failing_since_unix_micros()) + "): " + a.pull_error() + "\n");
    }
    PrintServiceHealth(ctx, services);
    return Status::Ok();
  }
  // The same object as the MCP tool coral_status and GET /api/v1/status.
  std::vector<coral::v1::AgentInfo> list(agents.agents().begin(), agents.agents().end());
  ctx.out.Object(analysis::StatusJson(status, list, services));
  return Status::Ok();
}

Status RunList(Context& ctx) {
  auto colonies = CORAL_TRY(config::ListColonies(ctx.home));
  auto selected = config::SelectColony(ctx.home, ctx.flags.colony);
  Json records = Json::array();
  for (const auto& c : colonies) {
    bool current = selected.ok() && selected->id == c.id;
    if (ctx.out.format() == Format::kTable) {
      records.push_back({{"current", current ? "*" : ""},
                         {"id", c.id},
                         {"app", c.app},
                         {"env", c.env},
                         {"mesh", c.mesh_cidr},
                         {"created", c.created_at.substr(0, 19) + "Z"}});
    } else {
      records.push_back({{"id", c.id},
                         {"app", c.app},
                         {"env", c.env},
                         {"mesh_cidr", c.mesh_cidr},
                         {"mesh_ip", c.mesh_ip},
                         {"created_at", c.created_at},
                         {"ca_fingerprint", c.ca_fingerprint},
                         {"current", current}});
    }
  }
  std::vector<std::string> columns =
      ctx.out.format() == Format::kTable
          ? std::vector<std::string>{"current", "id", "app", "env", "mesh", "created"}
          : std::vector<std::string>{
                "id",     "app", "env", "mesh_cidr", "mesh_ip", "created_at", "ca_fingerprint",
                "current"};
  ctx.out.List(columns, records, "No colonies yet. Create one with 'coral init APP'.");
  return Status::Ok();
}

Status RunUse(Context& ctx, const std::string& id) {
  CORAL_TRY(config::SetDefaultColony(ctx.home, id));
  if (ctx.out.format() == Format::kTable) {
    ctx.out.Object({{"current colony", id}});
  } else {
    ctx.out.Object({{"current", id}});
  }
  return Status::Ok();
}

Status RunCurrent(Context& ctx) {
  auto selected = CORAL_TRY(config::SelectColony(ctx.home, ctx.flags.colony));
  if (ctx.out.format() == Format::kTable) {
    ctx.out.Object({{"colony", selected.id},
                    {"chosen by", std::string(config::ColonySourceName(selected.source))}});
  } else {
    ctx.out.Object({{"colony", selected.id},
                    {"source", std::string(config::ColonySourceName(selected.source))}});
  }
  return Status::Ok();
}

}  // namespace

void AddColonyCommands(CLI::App& app, Commands& commands) {
  CLI::App* colony = app.add_subcommand("colony", "Manage the colonies on this machine");
  colony->require_subcommand(1);

  CLI::App* list = colony->add_subcommand("list", "List colonies; * marks the current one");
  commands.Bind(list, RunList);

  auto id = std::make_shared<std::string>();
  CLI::App* use = colony->add_subcommand("use", "Make a colony the current one");
  use->add_option("id", *id, "Colony id, as 'coral colony list' prints it")->required();
  commands.Bind(use, [id](Context& ctx) { return RunUse(ctx, *id); });

  CLI::App* current = colony->add_subcommand(
      "current",
      "Show the current colony and why: --colony, CORAL_COLONY, config, or the only one");
  commands.Bind(current, RunCurrent);

  auto foreground = std::make_shared<bool>(false);
  CLI::App* start =
      colony->add_subcommand("start", "Run the current colony (in the background by default)");
  start->add_flag("--foreground", *foreground, "Stay in the foreground, logging to stderr");
  start->footer(
      "The colony brings up its WireGuard interface (coral + 8 hex, .1 of its /16, UDP 41580),\n"
      "serves enrollment on its public HTTPS endpoint (0.0.0.0:8443, certificate from the\n"
      "colony CA) and its API on mesh-ip:9000 (mTLS) and 127.0.0.1:9000. Agents it enrolled\n"
      "come back as WireGuard peers when it restarts. Needs root (or CAP_NET_ADMIN) for the\n"
      "interface. Ports and endpoints: colony.yaml (wireguard.port, api.grpc_port,\n"
      "public.port, public.endpoints) or CORAL_COLONY_*; with no public.endpoints it offers\n"
      "every IPv4 address of this host. In the background it logs to colony.log beside\n"
      "colony.yaml.");
  commands.Bind(start, [foreground](Context& ctx) { return RunStart(ctx, *foreground); });
  commands.Bind(colony->add_subcommand("stop", "Stop the background colony"), RunStop);
  commands.Bind(colony->add_subcommand("status", "Whether the colony runs; its mesh and agents"),
                RunStatus);
  commands.Bind(
      colony->add_subcommand("agents",
                             "Enrolled agents: state (healthy <= 30s since the last heartbeat, "
                             "degraded <= 2m or while pulls of its data fail, unhealthy after), "
                             "address, API reachability, pulls (ok, failing) and rows pulled"),
      RunAgents);
  CLI::App* agent = colony->add_subcommand("agent", "Act on one enrolled agent");
  agent->require_subcommand(1);
  auto agent_id = std::make_shared<std::string>();
  CLI::App* revoke = agent->add_subcommand(
      "revoke", "Remove the agent's WireGuard peer and refuse its certificate, for good");
  revoke->add_option("id", *agent_id, "Agent id, as 'coral colony agents' prints it")->required();
  commands.Bind(revoke, [agent_id](Context& ctx) { return RunAgentRevoke(ctx, *agent_id); });

  CLI::App* token = colony->add_subcommand(
      "token", "Join tokens that let agents enroll, and API tokens with a role");
  token->require_subcommand(1);
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* create = token->add_subcommand(
      "create", "Print a new join token (shown once; the colony keeps only its hash)");
  flags->ttl_option =
      create
          ->add_option("--ttl", flags->ttl,
                       "How long it stays valid (1h, 30m, 7d; 0: forever; API tokens: forever)")
          ->capture_default_str();
  flags->uses_option =
      create->add_option("--uses", flags->uses, "How many agents may enroll with it (0: unlimited)")
          ->capture_default_str();
  create->add_option("--name", flags->name, "A note to recognise it by in 'token list'");
  create->add_option("--role", flags->role, "An API token with this role instead")
      ->check(CLI::IsMember({"viewer", "operator", "admin"}));
  create->add_option("--scope", flags->scope,
                     "With --role: limit the token to colonies matching app=NAME,env=NAME or "
                     "colony=ID (default: this colony, whatever its app and env)");
  create->footer(
      "Without --role, a join token: it carries the colony id, its public endpoint(s), the CA\n"
      "fingerprint agents pin, and a secret; use it on a host with: coral agent start --join "
      "TOKEN\n"
      "With --role viewer|operator|admin, an API token (coralapi1_...) for MCP clients and the\n"
      "CLI (CORAL_TOKEN): viewer reads (status, summaries, traces, logs, metrics, SQL);\n"
      "operator also makes join tokens; admin may do everything. Every use is audited.\n"
      "Examples:\n"
      "  coral colony token create --ttl 1h --uses 1\n"
      "  coral colony token create --role viewer --name claude-desktop\n"
      "  coral colony token create --role viewer --scope env=staging --ttl 30d");
  commands.Bind(create, [flags](Context& ctx) { return RunTokenCreate(ctx, *flags); });
  commands.Bind(token->add_subcommand("list", "Join tokens with their state and uses"),
                RunTokenList);
  auto token_id = std::make_shared<std::string>();
  CLI::App* token_revoke =
      token->add_subcommand("revoke", "Make a join token or an API token (api-...) unusable");
  token_revoke->add_option("id", *token_id, "Token id, as 'token list' prints it")->required();
  commands.Bind(token_revoke, [token_id](Context& ctx) { return RunTokenRevoke(ctx, *token_id); });

  auto audit_flags = std::make_shared<AuditFlags>();
  CLI::App* audit = colony->add_subcommand(
      "audit", "Who called what on the colony, allowed or denied, newest first (admin)");
  audit->add_option("--limit", audit_flags->limit, "At most this many records (1..10000)")
      ->capture_default_str();
  audit->add_option("--since", audit_flags->since, "Only the last 15m, 1h, 7d, ...");
  audit->add_option("--who", audit_flags->who, "Only callers whose name contains this");
  audit->add_option("--action", audit_flags->action,
                    "Only actions containing this (tool:coral_query_sql, rpc:, api:, enroll)");
  audit->footer("Example: coral colony audit --since 1h --action tool: -o json");
  commands.Bind(audit, [audit_flags](Context& ctx) { return RunAudit(ctx, *audit_flags); });
}

void AddStatusCommand(CLI::App& app, Commands& commands) {
  CLI::App* status =
      app.add_subcommand("status", "The current colony, its agents and service health at a glance");
  commands.Bind(status, RunOverallStatus);
}

}  // namespace coral::cli
