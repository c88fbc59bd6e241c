#include "auth/policy.h"

namespace coral::auth {

std::string_view CallerKindName(CallerKind kind) {
  switch (kind) {
    case CallerKind::kLocalOperator:
      return "local operator";
    case CallerKind::kApiToken:
      return "API token";
    case CallerKind::kAgent:
      return "agent";
    case CallerKind::kEnrollee:
      return "enrollee";
    case CallerKind::kColony:
      return "colony";
  }
  return "?";
}

std::optional<Role> Caller::RoleOver(const Scope& target) const {
  std::optional<Role> best;
  for (const Grant& g : grants) {
    if (g.scope.Covers(target) && (!best || g.role > *best)) best = g.role;
  }
  return best;
}

Policy& Policy::Allow(std::string action, Role least) {
  rules_[std::move(action)].least = least;
  return *this;
}

Policy& Policy::AllowKind(std::string action, CallerKind kind, Record record) {
  rules_[std::move(action)].kinds[kind] = record;
  return *this;
}

bool Policy::Recorded(const Caller& caller, std::string_view action) const {
  auto it = rules_.find(action);
  if (it == rules_.end()) return true;
  auto kind = it->second.kinds.find(caller.kind);
  return kind == it->second.kinds.end() || kind->second == Record::kAlways;
}

std::optional<Role> Policy::LeastRole(std::string_view action) const {
  auto it = rules_.find(action);
  return it == rules_.end() ? std::nullopt : it->second.least;
}

Status Policy::Authorize(const Caller& caller, std::string_view action, const Scope& target) const {
  auto it = rules_.find(action);
  const Rule* rule = it == rules_.end() ? nullptr : &it->second;
  if (rule != nullptr && rule->kinds.contains(caller.kind)) return Status::Ok();
  if (caller.grants.empty()) {
    return PermissionDenied(caller.who + " may not " + std::string(action));
  }
  std::optional<Role> role = caller.RoleOver(target);
  if (!role) {
    std::string scopes;
    for (const Grant& g : caller.grants)
      scopes += (scopes.empty() ? "" : "; ") + g.scope.ToString();
    return PermissionDenied(caller.who + " is limited to " + scopes + ", which does not cover " +
                            target.ToString());
  }
  // Reserved to a kind of caller (an agent's heartbeat): not even admins.
  bool reserved = rule != nullptr && !rule->least && !rule->kinds.empty();
  if (*role == Role::kAdmin && !reserved) return Status::Ok();
  if (rule != nullptr && rule->least && *role >= *rule->least) return Status::Ok();
  if (reserved) {
    std::string kinds;
    for (const auto& [k, record] : rule->kinds)
      kinds += (kinds.empty() ? "" : " or ") + std::string(CallerKindName(k));
    return PermissionDenied(std::string(action) + " is for " + kinds + " callers only");
  }
  Role needs = rule != nullptr && rule->least ? *rule->least : Role::kAdmin;
  return PermissionDenied(caller.who + " has role " + std::string(RoleName(*role)) + "; " +
                          std::string(action) + " needs " + std::string(RoleName(needs)));
}

}  // namespace coral::auth
