// Command lines as the agent stores them: every value that carries a secret
// replaced by "<redacted>" before it reaches the store, so neither viewers
// nor the LLM behind `coral ask` can read a password someone passed as an
// argument. What counts as a secret:
//   --password=x, --api-key x, -token x, PGPASSWORD=x   an option or KEY=VALUE
//                      pair whose name, split into words on - _ . and case
//                      changes, has a word that is key, pass, pwd, auth,
//                      authorization, cookie, private, signature or sig, or
//                      that holds password, passwd, passphrase, secret,
//                      token, apikey, credential, privatekey, accesskey or
//                      bearer; --monkey, --keepalive and --author stay
//   Authorization: Bearer x, X-Api-Key: x   header-like "Name: value" text
//   scheme://user:pass@host        the password of a URL's user info
//   ...?token=x&id=1               secret-named query parameters of a URL
//   mysql -pSECRET                 the MySQL clients' attached password
//   operator patterns (agent.yaml redact.patterns, regular expressions):
//                      group 1 of each match is replaced, or the whole match
//                      when the pattern has no group
//
// Thread-safety: immutable after construction; Redact may run anywhere.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "base/status.h"

namespace coral::agent {

inline constexpr char kRedacted[] = "<redacted>";

class CommandLineRedactor {
 public:
  // InvalidArgument naming the pattern that is not a regular expression.
  static Result<CommandLineRedactor> Make(const std::vector<std::string>& patterns);

  std::vector<std::string> Redact(const std::vector<std::string>& argv) const;

 private:
  CommandLineRedactor() = default;
  std::string RedactOne(const std::string& arg, bool& next_is_secret) const;

  std::vector<std::regex> patterns_;
};

// Whether an option, variable or header name carries a secret (see above).
bool IsSecretName(std::string_view name);

}  // namespace coral::agent
