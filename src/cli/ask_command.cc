// coral ask: the user's own LLM investigating through the colony's MCP tools.
//
//   coral ask "which service is slow?"     one question, answer streamed to stdout
//   coral ask                              interactive: line editing and history
//   coral ask --continue "and why?"        the latest conversation with this colony
//   coral ask --resume ID "..."            a given one (coral ask list)
//   coral ask --dry-run "..."              the first request, key redacted; nothing sent
//   coral ask config --model openai:gpt-4o-mini --api-key env://OPENAI_API_KEY
//
// The answer goes to stdout; tool calls as they run, notes and errors to
// stderr. With -o json nothing streams and the final answer is one object.
#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "base/duration.h"
#include "base/files.h"
#include "base/ids.h"
#include "cli/context.h"
#include "cli/mcp_endpoint.h"
#include "config/colonies.h"
#include "config/global_config.h"
#include "llm/conversation.h"
#include "llm/provider.h"
#include "llm/tool_loop.h"
#include "mcp/client.h"

namespace coral::cli {

namespace {

using JsonValue = nlohmann::json;

constexpr size_t kMaxStatusChars = 8'000;

struct AskFlags {
  std::vector<std::string> words;
  std::string model;
  bool continue_latest = false;
  std::string resume;
  bool dry_run = false;
  int max_steps = 8;
  int context_tokens = 100'000;
  int max_tool_result_chars = 16'000;
  std::string timeout = "5m";
  std::string url, ca_file;
};

Result<config::GlobalConfig> LoadGlobalConfig(Context& ctx, config::Overrides overrides) {
  return config::LoadConfig<config::GlobalConfig>(ctx.home.global_config(),
                                                  config::kGlobalEnvPrefix, false, overrides);
}

std::string SystemPrompt(const std::string& colony, const std::string& status_text) {
  std::string prompt =
      "You are Coral's investigator for the colony '" + colony +
      "', a self-hosted observability mesh: agents on every host report services, traces, "
      "metrics, logs, TCP connections and health. Answer the user's question about this "
      "application by looking at real data with the tools before you conclude. Cite the "
      "evidence (services, operations, numbers, time windows) and say what you could not "
      "check. Prefer narrow tool calls (filters, short windows, small limits). Be concise.\n\n";
  if (status_text.empty()) {
    prompt += "The colony's current status could not be read; start with coral_status.\n";
  } else {
    prompt += "The colony right now (coral_status, services over the last 15 minutes):\n" +
              llm::TruncateForModel(status_text, kMaxStatusChars) + "\n";
  }
  return prompt;
}

// Whose conversations these are: --colony (which may be a remote colony,
// reached with --url), else the id the colony gave in coral_status, else
// the colony selected on this host.
Result<std::string> ConversationColony(Context& ctx, const std::string& from_status) {
  if (!ctx.flags.colony.empty()) {
    CORAL_TRY(ParseColonyId(ctx.flags.colony));
    return ctx.flags.colony;
  }
  if (!from_status.empty()) return from_status;
  return CORAL_TRY(config::SelectColony(ctx.home, "")).id;
}

// One connection to the colony and the model, for one or more questions.
class AskSession {
 public:
  AskSession(Context& ctx, const AskFlags& flags) : ctx_(ctx), flags_(flags) {}

