// Template definitions for config/fields.h.
#pragma once

#include "base/files.h"

namespace coral::config {

template <typename C>
Result<C> LoadConfig(const std::filesystem::path& path, const std::string& env_prefix,
                     bool must_exist, Overrides overrides) {
  C config{};
  YAML::Node root(YAML::NodeType::Map);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::string text = CORAL_TRY(ReadFile(path));
    root = CORAL_TRY(ParseYaml(text, path.string()));
  } else if (must_exist) {
    return NotFound(path.string() + " does not exist");
  }
  FieldReader reader(root, path.string(), env_prefix, overrides);
  C::Visit(config, reader);
  CORAL_TRY(reader.Finish());
  if constexpr (requires { config.Validate(); }) {
    if (Status s = config.Validate(); !s.ok()) return s.WithContext(path.string());
  }
  return config;
}

template <typename C>
Status SaveConfig(const std::filesystem::path& path, C config, const std::string& header) {
  FieldWriter writer;
  C::Visit(config, writer);
  return WriteFileAtomic(path, writer.Emit(header), FileMode::kPublic);
}

}  // namespace coral::config
