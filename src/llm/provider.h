// LLM providers, chosen as "provider:model":
//   openai:MODEL     Chat Completions at OPENAI_BASE_URL (default
//                    https://api.openai.com/v1); any OpenAI-compatible server
//                    (vLLM, LM Studio, llama.cpp server, OpenRouter)
//   anthropic:MODEL  the Messages API at ANTHROPIC_BASE_URL (default
//                    https://api.anthropic.com)
//   ollama:MODEL     /api/chat at OLLAMA_HOST (default http://127.0.0.1:11434)
//
// Every call streams (SSE for OpenAI and Anthropic, NDJSON for Ollama) and
// hands text to the caller as it arrives. 429 and 5xx answers are retried
// with backoff, honouring Retry-After up to a bound; a bad key, an unknown
// model and an unreachable endpoint are errors that say which and what to
// do. API keys come from environment variables (never from files) and are
// never logged, printed or saved: Describe() shows them redacted.
//
// Thread-safety: one Chat at a time per Provider.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "llm/chat.h"
#include "net/http.h"

namespace coral::llm {

enum class ProviderKind { kOpenAi, kAnthropic, kOllama };

std::string_view ProviderName(ProviderKind kind);

struct ModelSpec {
  ProviderKind kind = ProviderKind::kOpenAi;
  std::string model;
};

// "openai:gpt-4o-mini", "anthropic:claude-sonnet-4-5", "ollama:qwen3". The
// model part may itself contain ':' ("ollama:llama3.1:8b").
Result<ModelSpec> ParseModelSpec(std::string_view spec);

struct ProviderSettings {
  ModelSpec spec;
  std::string base_url;
  std::string api_key;     // a secret: never log or print it
  std::string key_source;  // where the key came from, for messages: "$OPENAI_API_KEY"
  std::chrono::milliseconds timeout{300'000};  // one whole model call
  std::chrono::milliseconds connect_timeout{10'000};
  int max_attempts = 4;                              // 429 / 5xx: the first try and 3 retries
  std::chrono::milliseconds first_backoff{1'000};    // doubles per retry
  std::chrono::milliseconds max_retry_wait{60'000};  // a longer Retry-After fails at once
  int max_tokens = 4096;                             // Anthropic requires it
};

// Settings for `spec` from, in order: the configured key reference
// ("env://VAR": the key is read from $VAR now) and base URL, else the
// conventional variables (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY,
// ANTHROPIC_BASE_URL, OLLAMA_HOST), else the public endpoints. A key
// reference that is not env://, or names an unset variable, is an error;
// OpenAI and Anthropic without any key is an error that names the variable.
Result<ProviderSettings> ResolveProviderSettings(const ModelSpec& spec,
                                                 const std::string& key_reference,
                                                 const std::string& base_url);

// An HTTP request as it would be sent, for --dry-run.
struct HttpCall {
  std::string url;
  net::Headers headers;
  Json body;
};

// Turns one streamed answer into a ChatResponse. Bytes arrive split
// anywhere; text goes to the TextFn as soon as it is complete.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // An error the provider reports inside the stream is a failed Status.
  virtual Status Feed(std::string_view bytes) = 0;
  // The stream ended: the whole answer, or why it is incomplete.
  virtual Result<ChatResponse> Finish() = 0;
};

class Provider {
 public:
  explicit Provider(ProviderSettings settings) : settings_(std::move(settings)) {}
  virtual ~Provider();
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  const ProviderSettings& settings() const { return settings_; }
  std::string_view name() const { return ProviderName(settings_.spec.kind); }

  // The request Chat would send; the key replaced by "<redacted: $VAR>".
  HttpCall Describe(const ChatRequest& request) const;

  // One model call, streamed: text goes to on_text as it arrives.
  Result<ChatResponse> Chat(const ChatRequest& request, const TextFn& on_text);

  // The body in this provider's wire format (public for tests).
  virtual Json Body(const ChatRequest& request) const = 0;
  virtual std::unique_ptr<StreamDecoder> NewDecoder(TextFn on_text) const = 0;

 protected:
  virtual std::string Url() const = 0;
  // Headers with `key` as the credential.
  virtual net::Headers Headers(const std::string& key) const = 0;

 private:
  ProviderSettings settings_;
};

Result<std::unique_ptr<Provider>> MakeProvider(ProviderSettings settings);
// One per wire format (openai.cc, anthropic.cc, ollama.cc); MakeProvider picks.
std::unique_ptr<Provider> NewOpenAiProvider(ProviderSettings settings);
std::unique_ptr<Provider> NewAnthropicProvider(ProviderSettings settings);
std::unique_ptr<Provider> NewOllamaProvider(ProviderSettings settings);

// The error text in a provider's JSON error document: OpenAI's and
// Anthropic's {"error":{"message":...}}, Ollama's {"error":"..."}; the start
// of the body otherwise.
std::string ProviderErrorText(std::string_view body);

// How long Retry-After (or retry-after-ms) asks to wait; nullopt when absent
// or unreadable.
std::optional<std::chrono::milliseconds> RetryAfter(const net::Headers& headers);

}  // namespace coral::llm
