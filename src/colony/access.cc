#include "colony/access.h"

#include <algorithm>

#include "base/ids.h"
#include "base/log.h"
#include "crypto/digest.h"

namespace coral::colony {

namespace {

using storage::Value;

constexpr std::string_view kTokenPrefix = "coralapi1_";
constexpr std::string_view kIdPrefix = "api-";
constexpr size_t kMaxAuditArguments = 2048;

Value MicrosOr(const std::optional<WallTime>& t) { return t ? Value{ToUnixMicros(*t)} : Value{}; }
std::optional<WallTime> TimeOr(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return FromUnixMicros(*i);
  return std::nullopt;
}
std::string Text(const Value& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : "";
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (RoleName(r) == name) return r;
  }
  return InvalidArgument("role '" + std::string(name) + "' is not viewer, operator or admin");
}

std::optional<Role> LeastRoleFor(std::string_view action) {
  static const std::map<std::string, Role, std::less<>> kPolicy = {
      {"rpc:GetStatus", Role::kViewer},
      {"rpc:ListAgents", Role::kViewer},
      {"rpc:QuerySql", Role::kViewer},
      {"rpc:GetSummary", Role::kViewer},
      {"rpc:GetTopology", Role::kViewer},
      {"rpc:GetHosts", Role::kViewer},
      {"rpc:GetServices", Role::kViewer},
      {"rpc:QueryTraces", Role::kViewer},
      {"rpc:QueryLogs", Role::kViewer},
      {"rpc:QueryMetrics", Role::kViewer},
      {"rpc:CreateJoinToken", Role::kOperator},
      {"rpc:ListJoinTokens", Role::kOperator},
      {"tool:coral_status", Role::kViewer},
      {"tool:coral_list_services", Role::kViewer},
      {"tool:coral_service_summary", Role::kViewer},
      {"tool:coral_query_traces", Role::kViewer},
      {"tool:coral_get_trace", Role::kViewer},
      {"tool:coral_query_metrics", Role::kViewer},
      {"tool:coral_query_logs", Role::kViewer},
      {"tool:coral_topology", Role::kViewer},
      {"tool:coral_host_metrics", Role::kViewer},
      {"tool:coral_query_sql", Role::kViewer},
      {"resource:read", Role::kViewer},
      {"prompt:get", Role::kViewer},
      // Named although admin-only is the default, so the policy reads whole.
      {"tool:coral_audit_log", Role::kAdmin},
  };
  auto it = kPolicy.find(action);
  if (it == kPolicy.end()) return std::nullopt;
  return it->second;
}

std::string ApiTokenState(const ApiTokenRecord& token, WallTime now) {
  if (token.revoked_at) return "revoked";
  if (token.expires_at && *token.expires_at <= now) return "expired";
  return "usable";
}

Result<std::unique_ptr<AccessControl>> AccessControl::Open(storage::Store& store,
                                                           const Clock& clock) {
  std::unique_ptr<AccessControl> ac(new AccessControl(store, clock));
  CORAL_TRY(ac->Load());
  return ac;
}

Status AccessControl::Load() {
  auto rows = CORAL_TRY(store_.Query(
      "SELECT id, name, role, secret_hash, created_at_us, expires_at_us, revoked_at_us "
      "FROM api_tokens"));
  std::lock_guard lock(mu_);
  for (const auto& r : rows.rows) {
    auto role = ParseRole(Text(r[2]));
    if (!role.ok()) return role.status().WithContext("api token " + Text(r[0]));
    ApiTokenRecord t{.id = Text(r[0]),
                     .name = Text(r[1]),
                     .role = *role,
                     .created_at = TimeOr(r[4]).value_or(WallTime{}),
                     .expires_at = TimeOr(r[5]),
                     .revoked_at = TimeOr(r[6])};
    hashes_[t.id] = Text(r[3]);
    tokens_[t.id] = std::move(t);
  }
  return Status::Ok();
}

bool AccessControl::IsApiTokenId(std::string_view id) const {
  return id.substr(0, kIdPrefix.size()) == kIdPrefix;
}

Result<AccessControl::NewToken> AccessControl::CreateToken(Role role, std::chrono::seconds ttl,
                                                           const std::string& name) {
  if (ttl.count() < 0) return InvalidArgument("--ttl must not be negative");
  if (name.size() > 200) return InvalidArgument("a token name is at most 200 bytes");
  NewToken out;
  out.record = {.id = std::string(kIdPrefix) + RandomHex(4),
                .name = name,
                .role = role,
                .created_at = clock_.Now()};
  if (ttl.count() > 0) out.record.expires_at = out.record.created_at + ttl;
  std::string secret = RandomHex(32);
  out.token = std::string(kTokenPrefix) + out.record.id + "_" + secret;
  std::string hash = crypto::Sha256Hex(secret);
  std::lock_guard lock(mu_);
  CORAL_TRY(store_.Execute(
      "INSERT INTO api_tokens (id, name, role, secret_hash, created_at_us, expires_at_us) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {out.record.id, name, std::string(RoleName(role)), hash, ToUnixMicros(out.record.created_at),
       MicrosOr(out.record.expires_at)}));
  tokens_[out.record.id] = out.record;
  hashes_[out.record.id] = hash;
  return out;
}

