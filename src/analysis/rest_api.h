// The read side over HTTP, for scripts, dashboards and the web UI: every tool
// of tools.h at /api/v1/<route>, asked with GET and query parameters
// (?service=backend&since=15m) or POST and a JSON object of arguments, and
// answered with the tool's JSON data (answers.h), the same the CLI prints with
// -o json and MCP returns as structuredContent. /api/v1/openapi.json (OpenAPI
// 3.1) describes every route from the same table.
//
// Every call goes through the front door as action "api:<route>" (bearer API
// token; the role each tool needs) and is audited. Errors are JSON
// {"error": message} with 400 (bad arguments), 401, 403, 404, 405, 413, 500,
// or 503 with Retry-After when `max_running` answers are being worked on
// already: heavy questions then cannot take every thread of the listener they
// share with enrollment and MCP.
//
// Thread-safety: Handle is called from the HTTP server's threads at once; the
// colony view and the door are thread-safe.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "analysis/colony_view.h"
#include "auth/front_door.h"
#include "net/http.h"

namespace coral::analysis {

inline constexpr std::string_view kRestPrefix = "/api/v1/";

struct RestApiOptions {
  int max_running = 4;  // answers worked on at once
};

class RestApi {
 public:
  RestApi(ColonyView& colony, auth::FrontDoor& door, std::string version,
          RestApiOptions options = {})
      : colony_(colony), door_(door), version_(std::move(version)), options_(options) {}

  // Whether a request path is this API's.
  static bool Handles(std::string_view path) { return path.starts_with(kRestPrefix); }
  net::HttpResponse Handle(const net::HttpRequest& request);

  // The OpenAPI document, as served.
  std::string OpenApi() const;

 private:
  ColonyView& colony_;
  auth::FrontDoor& door_;
  const std::string version_;
  const RestApiOptions options_;
  std::atomic<int> running_{0};
};

}  // namespace coral::analysis
