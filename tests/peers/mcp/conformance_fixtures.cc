#include "conformance_fixtures.h"

#include <chrono>
#include <map>
#include <optional>
#include <thread>

namespace coral::mcp {
namespace {

using namespace std::chrono_literals;

// A 1x1 red PNG and an eight-sample silent 8 kHz WAV.
constexpr char kPng[] =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
constexpr char kWav[] = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";

Json Text(const std::string& text) { return {{"type", "text"}, {"text", text}}; }
Json Image() { return {{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}}; }
Json Embedded(const std::string& uri, const std::string& mime, const std::string& text) {
  return {{"type", "resource"}, {"resource", {{"uri", uri}, {"mimeType", mime}, {"text", text}}}};
}

ToolResult Content(Json blocks) { return ToolResult{.content = std::move(blocks)}; }

Json StringProperty(const std::string& description) {
  return {{"type", "string"}, {"description", description}};
}

Json ObjectSchema(Json properties = Json::object(), Json required = Json::array()) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}};
}

// Asks the client through elicitation/create and reports what it answered.
Result<ToolResult> Elicit(RequestContext& ctx, Json params, const std::string& prefix) {
  if (!ctx.ClientSupports("elicitation")) {
    return FailedPrecondition("the client did not declare the elicitation capability");
  }
  Json answer = CORAL_TRY(ctx.RequestClient("elicitation/create", std::move(params)));
  std::string action = answer.value("action", "");
  Json content = answer.value("content", Json::object());
  return ToolResult::Text(prefix + "action=" + action + ", content=" + Serialize(content));
}

