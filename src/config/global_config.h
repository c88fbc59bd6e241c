// ~/.coral/config.yaml: settings shared by every command on this machine.
#pragma once

#include <string>

#include "base/ids.h"
#include "config/fields.h"

namespace coral::config {

struct GlobalConfig {
  // The colony commands use when --colony (or CORAL_COLONY) is not given.
  // CORAL_DEFAULT_COLONY overrides the file.
  std::string default_colony;
  // `coral ask`: the model as provider:model, where its API key comes from
  // (only env://VAR: keys are never stored) and a base URL for
  // OpenAI-compatible servers, a proxy or a remote Ollama. CORAL_ASK_MODEL,
  // CORAL_ASK_API_KEY and CORAL_ASK_BASE_URL override them.
  std::string ask_model;
  std::string ask_api_key;
  std::string ask_base_url;

  template <typename V>
  static void Visit(GlobalConfig& c, V& v) {
    v.String("default_colony", c.default_colony, Env::kAllow, [](const std::string& id) {
      return id.empty() || ParseColonyId(id).ok() ? "" : ParseColonyId(id).status().message();
    });
    v.String("ask.model", c.ask_model, Env::kAllow, [](const std::string& m) -> std::string {
      for (const char* p : {"openai:", "anthropic:", "ollama:"}) {
        std::string prefix(p);
        if (m.empty() || (m.rfind(prefix, 0) == 0 && m.size() > prefix.size())) return "";
      }
      return "must be provider:model with provider openai, anthropic or ollama";
    });
    // The value is never echoed in the message: it may be a pasted key.
    v.String("ask.api_key", c.ask_api_key, Env::kAllow, [](const std::string& k) -> std::string {
      return k.empty() || (k.rfind("env://", 0) == 0 && k.size() > 6)
                 ? ""
                 : "must be env://VARIABLE, naming the variable that holds the key; Coral "
                   "does not store keys";
    });
    v.String("ask.base_url", c.ask_base_url, Env::kAllow, [](const std::string& u) -> std::string {
      return u.empty() || u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0
                 ? ""
                 : "must start with http:// or https://";
    });
  }
};

inline constexpr char kGlobalEnvPrefix[] = "";

}  // namespace coral::config
