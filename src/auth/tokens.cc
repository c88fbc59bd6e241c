#include "auth/tokens.h"

#include <algorithm>

#include "base/ids.h"
#include "crypto/digest.h"

namespace coral::auth {

namespace {

using storage::Value;

constexpr std::string_view kApiTokenPrefix = "coralapi1_";
constexpr std::string_view kApiIdPrefix = "api-";

using storage::IntOr;
using storage::TextOr;

// Times are BIGINT microseconds; NULL is "never".
Value MicrosOr(const std::optional<WallTime>& t) { return t ? Value{ToUnixMicros(*t)} : Value{}; }
std::optional<WallTime> TimeOr(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return FromUnixMicros(*i);
  return std::nullopt;
}

std::string HashSecret(std::string_view secret) { return crypto::Sha256Hex(secret); }

}  // namespace

std::string_view TokenKindName(TokenKind kind) { return kind == TokenKind::kJoin ? "join" : "api"; }

std::string_view TokenStateName(TokenState state) {
  switch (state) {
    case TokenState::kUsable:
      return "usable";
    case TokenState::kExpired:
      return "expired";
    case TokenState::kUsedUp:
      return "used-up";
    case TokenState::kRevoked:
      return "revoked";
  }
  return "?";
}

TokenState StateOf(const TokenRecord& token, WallTime now) {
  if (token.revoked_at) return TokenState::kRevoked;
  if (token.expires_at && now >= *token.expires_at) return TokenState::kExpired;
  if (token.uses_allowed > 0 && token.uses >= token.uses_allowed) return TokenState::kUsedUp;
  return TokenState::kUsable;
}

std::string_view TokensTableSql() {
  return R"sql(
CREATE TABLE tokens (
  id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, name VARCHAR, role VARCHAR, scope VARCHAR,
  secret_hash VARCHAR NOT NULL, created_at_us BIGINT NOT NULL, expires_at_us BIGINT,
  uses_allowed BIGINT NOT NULL, uses BIGINT NOT NULL, revoked_at_us BIGINT);
)sql";
}

Result<std::unique_ptr<TokenStore>> TokenStore::Open(storage::Store& store, const Clock& clock) {
  std::unique_ptr<TokenStore> tokens(new TokenStore(store, clock));
  CORAL_TRY(tokens->Load());
  return tokens;
}

Status TokenStore::Load() {
  auto rows = CORAL_TRY(
      store_.Query("SELECT id, kind, name, role, scope, secret_hash, created_at_us, expires_at_us, "
                   "uses_allowed, uses, revoked_at_us FROM tokens"));
  std::lock_guard lock(mu_);
  for (const auto& r : rows.rows) {
    TokenRecord t{.id = TextOr(r[0]),
                  .kind = TextOr(r[1]) == "join" ? TokenKind::kJoin : TokenKind::kApi,
                  .name = TextOr(r[2]),
                  .created_at = TimeOr(r[6]).value_or(WallTime{}),
                  .expires_at = TimeOr(r[7]),
                  .uses_allowed = IntOr(r[8]),
                  .uses = IntOr(r[9]),
                  .revoked_at = TimeOr(r[10])};
    if (t.kind == TokenKind::kApi) {
      auto role = ParseRole(TextOr(r[3]));
      if (!role.ok()) return role.status().WithContext("token " + t.id);
      auto scope = ParseScope(TextOr(r[4]));
      if (!scope.ok()) return scope.status().WithContext("token " + t.id);
      t.role = *role;
      t.scope = std::move(*scope);
    }
    by_hash_[TextOr(r[5])] = t.id;
    tokens_[t.id] = std::move(t);
  }
  return Status::Ok();
}

Result<TokenStore::NewToken> TokenStore::Create(const TokenSpec& spec) {
  if (spec.ttl.count() < 0) return InvalidArgument("--ttl must not be negative");
  if (spec.uses < 0) return InvalidArgument("--uses must not be negative");
  if (spec.name.size() > 200) return InvalidArgument("a token name is at most 200 bytes");
  bool api = spec.kind == TokenKind::kApi;
  NewToken out;
  out.record = {.id = api ? std::string(kApiIdPrefix) + RandomHex(4) : RandomHex(6),
                .kind = spec.kind,
                .name = spec.name,
                .role = spec.role,
                .scope = api ? spec.scope : Scope{},
                .created_at = clock_.Now(),
                .uses_allowed = api ? 0 : spec.uses};
  if (spec.ttl.count() > 0) out.record.expires_at = out.record.created_at + spec.ttl;
  out.secret = RandomHex(32);
  out.text = api ? std::string(kApiTokenPrefix) + out.record.id + "_" + out.secret : out.secret;
  std::string hash = HashSecret(out.secret);
  const TokenRecord& t = out.record;
  std::lock_guard lock(mu_);
  CORAL_TRY(
      store_.Execute("INSERT INTO tokens (id, kind, name, role, scope, secret_hash, created_at_us, "
                     "expires_at_us, uses_allowed, uses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                     {t.id, std::string(TokenKindName(t.kind)), t.name,
                      api ? Value{std::string(RoleName(t.role))} : Value{},
                      api ? Value{t.scope.ToString()} : Value{}, hash, ToUnixMicros(t.created_at),
                      MicrosOr(t.expires_at), t.uses_allowed}));
  tokens_[t.id] = t;
  by_hash_[hash] = t.id;
  return out;
}

