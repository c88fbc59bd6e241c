// The audit log: every decision a front door makes (allowed or denied), and
// for calls let in, how big the answer was and how long it took. Kept in the
// process's control store (table audit_log, see AuditTableSql).
//
// Thread-safety: every method is safe from any thread (the store is).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "storage/store.h"

namespace coral::auth {

struct AuditEntry {
  WallTime at{};
  std::string who;
  std::string action;
  std::string arguments;  // JSON, cut at kMaxAuditArguments
  bool allowed = false;
  int64_t result_bytes = 0;
  double duration_ms = 0;
  std::string error;  // why it was denied or failed; empty when it went well
};

inline constexpr size_t kMaxAuditArguments = 2048;

// Which entries to read: newest first, at most `limit`.
struct AuditQuery {
  int limit = 100;
  std::optional<WallTime> since;  // at or after
  std::string who;                // only callers whose name contains this
  std::string action;             // only actions containing this
};

// The CREATE TABLE of the audit log. Part of released migrations: never
// change it, add a migration.
std::string_view AuditTableSql();

class AuditLog {
 public:
  explicit AuditLog(storage::Store& store) : store_(store) {}

  // Appends an entry; a failure to write is logged, never thrown, so an audit
  // problem does not turn into a refused call.
  void Record(const AuditEntry& entry);
  Result<std::vector<AuditEntry>> List(const AuditQuery& query);
  // Deletes entries older than `before` (retention).
  Status Prune(WallTime before);

 private:
  storage::Store& store_;
};

}  // namespace coral::auth