std::vector<ApiTokenRecord> AccessControl::Tokens() {
  std::lock_guard lock(mu_);
  std::vector<ApiTokenRecord> out;
  for (const auto& [id, t] : tokens_) out.push_back(t);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  return out;
}

Result<ApiTokenRecord> AccessControl::RevokeToken(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end()) {
    return NotFound("no API token with id '" + id + "'; see 'coral colony token list'");
  }
  if (it->second.revoked_at) return it->second;
  WallTime now = clock_.Now();
  CORAL_TRY(store_.Execute("UPDATE api_tokens SET revoked_at_us = ? WHERE id = ?",
                           {ToUnixMicros(now), id}));
  it->second.revoked_at = now;
  return it->second;
}

Result<Caller> AccessControl::Authenticate(std::string_view bearer) {
  if (bearer.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return Unauthenticated("not a Coral API token (they start with " + std::string(kTokenPrefix) +
                           "; 'coral colony token create --role viewer' makes one)");
  }
  std::string_view rest = bearer.substr(kTokenPrefix.size());
  size_t cut = rest.rfind('_');
  if (cut == std::string_view::npos) return Unauthenticated("malformed API token");
  std::string id(rest.substr(0, cut));
  std::string hash = crypto::Sha256Hex(rest.substr(cut + 1));
  std::lock_guard lock(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end() || !crypto::ConstantTimeEquals(hashes_[id], hash)) {
    return Unauthenticated("unknown API token");
  }
  const ApiTokenRecord& t = it->second;
  std::string state = ApiTokenState(t, clock_.Now());
  if (state == "revoked") {
    return Unauthenticated("API token " + id + " was revoked at " + FormatRfc3339(*t.revoked_at));
  }
  if (state == "expired") {
    return Unauthenticated("API token " + id + " expired at " + FormatRfc3339(*t.expires_at));
  }
  std::string who = "token " + id;
  if (!t.name.empty()) who += " (" + t.name + ")";
  return Caller{who, t.role};
}

Status AccessControl::Authorize(const Caller& caller, std::string_view action) {
  if (caller.role == Role::kAdmin) return Status::Ok();
  auto least = LeastRoleFor(action);
  if (least && caller.role >= *least) return Status::Ok();
  return PermissionDenied(caller.who + " has role " + std::string(RoleName(caller.role)) + "; " +
                          std::string(action) + " needs " +
                          std::string(RoleName(least.value_or(Role::kAdmin))));
}

void AccessControl::Record(const AuditEntry& e) {
  std::string args = e.arguments.size() > kMaxAuditArguments
                         ? e.arguments.substr(0, kMaxAuditArguments) + "...(cut)"
                         : e.arguments;
  Status s = store_.Execute(
      "INSERT INTO audit_log (at_us, who, action, arguments, allowed, result_bytes, duration_ms, "
      "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {ToUnixMicros(e.at), e.who, e.action, args, int64_t{e.allowed ? 1 : 0}, e.result_bytes,
       e.duration_ms, e.error});
  if (!s.ok()) CORAL_LOG_WARN("colony: audit log: {}", s.message());
}

Result<std::vector<AuditEntry>> AccessControl::AuditLog(int limit, std::optional<WallTime> since) {
  auto rows = CORAL_TRY(store_.Query(
      "SELECT at_us, who, action, arguments, allowed, result_bytes, duration_ms, error FROM "
      "audit_log WHERE at_us >= ? ORDER BY at_us DESC LIMIT ?",
      {since ? ToUnixMicros(*since) : int64_t{0}, int64_t{limit}}));
  std::vector<AuditEntry> out;
  for (const auto& r : rows.rows) {
    AuditEntry e;
    e.at = TimeOr(r[0]).value_or(WallTime{});
    e.who = Text(r[1]);
    e.action = Text(r[2]);
    e.arguments = Text(r[3]);
    e.allowed = std::get_if<int64_t>(&r[4]) && std::get<int64_t>(r[4]) != 0;
    if (const auto* b = std::get_if<int64_t>(&r[5])) e.result_bytes = *b;
    if (const auto* d = std::get_if<double>(&r[6])) e.duration_ms = *d;
    e.error = Text(r[7]);
    out.push_back(std::move(e));
  }
  return out;
}

Status AccessControl::PruneAuditLog(WallTime before) {
  return store_.Execute("DELETE FROM audit_log WHERE at_us < ?", {ToUnixMicros(before)});
}

}  // namespace coral::colony
