#include "analysis/mcp_tools.h"

#include "analysis/tools.h"

namespace coral::analysis {

namespace {

mcp::ToolAnnotations ReadOnly() {
  return {.read_only_hint = true,
          .destructive_hint = false,
          .idempotent_hint = true,
          .open_world_hint = false};
}

}  // namespace

void AddColonyTools(mcp::McpServer& server, ColonyView& colony) {
  for (const Tool& tool : Tools()) {
    server.AddTool({.name = tool.name,
                    .title = tool.title,
                    .description = tool.description,
                    .input_schema = tool.input_schema,
                    .annotations = ReadOnly(),
                    .handler = [&colony, run = tool.run](const Json& args, mcp::RequestContext&)
                        -> Result<mcp::ToolResult> {
                      Answer answer = CORAL_TRY(run(colony, args));
                      mcp::ToolResult result;
                      result.content = Json::array({{{"type", "text"}, {"text", answer.text}}});
                      result.structured_content = std::move(answer.data);
                      return result;
                    }});
  }

  server.AddResource({.uri = "coral://schema",
                      .name = "schema",
                      .title = "Colony tables",
                      .description = "Tables and columns coral_query_sql can read",
                      .mime_type = "text/plain",
                      .reader = [](const std::string& uri, mcp::RequestContext&)
                          -> Result<std::vector<mcp::ResourceContents>> {
                        return std::vector<mcp::ResourceContents>{
                            {.uri = uri, .mime_type = "text/plain", .text = SchemaText()}};
                      }});

  server.AddPrompt(
      {.name = "investigate",
       .title = "Investigate a problem",
       .description = "Look into a symptom with Coral's tools, from the summary down to spans",
       .arguments = {{"symptom", "What is wrong, in the user's words", true},
                     {"service", "The service it concerns, if known", false}},
       .getter = [](const std::map<std::string, std::string>& args,
                    mcp::RequestContext&) -> Result<mcp::PromptResult> {
         std::string service = args.contains("service") ? args.at("service") : "";
         std::string text =
             "Investigate: " + args.at("symptom") + "\n" +
             (service.empty() ? "" : "It concerns the service " + service + ".\n") +
             "Start with coral_service_summary (findings carry their evidence), then "
             "coral_topology to see who calls whom, coral_query_traces with min_duration_ms for "
             "slow requests and coral_get_trace to see where one spent its time, "
             "coral_query_logs with severity error, and coral_host_metrics for saturated hosts. "
             "Say which service is at fault and why, citing the figures you saw.";
         return mcp::PromptResult{.description = "Investigate a problem",
                                  .messages = {mcp::PromptMessage::UserText(text)}};
       }});
}

}  // namespace coral::analysis