void AddTools(McpServer& server) {
  auto simple = [&server](std::string name, std::string description, Json blocks) {
    server.AddTool({.name = std::move(name),
                    .description = std::move(description),
                    .input_schema = ObjectSchema(),
                    .handler = [blocks](const Json&, RequestContext&) -> Result<ToolResult> {
                      return Content(blocks);
                    }});
  };
  simple("test_simple_text", "Returns simple text",
         Json::array({Text("This is a simple text response for testing.")}));
  simple("test_image_content", "Returns a PNG image", Json::array({Image()}));
  simple("test_audio_content", "Returns a WAV clip",
         Json::array({{{"type", "audio"}, {"data", kWav}, {"mimeType", "audio/wav"}}}));
  simple("test_embedded_resource", "Returns an embedded resource",
         Json::array({Embedded("test://embedded-resource", "text/plain",
                               "This is an embedded resource content.")}));
  simple("test_multiple_content_types", "Returns text, an image and a resource",
         Json::array({Text("Multiple content types test:"), Image(),
                      Embedded("test://mixed-content-resource", "application/json",
                               R"({"test":"data","value":123})")}));

  server.AddTool({.name = "test_tool_with_logging",
                  .description = "Logs three messages while it runs",
                  .input_schema = ObjectSchema(),
                  .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
                    ctx.Log(LogLevel::kInfo, "conformance", "Tool execution started");
                    std::this_thread::sleep_for(50ms);
                    ctx.Log(LogLevel::kInfo, "conformance", "Tool processing data");
                    std::this_thread::sleep_for(50ms);
                    ctx.Log(LogLevel::kInfo, "conformance", "Tool execution completed");
                    return ToolResult::Text("Tool with logging executed successfully");
                  }});
  server.AddTool({.name = "test_error_handling",
                  .description = "Always fails",
                  .input_schema = ObjectSchema(),
                  .handler = [](const Json&, RequestContext&) -> Result<ToolResult> {
                    return Internal("This tool intentionally returns an error for testing");
                  }});
  server.AddTool({.name = "test_tool_with_progress",
                  .description = "Reports progress 0, 50, 100 of 100",
                  .input_schema = ObjectSchema(),
                  .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
                    for (double p : {0.0, 50.0, 100.0}) {
                      if (p > 0) std::this_thread::sleep_for(50ms);
                      ctx.ReportProgress(p, 100);
                    }
                    return ToolResult::Text("Tool with progress executed successfully");
                  }});
  server.AddTool(
      {.name = "test_sampling",
       .description = "Asks the client's model to complete a prompt",
       .input_schema =
           ObjectSchema({{"prompt", StringProperty("The prompt to send to the LLM")}}, {"prompt"}),
       .handler = [](const Json& args, RequestContext& ctx) -> Result<ToolResult> {
         if (!ctx.ClientSupports("sampling")) {
           return FailedPrecondition("the client did not declare the sampling capability");
         }
         Json params = {
             {"messages", Json::array({{{"role", "user"},
                                        {"content", Text(args["prompt"].get<std::string>())}}})},
             {"maxTokens", 100}};
         Json answer = CORAL_TRY(ctx.RequestClient("sampling/createMessage", std::move(params)));
         Json content = answer.value("content", Json::object());
         std::string text = content.is_object() ? content.value("text", "") : "";
         return ToolResult::Text("LLM response: " + text);
       }});
  server.AddTool(
      {.name = "test_elicitation",
       .description = "Asks the user for a name and an email",
       .input_schema =
           ObjectSchema({{"message", StringProperty("The message to show the user")}}, {"message"}),
       .handler = [](const Json& args, RequestContext& ctx) -> Result<ToolResult> {
         Json params = {
             {"message", args["message"]},
             {"requestedSchema", ObjectSchema({{"username", StringProperty("User's response")},
                                               {"email", StringProperty("User's email address")}},
                                              {"username", "email"})}};
         return Elicit(ctx, std::move(params), "User response: ");
       }});
  server.AddTool(
      {.name = "test_elicitation_sep1034_defaults",
       .description = "Elicits values with defaults of every primitive type",
       .input_schema = ObjectSchema(),
       .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         Json props = {
             {"name", {{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
             {"age", {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
             {"score", {{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
             {"status",
              {{"type", "string"},
               {"description", "User status"},
               {"enum", {"active", "inactive", "pending"}},
               {"default", "active"}}},
             {"verified",
              {{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}};
         return Elicit(ctx,
                       {{"message", "Please review and update the form fields with defaults"},
                        {"requestedSchema", ObjectSchema(props)}},
                       "Elicitation completed: ");
       }});
  server.AddTool(
      {.name = "test_elicitation_sep1330_enums",
       .description = "Elicits each kind of enum field",
       .input_schema = ObjectSchema(),
       .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         auto titled = [](const std::vector<std::pair<const char*, const char*>>& options) {
           Json list = Json::array();
           for (const auto& [value, title] : options) {
             list.push_back({{"const", value}, {"title", title}});
           }
           return list;
         };
         Json props = {
             {"untitledSingle", {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}},
             {"titledSingle",
              {{"type", "string"},
               {"oneOf", titled({{"value1", "First Option"},
                                 {"value2", "Second Option"},
                                 {"value3", "Third Option"}})}}},
             {"legacyEnum",
              {{"type", "string"},
               {"enum", {"opt1", "opt2", "opt3"}},
               {"enumNames", {"Option One", "Option Two", "Option Three"}}}},
             {"untitledMulti",
              {{"type", "array"},
               {"items", {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}}}},
             {"titledMulti",
              {{"type", "array"},
               {"items",
                {{"anyOf", titled({{"value1", "First Choice"},
                                   {"value2", "Second Choice"},
                                   {"value3", "Third Choice"}})}}}}}};
         return Elicit(ctx,
                       {{"message", "Choose from each kind of list"},
                        {"requestedSchema", ObjectSchema(props)}},
                       "Elicitation completed: ");
       }});
  // Keywords of JSON Schema 2020-12 a server must pass on untouched (SEP-1613,
  // and SEP-2106's composition, conditionals and $anchor).
  server.AddTool(
      {.name = "json_schema_2020_12_tool",
       .description = "Tool with JSON Schema 2020-12 features",
       .input_schema =
           {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
            {"type", "object"},
            {"$defs",
             {{"address",
               {{"$anchor", "addressDef"},
                {"type", "object"},
                {"properties",
                 {{"street", {{"type", "string"}}}, {"city", {{"type", "string"}}}}}}}}},
            {"properties",
             {{"name", {{"type", "string"}}},
              {"address", {{"$ref", "#/$defs/address"}}},
              {"contactMethod", {{"type", "string"}, {"enum", {"phone", "email"}}}},
              {"phone", {{"type", "string"}}},
              {"email", {{"type", "string"}}}}},
            {"allOf", Json::array({{{"anyOf", Json::array({{{"required", {"phone"}}},
                                                           {{"required", {"email"}}}})}}})},
            {"if",
             {{"properties", {{"contactMethod", {{"const", "phone"}}}}},
              {"required", {"contactMethod"}}}},
            {"then", {{"required", {"phone"}}}},
            {"else", {{"required", {"email"}}}},
            {"additionalProperties", false}},
       .handler = [](const Json& args, RequestContext&) -> Result<ToolResult> {
         return ToolResult::Text("received " + Serialize(args));
       }});
  server.AddTool({.name = "test_reconnection",
                  .description = "Ends its SSE stream before answering, so the client polls",
                  .input_schema = ObjectSchema(),
                  .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
                    ctx.CloseStream();
                    std::this_thread::sleep_for(100ms);
                    return ToolResult::Text("Reconnection test completed successfully");
                  }});
}

// The answer a client gave under `key` when it accepted an elicitation, or
// nothing.
std::optional<Json> Accepted(const RequestContext& ctx, const std::string& key) {
  const Json* answer = ctx.InputResponse(key);
  if (answer == nullptr || answer->value("action", "") != "accept") return std::nullopt;
  return answer->value("content", Json::object());
}

InputRequest AskFor(const std::string& message, const std::string& field, const char* type) {
  return {.method = "elicitation/create",
          .params = {{"message", message},
                     {"requestedSchema", ObjectSchema({{field, {{"type", type}}}}, {field})}}};
}

InputRequest Sample(const std::string& text, int max_tokens) {
  return {.method = "sampling/createMessage",
          .params = {{"messages", Json::array({{{"role", "user"}, {"content", Text(text)}}})},
                     {"maxTokens", max_tokens}}};
}

InputRequest ListRoots() { return {.method = "roots/list"}; }

std::string SampledText(const RequestContext& ctx, const std::string& key) {
  const Json* answer = ctx.InputResponse(key);
  if (answer == nullptr) return "";
  Json content = answer->value("content", Json::object());
  return content.is_object() ? content.value("text", "") : "";
}

std::string RootUris(const RequestContext& ctx, const std::string& key) {
  std::string uris;
  const Json* answer = ctx.InputResponse(key);
  if (answer == nullptr) return uris;
  for (const Json& root : answer->value("roots", Json::array())) {
    if (!uris.empty()) uris += ", ";
    uris += root.value("uri", "");
  }
  return uris;
}

// The multi round-trip (SEP-2322) tools of the 2026-07-28 scenarios, and the
// ones server-stateless uses to probe what a stateless server may not do.
// Written once, they serve both eras: a handshake client is asked directly.
void AddInputTools(McpServer& server) {
  auto tool = [&server](std::string name, std::string description, ToolHandler handler) {
    server.AddTool({.name = std::move(name),
                    .description = std::move(description),
                    .input_schema = ObjectSchema(),
                    .handler = std::move(handler)});
  };
  tool("test_input_required_result_elicitation", "Asks the user's name, then greets them",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         auto given = Accepted(ctx, "user_name");
         if (!given || !given->value("name", Json()).is_string()) {
           return ToolResult::NeedInput(
               {.requests = {{"user_name", AskFor("What is your name?", "name", "string")}}});
         }
         return ToolResult::Text("Hello, " + (*given)["name"].get<std::string>() + "!");
       });
  tool("test_input_required_result_sampling", "Asks the client's model a question",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         if (ctx.InputResponse("capital_question") == nullptr) {
           return ToolResult::NeedInput(
               {.requests = {{"capital_question", Sample("What is the capital of France?", 100)}}});
         }
         return ToolResult::Text("The model answered: " + SampledText(ctx, "capital_question"));
       });
  tool("test_input_required_result_list_roots", "Asks for the client's roots",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         if (ctx.InputResponse("client_roots") == nullptr) {
           return ToolResult::NeedInput({.requests = {{"client_roots", ListRoots()}}});
         }
         return ToolResult::Text("Client roots: " + RootUris(ctx, "client_roots"));
       });
  tool("test_input_required_result_request_state", "Asks for a confirmation, keeping state",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         auto given = Accepted(ctx, "confirm");
         if (!given || ctx.request_state() != "awaiting-confirmation") {
           return ToolResult::NeedInput(
               {.requests = {{"confirm", AskFor("Please confirm", "ok", "boolean")}},
                .state = "awaiting-confirmation"});
         }
         return ToolResult::Text("state-ok: confirmed=" + given->value("ok", Json(false)).dump());
       });
  tool("test_input_required_result_multiple_inputs", "Asks for three things at once",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         std::map<std::string, InputRequest> missing;
         if (!Accepted(ctx, "user_name")) {
           missing["user_name"] = AskFor("What is your name?", "name", "string");
         }
         if (!ctx.InputResponse("greeting")) {
           missing["greeting"] = Sample("Generate a greeting", 50);
         }
         if (!ctx.InputResponse("client_roots")) missing["client_roots"] = ListRoots();
         if (!missing.empty() || ctx.request_state() != "multi") {
           return ToolResult::NeedInput({.requests = std::move(missing), .state = "multi"});
         }
         return ToolResult::Text(SampledText(ctx, "greeting") + " " +
                                 Accepted(ctx, "user_name")->value("name", "") +
                                 " (roots: " + RootUris(ctx, "client_roots") + ")");
       });
  tool("test_input_required_result_multi_round", "Asks two questions, one round each",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         const std::string& state = ctx.request_state();
         if (state.starts_with("round-2:")) {
           if (auto color = Accepted(ctx, "step2")) {
             return ToolResult::Text(state.substr(8) + " likes " + color->value("color", ""));
           }
         }
         if (state == "round-1") {
           if (auto name = Accepted(ctx, "step1")) {
             return ToolResult::NeedInput(
                 {.requests = {{"step2",
                                AskFor("Step 2: What is your favorite color?", "color", "string")}},
                  .state = "round-2:" + name->value("name", "")});
           }
         }
         return ToolResult::NeedInput(
             {.requests = {{"step1", AskFor("Step 1: What is your name?", "name", "string")}},
              .state = "round-1"});
       });
  tool("test_input_required_result_tampered_state", "Keeps state the server signs",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         if (!Accepted(ctx, "confirm") || ctx.request_state() != "signed-state") {
           return ToolResult::NeedInput(
               {.requests = {{"confirm", AskFor("Please confirm", "ok", "boolean")}},
                .state = "signed-state"});
         }
         return ToolResult::Text("the state came back unaltered");
       });
  tool("test_input_required_result_capabilities",
       "Asks only what the client declared it can answer",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         if (ctx.InputResponse("question") || ctx.InputResponse("name")) {
           return ToolResult::Text("answered");
         }
         std::map<std::string, InputRequest> requests;
         if (ctx.ClientSupports("sampling")) requests["question"] = Sample("Say hello", 20);
         if (ctx.ClientSupports("elicitation")) {
           requests["name"] = AskFor("What is your name?", "name", "string");
         }
         if (requests.empty()) return ToolResult::Text("the client can answer nothing");
         return ToolResult::NeedInput({.requests = std::move(requests)});
       });
  tool("test_streaming_elicitation", "Asks the user something before answering",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         if (auto given = Accepted(ctx, "answer")) return ToolResult::Text("thanks");
         return ToolResult::NeedInput(
             {.requests = {{"answer", AskFor("Anything to add?", "text", "string")}}});
       });
  tool("test_missing_capability", "Needs the client's model (sampling)",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         if (ctx.InputResponse("completion") == nullptr) {
           return ToolResult::NeedInput({.requests = {{"completion", Sample("Say hi", 10)}}});
         }
         return ToolResult::Text("sampled: " + SampledText(ctx, "completion"));
       });
  tool("test_logging_tool", "Logs three messages at info",
       [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         for (const char* step : {"started", "working", "done"}) {
           ctx.Log(LogLevel::kInfo, "conformance", std::string("logging tool ") + step);
         }
         return ToolResult::Text("logged three messages");
       });
  // SEP-2243: the region argument travels in an Mcp-Param-Region header too.
  server.AddTool(
      {.name = "test_custom_header",
       .description = "Echoes a region the client also sends as a header",
       .input_schema = ObjectSchema(
           {{"region",
             {{"type", "string"}, {"description", "A region"}, {"x-mcp-header", "Region"}}}},
           {"region"}),
       .handler = [](const Json& args, RequestContext&) -> Result<ToolResult> {
         return ToolResult::Text("region=" + args.value("region", ""));
       }});
}

