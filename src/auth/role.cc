#include "auth/role.h"

#include <string>

namespace coral::auth {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (RoleName(r) == name) return r;
  }
  return InvalidArgument("role '" + std::string(name.substr(0, 40)) +
                         "' is not viewer, operator or admin");
}

}  // namespace coral::auth
