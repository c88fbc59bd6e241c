#include "llm/chat.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "llm/provider.h"
#include "llm/tool_loop.h"

namespace coral::llm {
namespace {

TEST(ChatTest, ArgumentsMustBeAnObject) {
  EXPECT_EQ(ParseArguments({"1", "t", ""}).value, Json::object());
  EXPECT_EQ(ParseArguments({"1", "t", R"({"a": 1})"}).value, (Json{{"a", 1}}));
  EXPECT_NE(ParseArguments({"1", "t", R"({"a": )"}).error.find("are not a JSON object"),
            std::string::npos);
  EXPECT_NE(ParseArguments({"1", "t", "[1]"}).error.find("JSON array, not an object"),
            std::string::npos);
}

TEST(ChatTest, TruncationKeepsUtf8WholeAndSaysWhatWasCut) {
  std::string text = "ab\xC3\xA9" + std::string(100, 'x');  // é at bytes 2-3
  std::string cut = TruncateForModel(text, 3);
  EXPECT_EQ(cut.substr(0, 3), "ab\n");
  EXPECT_NE(cut.find("it had 104 characters, only the first 2"), std::string::npos) << cut;
  EXPECT_EQ(TruncateForModel("short", 10), "short");
}

TEST(ChatTest, ModelSpecs) {
  auto spec = ParseModelSpec("ollama:llama3.1:8b");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, ProviderKind::kOllama);
  EXPECT_EQ(spec->model, "llama3.1:8b");
  EXPECT_FALSE(ParseModelSpec("gpt-4o").ok());
  EXPECT_FALSE(ParseModelSpec("openai:").ok());
}

TEST(ChatTest, SettingsComeFromConventionalVariablesOrEnvReferences) {
  setenv("OPENAI_API_KEY", "sk-conventional", 1);
  setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1/", 1);
  auto s = ResolveProviderSettings({ProviderKind::kOpenAi, "m"}, "", "");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->api_key, "sk-conventional");
  EXPECT_EQ(s->key_source, "$OPENAI_API_KEY");
  EXPECT_EQ(s->base_url, "http://127.0.0.1:8000/v1");

  setenv("MY_TEAM_KEY", "sk-team", 1);
  auto ref = ResolveProviderSettings({ProviderKind::kOpenAi, "m"}, "env://MY_TEAM_KEY", "");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->api_key, "sk-team");
  auto pasted = ResolveProviderSettings({ProviderKind::kOpenAi, "m"}, "sk-pasted-key", "");
  ASSERT_FALSE(pasted.ok());
  EXPECT_EQ(pasted.status().message().find("sk-pasted-key"), std::string::npos);
  EXPECT_FALSE(ResolveProviderSettings({ProviderKind::kOpenAi, "m"}, "env://UNSET_VAR_X", "").ok());

  unsetenv("ANTHROPIC_API_KEY");
  unsetenv("ANTHROPIC_BASE_URL");
  auto nokey = ResolveProviderSettings({ProviderKind::kAnthropic, "m"}, "", "");
  ASSERT_FALSE(nokey.ok());
  EXPECT_NE(nokey.status().message().find("ANTHROPIC_API_KEY"), std::string::npos);

  setenv("OLLAMA_HOST", "10.1.2.3:11434", 1);
  auto ollama = ResolveProviderSettings({ProviderKind::kOllama, "m"}, "", "");
  ASSERT_TRUE(ollama.ok());
  EXPECT_EQ(ollama->base_url, "http://10.1.2.3:11434");
  EXPECT_EQ(ollama->api_key, "");
  unsetenv("OPENAI_API_KEY");
  unsetenv("OPENAI_BASE_URL");
  unsetenv("MY_TEAM_KEY");
  unsetenv("OLLAMA_HOST");
}

TEST(ChatTest, RetryAfterSecondsMillisecondsAndDates) {
  EXPECT_EQ(RetryAfter({{"Retry-After", "2"}}), std::chrono::milliseconds(2000));
  EXPECT_EQ(RetryAfter({{"retry-after-ms", "150"}, {"Retry-After", "2"}}),
            std::chrono::milliseconds(150));
  EXPECT_EQ(RetryAfter({{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}),
            std::chrono::milliseconds(0));  // in the past
  EXPECT_EQ(RetryAfter({{"Retry-After", "soon"}}), std::nullopt);
  EXPECT_EQ(RetryAfter({}), std::nullopt);
}

TEST(ChatTest, MessagesRoundTripThroughJson) {
  ChatMessage m;
  m.role = Role::kAssistant;
  m.text = "x";
  m.tool_calls = {{"c1", "t", "{}"}};
  ChatMessage back;
  std::string error;
  ASSERT_TRUE(MessageFromJson(MessageToJson(m), back, error)) << error;
  EXPECT_EQ(back, m);
  EXPECT_FALSE(MessageFromJson(Json{{"role", "system"}}, back, error));
}

}  // namespace
}  // namespace coral::llm
