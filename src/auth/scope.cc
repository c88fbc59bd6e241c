#include "auth/scope.h"

#include "base/ids.h"

namespace coral::auth {

bool Scope::Covers(const Scope& target) const {
  return (colony.empty() || colony == target.colony) && (app.empty() || app == target.app) &&
         (env.empty() || env == target.env);
}

std::string Scope::ToString() const {
  if (everything()) return "*";
  std::string out;
  auto add = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    if (!out.empty()) out += ",";
    out += std::string(key) + "=" + value;
  };
  add("colony", colony);
  add("app", app);
  add("env", env);
  return out;
}

Result<Scope> ParseScope(std::string_view text) {
  Scope out;
  if (text.empty() || text == "*") return out;
  if (text.size() > 256) return InvalidArgument("a scope is at most 256 characters");
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    std::string* field = key == "colony" ? &out.colony
                         : key == "app"  ? &out.app
                         : key == "env"  ? &out.env
                                         : nullptr;
    if (field == nullptr || value.empty()) {
      return InvalidArgument("scope part '" + std::string(part.substr(0, 60)) +
                             "' is not colony=ID, app=NAME or env=NAME");
    }
    if (!field->empty()) return InvalidArgument("scope names " + std::string(key) + " twice");
    if (key == "colony") {
      // Colony ids are app-env-hex: the same characters as names, longer.
      for (char c : value) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') || value.size() > 64) {
          return InvalidArgument("scope colony '" + std::string(value.substr(0, 60)) +
                                 "' is not a colony id");
        }
      }
    } else {
      CORAL_TRY(ValidateName("scope " + std::string(key), value));
    }
    *field = std::string(value);
  }
  return out;
}

}  // namespace coral::auth
