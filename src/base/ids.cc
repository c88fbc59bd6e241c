#include "base/ids.h"

#include <sys/random.h>

#include <cerrno>

namespace coral {

void FillRandom(uint8_t* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = getrandom(out + done, n - done, 0);
    if (got < 0) {
      CORAL_CHECK(errno == EINTR, "getrandom failed");
      continue;
    }
    done += static_cast<size_t>(got);
  }
}

std::vector<uint8_t> RandomBytes(size_t n) {
  std::vector<uint8_t> out(n);
  FillRandom(out.data(), n);
  return out;
}

std::string HexEncode(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  return HexEncode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::string RandomHex(size_t n_bytes) {
  auto bytes = RandomBytes(n_bytes);
  return HexEncode(bytes.data(), bytes.size());
}

Status ValidateName(std::string_view what, std::string_view name) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument(std::string(what) + " '" + std::string(name) + "' " + std::string(why) +
                           "; use 1-24 characters of a-z, 0-9 and '-', starting with a letter");
  };
  if (name.empty() || name.size() > 24) return bad("has the wrong length");
  if (name.front() < 'a' || name.front() > 'z') return bad("does not start with a letter");
  if (name.back() == '-') return bad("ends with '-'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return bad("contains '" + std::string(1, c) + "'");
  }
  return Status::Ok();
}

Result<ColonyId> NewColonyId(std::string_view app, std::string_view env) {
  CORAL_TRY(ValidateName("app", app));
  CORAL_TRY(ValidateName("env", env));
  if (env.find('-') != std::string_view::npos) {
    return InvalidArgument("env '" + std::string(env) + "' contains '-'; use a single word");
  }
  return ColonyId{std::string(app), std::string(env), RandomHex(3)};
}

Result<ColonyId> ParseColonyId(std::string_view id) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("colony id '" + std::string(id) + "' " + std::string(why) +
                           "; expected <app>-<env>-<6 hex>, as printed by 'coral colony list'");
  };
  size_t last = id.rfind('-');
  if (last == std::string_view::npos || last == 0) return bad("has no suffix");
  std::string_view suffix = id.substr(last + 1);
  if (suffix.size() != 6) return bad("has a suffix that is not 6 hex digits");
  for (char c : suffix) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return bad("has a suffix that is not 6 hex digits");
    }
  }
  std::string_view rest = id.substr(0, last);
  size_t mid = rest.rfind('-');
  if (mid == std::string_view::npos || mid == 0) return bad("has no env");
  ColonyId out{std::string(rest.substr(0, mid)), std::string(rest.substr(mid + 1)),
               std::string(suffix)};
  if (Status s = ValidateName("app", out.app); !s.ok()) return s.WithContext("colony id");
  if (Status s = ValidateName("env", out.env); !s.ok()) return s.WithContext("colony id");
  return out;
}

}  // namespace coral
