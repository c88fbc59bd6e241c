#include "auth/front_door.h"

#include "crypto/digest.h"

namespace coral::auth {

Verifier LocalTokenVerifier(std::string token) {
  return [token = std::move(token)](const Credentials& c) -> std::optional<Result<Caller>> {
    if (c.bearer.empty() || token.empty() || !crypto::ConstantTimeEquals(c.bearer, token)) {
      return std::nullopt;
    }
    return Caller{.kind = CallerKind::kLocalOperator,
                  .id = "local",
                  .who = "local operator",
                  .grants = {{.role = Role::kAdmin}}};
  };
}

Verifier ApiTokenVerifier(TokenStore& tokens) {
  return [&tokens](const Credentials& c) -> std::optional<Result<Caller>> {
    if (c.bearer.empty()) return std::nullopt;
    auto t = tokens.Check(TokenKind::kApi, c.bearer);
    if (!t.ok()) return Result<Caller>(t.status());
    std::string who = "token " + t->id;
    if (!t->name.empty()) who += " (" + t->name + ")";
    return Caller{.kind = CallerKind::kApiToken,
                  .id = t->id,
                  .who = std::move(who),
                  .grants = {{.role = t->role, .scope = t->scope}}};
  };
}

Verifier JoinTokenVerifier(TokenStore& tokens, std::string same_host_secret) {
  return [&tokens, same_host = std::move(same_host_secret)](
             const Credentials& c) -> std::optional<Result<Caller>> {
    if (c.join_secret.empty()) return std::nullopt;
    if (!same_host.empty() && crypto::ConstantTimeEquals(c.join_secret, same_host)) {
      return Caller{.kind = CallerKind::kEnrollee, .id = "same-host", .who = "same-host agent"};
    }
    auto t = tokens.Check(TokenKind::kJoin, c.join_secret);
    if (!t.ok()) return Result<Caller>(t.status());
    return Caller{.kind = CallerKind::kEnrollee, .id = t->id, .who = "join token " + t->id};
  };
}

FrontDoor::FrontDoor(FrontDoorOptions options) : options_(std::move(options)) {
  CORAL_CHECK(options_.policy != nullptr, "a front door needs a policy");
  if (options_.clock == nullptr) options_.clock = &SystemClock::Get();
}

Result<Caller> FrontDoor::Authenticate(const Credentials& credentials, std::string_view action) {
  std::optional<Result<Caller>> found;
  for (const Verifier& verify : options_.verifiers) {
    found = verify(credentials);
    if (found) break;
  }
  if (!found) {
    bool none = credentials.bearer.empty() && credentials.client_cert_pem.empty() &&
                credentials.join_secret.empty();
    found = Result<Caller>(
        Unauthenticated(none ? "no credentials: present " + options_.missing_hint
                             : "credentials not recognized: present " + options_.missing_hint));
  }
  if (!found->ok() && options_.audit != nullptr) {
    options_.audit->Record({.at = options_.clock->Now(),
                            .who = "unauthenticated (" + credentials.remote + ")",
                            .action = std::string(action),
                            .error = found->status().message()});
  }
  return std::move(*found);
}

Result<FrontDoor::Pass> FrontDoor::Authorize(const Caller& caller, std::string_view action,
                                             std::string arguments,
                                             const std::optional<Scope>& target) {
  Pass pass{.caller = caller,
            .entry = {.at = options_.clock->Now(),
                      .who = caller.who,
                      .action = std::string(action),
                      .arguments = std::move(arguments)},
            .started = options_.clock->Monotonic()};
  Status decision = options_.policy->Authorize(caller, action, target.value_or(options_.resource));
  if (!decision.ok()) {
    pass.entry.error = decision.message();
    if (options_.audit != nullptr) options_.audit->Record(pass.entry);
    return decision;
  }
  pass.entry.allowed = true;
  return pass;
}

Result<FrontDoor::Pass> FrontDoor::Admit(const Credentials& credentials, std::string_view action,
                                         std::string arguments) {
  Caller caller = CORAL_TRY(Authenticate(credentials, action));
  return Authorize(caller, action, std::move(arguments));
}

void FrontDoor::Refuse(const Caller& caller, std::string_view action, std::string arguments,
                       std::string_view why) {
  if (options_.audit == nullptr) return;
  options_.audit->Record({.at = options_.clock->Now(),
                          .who = caller.who,
                          .action = std::string(action),
                          .arguments = std::move(arguments),
                          .error = std::string(why)});
}

void FrontDoor::Finish(const Pass& pass, int64_t result_bytes, std::string_view error) {
  if (options_.audit == nullptr) return;
  if (error.empty() && !options_.policy->Recorded(pass.caller, pass.entry.action)) return;
  AuditEntry done = pass.entry;
  done.result_bytes = result_bytes;
  done.duration_ms =
      std::chrono::duration<double, std::milli>(options_.clock->Monotonic() - pass.started).count();
  done.error = std::string(error);
  options_.audit->Record(done);
}

}  // namespace coral::auth