  Status Open() {
    auto global = CORAL_TRY(LoadGlobalConfig(ctx_, config::Overrides::kApply));
    // What can be checked without the colony is checked first.
    bool continuing = flags_.continue_latest || !flags_.resume.empty();
    if (flags_.model.empty() && global.ask_model.empty() && !continuing) {
      return InvalidArgument(
          "no model chosen: pass --model provider:model (openai:gpt-4o-mini, "
          "anthropic:claude-sonnet-4-5, ollama:qwen3) or set one with 'coral ask config --model'");
    }
    if (!flags_.model.empty()) CORAL_TRY(llm::ParseModelSpec(flags_.model));
    Duration timeout = CORAL_TRY(ParseDuration(flags_.timeout));
    client_ = std::make_unique<mcp::McpClient>(
        CORAL_TRY(ResolveMcpEndpoint(ctx_, flags_.url, flags_.ca_file)),
        mcp::McpClientOptions{.client_name = "coral-ask"});
    CORAL_TRY(
        client_->Connect().status().WithContext("connecting to the colony's MCP endpoint"));
    tools_ = CORAL_TRY(llm::McpToolBox::Load(*client_));

    // The colony's state up front, so the model starts from it.
    std::string status_text, colony;
    if (auto status = client_->CallTool("coral_status", JsonValue::object()); status.ok()) {
      status_text = mcp::ToolResultText(*status);
      const JsonValue& sc = status->value("structuredContent", JsonValue::object());
      if (sc.is_object() && sc.contains("colony_id") && sc["colony_id"].is_string() &&
          ParseColonyId(sc["colony_id"].get<std::string>()).ok()) {
        colony = sc["colony_id"];
      }
    } else {
      ctx_.err << "coral ask: coral_status failed (" << status.status().message()
               << "); going on without the colony's status\n";
    }
    colony = CORAL_TRY(ConversationColony(ctx_, colony));
    store_ = std::make_unique<llm::ConversationStore>(ctx_.home.conversations_dir() / colony);
    if (flags_.continue_latest) {
      conversation_ = CORAL_TRY(store_->Latest());
    } else if (!flags_.resume.empty()) {
      conversation_ = CORAL_TRY(store_->Load(flags_.resume));
    }

    // The model: --model, else the conversation's, else the configured one.
    std::string model = !flags_.model.empty()          ? flags_.model
                        : !conversation_.model.empty() ? conversation_.model
                                                       : global.ask_model;
    if (model.empty()) return InvalidArgument("the conversation names no model: pass --model");
    llm::ModelSpec spec = CORAL_TRY(llm::ParseModelSpec(model));
    // The configured key and base URL belong to the configured provider.
    bool same_provider =
        !global.ask_model.empty() &&
        global.ask_model.rfind(std::string(llm::ProviderName(spec.kind)) + ":", 0) == 0;
    auto settings = CORAL_TRY(llm::ResolveProviderSettings(
        spec, same_provider ? global.ask_api_key : "", same_provider ? global.ask_base_url : ""));
    settings.timeout = timeout;
    provider_ = CORAL_TRY(llm::MakeProvider(std::move(settings)));
    if (conversation_.id.empty()) conversation_ = store_->New(colony, model);
    conversation_.model = model;
    system_ = SystemPrompt(colony, status_text);
    return Status::Ok();
  }

  // The first request for this question, as it would be sent.
  void DryRun(const std::string& question) {
    llm::ChatRequest request{system_, conversation_.messages, tools_->tools(),
                             llm::ToolChoice::kAuto};
    request.messages.push_back(llm::ChatMessage::User(question));
    llm::HttpCall call = provider_->Describe(request);
    JsonValue headers = JsonValue::object();
    for (const auto& [k, v] : call.headers) headers[k] = v;
    if (ctx_.out.format() == Format::kTable) {
      std::string text = "POST " + call.url + "\n";
      for (const auto& [k, v] : call.headers) text += k + ": " + v + "\n";
      ctx_.out.Text(text + "\n" + call.body.dump(2) + "\n");
      return;
    }
    ctx_.out.Object(Json{{"method", "POST"},
                         {"url", call.url},
                         {"headers", Json::parse(headers.dump())},
                         {"body", Json::parse(call.body.dump())}});
  }

  Status Ask(const std::string& question) {
    bool streaming = ctx_.out.format() == Format::kTable;
    bool line_start = true;
    auto end_line = [&] {
      if (!line_start) ctx_.out.Text("\n");
      line_start = true;
      std::cout.flush();
    };
    llm::LoopObserver observer;
    if (streaming) {
      observer.on_text = [&](std::string_view text) {
        ctx_.out.Text(text);
        line_start = text.back() == '\n';
        std::cout.flush();
      };
    }
    observer.on_tool_start = [&](const llm::ToolCall& call) {
      if (streaming) end_line();
      ctx_.err << "  > " << call.name << " " << OneLine(call.arguments, 300) << "\n";
    };
    observer.on_tool_end = [&](const llm::ToolCall& call, const llm::ToolOutcome& outcome,
                               std::chrono::milliseconds took) {
      ctx_.err << "  < " << call.name << " " << took.count() << " ms, " << outcome.text.size()
               << " chars" << (outcome.is_error ? ", error: " + OneLine(outcome.text, 200) : "")
               << "\n";
    };
    observer.on_note = [&](const std::string& note) {
      if (streaming) end_line();
      ctx_.err << "coral ask: " << note << "\n";
    };
    std::vector<llm::ChatMessage> messages = conversation_.messages;
    messages.push_back(llm::ChatMessage::User(question));
    llm::LoopOptions options{
        .max_steps = flags_.max_steps,
        .context_budget_chars = static_cast<size_t>(flags_.context_tokens) * 4,
        .max_tool_result_chars = static_cast<size_t>(flags_.max_tool_result_chars)};
    auto result = llm::RunToolLoop(*provider_, *tools_, system_, messages, options, observer);
    if (streaming) end_line();
    if (!result.ok()) return result.status();
    conversation_.messages = std::move(messages);
    CORAL_TRY(store_->Save(conversation_));
    if (streaming) {
      ctx_.err << "(conversation " << conversation_.id
               << " saved; follow up with: coral ask --continue \"...\")\n";
      return Status::Ok();
    }
    Json calls = Json::array();
    for (const auto& r : result->tool_calls) {
      calls.push_back({{"name", r.call.name},
                       {"arguments", r.call.arguments},
                       {"is_error", r.is_error},
                       {"result_chars", r.result_chars},
                       {"duration_ms", r.took.count()}});
    }
    ctx_.out.Object(Json{{"conversation", conversation_.id},
                         {"colony", conversation_.colony},
                         {"model", conversation_.model},
                         {"answer", result->answer},
                         {"model_calls", result->model_calls},
                         {"bound", result->bound},
                         {"tool_calls", calls}});
    return Status::Ok();
  }

