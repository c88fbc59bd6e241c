// coral mcp proxy | list-tools | configure: MCP clients (Claude Desktop,
// Claude Code, Cursor, VS Code) reach the colony's /mcp endpoint.
//
// `proxy` bridges stdio to the endpoint: each line on stdin is one JSON-RPC
// message, POSTed with the API token (CORAL_TOKEN) and the session id the
// colony gave at initialize; each answer is written to stdout as one line.
// stdout carries JSON-RPC only; everything else goes to stderr. An answer
// the colony cannot give (unreachable, 401, 403, ...) becomes a JSON-RPC
// error for that request, so the client is never left waiting.
#include <cstdlib>
#include <iostream>

#include "base/files.h"
#include "cli/context.h"
#include "colony/colony_dir.h"
#include "net/http_client.h"

namespace coral::cli {

namespace {

using JsonValue = nlohmann::json;

struct Endpoint {
  std::string url;
  std::string ca_pem;  // empty for http:// on loopback
  std::string token;
};

// --url, else the selected colony on this host (its CA from the colony
// folder). The token is CORAL_TOKEN: an API token, with its role.
Result<Endpoint> ResolveEndpoint(Context& ctx, const std::string& url_flag,
                                 const std::string& ca_file) {
  Endpoint e;
  const char* token = std::getenv("CORAL_TOKEN");
  if (token == nullptr || *token == '\0') {
    return FailedPrecondition(
        "set CORAL_TOKEN to an API token; make one with 'coral colony token create --role "
        "viewer' on the colony's host");
  }
  e.token = token;
  if (!url_flag.empty()) {
    e.url = url_flag;
    bool loopback_http =
        e.url.rfind("http://127.0.0.1:", 0) == 0 || e.url.rfind("http://localhost:", 0) == 0;
    if (e.url.rfind("https://", 0) != 0 && !loopback_http) {
      return InvalidArgument("--url must be https:// (plain http only on loopback): " + e.url);
    }
    if (!ca_file.empty()) e.ca_pem = CORAL_TRY(ReadFile(ca_file));
    if (e.url.rfind("https://", 0) == 0 && e.ca_pem.empty()) {
      return InvalidArgument("an https --url needs --ca-file: the colony's ca.crt");
    }
    return e;
  }
  auto sel = CORAL_TRY(colony::SelectColony(ctx.home, ctx.flags.colony));
  auto cfg = CORAL_TRY(colony::LoadColony(ctx.home, sel.id));
  e.url = "https://127.0.0.1:" + std::to_string(cfg.public_port) + "/mcp";
  e.ca_pem = CORAL_TRY(ReadFile(ca_file.empty() ? ctx.home.colony_dir(sel.id) / "ca.crt"
                                                : std::filesystem::path(ca_file)));
  return e;
}

class McpHttpClient {
 public:
  explicit McpHttpClient(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

  // POSTs one message; the answer (nullopt for 202), or an error saying why.
  Result<std::optional<JsonValue>> Post(const std::string& body) {
    net::HttpClientRequest req{.method = "POST",
                               .url = endpoint_.url,
                               .body = body,
                               .timeout = std::chrono::seconds(120),
                               .ca_pem = endpoint_.ca_pem};
    req.headers = {{"Authorization", "Bearer " + endpoint_.token},
                   {"Content-Type", "application/json"},
                   {"Accept", "application/json, text/event-stream"}};
    if (!session_.empty()) req.headers.push_back({"Mcp-Session-Id", session_});
    if (!version_.empty()) req.headers.push_back({"MCP-Protocol-Version", version_});
    auto resp = CORAL_TRY(net::HttpFetch(req));
    if (resp.status == 202) return std::optional<JsonValue>();
    JsonValue answer = JsonValue::parse(resp.body, nullptr, false);
    if (resp.status != 200 || answer.is_discarded()) {
      JsonValue err = JsonValue::parse(resp.body, nullptr, false);
      std::string why = err.is_object() && err.contains("error") && err["error"].is_string()
                            ? err["error"].get<std::string>()
                            : resp.body.substr(0, 200);
      return Unavailable("the colony answered HTTP " + std::to_string(resp.status) + ": " + why);
    }
    if (std::string id(resp.header("Mcp-Session-Id")); !id.empty()) session_ = id;
    if (answer.is_object() && answer.contains("result") && answer["result"].is_object() &&
        answer["result"].contains("protocolVersion")) {
      version_ = answer["result"]["protocolVersion"].get<std::string>();
    }
    return std::optional<JsonValue>(std::move(answer));
  }
  void Close() {
    if (session_.empty()) return;
    net::HttpClientRequest req{.method = "DELETE",
                               .url = endpoint_.url,
                               .timeout = std::chrono::seconds(10),
                               .ca_pem = endpoint_.ca_pem};
    req.headers = {{"Authorization", "Bearer " + endpoint_.token}, {"Mcp-Session-Id", session_}};
    (void)net::HttpFetch(req);
    session_.clear();
  }
  // A request of our own (list-tools): its result, or the error it got.
  Result<JsonValue> Call(const std::string& method, JsonValue params) {
    JsonValue msg = {{"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", params}};
    auto answer = CORAL_TRY(Post(msg.dump()));
    if (!answer || !answer->contains("result")) {
      return Unavailable(method + ": " + (answer ? (*answer)["error"].dump() : "no answer"));
    }
    return (*answer)["result"];
  }

 private:
  Endpoint endpoint_;
  std::string session_, version_;
  int id_ = 0;
};

Status RunProxy(Context& ctx, const std::string& url, const std::string& ca_file) {
  McpHttpClient client(CORAL_TRY(ResolveEndpoint(ctx, url, ca_file)));
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    JsonValue request = JsonValue::parse(line, nullptr, false);
    auto answer = client.Post(line);
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
      std::cout << error.dump() << "\n" << std::flush;
    }
  }
  client.Close();
  return Status::Ok();
}

Status RunListTools(Context& ctx, const std::string& url, const std::string& ca_file) {
  McpHttpClient client(CORAL_TRY(ResolveEndpoint(ctx, url, ca_file)));
  CORAL_TRY(
      client.Call("initialize", {{"protocolVersion", "2025-11-25"},
                                 {"capabilities", JsonValue::object()},
                                 {"clientInfo", {{"name", "coral-cli"}, {"version", "0.1.0"}}}}));
  CORAL_TRY(client.Post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  Json rows = Json::array();
  JsonValue params = JsonValue::object();
  for (int page = 0; page < 100; ++page) {
    JsonValue result = CORAL_TRY(client.Call("tools/list", params));
    for (const auto& t : result.value("tools", JsonValue::array())) {
      bool read_only = t.contains("annotations") && t["annotations"].value("readOnlyHint", false);
      rows.push_back({{"name", t.value("name", "")},
                      {"title", t.value("title", "")},
                      {"read_only", read_only},
                      {"description", t.value("description", "")}});
    }
    if (!result.contains("nextCursor")) break;
    params = {{"cursor", result["nextCursor"]}};
  }
  client.Close();
  ctx.out.List(ctx.out.format() == Format::kTable
                   ? std::vector<std::string>{"name", "title", "read_only"}
                   : std::vector<std::string>{"name", "title", "read_only", "description"},
               rows, "The colony serves no tools.");
  return Status::Ok();
}

Status RunConfigure(Context& ctx) {
  auto sel = CORAL_TRY(colony::SelectColony(ctx.home, ctx.flags.colony));
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
  ctx.out.Object(Json::parse(out.dump()));
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
