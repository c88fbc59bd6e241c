// Answers from the summaries (see summarizer.h): service health with
// findings, the service topology, and hosts, each over a window ending now.
//
// Findings, each with the evidence behind it (thresholds are here so that
// what the CLI and the AI tools say can be checked against them):
//   failing_health_check  critical  the service's latest health event says
//                                   unhealthy (its reason and since when)
//   error_spike           warning*  >= 5 errors and >= 5% of requests, and
//                                   at least twice the previous window's rate
//   error_rate            warning*  the same rate, but no rise (it was as bad)
//                                   (* critical from 20%)
//   latency_regression    warning   p95 >= 1.5x the previous window's and at
//                                   least 50 ms more, >= 20 requests in both
//   slow_service          warning   p95 >= the slow threshold (default 500 ms)
//   slow_dependency       info      a slow service spending >= 50% of its
//                                   time in calls to another slow service:
//                                   the time is the callee's, look there
//   saturated_host        warning   CPU (average) or memory or the fullest
//                                   disk >= 90% over the window
// Evidence for slow and failing services names their slowest or failing
// operations from the raw spans while raw retention still holds them.
//
// Thread-safety: stateless functions; the store is thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "coral/v1/colony.pb.h"
#include "storage/store.h"

namespace coral::analysis {

struct SummaryRequest {
  std::string service;  // empty: all
  std::chrono::milliseconds since = std::chrono::hours(1);
  double slow_ms = 500;
  std::map<std::string, std::string> host_names;  // agent id -> hostname, for hosts
};

Result<coral::v1::GetSummaryResponse> Summarize(storage::Store& store,
                                                const SummaryRequest& request, WallTime now);

// source, target, via (span | tcp), calls, errors, avg_ms, max_ms; for tcp,
// calls counts connections seen per minute, summed.
Result<storage::RowSet> Topology(storage::Store& store, std::chrono::milliseconds since,
                                 WallTime now);

// One row per service across the colony: service, status (as Summarize says),
// requests_per_s, error_pct, p95_ms, health, hosts (hostnames, else agent
// ids, where agents saw it listen), ports, source (how agents named it),
// last_seen_us. A service appears when agents saw it listen within the window
// or when it served spans in it; request.service narrows to one.
Result<storage::RowSet> Services(storage::Store& store, const SummaryRequest& request,
                                 WallTime now);

// One row per agent: agent_id, hostname, last_minute_us, cpu_percent (avg),
// cpu_max_percent, mem_used_percent (avg), disk_used_percent (max), load_1m,
// disk and network bytes per second (avg).
Result<storage::RowSet> Hosts(storage::Store& store, std::chrono::milliseconds since, WallTime now,
                              const std::map<std::string, std::string>& names);

}  // namespace coral::analysis