std::vector<TokenRecord> TokenStore::List(TokenKind kind) {
  std::lock_guard lock(mu_);
  std::vector<TokenRecord> out;
  for (const auto& [id, t] : tokens_) {
    if (t.kind == kind) out.push_back(t);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
  return out;
}

Result<TokenRecord> TokenStore::Revoke(TokenKind kind, const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end() || it->second.kind != kind) {
    return NotFound("no " + std::string(kind == TokenKind::kApi ? "API" : "join") +
                    " token with id '" + id.substr(0, 80) + "'; see 'coral colony token list'");
  }
  if (it->second.revoked_at) return it->second;
  WallTime now = clock_.Now();
  CORAL_TRY(
      store_.Execute("UPDATE tokens SET revoked_at_us = ? WHERE id = ?", {ToUnixMicros(now), id}));
  it->second.revoked_at = now;
  return it->second;
}

Result<TokenRecord> TokenStore::Check(TokenKind kind, std::string_view text) {
  std::string_view secret = text;
  std::string_view claimed_id;
  if (kind == TokenKind::kApi) {
    if (text.substr(0, kApiTokenPrefix.size()) != kApiTokenPrefix) {
      return Unauthenticated("not a Coral API token (they start with " +
                             std::string(kApiTokenPrefix) +
                             "; 'coral colony token create --role viewer' makes one)");
    }
    std::string_view rest = text.substr(kApiTokenPrefix.size());
    size_t cut = rest.rfind('_');
    if (cut == std::string_view::npos) return Unauthenticated("malformed API token");
    claimed_id = rest.substr(0, cut);
    secret = rest.substr(cut + 1);
  }
  std::string hash = HashSecret(secret);
  std::lock_guard lock(mu_);
  // Looked up by the secret's hash: timing tells nothing about the secret.
  auto by = by_hash_.find(hash);
  auto it = by == by_hash_.end() ? tokens_.end() : tokens_.find(by->second);
  if (it == tokens_.end() || it->second.kind != kind ||
      (kind == TokenKind::kApi && it->second.id != claimed_id)) {
    return Unauthenticated(
        kind == TokenKind::kApi
            ? "unknown API token"
            : "the join token is not one this colony issued (mistyped, or from another colony); "
              "create one with 'coral colony token create'");
  }
  return UsableLocked(it->second);
}

Result<TokenRecord> TokenStore::Usable(TokenKind kind, const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end() || it->second.kind != kind) {
    return Unauthenticated("no " + std::string(TokenKindName(kind)) + " token " + id.substr(0, 80));
  }
  return UsableLocked(it->second);
}

Result<TokenRecord> TokenStore::UsableLocked(const TokenRecord& t) {
  std::string noun = t.kind == TokenKind::kApi ? "API token" : "join token";
  switch (StateOf(t, clock_.Now())) {
    case TokenState::kRevoked:
      return Unauthenticated(noun + " " + t.id + " was revoked at " + FormatRfc3339(*t.revoked_at));
    case TokenState::kExpired:
      return Unauthenticated(noun + " " + t.id + " expired at " + FormatRfc3339(*t.expires_at) +
                             "; create a new one with 'coral colony token create'");
    case TokenState::kUsedUp:
      return Unauthenticated(noun + " " + t.id + " is used up (" + std::to_string(t.uses) + " of " +
                             std::to_string(t.uses_allowed) + " uses)");
    case TokenState::kUsable:
      break;
  }
  return t;
}

Status TokenStore::CountUse(storage::Store& tx, const std::string& id) {
  return tx.Execute("UPDATE tokens SET uses = uses + 1 WHERE id = ?", {id});
}

void TokenStore::Used(const std::string& id) {
  std::lock_guard lock(mu_);
  if (auto it = tokens_.find(id); it != tokens_.end()) ++it->second.uses;
}

}  // namespace coral::auth
