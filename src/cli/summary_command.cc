// coral query summary | topology | hosts, and the service part of
// coral status: what the colony's summaries say (see analysis/service_summary.h).
#include "cli/summary_command.h"

#include <cstdio>

#include "analysis/answers.h"
#include "base/clock.h"
#include "base/duration.h"
#include "cli/colony_client.h"

namespace coral::cli {

namespace {

struct SummaryFlags {
  std::string service;
  std::string since = "1h";
  std::string slow = "500ms";
};

std::string MsText(double ms) {
  char buf[32];
  if (ms >= 1000) {
    std::snprintf(buf, sizeof(buf), "%.2fs", ms / 1000);
  } else if (ms >= 10) {
    std::snprintf(buf, sizeof(buf), "%.0fms", ms);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1fms", ms);
  }
  return buf;
}
std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

Json ServiceRow(const coral::v1::ServiceSummary& s) {
  auto ms = [](bool has, double v) { return has ? MsText(v) : std::string("-"); };
  return {{"service", s.service()},
          {"status", s.status()},
          {"req/s", Fixed(s.requests_per_s(), 2)},
          {"requests", s.requests()},
          {"errors", s.requests() == 0 ? "-" : Fixed(s.error_rate() * 100, 1) + "%"},
          {"p50", ms(s.has_p50_ms(), s.p50_ms())},
          {"p95", ms(s.has_p95_ms(), s.p95_ms())},
          {"p99", ms(s.has_p99_ms(), s.p99_ms())},
          {"health", s.health().empty() ? "-" : s.health()}};
}

const std::vector<std::string> kServiceColumns = {
    "service", "status", "req/s", "requests", "errors", "p50", "p95", "p99", "health"};

std::string FindingsText(const coral::v1::GetSummaryResponse& s) {
  if (s.findings_size() == 0) return "\nNo findings: nothing stands out in this window.\n";
  std::string text = "\nFindings:\n";
  for (const auto& f : s.findings()) {
    text += "  [" + f.severity() + "] " + f.title() + "\n";
    for (const auto& e : f.evidence()) text += "      - " + e + "\n";
  }
  return text;
}

Result<int64_t> WindowFlag(const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok() || d->count() < 60'000 || *d > std::chrono::hours(24 * 30)) {
    return InvalidArgument("--since '" + text +
                           "' must be a duration from 1m to 30d, like 15m, 1h or 7d");
  }
  return d->count();
}

Status RunSummary(Context& ctx, const SummaryFlags& f) {
  coral::v1::GetSummaryRequest req;
  req.set_service(f.service);
  req.set_since_ms(CORAL_TRY(WindowFlag(f.since)));
  auto slow = ParseDuration(f.slow);
  if (!slow.ok() || slow->count() <= 0) {
    return InvalidArgument("--slow '" + f.slow + "' must be a positive duration, like 300ms");
  }
  req.set_slow_ms(static_cast<double>(slow->count()));
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  auto s = CORAL_TRY(client.GetSummary(req));
  if (!f.service.empty() && s.services_size() == 0) {
    return NotFound("no requests or health checks of service '" + f.service + "' in the last " +
                    f.since + "; 'coral query summary' lists the services it knows");
  }
  switch (ctx.out.format()) {
    case Format::kTable: {
      ctx.out.Text("Window: " + FormatRfc3339(FromUnixMicros(s.from_unix_micros())) + " to " +
                   FormatRfc3339(FromUnixMicros(s.to_unix_micros())) + " (last " + f.since +
                   "), compared with the " + f.since + " before\n\n");
      Json rows = Json::array();
      for (const auto& svc : s.services()) rows.push_back(ServiceRow(svc));
      ctx.out.List(kServiceColumns, rows,
                   "No services with requests or health checks in this window yet.");
      ctx.out.Text(FindingsText(s));
      return Status::Ok();
    }
    case Format::kCsv: {
      Json rows = Json::array();
      std::vector<std::string> columns;
      for (const auto& svc : s.services()) {
        Json row = analysis::ServiceSummaryJson(svc);
        if (columns.empty()) {
          for (const auto& [k, v] : row.items()) columns.push_back(k);
        }
        rows.push_back(std::move(row));
      }
      ctx.out.List(columns, rows, "");
      return Status::Ok();
    }
    default:
      ctx.out.Object(analysis::SummaryJson(s));
      return Status::Ok();
  }
}

Status RunTopology(Context& ctx, const std::string& since) {
  coral::v1::GetTopologyRequest req;
  req.set_since_ms(CORAL_TRY(WindowFlag(since)));
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  auto rows = CORAL_TRY(client.GetTopology(req));
  PrintQueryRows(ctx, rows.columns(), rows.rows(),
                 "No edges yet: they come from client spans and from TCP connections between "
                 "services the agents know.");
  return Status::Ok();
}

Status RunServices(Context& ctx, const std::string& service, const std::string& since) {
  coral::v1::GetServicesRequest req;
  req.set_since_ms(CORAL_TRY(WindowFlag(since)));
  req.set_service(service);
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  auto rows = CORAL_TRY(client.GetServices(req));
  PrintQueryRows(ctx, rows.columns(), rows.rows(),
                 "No services in this window: agents list services they see listen, and "
                 "services that send spans appear too.");
  return Status::Ok();
}

Status RunHosts(Context& ctx, const std::string& since) {
  coral::v1::GetHostsRequest req;
  req.set_since_ms(CORAL_TRY(WindowFlag(since)));
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  auto rows = CORAL_TRY(client.GetHosts(req));
  PrintQueryRows(ctx, rows.columns(), rows.rows(), "No host metrics in this window yet.");
  return Status::Ok();
}

}  // namespace

