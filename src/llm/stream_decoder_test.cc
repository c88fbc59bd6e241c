// Each provider's stream decoder fed the same stream split at every byte
// position: text, tool calls and errors come out the same whatever the
// chunk boundaries.
#include <gtest/gtest.h>

#include "llm/provider.h"

namespace coral::llm {
namespace {

struct Decoded {
  Result<ChatResponse> response = Internal("not decoded");
  std::string streamed;
};

// Feeds `stream` in two pieces split at `cut`.
Decoded Decode(const Provider& provider, const std::string& stream, size_t cut) {
  Decoded d;
  auto decoder = provider.NewDecoder([&](std::string_view t) { d.streamed += t; });
  Status s = decoder->Feed(std::string_view(stream).substr(0, cut));
  if (s.ok()) s = decoder->Feed(std::string_view(stream).substr(cut));
  d.response = s.ok() ? decoder->Finish() : Result<ChatResponse>(s);
  return d;
}

ProviderSettings Settings(ProviderKind kind) {
  ProviderSettings s;
  s.spec = {kind, "m"};
  s.base_url = "http://127.0.0.1:1";
  return s;
}

void ExpectEverySplit(const Provider& provider, const std::string& stream, const std::string& text,
                      const std::vector<ToolCall>& calls, const std::string& stop) {
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Decoded d = Decode(provider, stream, cut);
    ASSERT_TRUE(d.response.ok()) << "cut " << cut << ": " << d.response.status().ToString();
    EXPECT_EQ(d.response->text, text) << "cut " << cut;
    EXPECT_EQ(d.streamed, text) << "cut " << cut;
    EXPECT_EQ(d.response->tool_calls, calls) << "cut " << cut;
    EXPECT_EQ(d.response->stop_reason, stop) << "cut " << cut;
  }
}

// An error the provider reports in the stream fails the answer, saying what
// the provider said, wherever the stream is split.
void ExpectStreamError(const Provider& provider, const std::string& stream,
                       const std::string& says) {
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Decoded d = Decode(provider, stream, cut);
    ASSERT_FALSE(d.response.ok()) << "cut " << cut;
    EXPECT_NE(d.response.status().message().find(says), std::string::npos)
        << d.response.status().message();
  }
}

TEST(StreamDecoderTest, OpenAiTextAndToolCallDeltas) {
  auto provider = NewOpenAiProvider(Settings(ProviderKind::kOpenAi));
  const Provider& p = *provider;
  std::string stream =
      ": keep-alive\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hé "
      "\"}}]}\r\n\r\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"there\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\","
      "\"type\":\"function\",\"function\":{\"name\":\"t1\",\"arguments\":\"\"}},{\"index\":1,"
      "\"id\":\"c2\",\"function\":{\"name\":\"t2\",\"arguments\":\"{}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
      "{\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
      "{\"arguments\":\"1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\n"
      "data: [DONE]\n\n";
  ExpectEverySplit(p, stream, "Hé there", {{"c1", "t1", "{\"a\":1}"}, {"c2", "t2", "{}"}},
                   "tool_calls");
  Decoded cut_short = Decode(
      p,
      stream.substr(
          0,
          stream.find(
              "data: "
              "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":")),
      0);
  EXPECT_FALSE(cut_short.response.ok());
  ExpectStreamError(p, "data: {\"error\":{\"message\":\"overloaded\"}}\n\n", "overloaded");
}

TEST(StreamDecoderTest, AnthropicBlocksPingsAndErrors) {
  auto provider = NewAnthropicProvider(Settings(ProviderKind::kAnthropic));
  const Provider& p = *provider;
  std::string stream =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
      "{\"input_tokens\":5}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: ping\ndata: {\"type\": \"ping\"}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"Looking\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"t\",\"input\":{}}}"
      "\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"since\\\": \"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"1h\\\"}\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"tool_use\"},\"usage\":{\"output_tokens\":12}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  ExpectEverySplit(p, stream, "Looking", {{"toolu_1", "t", "{\"since\": \"1h\"}"}}, "tool_use");
  ExpectStreamError(p,
                    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                    "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
                    "Overloaded");
  EXPECT_FALSE(Decode(p, stream.substr(0, stream.find("event: message_stop")), 3).response.ok());
}

TEST(StreamDecoderTest, OllamaNdjsonLines) {
  auto provider = NewOllamaProvider(Settings(ProviderKind::kOllama));
  const Provider& p = *provider;
  std::string stream =
      "{\"message\":{\"role\":\"assistant\",\"content\":\"The \"},\"done\":false}\n"
      "{\"message\":{\"role\":\"assistant\",\"content\":\"answer\"},\"done\":false}\r\n"
      "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":"
      "{\"name\":\"t\",\"arguments\":{\"limit\":3}}}]},\"done\":false}\n"
      "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":"
      "\"stop\",\"eval_count\":4}";  // no final newline
  ExpectEverySplit(p, stream, "The answer", {{"", "t", "{\"limit\":3}"}}, "stop");
  ExpectStreamError(p, "{\"error\":\"model 'm' not found\"}\n", "not found");
}

}  // namespace
}  // namespace coral::llm
