// One front door for every way into a Coral process: gRPC, MCP, REST and
// enrollment all turn what the caller presents into Credentials (see
// credentials.h), then
//   Authenticate  credentials -> Caller, by the first verifier that
//                 recognizes them (the local operator's token, API tokens, a
//                 certificate, a join token; the reef adds JWTs)
//   Authorize     the policy (policy.h) over the caller's grants, for the
//                 action and the scope it touches (by default the process's own)
//   audit         every refusal at once; every call let in once it is answered
//                 (Finish), with its arguments, answer size and time.
//
// Thread-safety: safe from any thread once built; verifiers must be too.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit.h"
#include "auth/caller.h"
#include "auth/credentials.h"
#include "auth/policy.h"
#include "auth/tokens.h"
#include "base/clock.h"
#include "base/status.h"

namespace coral::auth {

// Recognizes one kind of credential: nullopt when the credentials are not of
// its kind (the next verifier gets them), else the caller or why not.
using Verifier = std::function<std::optional<Result<Caller>>(const Credentials&)>;

// The bearer token the process derives for the operator on its own host: an
// admin over everything.
Verifier LocalTokenVerifier(std::string token);
// coralapi1_ bearer tokens: the token's role over its scope.
Verifier ApiTokenVerifier(TokenStore& tokens);
// A join secret: a usable join token (the caller's id is the token's id), or
// the same-host secret (id "same-host") when one is given.
Verifier JoinTokenVerifier(TokenStore& tokens, std::string same_host_secret);

struct FrontDoorOptions {
  Scope resource;  // what this process guards: the colony's id, app and env
  std::vector<Verifier> verifiers;
  const Policy* policy = nullptr;  // must outlive the door
  AuditLog* audit = nullptr;       // none: nothing is recorded
  const Clock* clock = nullptr;    // SystemClock when null
  // Said when a call carries no credentials at all: what to present.
  std::string missing_hint = "an API token ('coral colony token create --role viewer')";
};

class FrontDoor {
 public:
  explicit FrontDoor(FrontDoorOptions options);

  // A call let in: who, and its audit entry to finish.
  struct Pass {
    Caller caller;
    AuditEntry entry;
    MonoTime started{};
  };

  // The caller the credentials stand for; a failure is audited under `action`.
  Result<Caller> Authenticate(const Credentials& credentials, std::string_view action);
  // Whether `caller` may take `action` on `target` (the door's resource when
  // unset); a refusal is audited with the arguments.
  Result<Pass> Authorize(const Caller& caller, std::string_view action, std::string arguments,
                         const std::optional<Scope>& target = std::nullopt);
  // Authenticate, then Authorize.
  Result<Pass> Admit(const Credentials& credentials, std::string_view action,
                     std::string arguments = "");
  // Records a refusal that is not the policy's (a session used with another
  // caller's credential).
  void Refuse(const Caller& caller, std::string_view action, std::string arguments,
              std::string_view why);
  // Records a call let in, once answered: its answer's size, and the error it
  // ended with (empty when it went well).
  void Finish(const Pass& pass, int64_t result_bytes, std::string_view error = "");

  const Scope& resource() const { return options_.resource; }
  const Policy& policy() const { return *options_.policy; }
  const Clock& clock() const { return *options_.clock; }

 private:
  FrontDoorOptions options_;
};

}  // namespace coral::auth
