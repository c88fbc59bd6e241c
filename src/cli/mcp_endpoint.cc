#include "cli/mcp_endpoint.h"

#include <cstdlib>

#include "base/files.h"
#include "config/colonies.h"

namespace coral::cli {

Result<mcp::McpEndpoint> ResolveMcpEndpoint(Context& ctx, const std::string& url_flag,
                                            const std::string& ca_file) {
  mcp::McpEndpoint e;
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
  auto sel = CORAL_TRY(config::SelectColony(ctx.home, ctx.flags.colony));
  auto cfg = CORAL_TRY(config::LoadColony(ctx.home, sel.id));
  e.url = "https://127.0.0.1:" + std::to_string(cfg.public_port) + "/mcp";
  e.ca_pem = CORAL_TRY(ReadFile(ca_file.empty() ? ctx.home.colony_dir(sel.id) / "ca.crt"
                                                : std::filesystem::path(ca_file)));
  return e;
}

}  // namespace coral::cli
