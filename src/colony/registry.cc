#include "colony/registry.h"

#include <set>

#include "base/ids.h"
#include "base/log.h"
#include "crypto/ca.h"
#include "crypto/digest.h"
#include "mesh/address_pool.h"

namespace coral::colony {

using storage::Timestamp;
using storage::Value;

namespace {

Value TimeValue(WallTime t) { return Timestamp{ToUnixMicros(t)}; }
Value TimeValue(const std::optional<WallTime>& t) {
  return t ? TimeValue(*t) : Value(std::monostate{});
}
std::optional<WallTime> OptionalTime(const Value& v) {
  if (const auto* t = std::get_if<Timestamp>(&v)) return FromUnixMicros(t->micros);
  return std::nullopt;
}
using storage::IntOr;
using storage::TextOr;

}  // namespace

Status ValidateAgentId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64 && id.front() != '-' && id.back() != '-';
  for (char c : id) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (ok) return Status::Ok();
  return InvalidArgument("agent id '" + std::string(id.substr(0, 80)) +
                         "' must be 1 to 64 characters of a-z, 0-9 and '-', not starting or "
                         "ending with '-'");
}

AgentState StateOf(const AgentRecord& agent, WallTime now) {
  if (agent.revoked_at) return AgentState::kRevoked;
  if (!agent.last_seen) return AgentState::kEnrolled;
  auto since = now - *agent.last_seen;
  if (since <= kHealthyWithin) return AgentState::kHealthy;
  if (since <= kDegradedWithin) return AgentState::kDegraded;
  return AgentState::kUnhealthy;
}

std::string_view AgentStateName(AgentState state) {
  switch (state) {
    case AgentState::kEnrolled:
      return "enrolled";
    case AgentState::kHealthy:
      return "healthy";
    case AgentState::kDegraded:
      return "degraded";
    case AgentState::kUnhealthy:
      return "unhealthy";
    case AgentState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

Result<std::unique_ptr<Registry>> Registry::Open(storage::Store& store, mesh::Ipv4Prefix range,
                                                 auth::TokenStore& tokens, const Clock& clock) {
  std::unique_ptr<Registry> r(new Registry(store, range, tokens, clock));
  CORAL_TRY(r->Load());
  return r;
}

Status Registry::Load() {
  auto agents = CORAL_TRY(store_.Query(
      "SELECT agent_id, hostname, version, mesh_ip, wireguard_public_key, cert_fingerprint, "
      "cert_expires_at, enrolled_at, api_port, last_seen, revoked_at FROM agents"));
  std::lock_guard lock(mu_);
  for (const auto& row : agents.rows) {
    AgentRecord a{.agent_id = TextOr(row[0]),
                  .hostname = TextOr(row[1]),
                  .version = TextOr(row[2]),
                  .mesh_ip = TextOr(row[3]),
                  .wireguard_public_key = TextOr(row[4]),
                  .cert_fingerprint = TextOr(row[5]),
                  .cert_expires_at = OptionalTime(row[6]).value_or(WallTime{}),
                  .enrolled_at = OptionalTime(row[7]).value_or(WallTime{}),
                  .api_port = IntOr(row[8]),
                  .last_seen = OptionalTime(row[9]),
                  .revoked_at = OptionalTime(row[10])};
    agents_[a.agent_id] = std::move(a);
  }
  return Status::Ok();
}

Result<std::string> Registry::AddressForLocked(const std::string& agent_id) {
  if (auto it = agents_.find(agent_id); it != agents_.end()) return it->second.mesh_ip;
  std::set<uint32_t> taken;
  for (const auto& [id, a] : agents_) {
    if (auto ip = mesh::ParseIpv4(a.mesh_ip); ip.ok()) taken.insert(*ip);
  }
  uint32_t ip = CORAL_TRY(mesh::NextFreeAddress(range_, taken));
  return mesh::Ipv4ToString(ip);
}

Result<Enrolled> Registry::Enroll(const EnrollClaim& claim, const CertIssuer& issue) {
  CORAL_TRY(ValidateAgentId(claim.agent_id));
  std::lock_guard lock(mu_);
  // The front door checked the token; uses are counted here, serialized by
  // mu_, so a one-use token enrolls one agent.
  std::optional<std::string> token_id;
  if (claim.token_id != "same-host") {
    token_id = CORAL_TRY(tokens_.Usable(auth::TokenKind::kJoin, claim.token_id)).id;
  }
  auto existing = agents_.find(claim.agent_id);
  if (existing != agents_.end() && existing->second.revoked_at) {
    return PermissionDenied("agent " + claim.agent_id + " was revoked by the colony at " +
                            FormatRfc3339(*existing->second.revoked_at) +
                            "; a revoked agent cannot enroll again");
  }
  std::string mesh_ip = CORAL_TRY(AddressForLocked(claim.agent_id));
  std::string cert_pem = CORAL_TRY(issue(mesh_ip));
  auto info = CORAL_TRY(crypto::InspectCertificate(cert_pem));

  WallTime now = clock_.Now();
  Enrolled out;
  out.agent = {.agent_id = claim.agent_id,
               .hostname = claim.hostname,
               .version = claim.version,
               .mesh_ip = mesh_ip,
               .wireguard_public_key = claim.wireguard_public_key,
               .cert_fingerprint = info.fingerprint,
               .cert_expires_at = info.not_after,
               .enrolled_at = now};
  if (existing != agents_.end()) {
    out.agent.api_port = existing->second.api_port;
    out.agent.last_seen = existing->second.last_seen;
    if (existing->second.wireguard_public_key != claim.wireguard_public_key) {
      out.replaced_wireguard_key = existing->second.wireguard_public_key;
    }
  }
  const AgentRecord& a = out.agent;
  CORAL_TRY(store_.Transaction([&](storage::Store& tx) -> Status {
    if (token_id) {
      CORAL_TRY(tokens_.CountUse(tx, *token_id));
    }
    CORAL_TRY(tx.Execute("DELETE FROM agents WHERE agent_id = ?", {a.agent_id}));
    return tx.Execute(
        "INSERT INTO agents (agent_id, hostname, version, mesh_ip, wireguard_public_key, "
        "cert_fingerprint, cert_expires_at, enrolled_at, enrolled_with, api_port, last_seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {a.agent_id, a.hostname, a.version, a.mesh_ip, a.wireguard_public_key, a.cert_fingerprint,
         TimeValue(a.cert_expires_at), TimeValue(a.enrolled_at),
         token_id ? *token_id : std::string("same-host"), a.api_port, TimeValue(a.last_seen)});
  }));
  if (token_id) tokens_.Used(*token_id);
  agents_[a.agent_id] = a;
  return out;
}

Result<AgentRecord> Registry::Authenticate(const std::string& agent_id,
                                           const std::string& cert_fingerprint) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return PermissionDenied("agent " + agent_id + " is not enrolled in this colony");
  }
  const AgentRecord& a = it->second;
  if (a.revoked_at) {
    return PermissionDenied("agent " + agent_id + " was revoked by the colony at " +
                            FormatRfc3339(*a.revoked_at));
  }
  if (!crypto::ConstantTimeEquals(a.cert_fingerprint, cert_fingerprint)) {
    return PermissionDenied("agent " + agent_id +
                            " presented a certificate that a later enrollment replaced");
  }
  return a;
}

