#include "mesh/addressing.h"

#include <charconv>

namespace coral::mesh {

uint32_t PrefixMask(int length) { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }

uint64_t StableHash(std::string_view id) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (unsigned char c : id) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string Ipv4ToString(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

std::string Ipv4Prefix::ToString() const {
  return Ipv4ToString(address) + "/" + std::to_string(length);
}

bool Ipv4Prefix::Contains(uint32_t ip) const {
  uint32_t mask = PrefixMask(length);
  return (ip & mask) == (address & mask);
}

Result<uint32_t> ParseIpv4(std::string_view text) {
  uint32_t out = 0;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    unsigned part = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), part);
    size_t used = static_cast<size_t>(ptr - rest.data());
    if (ec != std::errc() || used == 0 || used > 3 || part > 255) {
      return InvalidArgument("'" + std::string(text) + "' is not an IPv4 address");
    }
    out = out << 8 | part;
    rest.remove_prefix(used);
    if (i < 3) {
      if (rest.empty() || rest.front() != '.') {
        return InvalidArgument("'" + std::string(text) + "' is not an IPv4 address");
      }
      rest.remove_prefix(1);
    }
  }
  if (!rest.empty()) return InvalidArgument("'" + std::string(text) + "' is not an IPv4 address");
  return out;
}

Result<Ipv4Prefix> ParseIpv4Prefix(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument("'" + std::string(text) + "' is not a prefix like 100.97.0.0/16");
  }
  uint32_t ip = CORAL_TRY(ParseIpv4(text.substr(0, slash)));
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || ptr != len_text.data() + len_text.size() || len < 0 || len > 32) {
    return InvalidArgument("'" + std::string(text) + "' has a prefix length that is not 0-32");
  }
  return Ipv4Prefix{ip & PrefixMask(len), len};
}

Ipv4Prefix ColonyMeshRange(std::string_view colony_id) {
  uint64_t h = StableHash(colony_id);
  uint32_t second_octet = 64 + static_cast<uint32_t>(h % 64);
  return Ipv4Prefix{(100u << 24) | (second_octet << 16), 16};
}

uint32_t ColonyMeshIp(const Ipv4Prefix& range) { return range.address | 1; }

}  // namespace coral::mesh