void AddResources(McpServer& server) {
  auto text_reader = [](std::string text) {
    return [text](const std::string&, RequestContext&) -> Result<std::vector<ResourceContents>> {
      return std::vector<ResourceContents>{{.text = text}};
    };
  };
  server.AddResource({.uri = "test://static-text",
                      .name = "static-text",
                      .description = "A static text resource",
                      .mime_type = "text/plain",
                      .reader = text_reader("This is the content of the static text resource.")});
  server.AddResource(
      {.uri = "test://static-binary",
       .name = "static-binary",
       .description = "A static PNG",
       .mime_type = "image/png",
       .reader = [](const std::string&, RequestContext&) -> Result<std::vector<ResourceContents>> {
         return std::vector<ResourceContents>{{.blob_base64 = kPng}};
       }});
  server.AddResource({.uri = "test://watched-resource",
                      .name = "watched-resource",
                      .description = "A resource clients can subscribe to",
                      .mime_type = "text/plain",
                      .reader = text_reader("Watched resource content.")});
  server.AddResourceTemplate(
      {.uri_template = "test://template/{id}/data",
       .name = "template-data",
       .description = "Data for an id",
       .mime_type = "application/json",
       .reader = [](const std::string&, const std::map<std::string, std::string>& vars,
                    RequestContext&) -> Result<std::vector<ResourceContents>> {
         const std::string& id = vars.at("id");
         Json data = {{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
         return std::vector<ResourceContents>{{.text = Serialize(data)}};
       }});
}

void AddPrompts(McpServer& server) {
  auto messages = [](std::vector<Json> contents) {
    PromptResult r;
    for (Json& c : contents) r.messages.push_back({.role = "user", .content = std::move(c)});
    return r;
  };
  server.AddPrompt({.name = "test_simple_prompt",
                    .description = "A prompt without arguments",
                    .getter = [messages](const std::map<std::string, std::string>&,
                                         RequestContext&) -> Result<PromptResult> {
                      return messages({Text("This is a simple prompt for testing.")});
                    }});
  server.AddPrompt(
      {.name = "test_prompt_with_arguments",
       .description = "A prompt with two arguments",
       .arguments = {{.name = "arg1", .description = "First test argument", .required = true},
                     {.name = "arg2", .description = "Second test argument", .required = true}},
       .getter = [messages](const std::map<std::string, std::string>& args,
                            RequestContext&) -> Result<PromptResult> {
         return messages({Text("Prompt with arguments: arg1='" + args.at("arg1") + "', arg2='" +
                               args.at("arg2") + "'")});
       },
       .completer =
           [](const std::string&, const std::string& value,
              const std::map<std::string, std::string>&) {
             std::vector<std::string> out;
             for (std::string word : {"paris", "park", "party"}) {
               if (word.starts_with(value)) out.push_back(word);
             }
             return out;
           }});
  server.AddPrompt({.name = "test_prompt_with_embedded_resource",
                    .description = "A prompt embedding a resource",
                    .arguments = {{.name = "resourceUri",
                                   .description = "URI of the resource to embed",
                                   .required = true}},
                    .getter = [messages](const std::map<std::string, std::string>& args,
                                         RequestContext&) -> Result<PromptResult> {
                      return messages({Embedded(args.at("resourceUri"), "text/plain",
                                                "Embedded resource content for testing."),
                                       Text("Please process the embedded resource above.")});
                    }});
  server.AddPrompt(
      {.name = "test_input_required_result_prompt",
       .description = "A prompt that asks the user for context first",
       .getter = [messages](const std::map<std::string, std::string>&,
                            RequestContext& ctx) -> Result<PromptResult> {
         auto given = Accepted(ctx, "user_context");
         if (!given) {
           return PromptResult::NeedInput(
               {.requests = {{"user_context", AskFor("What context should the prompt use?",
                                                     "context", "string")}}});
         }
         return messages({Text("Context: " + given->value("context", ""))});
       }});
  server.AddPrompt({.name = "test_prompt_with_image",
                    .description = "A prompt with an image",
                    .getter = [messages](const std::map<std::string, std::string>&,
                                         RequestContext&) -> Result<PromptResult> {
                      return messages({Image(), Text("Please analyze the image above.")});
                    }});
}

}  // namespace

void AddConformanceFixtures(McpServer& server) {
  AddTools(server);
  AddInputTools(server);
  AddResources(server);
  AddPrompts(server);
}

}  // namespace coral::mcp
