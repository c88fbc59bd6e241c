// Tokens a process hands out, in one table with one lifecycle: join tokens
// (an agent enrolls with one) and API tokens (people, assistants and scripts
// call with one). Only the SHA-256 of a token's secret is stored; the secret is
// shown once, when the token is made. A token is usable until it expires, is
// used up (join tokens may allow a number of uses) or is revoked.
//
// API tokens read `coralapi1_<id>_<secret>`: the id names the token in lists,
// revocation and the audit log. A join token's secret travels inside the join
// token that mesh/join_token.h encodes.
//
// The table (`tokens`, see TokensTableSql) lives in the process's control
// store (DuckDB); the store's migrations must have created it.
//
// Thread-safety: every method is safe from any thread (mu_ guards the maps).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/role.h"
#include "auth/scope.h"
#include "base/clock.h"
#include "base/status.h"
#include "storage/store.h"

namespace coral::auth {

enum class TokenKind { kJoin, kApi };
std::string_view TokenKindName(TokenKind kind);  // "join" | "api"

enum class TokenState { kUsable, kExpired, kUsedUp, kRevoked };
std::string_view TokenStateName(TokenState state);  // usable | expired | used-up | revoked

struct TokenRecord {
  std::string id;
  TokenKind kind = TokenKind::kApi;
  std::string name;
  Role role = Role::kViewer;  // API tokens
  Scope scope;                // API tokens; everything when empty
  WallTime created_at{};
  std::optional<WallTime> expires_at;
  int64_t uses_allowed = 0;  // 0: unlimited
  int64_t uses = 0;
  std::optional<WallTime> revoked_at;
};
TokenState StateOf(const TokenRecord& token, WallTime now);

struct TokenSpec {
  TokenKind kind = TokenKind::kApi;
  std::string name;
  Role role = Role::kViewer;
  Scope scope;
  std::chrono::seconds ttl{0};  // 0: never expires
  int64_t uses = 0;             // 0: unlimited
};

// The CREATE TABLE of the tokens table. Part of released migrations: never
// change it, add a migration.
std::string_view TokensTableSql();

class TokenStore {
 public:
  static Result<std::unique_ptr<TokenStore>> Open(storage::Store& store,
                                                  const Clock& clock = SystemClock::Get());

  struct NewToken {
    TokenRecord record;
    std::string secret;  // shown once
    // What the caller hands out: coralapi1_<id>_<secret> for API tokens; the
    // bare secret for join tokens (the colony wraps it in a join token).
    std::string text;
  };
  Result<NewToken> Create(const TokenSpec& spec);
  // Oldest first.
  std::vector<TokenRecord> List(TokenKind kind);
  // Revoking twice is fine; NotFound when no token of that kind has the id.
  Result<TokenRecord> Revoke(TokenKind kind, const std::string& id);

  // The usable token this text stands for: an API token's whole text, or a
  // join token's secret. Unauthenticated saying why not (unknown, expired,
  // used up, revoked) otherwise.
  Result<TokenRecord> Check(TokenKind kind, std::string_view text);

  // The token of that id when it is usable now; Unauthenticated saying why not.
  Result<TokenRecord> Usable(TokenKind kind, const std::string& id);

  // Counts a use of token `id` through `tx`, a transaction of the caller's
  // that writes what the use is for (an enrollment); call Used(id) once it
  // landed. Callers serialize uses of one token themselves.
  Status CountUse(storage::Store& tx, const std::string& id);
  void Used(const std::string& id);

  const Clock& clock() const { return clock_; }

 private:
  TokenStore(storage::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  Status Load();
  Result<TokenRecord> UsableLocked(const TokenRecord& token);

  storage::Store& store_;
  const Clock& clock_;
  std::mutex mu_;                               // guards tokens_, by_hash_
  std::map<std::string, TokenRecord> tokens_;   // by id
  std::map<std::string, std::string> by_hash_;  // secret hash -> id
};

}  // namespace coral::auth
