// What a grant covers: every colony (no field set), or the colonies matching
// every field that is set. "env=staging" covers every staging colony of every
// app; "app=shop,env=prod" the shop's production colonies; "colony=shop-prod-
// 3fa2c1" one colony. A colony checks a caller against its own id, app and env;
// a reef checks each colony it answers about.
//
// Text form: "*" (everything), or comma-separated key=value pairs with keys
// colony, app and env, each at most once.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace coral::auth {

struct Scope {
  std::string colony;
  std::string app;
  std::string env;

  bool everything() const { return colony.empty() && app.empty() && env.empty(); }
  // Whether this scope covers `target` (a colony's own id, app and env).
  bool Covers(const Scope& target) const;
  // "*" or "colony=..,app=..,env=.." with the fields that are set.
  std::string ToString() const;

  bool operator==(const Scope&) const = default;
};

// Parses the text form above; "" reads as "*". InvalidArgument naming the
// bad part otherwise.
Result<Scope> ParseScope(std::string_view text);

}  // namespace coral::auth
