#include "llm/provider.h"

#include <openssl/crypto.h>
#include <time.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "base/log.h"
#include "net/http_client.h"

namespace coral::llm {

namespace {

struct ProviderDefaults {
  const char* key_var;  // nullptr: no key
  const char* base_var;
  const char* base_url;
};

ProviderDefaults DefaultsFor(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::kOpenAi:
      return {"OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1"};
    case ProviderKind::kAnthropic:
      return {"ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"};
    case ProviderKind::kOllama:
      return {nullptr, "OLLAMA_HOST", "http://127.0.0.1:11434"};
  }
  return {nullptr, "", ""};
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string Seconds(std::chrono::milliseconds ms) {
  char text[32];
  snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

}  // namespace

std::string_view ProviderName(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::kOpenAi:
      return "openai";
    case ProviderKind::kAnthropic:
      return "anthropic";
    case ProviderKind::kOllama:
      return "ollama";
  }
  return "?";
}

Result<ModelSpec> ParseModelSpec(std::string_view spec) {
  size_t colon = spec.find(':');
  std::string_view provider = spec.substr(0, colon);
  ModelSpec out;
  if (provider == "openai") {
    out.kind = ProviderKind::kOpenAi;
  } else if (provider == "anthropic") {
    out.kind = ProviderKind::kAnthropic;
  } else if (provider == "ollama") {
    out.kind = ProviderKind::kOllama;
  } else {
    return InvalidArgument("model '" + std::string(spec) +
                           "': give it as provider:model, with provider openai, anthropic or "
                           "ollama (e.g. openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, "
                           "ollama:qwen3)");
  }
  if (colon == std::string_view::npos || colon + 1 == spec.size()) {
    return InvalidArgument("model '" + std::string(spec) + "' names no model after '" +
                           std::string(provider) + ":'");
  }
  out.model = std::string(spec.substr(colon + 1));
  return out;
}

Result<ProviderSettings> ResolveProviderSettings(const ModelSpec& spec,
                                                 const std::string& key_reference,
                                                 const std::string& base_url) {
  ProviderSettings s;
  s.spec = spec;
  ProviderDefaults d = DefaultsFor(spec.kind);
  if (!key_reference.empty()) {
    // The reference itself is never echoed: a pasted key must not end up in a message.
    if (key_reference.rfind("env://", 0) != 0 || !IsEnvName(key_reference.substr(6))) {
      return InvalidArgument(
          "the API key setting must be env://VARIABLE (Coral never stores keys); set it with "
          "'coral ask config --api-key env://OPENAI_API_KEY'");
    }
    std::string var = key_reference.substr(6);
    const char* value = std::getenv(var.c_str());
    if (value == nullptr || *value == '\0') {
      return FailedPrecondition("the API key comes from $" + var + " (ask.api_key: env://" + var +
                                "), which is not set");
    }
    s.api_key = value;
    s.key_source = "$" + var;
  } else if (d.key_var != nullptr) {
    if (const char* value = std::getenv(d.key_var); value != nullptr && *value != '\0') {
      s.api_key = value;
      s.key_source = std::string("$") + d.key_var;
    }
  }
  s.base_url = base_url;
  if (s.base_url.empty()) {
    const char* env = std::getenv(d.base_var);
    s.base_url = env != nullptr && *env != '\0' ? env : d.base_url;
  }
  if (spec.kind == ProviderKind::kOllama && s.base_url.find("://") == std::string::npos) {
    s.base_url = "http://" + s.base_url;  // OLLAMA_HOST is often host:port
  }
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0) {
    return InvalidArgument("the base URL for " + std::string(ProviderName(spec.kind)) +
                           " must start with http:// or https://: " + s.base_url);
  }
  // A key is needed by the public services; local OpenAI-compatible servers
  // (vLLM, llama.cpp, LM Studio) often take none.
  if (s.api_key.empty() && d.key_var != nullptr && s.base_url == d.base_url) {
    return FailedPrecondition("no API key for " + std::string(ProviderName(spec.kind)) + ": set " +
                              d.key_var +
                              ", or name another variable with 'coral ask config --api-key "
                              "env://VAR'");
  }
  return s;
}

Provider::~Provider() {
  // The key leaves memory with the provider, as keys do elsewhere in Coral.
  OPENSSL_cleanse(settings_.api_key.data(), settings_.api_key.size());
}

HttpCall Provider::Describe(const ChatRequest& request) const {
  std::string key = settings_.api_key.empty() ? "" : "<redacted: " + settings_.key_source + ">";
  return {Url(), Headers(key), Body(request)};
}