Status Registry::MarkSeen(const std::string& agent_id, const std::string& hostname,
                          const std::string& version, int64_t api_port) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return NotFound("agent " + agent_id + " is not enrolled");
  WallTime now = clock_.Now();
  CORAL_TRY(
      store_.Execute("UPDATE agents SET hostname = ?, version = ?, api_port = ?, last_seen = ? "
                     "WHERE agent_id = ?",
                     {hostname, version, api_port, TimeValue(now), agent_id}));
  it->second.hostname = hostname;
  it->second.version = version;
  it->second.api_port = api_port;
  it->second.last_seen = now;
  return Status::Ok();
}

Status Registry::MarkSeen(const std::string& agent_id) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return NotFound("agent " + agent_id + " is not enrolled");
  WallTime now = clock_.Now();
  CORAL_TRY(store_.Execute("UPDATE agents SET last_seen = ? WHERE agent_id = ?",
                           {TimeValue(now), agent_id}));
  it->second.last_seen = now;
  return Status::Ok();
}

std::vector<AgentRecord> Registry::Agents() {
  std::lock_guard lock(mu_);
  std::vector<AgentRecord> out;
  for (const auto& [id, a] : agents_) out.push_back(a);
  return out;
}

Result<AgentRecord> Registry::Agent(const std::string& agent_id) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return NotFound("no agent '" + agent_id + "' in this colony; see 'coral colony agents'");
  }
  return it->second;
}

Result<AgentRecord> Registry::RevokeAgent(const std::string& agent_id) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) {
    return NotFound("no agent '" + agent_id + "' in this colony; see 'coral colony agents'");
  }
  if (it->second.revoked_at) return it->second;
  WallTime now = clock_.Now();
  CORAL_TRY(store_.Execute("UPDATE agents SET revoked_at = ? WHERE agent_id = ?",
                           {TimeValue(now), agent_id}));
  it->second.revoked_at = now;
  CORAL_LOG_INFO("colony: agent {} revoked", agent_id);
  return it->second;
}

}  // namespace coral::colony
