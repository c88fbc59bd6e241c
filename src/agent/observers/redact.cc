#include "agent/observers/redact.h"

#include <array>
#include <cctype>

namespace coral::agent {

namespace {

// A word of a name is secret when it is one of the short words, or holds one
// of the long ones anywhere (PGPASSWORD, db_passwd, x-apitoken).
bool IsSecretWord(std::string_view word) {
  static constexpr std::array<std::string_view, 9> kWords = {
      "key", "pass", "pwd", "auth", "authorization", "cookie", "private", "signature", "sig"};
  static constexpr std::array<std::string_view, 10> kInside = {
      "password", "passwd",     "passphrase", "secret",    "token",
      "apikey",   "credential", "privatekey", "accesskey", "bearer"};
  for (std::string_view w : kWords) {
    if (word == w) return true;
  }
  for (std::string_view w : kInside) {
    if (word.find(w) != std::string_view::npos) return true;
  }
  return false;
}

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool IsUrlChar(char c) { return !std::isspace(static_cast<unsigned char>(c)) && c != '"'; }

// user:pass@ in every URL of `text`.
std::string RedactUrlPasswords(std::string text) {
  size_t at = 0;
  while ((at = text.find("://", at)) != std::string::npos) {
    size_t start = at + 3;
    size_t end = start;
    while (end < text.size() && IsUrlChar(text[end]) && text[end] != '/') ++end;
    std::string_view authority(text.data() + start, end - start);
    size_t user_end = authority.rfind('@');
    if (user_end != std::string_view::npos) {
      size_t colon = authority.find(':');
      if (colon != std::string_view::npos && colon < user_end) {
        text.replace(start + colon + 1, user_end - colon - 1, kRedacted);
        end = start + colon + 1 + std::char_traits<char>::length(kRedacted) + 1;
      }
    }
    at = end;
  }
  return text;
}

// token=x in every query string of `text` (after '?' or '&').
std::string RedactQueryParameters(std::string text) {
  size_t q = text.find('?');
  while (q != std::string::npos) {
    size_t i = q + 1;
    while (i < text.size() && IsUrlChar(text[i])) {
      size_t eq = text.find('=', i);
      size_t amp = text.find('&', i);
      size_t stop = i;
      while (stop < text.size() && IsUrlChar(text[stop]) && text[stop] != '&') ++stop;
      if (eq != std::string::npos && eq < stop &&
          IsSecretName(std::string_view(text).substr(i, eq - i))) {
        text.replace(eq + 1, stop - eq - 1, kRedacted);
        stop = eq + 1 + std::char_traits<char>::length(kRedacted);
      }
      if (amp == std::string::npos || stop >= text.size() || text[stop] != '&') break;
      i = stop + 1;
    }
    q = text.find('?', i);
  }
  return text;
}

}  // namespace

bool IsSecretName(std::string_view name) {
  // Words split on separators and on a lower-to-upper case change.
  std::string word;
  auto flush = [&]() {
    bool secret = IsSecretWord(word);
    word.clear();
    return secret;
  };
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '-' || c == '_' || c == '.' || c == ' ') {
      if (flush()) return true;
      continue;
    }
    if (i > 0 && std::isupper(static_cast<unsigned char>(c)) &&
        std::islower(static_cast<unsigned char>(name[i - 1]))) {
      if (flush()) return true;
    }
    word += Lower(c);
  }
  return flush();
}

Result<CommandLineRedactor> CommandLineRedactor::Make(const std::vector<std::string>& patterns) {
  CommandLineRedactor r;
  for (const std::string& p : patterns) {
    try {
      r.patterns_.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return InvalidArgument("redact.patterns: '" + p.substr(0, 80) +
                             "' is not a regular expression: " + e.what());
    }
  }
  return r;
}

std::string CommandLineRedactor::RedactOne(const std::string& arg, bool& next_is_secret) const {
  std::string out = arg;
  bool secret_value = next_is_secret;
  next_is_secret = false;
  if (secret_value && !(arg.size() > 1 && arg[0] == '-')) {
    out = kRedacted;
  } else if (size_t eq = arg.find('='); eq != std::string::npos && eq > 0) {
    // --name=value, -name=value, NAME=value
    std::string_view name = std::string_view(arg).substr(0, eq);
    while (!name.empty() && name.front() == '-') name.remove_prefix(1);
    if (name.find_first_of(" :/?&") == std::string_view::npos && IsSecretName(name)) {
      out = arg.substr(0, eq + 1) + kRedacted;
    }
  } else if (arg.size() > 1 && arg[0] == '-') {
    // --name value: the next argument is the secret.
    std::string_view name = arg;
    while (!name.empty() && name.front() == '-') name.remove_prefix(1);
    next_is_secret = IsSecretName(name);
  }
  // Header-like text: "Authorization: Bearer x".
  if (size_t colon = out.find(':'); colon != std::string::npos && colon > 0 &&
                                    colon + 1 < out.size() && out[colon + 1] == ' ' &&
                                    IsSecretName(std::string_view(out).substr(0, colon))) {
    out = out.substr(0, colon + 2) + kRedacted;
  }
  out = RedactQueryParameters(RedactUrlPasswords(std::move(out)));
  for (const std::regex& pattern : patterns_) {
    std::string result;
    auto begin = std::sregex_iterator(out.begin(), out.end(), pattern);
    size_t copied = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      size_t group = m.size() > 1 && m[1].matched ? 1 : 0;
      size_t pos = static_cast<size_t>(m.position(group));
      result += out.substr(copied, pos - copied) + kRedacted;
      copied = pos + static_cast<size_t>(m.length(group));
    }
    if (copied > 0) out = result + out.substr(copied);
  }
  return out;
}

std::vector<std::string> CommandLineRedactor::Redact(const std::vector<std::string>& argv) const {
  std::vector<std::string> out;
  out.reserve(argv.size());
  bool next_is_secret = false;
  std::string_view program = argv.empty() ? "" : std::string_view(argv[0]);
  program =
      program.substr(program.rfind('/') == std::string_view::npos ? 0 : program.rfind('/') + 1);
  bool mysql = program == "mysql" || program == "mysqldump" || program == "mysqladmin" ||
               program == "mariadb";
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (mysql && i > 0 && arg.size() > 2 && arg.rfind("-p", 0) == 0) {
      out.push_back(std::string("-p") + kRedacted);
      continue;
    }
    out.push_back(RedactOne(arg, next_is_secret));
  }
  return out;
}

}  // namespace coral::agent
