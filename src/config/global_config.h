// ~/.coral/config.yaml: settings shared by every command on this machine.
#pragma once

#include <string>

#include "base/ids.h"
#include "config/fields.h"

namespace coral::config {

struct GlobalConfig {
  // The colony commands use when --colony (or CORAL_COLONY) is not given.
  // CORAL_DEFAULT_COLONY overrides the file.
  std::string default_colony;

  template <typename V>
  static void Visit(GlobalConfig& c, V& v) {
    v.String("default_colony", c.default_colony, Env::kAllow, [](const std::string& id) {
      return id.empty() || ParseColonyId(id).ok() ? "" : ParseColonyId(id).status().message();
    });
  }
};

inline constexpr char kGlobalEnvPrefix[] = "";

}  // namespace coral::config
