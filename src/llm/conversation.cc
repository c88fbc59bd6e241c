#include "llm/conversation.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>
#include <tuple>

#include "base/files.h"
#include "base/log.h"

namespace coral::llm {

namespace {

// UTC now in strftime's format; with_micros adds ".uuuuuu" so that saves
// within one second still order.
std::string UtcNow(const char* format, bool with_micros = false) {
  auto now = std::chrono::system_clock::now();
  time_t seconds = std::chrono::system_clock::to_time_t(now);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char text[64];
  strftime(text, sizeof text, format, &tm);
  if (!with_micros) return text;
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                std::chrono::seconds(1);
  char fraction[16];
  snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros.count()));
  return std::string(text) + fraction;
}

bool IsConversationId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

Result<Conversation> Parse(const std::string& text, const std::string& file, bool with_messages) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return Corruption(file + ": not a JSON object");
  Conversation c;
  try {
    c.id = j.value("id", "");
    c.colony = j.value("colony", "");
    c.model = j.value("model", "");
    c.created_at = j.value("created_at", "");
    c.updated_at = j.value("updated_at", "");
  } catch (const Json::exception& e) {
    return Corruption(file + ": " + e.what());
  }
  if (!with_messages) return c;
  for (const Json& m : j.value("messages", Json::array())) {
    ChatMessage message;
    std::string error;
    if (!MessageFromJson(m, message, error)) return Corruption(file + ": " + error);
    c.messages.push_back(std::move(message));
  }
  return c;
}

}  // namespace

Conversation ConversationStore::New(const std::string& colony, const std::string& model) const {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string suffix;
  for (int i = 0; i < 6; ++i) suffix += kHex[rd() % 16];
  Conversation c;
  c.id = UtcNow("%Y%m%dT%H%M%SZ") + "-" + suffix;
  c.colony = colony;
  c.model = model;
  c.created_at = UtcNow("%Y-%m-%dT%H:%M:%SZ");
  return c;
}

Status ConversationStore::Save(Conversation& c) const {
  c.updated_at = UtcNow("%Y-%m-%dT%H:%M:%S", true);
  Json messages = Json::array();
  for (const ChatMessage& m : c.messages) messages.push_back(MessageToJson(m));
  Json doc = {{"id", c.id},
              {"colony", c.colony},
              {"model", c.model},
              {"created_at", c.created_at},
              {"updated_at", c.updated_at},
              {"messages", messages}};
  CORAL_TRY(MakeDirs(dir_, FileMode::kPrivate));
  return WriteFileAtomic(dir_ / (c.id + ".json"),
                         doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n",
                         FileMode::kPrivate);
}

Result<Conversation> ConversationStore::Load(const std::string& id) const {
  if (!IsConversationId(id)) {
    return InvalidArgument("'" + id + "' is not a conversation id; see 'coral ask list'");
  }
  std::filesystem::path file = dir_ / (id + ".json");
  if (!std::filesystem::exists(file)) {
    return NotFound("no conversation " + id + " in " + dir_.string() + "; see 'coral ask list'");
  }
  return Parse(CORAL_TRY(ReadFile(file)), file.string(), true);
}

Result<std::vector<Conversation>> ConversationStore::List() const {
  std::vector<Conversation> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto c = Parse(CORAL_TRY(ReadFile(entry.path())), entry.path().string(), false);
    if (!c.ok()) {
      CORAL_LOG_WARN("skipping a conversation file that does not parse: {}", c.status().message());
      continue;
    }
    out.push_back(std::move(*c));
  }
  if (ec) return IoError("listing " + dir_.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const Conversation& a, const Conversation& b) {
    return std::tie(a.updated_at, a.id) > std::tie(b.updated_at, b.id);
  });
  return out;
}

Result<Conversation> ConversationStore::Latest() const {
  auto all = CORAL_TRY(List());
  if (all.empty()) {
    return NotFound("no saved conversation with this colony yet (" + dir_.string() +
                    "); ask a question first");
  }
  return Load(all.front().id);
}

}  // namespace coral::llm
