#include "mesh/join_token.h"

#include <gtest/gtest.h>

#include "crypto/keys.h"

namespace coral::mesh {
namespace {

const std::string kFingerprint = "sha256:" + std::string(64, 'a');

JoinToken Sample() {
  return NewJoinToken("shop-prod-3fa2c1", {"colony.example.com:8443", "203.0.113.5:8443"},
                      kFingerprint);
}

// Builds a token word around any JSON text, to reach the field checks.
std::string Wrap(const std::string& json) {
  std::string b64 = crypto::Base64Encode(json);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return std::string(kJoinTokenPrefix) + b64;
}

std::string ValidJson(const std::string& drop = "", const std::string& replace_key = "",
                      const std::string& replace_value = "") {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"colony", "\"shop-prod-3fa2c1\""},
      {"endpoints", "[\"colony.example.com:8443\"]"},
      {"ca", "\"" + kFingerprint + "\""},
      {"id", "\"0123456789ab\""},
      {"secret", "\"" + std::string(64, '7') + "\""}};
  std::string out = "{";
  for (auto& [k, v] : fields) {
    if (k == drop) continue;
    if (out.size() > 1) out += ",";
    out += "\"" + k + "\":" + (k == replace_key ? replace_value : v);
  }
  return out + "}";
}

void ExpectInvalid(const std::string& text, const std::string& fragment) {
  auto t = ParseJoinToken(text);
  ASSERT_FALSE(t.ok()) << "accepted: " << text;
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find(fragment), std::string::npos)
      << "message '" << t.status().message() << "' lacks '" << fragment << "'";
}

TEST(JoinTokenTest, NewTokenHasFreshIdAndSecret) {
  JoinToken a = Sample();
  JoinToken b = Sample();
  EXPECT_EQ(a.token_id.size(), 12u);
  EXPECT_EQ(a.secret.size(), 64u);
  EXPECT_NE(a.token_id, b.token_id);
  EXPECT_NE(a.secret, b.secret);
}

TEST(JoinTokenTest, RoundTrip) {
  JoinToken t = Sample();
  std::string word = EncodeJoinToken(t);
  EXPECT_EQ(word.rfind(kJoinTokenPrefix, 0), 0u);
  for (char c : word.substr(kJoinTokenPrefix.size())) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')
        << "not one copy-pasteable word: '" << c << "'";
  }
  auto back = ParseJoinToken(word);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->colony_id, t.colony_id);
  EXPECT_EQ(back->endpoints, t.endpoints);
  EXPECT_EQ(back->ca_fingerprint, t.ca_fingerprint);
  EXPECT_EQ(back->token_id, t.token_id);
  EXPECT_EQ(back->secret, t.secret);
}

TEST(JoinTokenTest, ToleratesWhitespaceAndLineBreaks) {
  JoinToken t = Sample();
  std::string word = EncodeJoinToken(t);
  std::string wrapped = "  \n\t" + word.substr(0, 20) + "\r\n" + word.substr(20, 30) + "\n  " +
                        word.substr(50) + "\n\n ";
  auto back = ParseJoinToken(wrapped);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->secret, t.secret);
}

TEST(JoinTokenTest, RejectsTextThatIsNotAToken) {
  ExpectInvalid("", "empty");
  ExpectInvalid("   \n", "empty");
  ExpectInvalid("hello", "not a Coral join token");
  ExpectInvalid("eyJjb2xvbnkiOiJ4In0", "not a Coral join token");
}

TEST(JoinTokenTest, RejectsOtherVersions) {
  std::string word = EncodeJoinToken(Sample());
  ExpectInvalid("coraljoin2_" + word.substr(kJoinTokenPrefix.size()), "version '2'");
}

