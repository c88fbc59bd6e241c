// coral mcp proxy | list-tools | configure: MCP clients (Claude Desktop,
// Claude Code, Cursor, VS Code) reach the colony's /mcp endpoint.
//
// `proxy` bridges stdio to the endpoint: each line on stdin is one JSON-RPC
// message, POSTed with the API token (CORAL_TOKEN) and the session id the
// colony gave at initialize (mcp/client.h); each answer is written to stdout
// as one line, after any notifications the colony streamed with it.
// stdout carries JSON-RPC only; everything else goes to stderr. An answer
// the colony cannot give (unreachable, 401, 403, ...) becomes a JSON-RPC
// error for that request, so the client is never left waiting.
#include <iostream>

#include "base/json_text.h"
#include "cli/context.h"
#include "cli/mcp_endpoint.h"
#include "config/colonies.h"
#include "mcp/client.h"

namespace coral::cli {

namespace {

using JsonValue = nlohmann::json;

Status RunProxy(Context& ctx, const std::string& url, const std::string& ca_file) {
  mcp::McpClient client(CORAL_TRY(ResolveMcpEndpoint(ctx, url, ca_file)));
  // What the colony sends besides the answer (progress, log messages) goes
  // out first, each as its own line.
  auto forward = [](const JsonValue& message) {
    std::cout << JsonText(message) << "\n" << std::flush;
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    JsonValue request = JsonValue::parse(line, nullptr, false);
    auto answer = client.Post(line, forward);
    if (answer.ok()) {
      if (*answer) std::cout << (*answer)->dump() << "\n" << std::flush;
      continue;
    }
    ctx.err << "coral mcp proxy: " << answer.status().message() << "\n";
    // A request still gets an answer: the error, as JSON-RPC.
    if (request.is_object() && request.contains("id") && request.contains("method")) {
      JsonValue error = {{"jsonrpc", "2.0"},
                         {"id", request["id"]},
                         {"error", {{"code", -32000}, {"message", answer.status().message()}}}};
      std::cout << JsonText(error) << "\n" << std::flush;
    }
  }
  client.Close();
  return Status::Ok();
}

Status RunListTools(Context& ctx, const std::string& url, const std::string& ca_file) {
  mcp::McpClient client(CORAL_TRY(ResolveMcpEndpoint(ctx, url, ca_file)));
  CORAL_TRY(client.Connect());
  Json rows = Json::array();
  for (const auto& t : CORAL_TRY(client.ListTools())) {
    bool read_only = t.contains("annotations") && t["annotations"].value("readOnlyHint", false);
    rows.push_back({{"name", t.value("name", "")},
                    {"title", t.value("title", "")},
                    {"read_only", read_only},
                    {"description", t.value("description", "")}});
  }
  client.Close();
  ctx.out.List(ctx.out.format() == Format::kTable
                   ? std::vector<std::string>{"name", "title", "read_only"}
                   : std::vector<std::string>{"name", "title", "read_only", "description"},
               rows, "The colony serves no tools.");
  return Status::Ok();
}

Status RunConfigure(Context& ctx) {
  auto sel = CORAL_TRY(config::SelectColony(ctx.home, ctx.flags.colony));
  std::string coral = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string name = "coral-" + sel.id;
  JsonValue stdio = {{"command", coral},
                     {"args", {"mcp", "proxy", "--colony", sel.id}},
                     {"env",
                      {{"CORAL_TOKEN",
                        "<API token: coral colony token create --role "
                        "viewer>"}}}};
  if (!ctx.home.root().empty()) stdio["args"].push_back("--home=" + ctx.home.root().string());
  JsonValue desktop = {{"mcpServers", {{name, stdio}}}};
  JsonValue vscode = stdio;
  vscode["type"] = "stdio";
  JsonValue out = {
      {"claude_desktop",
       {{"file",
         "~/.config/Claude/claude_desktop_config.json (macOS: ~/Library/Application "
         "Support/Claude/)"},
        {"config", desktop}}},
      {"cursor", {{"file", "~/.cursor/mcp.json"}, {"config", desktop}}},
      {"vscode", {{"file", ".vscode/mcp.json"}, {"config", {{"servers", {{name, vscode}}}}}}},
      {"claude_code",
       {{"command", "claude mcp add " + name + " --env CORAL_TOKEN=<API token> -- " + coral +
                        " mcp proxy --colony " + sel.id}}}};
  if (ctx.out.format() == Format::kTable) {
    std::string text;
    text +=
        "Claude Desktop (" + out["claude_desktop"]["file"].get<std::string>() + "):\n" +
        desktop.dump(2) +
        "\n\nCursor (~/.cursor/mcp.json): the same.\n\nVS Code "
        "(.vscode/mcp.json):\n" +
        out["vscode"]["config"].dump(2) + "\n\nClaude Code:\n  " +
        out["claude_code"]["command"].get<std::string>() +
        "\n\nReplace <API token> with a token from 'coral colony token create --role viewer'.\n";
    ctx.out.Text(text);
    return Status::Ok();
  }
  ctx.out.Object(Json::parse(JsonText(out)));
  return Status::Ok();
}

}  // namespace

void AddMcpCommands(CLI::App& app, Commands& commands) {
  CLI::App* mcp = app.add_subcommand(
      "mcp", "Serve Coral's tools to AI assistants over MCP (the colony's /mcp)");
  mcp->require_subcommand(1);
  auto url = std::make_shared<std::string>();
  auto ca = std::make_shared<std::string>();
  auto add_endpoint_flags = [&](CLI::App* cmd) {
    cmd->add_option("--url", *url,
                    "The colony's MCP endpoint (default: https://127.0.0.1:<public port>/mcp "
                    "of the colony on this host)");
    cmd->add_option("--ca-file", *ca, "The colony's CA certificate (default: its ca.crt here)");
  };
  CLI::App* proxy = mcp->add_subcommand(
      "proxy", "Bridge an MCP client on stdio (Claude Desktop, IDEs) to the colony");
  add_endpoint_flags(proxy);
  proxy->footer(
      "Reads JSON-RPC lines on stdin and writes the answers on stdout (only JSON-RPC there;\n"
      "messages go to stderr). Authenticates with the API token in CORAL_TOKEN, whose role\n"
      "decides which tools work; every call is in 'coral colony audit'.\n"
      "'coral mcp configure' prints ready-to-paste client settings.");
  commands.Bind(proxy, [url, ca](Context& ctx) { return RunProxy(ctx, *url, *ca); });
  CLI::App* list = mcp->add_subcommand("list-tools", "The tools the colony serves");
  add_endpoint_flags(list);
  commands.Bind(list, [url, ca](Context& ctx) { return RunListTools(ctx, *url, *ca); });
  commands.Bind(mcp->add_subcommand("configure",
                                    "Print MCP client settings: Claude Desktop, Claude Code, "
                                    "Cursor, VS Code"),
                RunConfigure);
}

}  // namespace coral::cli
