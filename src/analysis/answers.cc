#include "analysis/answers.h"

#include <algorithm>

#include "base/clock.h"

namespace coral::analysis {

using storage::ColumnType;
using storage::Value;

Json ValueJson(const Value& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* t = std::get_if<storage::Timestamp>(&v)) return t->micros;
  return nullptr;
}

Json RowsJson(const storage::RowSet& rows, size_t limit) {
  size_t n = limit == 0 ? rows.rows.size() : std::min(rows.rows.size(), limit);
  std::vector<std::string> names;
  for (const auto& c : rows.columns) {
    std::string name = c.name;
    for (int k = 2; std::find(names.begin(), names.end(), name) != names.end(); ++k) {
      name = c.name + "_" + std::to_string(k);
    }
    names.push_back(std::move(name));
  }
  Json out_rows = Json::array();
  for (size_t r = 0; r < n; ++r) {
    Json row = Json::object();
    for (size_t i = 0; i < names.size() && i < rows.rows[r].size(); ++i) {
      row[names[i]] = ValueJson(rows.rows[r][i]);
    }
    out_rows.push_back(std::move(row));
  }
  return Json{{"columns", names},
              {"rows", std::move(out_rows)},
              {"truncated", rows.truncated || n < rows.rows.size()}};
}

storage::RowSet RowSetFromProto(
    const google::protobuf::RepeatedPtrField<coral::v1::SqlColumn>& columns,
    const google::protobuf::RepeatedPtrField<coral::v1::Row>& rows, bool truncated) {
  storage::RowSet out;
  out.truncated = truncated;
  for (const auto& c : columns) {
    ColumnType type = ColumnType::kNull;
    for (ColumnType t : {ColumnType::kBool, ColumnType::kInt64, ColumnType::kDouble,
                         ColumnType::kString, ColumnType::kTimestamp}) {
      if (storage::ColumnTypeName(t) == c.type()) type = t;
    }
    out.columns.push_back({.name = c.name(), .type = type});
  }
  for (const auto& r : rows) {
    std::vector<Value> row;
    for (const auto& v : r.values()) {
      switch (v.kind_case()) {
        case coral::v1::Value::kBoolValue:
          row.emplace_back(v.bool_value());
          break;
        case coral::v1::Value::kIntValue:
          row.emplace_back(v.int_value());
          break;
        case coral::v1::Value::kDoubleValue:
          row.emplace_back(v.double_value());
          break;
        case coral::v1::Value::kStringValue:
          row.emplace_back(v.string_value());
          break;
        case coral::v1::Value::kTimestampMicros:
          row.emplace_back(storage::Timestamp{v.timestamp_micros()});
          break;
        default:
          row.emplace_back(std::monostate{});
          break;
      }
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

namespace {

Json Optional(bool has, double v) { return has ? Json(v) : Json(nullptr); }

}  // namespace

Json ServiceSummaryJson(const coral::v1::ServiceSummary& s) {
  return {{"service", s.service()},
          {"status", s.status()},
          {"requests", s.requests()},
          {"errors", s.errors()},
          {"error_rate", s.error_rate()},
          {"requests_per_s", s.requests_per_s()},
          {"p50_ms", Optional(s.has_p50_ms(), s.p50_ms())},
          {"p95_ms", Optional(s.has_p95_ms(), s.p95_ms())},
          {"p99_ms", Optional(s.has_p99_ms(), s.p99_ms())},
          {"avg_ms", Optional(s.has_avg_ms(), s.avg_ms())},
          {"max_ms", Optional(s.has_max_ms(), s.max_ms())},
          {"health", s.health()},
          {"health_reason", s.health_reason()},
          {"health_since_us", s.health_since_unix_micros()},
          {"previous_requests", s.previous_requests()},
          {"previous_error_rate", s.previous_error_rate()},
          {"previous_p95_ms", Optional(s.has_previous_p95_ms(), s.previous_p95_ms())}};
}

Json FindingJson(const coral::v1::Finding& f) {
  return {{"kind", f.kind()},
          {"severity", f.severity()},
          {"subject", f.subject()},
          {"title", f.title()},
          {"evidence", f.evidence()}};
}

Json SummaryJson(const coral::v1::GetSummaryResponse& s) {
  Json services = Json::array();
  for (const auto& svc : s.services()) services.push_back(ServiceSummaryJson(svc));
  Json findings = Json::array();
  for (const auto& f : s.findings()) findings.push_back(FindingJson(f));
  return {{"from_us", s.from_unix_micros()},
          {"to_us", s.to_unix_micros()},
          {"backend", s.backend()},
          {"services", std::move(services)},
          {"findings", std::move(findings)}};
}

std::string TimeText(int64_t micros) {
  return micros == 0 ? "" : FormatRfc3339(FromUnixMicros(micros));
}

Json AgentJson(const coral::v1::AgentInfo& a) {
  Json runtime = Json::object();
  if (a.has_runtime()) {
    runtime = {{"os", a.runtime().os()},
               {"kernel", a.runtime().kernel()},
               {"arch", a.runtime().arch()},
               {"connections", a.runtime().capabilities().connection_method()},
               {"ebpf", a.runtime().capabilities().ebpf()}};
  }
  return {{"agent_id", a.agent_id()},
          {"state", a.state()},
          {"mesh_ip", a.mesh_ip()},
          {"hostname", a.hostname()},
          {"version", a.version()},
          {"last_seen", TimeText(a.last_seen_unix_micros())},
          {"enrolled_at", TimeText(a.enrolled_at_unix_micros())},
          {"wireguard_public_key", a.wireguard_public_key()},
          {"wireguard_endpoint", a.wireguard_endpoint()},
          {"last_handshake", TimeText(a.last_handshake_unix_micros())},
          {"api_reachable", a.api_reachable()},
          {"api_error", a.api_error()},
          {"certificate_expires", TimeText(a.certificate_expires_unix_micros())},
          {"rows_pulled", a.rows_pulled()},
          {"rows_lost", a.rows_lost()},
          {"last_pull", TimeText(a.last_pull_unix_micros())},
          {"pull_error", a.pull_error()},
          {"pull_failing_since", TimeText(a.pull_failing_since_unix_micros())},
          {"runtime", runtime}};
}

Json ColonyJson(const coral::v1::GetStatusResponse& s) {
  Json endpoints = Json::array();
  for (const auto& e : s.public_endpoints()) endpoints.push_back(e);
  return {{"running", true},
          {"colony_id", s.colony_id()},
          {"app", s.app()},
          {"env", s.env()},
          {"pid", s.pid()},
          {"mesh_cidr", s.mesh_cidr()},
          {"mesh_ip", s.mesh_ip()},
          {"wireguard_interface", s.wireguard_interface()},
          {"wireguard_port", s.wireguard_port()},
          {"public_endpoints", endpoints},
          {"ca_fingerprint", s.ca_fingerprint()},
          {"started_at", TimeText(s.started_at_unix_micros())},
          {"version", s.build().version()},
          {"agents_healthy", s.agents_healthy()},
          {"agents_degraded", s.agents_degraded()},
          {"agents_unhealthy", s.agents_unhealthy()},
          {"agents_revoked", s.agents_revoked()}};
}

Json StatusJson(const coral::v1::GetStatusResponse& s,
                const std::vector<coral::v1::AgentInfo>& agents,
                const coral::v1::GetSummaryResponse& services) {
  Json out = ColonyJson(s);
  Json agent_list = Json::array();
  for (const auto& a : agents) agent_list.push_back(AgentJson(a));
  Json summary = SummaryJson(services);
  out["agents"] = std::move(agent_list);
  out["services"] = std::move(summary["services"]);
  out["findings"] = std::move(summary["findings"]);
  // Data the colony cannot pull is missing from every answer above.
  for (const auto& a : agents) {
    if (a.pull_failing_since_unix_micros() == 0) continue;
    coral::v1::Finding f;
    f.set_kind("agent_pull_failing");
    f.set_severity("warning");
    f.set_subject(a.agent_id());
    f.set_title("The colony cannot pull agent " + a.agent_id() + " (" + a.hostname() + "): " +
                (a.last_pull_unix_micros() == 0
                     ? std::string("none of its data is in these answers")
                     : "its data since " + TimeText(a.last_pull_unix_micros()) +
                           " is missing from these answers"));
    f.add_evidence("failing since " + TimeText(a.pull_failing_since_unix_micros()));
    f.add_evidence(a.pull_error());
    out["findings"].push_back(FindingJson(f));
  }
  return out;
}

storage::RowSet AuditRows(const std::vector<auth::AuditEntry>& entries) {
  storage::RowSet rows;
  rows.columns = {{"at_us", ColumnType::kInt64},        {"who", ColumnType::kString},
                  {"action", ColumnType::kString},      {"allowed", ColumnType::kBool},
                  {"result_bytes", ColumnType::kInt64}, {"duration_ms", ColumnType::kDouble},
                  {"error", ColumnType::kString},       {"arguments", ColumnType::kString}};
  for (const auto& e : entries) {
    rows.rows.push_back({ToUnixMicros(e.at), e.who, e.action, e.allowed, e.result_bytes,
                         e.duration_ms, e.error, e.arguments});
  }
  return rows;
}

}  // namespace coral::analysis
