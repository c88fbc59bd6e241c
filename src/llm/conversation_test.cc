#include "llm/conversation.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "base/temp_dir.h"

namespace coral::llm {
namespace {

TEST(ConversationTest, SavedPrivatelyLoadedAndTheLatestFound) {
  TempDir dir("coral-conversations");
  ConversationStore store(dir.path() / "shop-prod-abc123");
  EXPECT_EQ(store.Latest().status().code(), StatusCode::kNotFound);
  Conversation first = store.New("shop-prod-abc123", "openai:m");
  first.messages = {ChatMessage::User("why?")};
  ASSERT_TRUE(store.Save(first).ok());
  Conversation second = store.New("shop-prod-abc123", "ollama:m");
  second.messages = {ChatMessage::User("and now?")};
  ASSERT_TRUE(store.Save(second).ok());
  EXPECT_EQ(*FilePermissions(dir.path() / "shop-prod-abc123" / (first.id + ".json")), 0600u);

  auto latest = store.Latest();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->id, second.id);
  EXPECT_EQ(latest->messages, second.messages);
  auto loaded = store.Load(first.id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->model, "openai:m");
  EXPECT_EQ(store.List()->size(), 2u);
  EXPECT_EQ(store.Load("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Load("nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace coral::llm
