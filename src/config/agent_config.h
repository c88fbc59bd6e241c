// agent/agent.yaml: the agent on this host: listeners, local store, intervals.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/fields.h"

namespace coral::config {

struct AgentConfig {
  std::string agent_id;   // stable across restarts; empty until first start
  std::string colony_id;  // the colony it enrolled with
  int grpc_port = 9001;
  std::string otlp_bind = "127.0.0.1";
  int otlp_grpc_port = 4317;
  int otlp_http_port = 4318;
  // Sampling of OTLP spans (see agent/otlp/span_sampler.h): error spans and
  // spans at least this slow are always kept; of the rest, keep_percent are
  // kept, chosen by trace id so a trace is kept or dropped whole.
  bool otlp_keep_errors = true;
  Duration otlp_latency_threshold = std::chrono::milliseconds(500);
  int otlp_keep_percent = 100;
  // OTLP requests being stored at once; more are answered "overloaded, retry
  // later", which bounds the memory the agent spends on ingestion.
  int otlp_max_inflight = 4;
  int wireguard_port = 51820;
  Duration retention = std::chrono::hours(1);
  int store_max_mb = 1024;  // disk cap: the DuckDB file and the span journal
  Duration host_metrics_interval = std::chrono::seconds(15);
  Duration discovery_interval = std::chrono::seconds(10);
  Duration health_interval = std::chrono::seconds(10);
  Duration health_timeout = std::chrono::seconds(2);
  // Regular expressions for secrets in command lines beyond the built-in
  // rules (agent/observers/redact.h): group 1 of a match, or the whole match,
  // is stored as <redacted>.
  std::vector<std::string> redact_patterns;

  template <typename V>
  static void Visit(AgentConfig& c, V& v) {
    v.String("agent_id", c.agent_id, Env::kNone);
    v.String("colony_id", c.colony_id, Env::kNone);
    v.Int("api.grpc_port", c.grpc_port, Env::kAllow, 1, 65535);
    v.String("otlp.bind", c.otlp_bind, Env::kAllow, NonEmpty);
    v.Int("otlp.grpc_port", c.otlp_grpc_port, Env::kAllow, 1, 65535);
    v.Int("otlp.http_port", c.otlp_http_port, Env::kAllow, 1, 65535);
    v.Bool("otlp.sampling.keep_errors", c.otlp_keep_errors, Env::kAllow);
    v.Dur("otlp.sampling.latency_threshold", c.otlp_latency_threshold, Env::kAllow,
          std::chrono::milliseconds(0));
    v.Int("otlp.sampling.keep_percent", c.otlp_keep_percent, Env::kAllow, 0, 100);
    v.Int("otlp.max_inflight_requests", c.otlp_max_inflight, Env::kAllow, 1, 1024);
    v.Int("wireguard.port", c.wireguard_port, Env::kAllow, 1, 65535);
    v.Dur("store.retention", c.retention, Env::kAllow, std::chrono::minutes(1));
    v.Int("store.max_mb", c.store_max_mb, Env::kAllow, 16, 1 << 20);
    v.Dur("host_metrics.interval", c.host_metrics_interval, Env::kAllow, std::chrono::seconds(1));
    v.Dur("discovery.interval", c.discovery_interval, Env::kAllow, std::chrono::milliseconds(200));
    v.Dur("health.interval", c.health_interval, Env::kAllow, std::chrono::milliseconds(200));
    v.Dur("health.timeout", c.health_timeout, Env::kAllow, std::chrono::milliseconds(50));
    v.StringList("redact.patterns", c.redact_patterns, Env::kAllow);
  }
};

inline constexpr char kAgentEnvPrefix[] = "AGENT_";

}  // namespace coral::config
