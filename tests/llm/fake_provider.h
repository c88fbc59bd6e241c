// A fake LLM provider for tests: a loopback HTTP server that speaks one
// provider's wire format exactly (OpenAI Chat Completions, Anthropic
// Messages, Ollama /api/chat), answers each request with the next scripted
// reply (streamed text, streamed tool calls, an HTTP error) and records
// every request it received, so a test can assert what was sent.
//
// Test code only: it never reaches product code.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/http.h"
#include "net/http_server.h"

namespace coral::llm::testing {

using Json = nlohmann::json;

enum class Wire { kOpenAi, kAnthropic, kOllama };
// "OpenAi", "Anthropic", "Ollama": names for parameterized tests.
std::string WireName(Wire wire);

struct ScriptedCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text as the model would write it (maybe malformed)
};

struct Reply {
  int status = 200;
  net::Headers headers;
  std::string body;
};

class FakeProvider {
 public:
  explicit FakeProvider(Wire wire);
  ~FakeProvider();

  Wire wire() const { return wire_; }
  // What OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_HOST should say.
  std::string base_url() const;
  // "openai", "anthropic", "ollama": the provider part of a model spec.
  std::string provider() const;
  // The environment for a coral process that should talk to this server.
  std::vector<std::pair<std::string, std::string>> env() const;
  std::string path() const;  // the request path of this wire format

  void Push(Reply reply);
  std::vector<net::HttpRequest> requests() const;
  std::vector<Json> bodies() const;  // every request body, parsed

  // Replies in this wire format, streamed in small pieces.
  Reply Text(const std::string& text) const;
  Reply ToolCalls(const std::vector<ScriptedCall>& calls, const std::string& text = "") const;
  Reply Error(int status, const std::string& message, net::Headers headers = {}) const;

 private:
  net::HttpResponse Handle(const net::HttpRequest& request);
  // Text, then tool calls when there are any, as one streamed answer.
  Reply Answer(const std::vector<ScriptedCall>& calls, const std::string& text) const;

  Wire wire_;
  mutable std::mutex mu_;  // guards replies_, requests_
  std::deque<Reply> replies_;
  std::vector<net::HttpRequest> requests_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace coral::llm::testing