Result<coral::v1::GetSummaryResponse> RecentServiceHealth(ColonyClient& client) {
  coral::v1::GetSummaryRequest req;
  req.set_since_ms(15 * 60'000);
  return client.GetSummary(req);
}

void PrintServiceHealth(Context& ctx, const coral::v1::GetSummaryResponse& s) {
  ctx.out.Text("\nServices (last 15m):\n");
  Json rows = Json::array();
  for (const auto& svc : s.services()) rows.push_back(ServiceRow(svc));
  ctx.out.List(kServiceColumns, rows, "No services with requests or health checks yet.");
  if (s.findings_size() > 0) {
    ctx.out.Text(std::to_string(s.findings_size()) +
                 " finding(s); 'coral query summary --since 15m' shows them.\n");
  }
}

void AddSummaryQueryCommands(CLI::App& query, Commands& commands) {
  auto flags = std::make_shared<SummaryFlags>();
  CLI::App* summary = query.add_subcommand(
      "summary", "Health, latency, errors and findings per service over a window");
  summary->add_option("--service", flags->service, "Only this service");
  summary->add_option("--since", flags->since, "The window: the last 1m..30d")
      ->capture_default_str();
  summary->add_option("--slow", flags->slow, "A p95 at or above this is slow")
      ->capture_default_str();
  summary->footer(
      "From server spans summarized per minute. Percentiles are nearest-rank over latency\n"
      "buckets (at most 9% above the exact figure). Findings compare the window with the one\n"
      "before it: error spike, latency regression, slow service (and which callee it waits\n"
      "on), failing health checks, saturated hosts, each with its evidence.\n"
      "Example: coral query summary --since 15m");
  commands.Bind(summary, [flags](Context& ctx) { return RunSummary(ctx, *flags); });

  auto topology_since = std::make_shared<std::string>("1h");
  CLI::App* topology =
      query.add_subcommand("topology", "Service-to-service edges from spans and connections");
  topology->add_option("--since", *topology_since, "The window: the last 1m..30d")
      ->capture_default_str();
  topology->footer(
      "via span: client spans whose callee's server span is in another service (calls,\n"
      "errors, latency); via tcp: connections from a service's process to a port another\n"
      "service listens on (calls = connections seen per minute, summed).");
  commands.Bind(topology,
                [topology_since](Context& ctx) { return RunTopology(ctx, *topology_since); });

  auto hosts_since = std::make_shared<std::string>("1h");
  CLI::App* hosts = query.add_subcommand("hosts", "Host CPU, memory, disk and network per agent");
  hosts->add_option("--since", *hosts_since, "The window: the last 1m..30d")->capture_default_str();
  hosts->footer(
      "Averages over the window of the per-minute host summaries (disk: the fullest mount,\n"
      "its highest minute). Network leaves out the loopback interface.");
  commands.Bind(hosts, [hosts_since](Context& ctx) { return RunHosts(ctx, *hosts_since); });

  auto services_service = std::make_shared<std::string>();
  auto services_since = std::make_shared<std::string>("1h");
  CLI::App* services =
      query.add_subcommand("services", "Every service of the colony with its health and hosts");
  services->add_option("--service", *services_service, "Only this service");
  services->add_option("--since", *services_since, "The window: the last 1m..30d")
      ->capture_default_str();
  services->footer(
      "One row per service, across agents: its status and figures from `coral query summary`,\n"
      "and the hosts and ports where agents saw it listen. A service that only sends spans\n"
      "has source 'spans'. `coral services` lists what one agent sees.");
  commands.Bind(services, [services_service, services_since](Context& ctx) {
    return RunServices(ctx, *services_service, *services_since);
  });
}

}  // namespace coral::cli
