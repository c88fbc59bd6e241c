#include "config/home.h"

#include <cstdlib>

namespace coral::config {

Result<Home> Home::Resolve(std::string_view flag_value) {
  std::filesystem::path root;
  if (!flag_value.empty()) {
    root = std::string(flag_value);
  } else if (const char* env = std::getenv("CORAL_HOME"); env != nullptr && *env != '\0') {
    root = env;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    root = std::filesystem::path(home) / ".coral";
  } else {
    return InvalidArgument(
        "cannot find the Coral home: HOME is not set; pass --home or set CORAL_HOME");
  }
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(root, ec);
  if (ec) return InvalidArgument("Coral home " + root.string() + ": " + ec.message());
  return Home(abs.lexically_normal());
}

}  // namespace coral::config
