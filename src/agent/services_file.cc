#include "agent/services_file.h"

#include <yaml-cpp/yaml.h>

#include <charconv>

#include "base/files.h"
#include "base/ids.h"
#include "config/fields.h"

namespace coral::agent {

Status ValidateExplicitService(const ExplicitService& s) {
  CORAL_TRY(ValidateName("service name", s.name));
  if (s.port == 0) return InvalidArgument("service '" + s.name + "': port must be 1-65535");
  if (!s.health_path.empty() && s.health_path.front() != '/') {
    return InvalidArgument("service '" + s.name + "': health path '" + s.health_path +
                           "' must start with '/'");
  }
  return Status::Ok();
}

Result<ExplicitService> ParseServiceSpec(std::string_view spec) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("'" + std::string(spec) + "' " + std::string(why) +
                           "; expected NAME:PORT[:HEALTH_PATH], e.g. checkout:8080:/healthz");
  };
  size_t c1 = spec.find(':');
  if (c1 == std::string_view::npos) return bad("has no port");
  size_t c2 = spec.find(':', c1 + 1);
  ExplicitService s;
  s.name = std::string(spec.substr(0, c1));
  std::string_view port = spec.substr(c1 + 1, c2 == std::string_view::npos ? c2 : c2 - c1 - 1);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535) {
    return bad("has a port that is not 1-65535");
  }
  s.port = static_cast<uint16_t>(p);
  if (c2 != std::string_view::npos) s.health_path = std::string(spec.substr(c2 + 1));
  CORAL_TRY(ValidateExplicitService(s));
  return s;
}

Result<std::vector<ExplicitService>> LoadExplicitServices(const std::filesystem::path& path) {
  std::vector<ExplicitService> out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  std::string text = CORAL_TRY(ReadFile(path));
  YAML::Node root = CORAL_TRY(config::ParseYaml(text, path.string()));
  try {
    YAML::Node list = root["services"];
    if (!list) return out;
    if (!list.IsSequence()) return InvalidArgument(path.string() + ": 'services' must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
      ExplicitService s;
      s.name = list[i]["name"].as<std::string>("");
      s.port = static_cast<uint16_t>(list[i]["port"].as<int>(0));
      s.health_path = list[i]["health_path"].as<std::string>("");
      if (Status st = ValidateExplicitService(s); !st.ok()) {
        return st.WithContext(path.string() + ": services[" + std::to_string(i) + "]");
      }
      out.push_back(std::move(s));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path.string() + ": " + e.msg);
  }
  return out;
}

Status SaveExplicitServices(const std::filesystem::path& path,
                            const std::vector<ExplicitService>& services) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "services" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : services) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name << YAML::Key << "port"
        << YAML::Value << s.port;
    if (!s.health_path.empty()) out << YAML::Key << "health_path" << YAML::Value << s.health_path;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return WriteFileAtomic(path,
                         std::string("# Services connected with `coral connect`.\n") + out.c_str() +
                             "\n",
                         FileMode::kPublic);
}

}  // namespace coral::agent
