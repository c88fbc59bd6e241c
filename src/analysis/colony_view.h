// What the read side sees of one colony: its telemetry store and clock, and
// what only the colony process knows (its status, its agents, its audit
// log). The colony implements it over its registry; tests implement it over a
// store and a fake clock; a reef will implement it per colony it federates.
//
// Thread-safety: implementations must be safe to call from many threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit.h"
#include "base/clock.h"
#include "base/status.h"
#include "coral/v1/colony.pb.h"
#include "storage/store.h"

namespace coral::analysis {

class ColonyView {
 public:
  virtual ~ColonyView() = default;
  virtual storage::Store& telemetry() = 0;
  virtual const Clock& clock() const = 0;
  virtual coral::v1::GetStatusResponse Status() = 0;
  virtual std::vector<coral::v1::AgentInfo> Agents() = 0;
  // FailedPrecondition when the colony keeps none.
  virtual Result<std::vector<auth::AuditEntry>> Audit(const auth::AuditQuery& query) = 0;

  // Agent id -> hostname, for answers that name hosts.
  std::map<std::string, std::string> HostNames();
};

}  // namespace coral::analysis
