#include "auth/local_secrets.h"

#include "base/files.h"
#include "crypto/digest.h"

namespace coral::auth {

Result<std::string> ReadColonySecret(const config::Home& home, std::string_view colony_id) {
  auto path = home.colony_dir(colony_id) / "colony.secret";
  auto text = ReadFile(path);
  if (!text.ok()) {
    return text.status().WithContext("read the colony secret (" + path.string() +
                                     "; only the colony's owner may)");
  }
  std::string secret = *text;
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == ' ')) secret.pop_back();
  if (secret.size() < 32) return Corruption(path.string() + " holds no usable secret");
  return secret;
}

std::string SameHostSecret(std::string_view colony_secret) {
  return crypto::HmacSha256Hex(colony_secret, "coral same-host enrollment v1");
}

std::string LocalApiToken(std::string_view colony_secret) {
  return crypto::HmacSha256Hex(colony_secret, "coral local operator api v1");
}

}  // namespace coral::auth