  void Close() {
    if (client_) client_->Close();
  }

  const llm::Conversation& conversation() const { return conversation_; }

 private:
  static std::string OneLine(std::string text, size_t max) {
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return text.size() > max ? text.substr(0, max) + "..." : text;
  }

  Context& ctx_;
  const AskFlags& flags_;
  std::unique_ptr<mcp::McpClient> client_;
  std::unique_ptr<llm::McpToolBox> tools_;
  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<llm::ConversationStore> store_;
  llm::Conversation conversation_;
  std::string system_;
};

// Where questions come from in interactive mode: a terminal gets libedit
// (line editing, history recall, the history kept private in
// CORAL_HOME/conversations/.ask_history); anything else is read line by line.
class QuestionReader {
 public:
  QuestionReader(std::filesystem::path history, std::ostream& err)
      : history_(std::move(history)), tty_(isatty(STDIN_FILENO) == 1), err_(err) {
    if (!tty_) return;
    rl_instream = stdin;
    rl_outstream = stderr;  // stdout carries answers only
    using_history();
    stifle_history(1000);
    read_history(history_.c_str());
  }
  ~QuestionReader() {
    if (!tty_ || !MakeDirs(history_.parent_path(), FileMode::kPrivate).ok()) return;
    write_history(history_.c_str());
    std::error_code ec;  // questions may be sensitive: keep the file private
    std::filesystem::permissions(
        history_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  }
  QuestionReader(const QuestionReader&) = delete;
  QuestionReader& operator=(const QuestionReader&) = delete;

  bool tty() const { return tty_; }

  // The next line; false at the end of input.
  bool Next(std::string& line) {
    if (!tty_) return static_cast<bool>(std::getline(std::cin, line));
    char* text = readline("ask> ");
    if (text == nullptr) {
      err_ << "\n";
      return false;
    }
    line = text;
    free(text);
    if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
    return true;
  }

 private:
  std::filesystem::path history_;
  bool tty_;
  std::ostream& err_;
};

// Questions one a line, in one conversation.
Status RunInteractive(Context& ctx, AskSession& session) {
  if (ctx.out.format() != Format::kTable) {
    return InvalidArgument("interactive mode shows text: give a question to use -o json");
  }
  QuestionReader reader(ctx.home.conversations_dir() / ".ask_history", ctx.err);
  if (reader.tty()) {
    ctx.err << "coral ask: conversation " << session.conversation().id << " with "
            << session.conversation().model << ". One question per line; 'exit' or Ctrl-D ends.\n";
  }
  std::string line;
  // Bounded by the input: every iteration reads a line or ends.
  while (reader.Next(line)) {
    size_t a = line.find_first_not_of(" \t\r");
    if (a == std::string::npos) continue;
    line = line.substr(a, line.find_last_not_of(" \t\r") - a + 1);
    if (line == "exit" || line == "quit") break;
    if (Status s = session.Ask(line); !s.ok()) ctx.err << "coral ask: " << s.message() << "\n";
  }
  return Status::Ok();
}

Status RunAsk(Context& ctx, const AskFlags& flags) {
  if (flags.continue_latest && !flags.resume.empty()) {
    return InvalidArgument("--continue and --resume: choose one");
  }
  if (flags.max_steps < 1 || flags.context_tokens < 1000 || flags.max_tool_result_chars < 500) {
    return InvalidArgument(
        "--max-steps must be at least 1, --context-budget at least 1000 tokens, "
        "--max-tool-result at least 500 characters");
  }
  std::string question;
  for (const auto& w : flags.words) question += (question.empty() ? "" : " ") + w;
  if (flags.dry_run && question.empty()) return InvalidArgument("--dry-run needs a question");
  AskSession session(ctx, flags);
  Status status = session.Open();
  if (status.ok()) {
    if (flags.dry_run) {
      session.DryRun(question);
    } else if (question.empty()) {
      status = RunInteractive(ctx, session);
    } else {
      status = session.Ask(question);
    }
  }
  session.Close();
  return status;
}

struct ConfigFlags {
  std::string model, api_key, base_url;
  bool clear = false;
};

Status RunConfig(Context& ctx, const ConfigFlags& flags) {
  if (!flags.api_key.empty() && flags.api_key.rfind("env://", 0) != 0) {
    // Never echo it: it is probably a key.
    return InvalidArgument(
        "refusing to store an API key: give --api-key env://VARIABLE, naming the environment "
        "variable that holds the key (e.g. env://OPENAI_API_KEY)");
  }
  if (!flags.model.empty()) CORAL_TRY(llm::ParseModelSpec(flags.model));
  bool change =
      flags.clear || !flags.model.empty() || !flags.api_key.empty() || !flags.base_url.empty();
  auto global = CORAL_TRY(LoadGlobalConfig(ctx, config::Overrides::kIgnore));
  if (change) {
    if (flags.clear) global.ask_model = global.ask_api_key = global.ask_base_url = "";
    if (!flags.model.empty()) {
      // Another provider: the old key and base URL were for the old one.
      std::string old = global.ask_model.substr(0, global.ask_model.find(':'));
      if (old != flags.model.substr(0, flags.model.find(':'))) {
        global.ask_api_key = global.ask_base_url = "";
      }
      global.ask_model = flags.model;
    }
    if (!flags.api_key.empty()) global.ask_api_key = flags.api_key;
    if (!flags.base_url.empty()) global.ask_base_url = flags.base_url;
    CORAL_TRY(MakeDirs(ctx.home.root(), FileMode::kPrivate));
    CORAL_TRY(
        config::SaveConfig(ctx.home.global_config(), global, "Coral settings for this machine."));
    // Read back with validation, so a bad value fails here and not at the next ask.
    CORAL_TRY(LoadGlobalConfig(ctx, config::Overrides::kIgnore));
  }
  Json out = {{"model", global.ask_model},
              {"api_key", global.ask_api_key},
              {"base_url", global.ask_base_url}};
  // Where the key would come from now, without showing it.
  std::string key_note;
  if (!global.ask_model.empty()) {
    auto spec = llm::ParseModelSpec(global.ask_model);
    if (spec.ok()) {
      auto settings = llm::ResolveProviderSettings(*spec, global.ask_api_key, global.ask_base_url);
      key_note = settings.ok() ? (settings->key_source.empty() ? "no key (none needed)"
                                                               : settings->key_source + " is set")
                               : settings.status().message();
      if (settings.ok()) out["endpoint"] = settings->base_url;
    }
  }
  out["key_status"] = key_note;
  if (ctx.out.format() == Format::kTable) {
    std::string text =
        "model:      " + (global.ask_model.empty() ? "(none: pass --model)" : global.ask_model) +
        "\napi_key:    " +
        (global.ask_api_key.empty() ? "(the provider's usual variable)" : global.ask_api_key) +
        "\nbase_url:   " + (global.ask_base_url.empty() ? "(default)" : global.ask_base_url) + "\n";
    if (out.contains("endpoint"))
      text += "endpoint:   " + out["endpoint"].get<std::string>() + "\n";
    if (!key_note.empty()) text += "key:        " + key_note + "\n";
    text += "(in " + ctx.home.global_config().string() + ")\n";
    ctx.out.Text(text);
    return Status::Ok();
  }
  ctx.out.Object(out);
  return Status::Ok();
}

Status RunList(Context& ctx) {
  std::string colony = CORAL_TRY(ConversationColony(ctx, ""));
  llm::ConversationStore store(ctx.home.conversations_dir() / colony);
  Json rows = Json::array();
  for (const auto& c : CORAL_TRY(store.List())) {
    rows.push_back(
        {{"id", c.id}, {"model", c.model}, {"created", c.created_at}, {"updated", c.updated_at}});
  }
  ctx.out.List({"id", "model", "created", "updated"}, rows,
               "No saved conversations with this colony.");
  return Status::Ok();
}

}  // namespace

void AddAskCommands(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<AskFlags>();
  CLI::App* ask = app.add_subcommand("ask", "Ask your own LLM to investigate with Coral's tools");
  ask->add_option("question", flags->words,
                  "The question, best in quotes (bare words 'config' and 'list' are the "
                  "subcommands); none: interactive");
  ask->add_option("--model", flags->model,
                  "provider:model: openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, "
                  "ollama:qwen3 (default: coral ask config)");
  ask->add_flag("-c,--continue", flags->continue_latest,
                "Continue the latest conversation with this colony");
  ask->add_option("--resume", flags->resume, "Continue the conversation with this id");
  ask->add_flag("--dry-run", flags->dry_run,
                "Print the first request that would go to the model (key redacted); send nothing");
  ask->add_option("--max-steps", flags->max_steps,
                  "Model calls that may use tools before a summary is asked for (default 8)");
  ask->add_option("--context-budget", flags->context_tokens,
                  "Rough token budget for what is sent; past it a summary is asked for "
                  "(default 100000)");
  ask->add_option("--max-tool-result", flags->max_tool_result_chars,
                  "Characters of one tool result the model sees; longer ones are cut with a note "
                  "(default 16000)");
  ask->add_option("--timeout", flags->timeout, "Time for one model call (default 5m)");
  ask->add_option("--url", flags->url,
                  "The colony's MCP endpoint (default: the colony on this host)");
  ask->add_option("--ca-file", flags->ca_file,
                  "The colony's CA certificate (default: its ca.crt here)");
  ask->footer(
      "The model works through the colony's MCP tools (the ones 'coral mcp list-tools' shows),\n"
      "authenticated with the API token in CORAL_TOKEN. It starts from the colony's status,\n"
      "may call several tools per step (they run in parallel), and answers; each call is shown\n"
      "on stderr with its arguments and duration, the answer streams to stdout.\n"
      "\n"
      "Providers and keys (no config needed when the usual variables are set):\n"
      "  openai:MODEL     OPENAI_API_KEY; OPENAI_BASE_URL for any OpenAI-compatible server\n"
      "                   (vLLM, LM Studio, llama.cpp server, OpenRouter: e.g. "
      "http://host:8000/v1)\n"
      "  anthropic:MODEL  ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL\n"
      "  ollama:MODEL     no key; OLLAMA_HOST (default 127.0.0.1:11434)\n"
      "'coral ask config' stores the model, a key reference (env://VAR only: keys are never\n"
      "stored) and a base URL. 429 and 5xx answers are retried with backoff (Retry-After up\n"
      "to 60 s).\n"
      "\n"
      "Conversations are saved (without keys) in CORAL_HOME/conversations/COLONY/; continue\n"
      "one with --continue or --resume ID ('coral ask list').\n"
      "Without a question, coral ask is interactive: one question per line, in one\n"
      "conversation. On a terminal it has line editing and history recall (libedit; emacs\n"
      "keys, up/down for earlier questions, kept in CORAL_HOME/conversations/.ask_history);\n"
      "from a pipe it reads plain lines. 'exit' or Ctrl-D ends.");

  auto config_flags = std::make_shared<ConfigFlags>();
  CLI::App* config =
      ask->add_subcommand("config", "Show or set the model, key source and base URL");
  config->add_option("--model", config_flags->model, "provider:model");
  config->add_option("--api-key", config_flags->api_key,
                     "Where the key comes from: env://VARIABLE (a key itself is refused)");
  config->add_option("--base-url", config_flags->base_url,
                     "The provider's base URL (OpenAI-compatible servers, proxies, remote Ollama)");
  config->add_flag("--clear", config_flags->clear, "Forget all three");
  commands.Bind(config, [config_flags](Context& ctx) { return RunConfig(ctx, *config_flags); });
  CLI::App* list = ask->add_subcommand("list", "Saved conversations with this colony");
  commands.Bind(list, RunList);

  commands.Bind(ask, [flags, ask](Context& ctx) -> Status {
    if (!ask->get_subcommands().empty()) return Status::Ok();  // config or list ran
    return RunAsk(ctx, *flags);
  });
}

}  // namespace coral::cli