TEST(JoinTokenTest, RejectsCorruptAndTruncatedTokens) {
  std::string word = EncodeJoinToken(Sample());
  ExpectInvalid(std::string(kJoinTokenPrefix), "corrupt or truncated");
  ExpectInvalid(word.substr(0, word.size() - 7), "corrupt or truncated");
  ExpectInvalid(word.substr(0, word.size() - 1) + "!", "corrupt or truncated");
  ExpectInvalid(word + "+", "corrupt or truncated");
  ExpectInvalid(Wrap("not json at all"), "corrupt or truncated");
  ExpectInvalid(Wrap("[1,2,3]"), "JSON object");
}

TEST(JoinTokenTest, RejectsEveryMissingField) {
  for (const char* field : {"colony", "endpoints", "ca", "id", "secret"}) {
    ExpectInvalid(Wrap(ValidJson(field)), std::string("'") + field + "'");
  }
  // The helper itself builds a valid token, so the cases above fail for the field.
  EXPECT_TRUE(ParseJoinToken(Wrap(ValidJson())).ok());
}

TEST(JoinTokenTest, RejectsEmptyOrMistypedFields) {
  ExpectInvalid(Wrap(ValidJson("", "colony", "\"\"")), "'colony' is empty");
  ExpectInvalid(Wrap(ValidJson("", "colony", "7")), "'colony' is not a string");
  ExpectInvalid(Wrap(ValidJson("", "endpoints", "[]")), "'endpoints'");
  ExpectInvalid(Wrap(ValidJson("", "endpoints", "\"a:1\"")), "'endpoints'");
  ExpectInvalid(Wrap(ValidJson("", "endpoints", "[3]")), "'endpoints'");
}

TEST(JoinTokenTest, RejectsBadFingerprints) {
  for (std::string fp : {std::string(64, 'a'),                    // no prefix
                         "sha1:" + std::string(64, 'a'),          // other hash
                         "sha256:" + std::string(63, 'a'),        // short
                         "sha256:" + std::string(65, 'a'),        // long
                         "sha256:" + std::string(63, 'a') + "g",  // not hex
                         "sha256:" + std::string(64, 'A')}) {     // not lowercase
    ExpectInvalid(Wrap(ValidJson("", "ca", "\"" + fp + "\"")), "CA fingerprint");
  }
}

TEST(JoinTokenTest, RejectsBadEndpointsIdsAndSecrets) {
  ExpectInvalid(Wrap(ValidJson("", "endpoints", "[\"colony.example.com\"]")), "host:port");
  ExpectInvalid(Wrap(ValidJson("", "endpoints", "[\"colony:0\"]")), "port");
  ExpectInvalid(Wrap(ValidJson("", "endpoints", "[\"colony:65536\"]")), "port");
  ExpectInvalid(Wrap(ValidJson("", "endpoints", "[\":8443\"]")), "host:port");
  ExpectInvalid(Wrap(ValidJson("", "id", "\"xyz\"")), "token id");
  ExpectInvalid(Wrap(ValidJson("", "secret", "\"abc\"")), "secret");
  ExpectInvalid(Wrap(ValidJson("", "secret", "\"" + std::string(64, 'z') + "\"")), "secret");
}

TEST(JoinTokenTest, ErrorsNeverShowTheSecret) {
  std::string secret(64, '7');
  auto t = ParseJoinToken(Wrap(ValidJson("", "ca", "\"bad\"")));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message().find(secret), std::string::npos);
}

TEST(JoinTokenTest, HashSecretIsSha256Hex) {
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(HashSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(JoinTokenTest, SecretMatchesOnlyItsOwnHash) {
  JoinToken t = Sample();
  std::string stored = HashSecret(t.secret);
  EXPECT_TRUE(SecretMatches(t.secret, stored));
  std::string other = t.secret;
  other[10] = other[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(SecretMatches(other, stored));
  EXPECT_FALSE(SecretMatches(t.secret, stored.substr(1)));
  EXPECT_FALSE(SecretMatches(t.secret, ""));
  EXPECT_FALSE(SecretMatches(t.secret, t.secret));  // the secret itself is not its hash
}

}  // namespace
}  // namespace coral::mesh
