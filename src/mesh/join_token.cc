#include "mesh/join_token.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/ids.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "mesh/endpoint.h"

namespace coral::mesh {
namespace {

constexpr size_t kSecretHexLen = 64;
constexpr size_t kTokenIdBytes = 6;
constexpr std::string_view kFingerprintPrefix = "sha256:";

// Wipes a string holding a secret on every way out of a scope.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { crypto::Wipe(s); }
};

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// base64url (RFC 4648 section 5) without padding, over crypto's base64.
std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = crypto::Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  std::string b64(text);
  for (char& c : b64) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return InvalidArgument(std::string("character '") + c + "' is not base64url");
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (b64.size() % 4 == 1) return InvalidArgument("base64url text has an impossible length");
  b64.append((4 - b64.size() % 4) % 4, '=');
  auto decoded = crypto::Base64Decode(b64);
  crypto::Wipe(b64);
  return decoded;
}

Status ValidateFingerprint(std::string_view fp) {
  if (fp.substr(0, kFingerprintPrefix.size()) != kFingerprintPrefix ||
      fp.size() != kFingerprintPrefix.size() + 64 ||
      !IsLowerHex(fp.substr(kFingerprintPrefix.size()))) {
    return InvalidArgument("CA fingerprint '" + std::string(fp) +
                           "' is not sha256: followed by 64 lowercase hex characters");
  }
  return Status::Ok();
}

Result<std::string> StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return InvalidArgument(std::string("has no '") + key + "' field");
  if (!it->is_string()) return InvalidArgument(std::string("field '") + key + "' is not a string");
  std::string value = it->get<std::string>();
  if (value.empty()) return InvalidArgument(std::string("field '") + key + "' is empty");
  return value;
}

Result<JoinToken> FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("does not hold a JSON object");
  JoinToken t;
  t.colony_id = CORAL_TRY(StringField(j, "colony"));
  t.ca_fingerprint = CORAL_TRY(StringField(j, "ca"));
  t.token_id = CORAL_TRY(StringField(j, "id"));
  t.secret = CORAL_TRY(StringField(j, "secret"));
  auto eps = j.find("endpoints");
  if (eps == j.end()) return InvalidArgument("has no 'endpoints' field");
  if (!eps->is_array() || eps->empty()) {
    return InvalidArgument("field 'endpoints' is not a non-empty list");
  }
  for (const auto& e : *eps) {
    if (!e.is_string()) return InvalidArgument("field 'endpoints' holds a non-string");
    t.endpoints.push_back(e.get<std::string>());
    CORAL_TRY(SplitHostPort(t.endpoints.back()));
  }
  CORAL_TRY(ValidateFingerprint(t.ca_fingerprint));
  if (!IsLowerHex(t.token_id) || t.token_id.size() > 64) {
    return InvalidArgument("token id '" + t.token_id + "' is not lowercase hex");
  }
  if (t.secret.size() != kSecretHexLen || !IsLowerHex(t.secret)) {
    return InvalidArgument("secret is not 64 lowercase hex characters");
  }
  return t;
}

}  // namespace

JoinToken::~JoinToken() { crypto::Wipe(secret); }

JoinToken NewJoinToken(std::string colony_id, std::vector<std::string> endpoints,
                       std::string ca_fingerprint) {
  JoinToken t;
  t.colony_id = std::move(colony_id);
  t.endpoints = std::move(endpoints);
  t.ca_fingerprint = std::move(ca_fingerprint);
  t.token_id = RandomHex(kTokenIdBytes);
  t.secret = RandomHex(kSecretHexLen / 2);
  return t;
}

std::string EncodeJoinToken(const JoinToken& token) {
  nlohmann::json j = {{"colony", token.colony_id},
                      {"endpoints", token.endpoints},
                      {"ca", token.ca_fingerprint},
                      {"id", token.token_id},
                      {"secret", token.secret}};
  std::string json = j.dump();
  std::string out = std::string(kJoinTokenPrefix) + Base64UrlEncode(json);
  crypto::Wipe(json);
  return out;
}

Result<JoinToken> ParseJoinToken(std::string_view text) {
  std::string word;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') {
      word.push_back(c);
    }
  }
  WipeOnExit wipe_word{word};  // it holds the secret
  constexpr std::string_view kFamily = "coraljoin";
  if (word.empty()) return InvalidArgument("join token is empty");
  if (word.substr(0, kFamily.size()) != kFamily) {
    return InvalidArgument("this is not a Coral join token (those start with " +
                           std::string(kJoinTokenPrefix) +
                           "); copy the token `coral colony token create` printed");
  }
  if (word.substr(0, kJoinTokenPrefix.size()) != kJoinTokenPrefix) {
    size_t underscore = word.find('_');
    std::string version = word.substr(
        kFamily.size(), underscore == std::string::npos ? 8 : underscore - kFamily.size());
    return InvalidArgument("join token version '" + version +
                           "' is not one this Coral reads (it reads " +
                           std::string(kJoinTokenPrefix) + "); use a Coral as new as the colony's");
  }
  auto fail = [](const Status& why) {
    return InvalidArgument("join token is corrupt or truncated (" + why.message() +
                           "); copy the whole token again");
  };
  auto json = Base64UrlDecode(std::string_view(word).substr(kJoinTokenPrefix.size()));
  if (!json.ok()) return fail(json.status());
  WipeOnExit wipe_json{*json};
  nlohmann::json j = nlohmann::json::parse(*json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(InvalidArgument("not JSON"));
  auto token = FromJson(j);
  if (!token.ok()) return InvalidArgument("join token " + token.status().message());
  return token;
}

std::string HashSecret(std::string_view secret) { return crypto::Sha256Hex(secret); }

bool SecretMatches(std::string_view secret, std::string_view stored_hash) {
  return crypto::ConstantTimeEquals(HashSecret(secret), stored_hash);
}

}  // namespace coral::mesh
