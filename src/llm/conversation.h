// Saved conversations of `coral ask`: one JSON file per conversation under
// CORAL_HOME/conversations/COLONY/ID.json, written atomically (temp file,
// fsync, rename) after every answered question, private to the user (0600).
// They hold the model spec and the messages (questions, answers, tool calls
// and results); never a key, and not the system prompt, which is rebuilt
// from the colony's state on every run.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/chat.h"

namespace coral::llm {

struct Conversation {
  std::string id;  // "20261122T014501Z-3fa2c1": sorts by creation time
  std::string colony;
  std::string model;                   // "openai:gpt-4o-mini"
  std::string created_at, updated_at;  // RFC 3339, UTC
  std::vector<ChatMessage> messages;
};

class ConversationStore {
 public:
  // dir is CORAL_HOME/conversations/COLONY.
  explicit ConversationStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Conversation New(const std::string& colony, const std::string& model) const;
  Status Save(Conversation& conversation) const;  // sets updated_at
  Result<Conversation> Load(const std::string& id) const;
  // The most recently updated conversation; NotFound when there is none.
  Result<Conversation> Latest() const;
  // Every conversation, newest first (messages left out).
  Result<std::vector<Conversation>> List() const;

 private:
  std::filesystem::path dir_;
};

}  // namespace coral::llm
