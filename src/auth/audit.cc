#include "auth/audit.h"

#include "base/log.h"

namespace coral::auth {

std::string_view AuditTableSql() {
  return R"sql(
CREATE TABLE audit_log (
  at_us BIGINT NOT NULL, who VARCHAR NOT NULL, action VARCHAR NOT NULL, arguments VARCHAR,
  allowed BIGINT NOT NULL, result_bytes BIGINT, duration_ms DOUBLE, error VARCHAR);
)sql";
}

void AuditLog::Record(const AuditEntry& e) {
  std::string args = e.arguments.size() > kMaxAuditArguments
                         ? e.arguments.substr(0, kMaxAuditArguments) + "...(cut)"
                         : e.arguments;
  Status s = store_.Execute(
      "INSERT INTO audit_log (at_us, who, action, arguments, allowed, result_bytes, duration_ms, "
      "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {ToUnixMicros(e.at), e.who, e.action, args, int64_t{e.allowed ? 1 : 0}, e.result_bytes,
       e.duration_ms, e.error});
  if (!s.ok()) CORAL_LOG_WARN("audit log: {}", s.message());
}

Result<std::vector<AuditEntry>> AuditLog::List(const AuditQuery& q) {
  if (q.limit < 1 || q.limit > 10'000) return InvalidArgument("the audit limit must be 1..10000");
  if (q.who.size() > 256 || q.action.size() > 256) {
    return InvalidArgument("audit filters are at most 256 characters");
  }
  // strpos: a plain substring, with no LIKE wildcards to escape.
  auto rows = CORAL_TRY(store_.Query(
      "SELECT at_us, who, action, arguments, allowed, result_bytes, duration_ms, error FROM "
      "audit_log WHERE at_us >= ? AND (? = '' OR strpos(who, ?) > 0) AND "
      "(? = '' OR strpos(action, ?) > 0) ORDER BY at_us DESC LIMIT ?",
      {q.since ? ToUnixMicros(*q.since) : int64_t{0}, q.who, q.who, q.action, q.action,
       int64_t{q.limit}}));
  std::vector<AuditEntry> out;
  for (const auto& r : rows.rows) {
    AuditEntry e;
    if (const auto* at = std::get_if<int64_t>(&r[0])) e.at = FromUnixMicros(*at);
    if (const auto* s = std::get_if<std::string>(&r[1])) e.who = *s;
    if (const auto* s = std::get_if<std::string>(&r[2])) e.action = *s;
    if (const auto* s = std::get_if<std::string>(&r[3])) e.arguments = *s;
    e.allowed = std::get_if<int64_t>(&r[4]) && std::get<int64_t>(r[4]) != 0;
    if (const auto* b = std::get_if<int64_t>(&r[5])) e.result_bytes = *b;
    if (const auto* d = std::get_if<double>(&r[6])) e.duration_ms = *d;
    if (const auto* s = std::get_if<std::string>(&r[7])) e.error = *s;
    out.push_back(std::move(e));
  }
  return out;
}

Status AuditLog::Prune(WallTime before) {
  return store_.Execute("DELETE FROM audit_log WHERE at_us < ?", {ToUnixMicros(before)});
}

}  // namespace coral::auth
