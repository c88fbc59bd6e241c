#include "config/fields.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace coral::config {

namespace {

std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Dotted paths of every leaf (scalar or sequence) in a map.
void CollectLeaves(const YAML::Node& node, const std::string& prefix,
                   std::vector<std::string>& out) {
  for (const auto& kv : node) {
    std::string key =
        prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
    if (kv.second.IsMap()) {
      CollectLeaves(kv.second, key, out);
    } else {
      out.push_back(key);
    }
  }
}

}  // namespace

std::string NonEmpty(const std::string& value) { return value.empty() ? "must not be empty" : ""; }

Result<YAML::Node> ParseYaml(const std::string& text, const std::string& file) {
  try {
    YAML::Node node = YAML::Load(text);
    if (node.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) return InvalidArgument(file + ": expected a YAML mapping at the top level");
    return node;
  } catch (const YAML::Exception& e) {
    return InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
}

FieldReader::FieldReader(const YAML::Node& root, std::string file, std::string env_prefix,
                         Overrides overrides)
    : root_(root),
      file_(std::move(file)),
      env_prefix_(std::move(env_prefix)),
      overrides_(overrides) {}

std::string FieldReader::EnvName(const std::string& key) const {
  std::string name = "CORAL_" + env_prefix_;
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

YAML::Node FieldReader::Find(const std::string& key) const {
  // operator[] on a const node does not insert. Assigning one Node to another
  // writes through in yaml-cpp, so the walk rebinds with reset().
  YAML::Node node;
  node.reset(root_);
  for (const auto& part : SplitKey(key)) {
    if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node child = static_cast<const YAML::Node&>(node)[part];
    if (!child.IsDefined()) return child;
    node.reset(child);
  }
  return node;
}

void FieldReader::Fail(const std::string& where, const std::string& key, const std::string& what) {
  errors_.push_back(where + ": key '" + key + "': " + what);
}

bool FieldReader::Lookup(const std::string& key, Env env, std::string& text, std::string& where) {
  known_.insert(key);
  if (env == Env::kAllow && overrides_ == Overrides::kApply) {
    std::string name = EnvName(key);
    if (const char* v = std::getenv(name.c_str()); v != nullptr) {
      text = v;
      where = "environment " + name + " (overrides " + file_ + ")";
      return true;
    }
  }
  YAML::Node node = Find(key);
  if (!node.IsDefined() || node.IsNull()) return false;
  where = file_;
  if (!node.IsScalar()) {
    Fail(where, key, "expected a single value, got a list or mapping");
    return false;
  }
  text = node.Scalar();
  return true;
}

void FieldReader::String(const std::string& key, std::string& out, Env env, StringCheck check) {
  std::string text, where;
  if (Lookup(key, env, text, where)) out = text;
  if (check) {
    std::string problem = check(out);
    if (!problem.empty()) Fail(where.empty() ? file_ : where, key, problem);
  }
}

void FieldReader::Int(const std::string& key, int& out, Env env, int min, int max) {
  std::string text, where;
  if (!Lookup(key, env, text, where)) return;
  std::string expect =
      "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < min || value > max) {
    Fail(where, key, expect + ", got '" + text + "'");
    return;
  }
  out = static_cast<int>(value);
}

void FieldReader::Bool(const std::string& key, bool& out, Env env) {
  std::string text, where;
  if (!Lookup(key, env, text, where)) return;
  if (text == "true" || text == "yes" || text == "1") {
    out = true;
  } else if (text == "false" || text == "no" || text == "0") {
    out = false;
  } else {
    Fail(where, key, "expected true or false, got '" + text + "'");
  }
}

void FieldReader::Dur(const std::string& key, Duration& out, Env env, Duration min) {
  std::string text, where;
  if (!Lookup(key, env, text, where)) return;
  auto d = ParseDuration(text);
  if (!d.ok()) {
    Fail(where, key, d.status().message());
  } else if (*d < min) {
    Fail(where, key, "must be at least " + FormatDuration(min) + ", got '" + text + "'");
  } else {
    out = *d;
  }
}

void FieldReader::StringList(const std::string& key, std::vector<std::string>& out, Env env) {
  known_.insert(key);
  if (env == Env::kAllow && overrides_ == Overrides::kApply) {
    std::string name = EnvName(key);
    if (const char* v = std::getenv(name.c_str()); v != nullptr) {
      out.clear();
      std::string s = v;
      size_t start = 0;
      while (start <= s.size()) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma - start);
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return;
    }
  }
  YAML::Node node = Find(key);
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) {
    Fail(file_, key, "expected a list");
    return;
  }
  out.clear();
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      Fail(file_, key, "expected a list of strings");
      return;
    }
    out.push_back(item.Scalar());
  }
}

Status FieldReader::Finish() {
  std::vector<std::string> leaves;
  try {
    CollectLeaves(root_, "", leaves);
  } catch (const YAML::Exception& e) {
    errors_.push_back(file_ + ": " + e.msg);
  }
  for (const auto& leaf : leaves) {
    if (!known_.contains(leaf)) errors_.push_back(file_ + ": unknown key '" + leaf + "'");
  }
  if (errors_.empty()) return Status::Ok();
  std::string message = errors_.front();
  for (size_t i = 1; i < errors_.size(); ++i) message += "\n" + errors_[i];
  return InvalidArgument(message);
}

FieldWriter::Tree& FieldWriter::Slot(const std::string& key) {
  auto parts = SplitKey(key);
  Tree* tree = &root_;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Tree* next = nullptr;
    for (auto& [name, child] : tree->children) {
      if (name == parts[i]) next = child.get();
    }
    if (next == nullptr) {
      tree->children.emplace_back(parts[i], std::make_unique<Tree>());
      next = tree->children.back().second.get();
    }
    tree = next;
  }
  return *tree;
}

void FieldWriter::Put(const std::string& key, YAML::Node leaf) {
  auto child = std::make_unique<Tree>();
  child->leaf = std::move(leaf);
  Slot(key).children.emplace_back(SplitKey(key).back(), std::move(child));
}

void FieldWriter::String(const std::string& key, std::string& v, Env, StringCheck) {
  Put(key, YAML::Node(v));
}
void FieldWriter::Int(const std::string& key, int& v, Env, int, int) { Put(key, YAML::Node(v)); }
void FieldWriter::Bool(const std::string& key, bool& v, Env) { Put(key, YAML::Node(v)); }
void FieldWriter::Dur(const std::string& key, Duration& v, Env, Duration) {
  Put(key, YAML::Node(FormatDuration(v)));
}
void FieldWriter::StringList(const std::string& key, std::vector<std::string>& v, Env) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& item : v) list.push_back(item);
  Put(key, list);
}

static void EmitTree(YAML::Emitter& out, const FieldWriter::Tree& tree) {
  out << YAML::BeginMap;
  for (const auto& [name, child] : tree.children) {
    out << YAML::Key << name << YAML::Value;
    if (child->children.empty()) {
      out << child->leaf;
    } else {
      EmitTree(out, *child);
    }
  }
  out << YAML::EndMap;
}

std::string FieldWriter::Emit(const std::string& header_comment) const {
  YAML::Emitter out;
  EmitTree(out, root_);
  std::string text;
  if (!header_comment.empty()) text = "# " + header_comment + "\n";
  return text + out.c_str() + "\n";
}

}  // namespace coral::config
