// Join tokens: what `coral colony token create` prints and `coral agent start
// --join` reads. One copy-pasteable word, "coraljoin1_" + base64url (no
// padding) of a small JSON object, carrying the colony id, its public HTTPS
// endpoint(s), the CA fingerprint the agent pins when it enrolls, a short
// public token id and the secret. The colony stores only HashSecret(secret).
//
// Thread-safety: plain values and stateless functions. A JoinToken wipes its
// secret when it goes away; never log one (log token_id instead).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace coral::mesh {

inline constexpr std::string_view kJoinTokenPrefix = "coraljoin1_";

struct JoinToken {
  std::string colony_id;
  std::vector<std::string> endpoints;  // public HTTPS endpoint(s), "host:port"
  std::string ca_fingerprint;          // "sha256:<64 lowercase hex>"
  std::string token_id;                // short public id (hex), what `token list/revoke` show
  std::string secret;                  // 32 random bytes as 64 lowercase hex
  ~JoinToken();
};

// A token with a fresh random token_id (12 hex) and secret.
JoinToken NewJoinToken(std::string colony_id, std::vector<std::string> endpoints,
                       std::string ca_fingerprint);

std::string EncodeJoinToken(const JoinToken& token);
// Ignores whitespace anywhere (a token wrapped by a terminal or mail client
// still reads). InvalidArgument, saying which, when the text is not a Coral
// join token, is of another version, is corrupt or truncated, misses a field,
// or carries a malformed fingerprint, endpoint, token id or secret.
Result<JoinToken> ParseJoinToken(std::string_view text);

// Lowercase hex SHA-256 of the secret: what the colony stores.
std::string HashSecret(std::string_view secret);
// Whether HashSecret(secret) equals stored_hash, compared in constant time.
bool SecretMatches(std::string_view secret, std::string_view stored_hash);

}  // namespace coral::mesh
