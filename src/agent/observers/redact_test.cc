#include "agent/observers/redact.h"

#include <gtest/gtest.h>

namespace coral::agent {
namespace {

std::string Joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

TEST(RedactTest, SecretsInArgumentsNeverReachTheStore) {
  auto r = *CommandLineRedactor::Make({});
  struct Case {
    std::vector<std::string> argv;
    std::string stored;
  };
  std::vector<Case> cases = {
      {{"psql", "--password=hunter2", "-h", "db"}, "psql --password=<redacted> -h db"},
      {{"app", "--api-key", "k-123", "--port", "80"}, "app --api-key <redacted> --port 80"},
      {{"app", "-token", "abc"}, "app -token <redacted>"},
      {{"env", "PGPASSWORD=hunter2", "AWS_SECRET_ACCESS_KEY=x", "HOME=/root", "psql"},
       "env PGPASSWORD=<redacted> AWS_SECRET_ACCESS_KEY=<redacted> HOME=/root psql"},
      {{"curl", "-H", "Authorization: Bearer eyJhbGci", "https://api.example/v1"},
       "curl -H Authorization: <redacted> https://api.example/v1"},
      {{"curl", "-H", "X-Api-Key: sk-live-1"}, "curl -H X-Api-Key: <redacted>"},
      {{"app", "--db", "postgres://app:s3cret@db:5432/shop"},
       "app --db postgres://app:<redacted>@db:5432/shop"},
      {{"wget", "https://x.example/file?id=7&access_token=abc&x=1"},
       "wget https://x.example/file?id=7&access_token=<redacted>&x=1"},
      {{"/usr/bin/mysql", "-u", "root", "-psecret"}, "/usr/bin/mysql -u root -p<redacted>"},
      {{"app", "--clientSecret", "v"}, "app --clientSecret <redacted>"},
      // What is not a secret stays as it is.
      {{"python3", "-m", "http.server", "8080"}, "python3 -m http.server 8080"},
      {{"nginx", "--keepalive=5", "--monkey", "x", "--author=ada", "-p", "80"},
       "nginx --keepalive=5 --monkey x --author=ada -p 80"},
      {{"app", "--password"}, "app --password"},  // nothing after it
      {{"app", "--token", "--verbose"}, "app --token --verbose"},
  };
  for (const Case& c : cases) EXPECT_EQ(Joined(r.Redact(c.argv)), c.stored) << Joined(c.argv);
}

TEST(RedactTest, OperatorsAddPatterns) {
  auto r = CommandLineRedactor::Make({"--license=(\\S+)", "corp-[0-9]{6}"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Joined(r->Redact({"app", "--license=ABCD-1234", "id=corp-123456"})),
            "app --license=<redacted> id=<redacted>");
  auto bad = CommandLineRedactor::Make({"("});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("redact.patterns"), std::string::npos);
}

TEST(RedactTest, SecretNamesAreWholeWordsOrHoldAStrongWord) {
  for (const char* name : {"password", "DB_PASSWORD", "PGPASSWORD", "apiKey", "api-key", "token",
                           "access_token", "X-Auth-Token", "private.key", "sig"}) {
    EXPECT_TRUE(IsSecretName(name)) << name;
  }
  for (const char* name : {"keepalive", "monkey", "author", "passthrough", "port", "sign"}) {
    EXPECT_FALSE(IsSecretName(name)) << name;
  }
}

}  // namespace
}  // namespace coral::agent
