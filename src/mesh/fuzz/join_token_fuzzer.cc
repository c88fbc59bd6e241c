// Join tokens as anyone may paste them to `coral agent start --join` (and as
// an agent sends one to a colony's enrollment endpoint): ParseJoinToken on
// any text.
//
// Invariants: a token that parses has well-formed fields (fingerprint
// "sha256:" + 64 hex, 64 hex of secret) and encodes to a token that parses
// to the same fields.
#include <string>

#include "base/check.h"
#include "fuzz_target.h"
#include "mesh/join_token.h"

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  using namespace coral::mesh;
  auto token = ParseJoinToken({reinterpret_cast<const char*>(data), size});
  if (!token.ok()) return 0;
  CORAL_CHECK(
      token->ca_fingerprint.size() == 7 + 64 && token->ca_fingerprint.starts_with("sha256:"),
      "fingerprint " + token->ca_fingerprint);
  CORAL_CHECK(token->secret.size() == 64, "secret of " + std::to_string(token->secret.size()));
  CORAL_CHECK(!token->colony_id.empty() && !token->endpoints.empty() && !token->token_id.empty(),
              "a field missing");
  auto again = ParseJoinToken(EncodeJoinToken(*token));
  CORAL_CHECK(again.ok(), "its own encoding does not parse: " + again.status().ToString());
  CORAL_CHECK(again->colony_id == token->colony_id && again->endpoints == token->endpoints &&
                  again->ca_fingerprint == token->ca_fingerprint &&
                  again->token_id == token->token_id && again->secret == token->secret,
              "fields changed in a round trip");
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() {
  using namespace coral::mesh;
  std::vector<std::vector<uint8_t>> seeds;
  for (const auto& endpoints : std::vector<std::vector<std::string>>{
           {"colony.example.com:8443"}, {"10.0.0.1:8443", "[fd00::1]:8443"}}) {
    std::string text = EncodeJoinToken(
        NewJoinToken("shop-prod-a1b2c3", endpoints, "sha256:" + std::string(64, 'a')));
    seeds.emplace_back(text.begin(), text.end());
  }
  return seeds;
}
