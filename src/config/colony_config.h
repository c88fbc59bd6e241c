// colonies/<id>/colony.yaml: one colony's identity, mesh and listeners.
// Secrets live beside it in their own 0600 files (wireguard.key, ca.key,
// colony.secret), never in this file.
#pragma once

#include <string>
#include <vector>

#include "config/fields.h"

namespace coral::config {

inline constexpr int kColonyWireGuardPort = 41580;
inline constexpr int kColonyGrpcPort = 9000;
inline constexpr int kColonyPublicPort = 8443;

struct ColonyConfig {
  std::string id;
  std::string app;
  std::string env;
  std::string created_at;  // RFC 3339
  std::string mesh_cidr;   // "100.97.0.0/16"
  std::string mesh_ip;     // the colony's own address, .1 of the range
  int wireguard_port = kColonyWireGuardPort;
  std::string wireguard_public_key;  // base64; the private key is in wireguard.key
  int grpc_port = kColonyGrpcPort;
  int public_port = kColonyPublicPort;
  std::vector<std::string> public_endpoints;  // host:port agents use to enroll
  std::string ca_fingerprint;                 // sha256:<hex> of ca.crt
  std::string storage_url;                    // duckdb:///abs/path or clickhouse://host:8123/db
  Duration poll_interval = std::chrono::seconds(15);     // how often agents are pulled
  int poll_concurrency = 4;                              // agents pulled at once
  Duration summary_interval = std::chrono::seconds(10);  // how often summaries catch up
  Duration raw_retention = std::chrono::hours(24);       // agent rows in the colony store
  Duration summary_retention = std::chrono::hours(24 * 30);
  Duration audit_retention = std::chrono::hours(24 * 90);  // the audit log of API and MCP calls

  template <typename V>
  static void Visit(ColonyConfig& c, V& v) {
    v.String("id", c.id, Env::kNone, NonEmpty);
    v.String("app", c.app, Env::kNone, NonEmpty);
    v.String("env", c.env, Env::kNone, NonEmpty);
    v.String("created_at", c.created_at, Env::kNone);
    v.String("mesh.cidr", c.mesh_cidr, Env::kNone, NonEmpty);
    v.String("mesh.ip", c.mesh_ip, Env::kNone, NonEmpty);
    v.Int("wireguard.port", c.wireguard_port, Env::kAllow, 1, 65535);
    v.String("wireguard.public_key", c.wireguard_public_key, Env::kNone, NonEmpty);
    v.Int("api.grpc_port", c.grpc_port, Env::kAllow, 1, 65535);
    v.Int("public.port", c.public_port, Env::kAllow, 1, 65535);
    v.StringList("public.endpoints", c.public_endpoints, Env::kAllow);
    v.String("ca.fingerprint", c.ca_fingerprint, Env::kNone, NonEmpty);
    v.String("storage.url", c.storage_url, Env::kAllow, NonEmpty);
    v.Dur("poller.interval", c.poll_interval, Env::kAllow, std::chrono::milliseconds(200));
    v.Int("poller.concurrency", c.poll_concurrency, Env::kAllow, 1, 64);
    v.Dur("summaries.interval", c.summary_interval, Env::kAllow, std::chrono::milliseconds(200));
    v.Dur("retention.raw", c.raw_retention, Env::kAllow, std::chrono::minutes(10));
    v.Dur("retention.summaries", c.summary_retention, Env::kAllow, std::chrono::hours(1));
    v.Dur("retention.audit", c.audit_retention, Env::kAllow, std::chrono::hours(1));
  }
  Status Validate() const;
};

inline constexpr char kColonyEnvPrefix[] = "COLONY_";

}  // namespace coral::config
