// One declaration per config field drives loading, saving, environment
// overrides and validation, so the four never drift apart. A config struct
// lists its fields in a static Visit:
//
//   template <typename V> static void Visit(ColonyConfig& c, V& v) {
//     v.String("id", c.id, Env::kNone, NonEmpty);
//     v.Int("api.grpc_port", c.grpc_port, Env::kAllow, 1, 65535);
//   }
//
// Keys are dotted paths into the YAML document ("api.grpc_port" is
// `api: {grpc_port: ...}`). With Env::kAllow, CORAL_<PREFIX><KEY> overrides
// the file, the key upper-cased with '.' as '_': CORAL_COLONY_API_GRPC_PORT.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/status.h"

namespace coral::config {

enum class Env { kNone, kAllow };

// Whether CORAL_* variables apply. Code that loads a config to change and save
// it ignores them, so an override never gets written to disk by accident.
enum class Overrides { kApply, kIgnore };

// Checks a string value; returns an error message or "" when fine.
using StringCheck = std::function<std::string(const std::string&)>;
std::string NonEmpty(const std::string& value);

// Reads fields from a YAML document, then applies environment overrides.
class FieldReader {
 public:
  FieldReader(const YAML::Node& root, std::string file, std::string env_prefix,
              Overrides overrides = Overrides::kApply);

  void String(const std::string& key, std::string& out, Env env, StringCheck check = nullptr);
  void Int(const std::string& key, int& out, Env env, int min, int max);
  void Bool(const std::string& key, bool& out, Env env);
  void Dur(const std::string& key, Duration& out, Env env, Duration min);
  void StringList(const std::string& key, std::vector<std::string>& out, Env env);

  // All errors found, one per line, or ok. Also reports keys in the file that
  // no field declares (usually typos).
  Status Finish();

 private:
  // The raw text for key from the environment (preferred) or the file. Returns
  // false when neither has it. `where` says which one, for messages.
  bool Lookup(const std::string& key, Env env, std::string& text, std::string& where);
  YAML::Node Find(const std::string& key) const;
  void Fail(const std::string& where, const std::string& key, const std::string& what);
  std::string EnvName(const std::string& key) const;

  YAML::Node root_;
  std::string file_;
  std::string env_prefix_;
  Overrides overrides_;
  std::set<std::string> known_;
  std::vector<std::string> errors_;
};

// Writes fields into a YAML document, in declaration order.
class FieldWriter {
 public:
  void String(const std::string& key, std::string& v, Env, StringCheck = nullptr);
  void Int(const std::string& key, int& v, Env, int, int);
  void Bool(const std::string& key, bool& v, Env);
  void Dur(const std::string& key, Duration& v, Env, Duration);
  void StringList(const std::string& key, std::vector<std::string>& v, Env);

  std::string Emit(const std::string& header_comment) const;

  // Sections in declaration order; a node has children or is a leaf.
  struct Tree {
    std::vector<std::pair<std::string, std::unique_ptr<Tree>>> children;
    YAML::Node leaf;
  };

 private:
  Tree& Slot(const std::string& key);
  void Put(const std::string& key, YAML::Node leaf);
  Tree root_;
};

// Parses YAML text; syntax errors name the file, line and column.
Result<YAML::Node> ParseYaml(const std::string& text, const std::string& file);

// Loads a config: defaults from C{}, then the file (if it exists, unless
// must_exist), then CORAL_* overrides; runs C::Validate if present.
template <typename C>
Result<C> LoadConfig(const std::filesystem::path& path, const std::string& env_prefix,
                     bool must_exist, Overrides overrides = Overrides::kApply);

template <typename C>
Status SaveConfig(const std::filesystem::path& path, C config, const std::string& header);

}  // namespace coral::config

#include "config/fields_inl.h"