Result<ChatResponse> Provider::Chat(const ChatRequest& request, const TextFn& on_text) {
  const std::string url = Url();
  const std::string body = Body(request).dump(-1, ' ', false, Json::error_handler_t::replace);
  const std::string who = std::string(name()) + " at " + url;
  std::chrono::milliseconds backoff = settings_.first_backoff;
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<StreamDecoder> decoder = NewDecoder(on_text);
    Status stream_error;
    bool streaming = false;
    std::string error_body;
    net::HttpClientRequest req{.method = "POST",
                               .url = url,
                               .headers = Headers(settings_.api_key),
                               .body = body,
                               .timeout = settings_.timeout,
                               .connect_timeout = settings_.connect_timeout};
    req.on_headers = [&](int status, const net::Headers&) {
      streaming = status == 200;
      return true;
    };
    req.on_body = [&](std::string_view chunk) {
      if (!streaming) {
        if (error_body.size() < 64 * 1024) error_body.append(chunk);
        return true;
      }
      stream_error = decoder->Feed(chunk);
      return stream_error.ok();
    };
    auto resp = net::HttpFetch(req);
    if (!resp.ok()) {
      const Status& s = resp.status();
      if (s.code() == StatusCode::kDeadlineExceeded) {
        return DeadlineExceeded(who + " did not finish within " + Seconds(settings_.timeout) +
                                " (" + s.message() + "); allow more with --timeout");
      }
      if (s.code() == StatusCode::kUnavailable) {
        return Unavailable("cannot reach " + who + ": " + s.message() +
                           "; check that it runs and the base URL (" +
                           DefaultsFor(settings_.spec.kind).base_var + " or ask.base_url)");
      }
      return s.WithContext(who);
    }
    CORAL_TRY(stream_error.WithContext(who));
    if (resp->status == 200) {
      auto answer = decoder->Finish();
      if (!answer.ok()) return answer.status().WithContext(who);
      return answer;
    }
    std::string what = who + " answered HTTP " + std::to_string(resp->status) + ": " +
                       ProviderErrorText(error_body);
    if (resp->status == 401 || resp->status == 403) {
      return Unauthenticated(
          what + "; check the API key in " +
          (settings_.key_source.empty() ? "the provider's key variable" : settings_.key_source));
    }
    if (resp->status == 404) {
      return NotFound(what + "; check the model name '" + settings_.spec.model +
                      "' and the base URL " + settings_.base_url);
    }
    if (resp->status != 429 && resp->status < 500) return FailedPrecondition(what);
    if (attempt >= settings_.max_attempts) {
      return Unavailable(what + " (gave up after " + std::to_string(attempt) + " attempts)");
    }
    std::chrono::milliseconds wait = RetryAfter(resp->headers).value_or(backoff);
    if (wait > settings_.max_retry_wait) {
      return ResourceExhausted(what + "; it asks to retry after " + Seconds(wait) +
                               ", longer than the " + Seconds(settings_.max_retry_wait) +
                               " coral ask waits");
    }
    CORAL_LOG_WARN("{} answered HTTP {}; retrying in {} (attempt {} of {})", name(), resp->status,
                   Seconds(wait), attempt + 1, settings_.max_attempts);
    std::this_thread::sleep_for(wait);
    backoff *= 2;
  }
}

Result<std::unique_ptr<Provider>> MakeProvider(ProviderSettings settings) {
  switch (settings.spec.kind) {
    case ProviderKind::kOpenAi:
      return NewOpenAiProvider(std::move(settings));
    case ProviderKind::kAnthropic:
      return NewAnthropicProvider(std::move(settings));
    case ProviderKind::kOllama:
      return NewOllamaProvider(std::move(settings));
  }
  return InvalidArgument("unknown provider");
}

std::string ProviderErrorText(std::string_view body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("error")) {
    const Json& e = doc["error"];
    if (e.is_string()) return e.get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string()) {
      return e["message"].get<std::string>();
    }
  }
  std::string text(body.substr(0, 300));
  return text.empty() ? "(no body)" : text;
}

std::optional<std::chrono::milliseconds> RetryAfter(const net::Headers& headers) {
  if (std::string ms(net::FindHeader(headers, "retry-after-ms")); !ms.empty()) {
    char* end = nullptr;
    double v = std::strtod(ms.c_str(), &end);
    if (end != ms.c_str() && v >= 0 && std::isfinite(v)) {
      return std::chrono::milliseconds(static_cast<int64_t>(v));
    }
  }
  std::string value(net::FindHeader(headers, "retry-after"));
  if (value.empty()) return std::nullopt;
  char* end = nullptr;
  double seconds = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '\0' && seconds >= 0 && std::isfinite(seconds)) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  struct tm tm {};
  if (strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
    int64_t delta = static_cast<int64_t>(timegm(&tm)) - static_cast<int64_t>(time(nullptr));
    return std::chrono::milliseconds(std::max<int64_t>(0, delta) * 1000);
  }
  return std::nullopt;
}

}  // namespace coral::llm
