// Answers as JSON, written once: the MCP tools' structuredContent, the REST
// API's bodies and the CLI's -o json/yaml/csv are all these, so one question
// gives the same answer through every door.
//
// Conventions: times are microseconds since the epoch in keys ending _us, or
// RFC 3339 text in keys that do not (status and agent records, as the CLI has
// always printed them); durations are milliseconds in keys ending _ms; absent
// figures are null.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "auth/audit.h"
#include "coral/v1/colony.pb.h"
#include "storage/value.h"

namespace coral::analysis {

using Json = nlohmann::json;

// A value as JSON: numbers stay numbers, a timestamp is its microseconds.
Json ValueJson(const storage::Value& value);

// {"columns": [...], "rows": [{column: value}, ...], "truncated": bool} with
// at most `limit` rows (0: all); truncated also when rows were cut here. A
// repeated column name gets _2, _3, ... so no value is lost in the objects.
Json RowsJson(const storage::RowSet& rows, size_t limit = 0);

// The rows of a gRPC view answer back as a RowSet (the CLI's side).
storage::RowSet RowSetFromProto(
    const google::protobuf::RepeatedPtrField<coral::v1::SqlColumn>& columns,
    const google::protobuf::RepeatedPtrField<coral::v1::Row>& rows, bool truncated);

Json ServiceSummaryJson(const coral::v1::ServiceSummary& service);
Json FindingJson(const coral::v1::Finding& finding);
// {from_us, to_us, backend, services: [...], findings: [...]}
Json SummaryJson(const coral::v1::GetSummaryResponse& summary);

// RFC 3339, or "" for 0 (never).
std::string TimeText(int64_t micros);
Json AgentJson(const coral::v1::AgentInfo& agent);
// The colony itself: id, app, env, pid, mesh, endpoints, agent counts.
Json ColonyJson(const coral::v1::GetStatusResponse& status);
// The colony, its agents and its services' health over the last 15 minutes;
// its findings are the services' and one per agent the colony cannot pull.
Json StatusJson(const coral::v1::GetStatusResponse& status,
                const std::vector<coral::v1::AgentInfo>& agents,
                const coral::v1::GetSummaryResponse& services);

// Audit entries as rows: at_us, who, action, allowed, result_bytes,
// duration_ms, error, arguments.
storage::RowSet AuditRows(const std::vector<auth::AuditEntry>& entries);

}  // namespace coral::analysis
