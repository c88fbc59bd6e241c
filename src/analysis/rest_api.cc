#include "analysis/rest_api.h"

#include <charconv>
#include <cmath>

#include "analysis/tools.h"
#include "base/json_text.h"

namespace coral::analysis {

namespace {

constexpr size_t kMaxArgumentsBytes = 64 * 1024;

net::HttpResponse Error(int status, const std::string& message) {
  return net::HttpResponse::Json(status, JsonText(Json{{"error", message}}));
}

// Query parameters as the tool's arguments, typed by its schema.
Result<Json> ArgumentsFromQuery(const Tool& tool, std::string_view query) {
  auto pairs = CORAL_TRY(net::ParseQueryString(query));
  const Json& props = tool.input_schema["properties"];
  Json args = Json::object();
  for (auto& [key, value] : pairs) {
    if (!props.contains(key))
      return InvalidArgument("unknown argument '" + key.substr(0, 40) + "'");
    if (args.contains(key)) return InvalidArgument("argument '" + key + "' given twice");
    std::string type = props[key].value("type", "string");
    if (type == "integer") {
      // Exactly a whole number that fits: 1e3, 5.0 and 2^63 are refused.
      int64_t whole = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), whole);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return InvalidArgument(
            "argument '" + key + "' must be a whole number" +
            (ec == std::errc::result_out_of_range ? " (this one is too large)" : ""));
      }
      args[key] = whole;
    } else if (type == "number") {
      size_t used = 0;
      double number = 0;
      try {
        number = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;  // not a number, or out of range
      }
      if (used == 0 || used != value.size() || !std::isfinite(number)) {
        return InvalidArgument("argument '" + key + "' must be a finite number");
      }
      args[key] = number;
    } else {
      args[key] = std::move(value);
    }
  }
  return args;
}

Result<Json> ArgumentsFromBody(const Tool& tool, const std::string& body) {
  if (body.size() > kMaxArgumentsBytes) return InvalidArgument("arguments are at most 64 KiB");
  Json args = Json::parse(body.empty() ? std::string("{}") : body, nullptr,
                          /*allow_exceptions=*/false);
  if (!args.is_object()) return InvalidArgument("the body must be a JSON object of arguments");
  const Json& props = tool.input_schema["properties"];
  for (const auto& [key, value] : args.items()) {
    if (!props.contains(key))
      return InvalidArgument("unknown argument '" + key.substr(0, 40) + "'");
  }
  return args;
}

Status CheckRequired(const Tool& tool, const Json& args) {
  if (auto req = tool.input_schema.find("required"); req != tool.input_schema.end()) {
    for (const Json& name : *req) {
      if (!args.contains(name.get<std::string>())) {
        return InvalidArgument("missing required argument '" + name.get<std::string>() + "'");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

net::HttpResponse RestApi::Handle(const net::HttpRequest& req) {
  std::string_view route = std::string_view(req.path).substr(kRestPrefix.size());
  if (route == "openapi.json") {
    if (req.method != "GET") return Error(405, "openapi.json takes GET");
    return net::HttpResponse::Json(200, OpenApi());
  }
  const Tool* tool = FindToolByRoute(route);
  if (tool == nullptr) {
    return Error(404, "no such API; /api/v1/openapi.json lists the routes");
  }
  if (req.method != "GET" && req.method != "POST") {
    net::HttpResponse r = Error(405, "/api/v1/" + tool->route + " takes GET or POST");
    r.headers.push_back({"Allow", "GET, POST"});
    return r;
  }
  std::string action = "api:" + tool->route;
  auto caller = door_.Authenticate(auth::FromHttp(req), action);
  if (!caller.ok()) {
    net::HttpResponse r = Error(401, caller.status().message());
    r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"coral\""});
    return r;
  }
  auto args = req.method == "GET" ? ArgumentsFromQuery(*tool, req.query)
                                  : ArgumentsFromBody(*tool, req.body);
  std::string audited = args.ok() ? JsonText(*args) : req.query.substr(0, 512);
  auto pass = door_.Authorize(*caller, action, audited);
  if (!pass.ok()) return Error(403, pass.status().message());
  if (running_.fetch_add(1) >= options_.max_running) {
    running_.fetch_sub(1);
    std::string busy = "the colony is answering " + std::to_string(options_.max_running) +
                       " API requests already; retry in a moment";
    door_.Finish(*pass, 0, busy);
    net::HttpResponse r = Error(503, busy);
    r.headers.push_back({"Retry-After", "1"});
    return r;
  }
  struct Done {
    std::atomic<int>& running;
    ~Done() { running.fetch_sub(1); }
  } done{running_};
  Status checked = args.ok() ? CheckRequired(*tool, *args) : args.status();
  Result<Answer> answer = checked.ok() ? tool->run(colony_, *args) : Result<Answer>(checked);
  if (!answer.ok()) {
    door_.Finish(*pass, 0, answer.status().message());
    return Error(net::HttpStatusOf(answer.status()), answer.status().message());
  }
  std::string body = JsonText(answer->data);
  door_.Finish(*pass, static_cast<int64_t>(body.size()));
  return net::HttpResponse::Json(200, std::move(body));
}

std::string RestApi::OpenApi() const {
  Json paths = Json::object();
  for (const Tool& tool : Tools()) {
    Json parameters = Json::array();
    for (const auto& [name, schema] : tool.input_schema["properties"].items()) {
      bool required = false;
      if (auto req = tool.input_schema.find("required"); req != tool.input_schema.end()) {
        for (const Json& r : *req) required = required || r == name;
      }
      parameters.push_back({{"name", name},
                            {"in", "query"},
                            {"required", required},
                            {"description", schema.value("description", "")},
                            {"schema", schema}});
    }
    Json responses = {
        {"200",
         {{"description", "The answer"},
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
        {"400", {{"description", "Bad arguments"}}},
        {"401", {{"description", "No or unknown credentials"}}},
        {"403", {{"description", "The caller's role does not allow it"}}},
        {"503", {{"description", "Busy with other answers; retry after Retry-After"}}}};
    Json get = {{"operationId", tool.name},
                {"summary", tool.title},
                {"description", tool.description + " Needs role " +
                                    std::string(auth::RoleName(tool.least_role)) + "."},
                {"parameters", parameters},
                {"responses", responses}};
    Json post = {
        {"operationId", tool.name + "_post"},
        {"summary", tool.title},
        {"requestBody", {{"content", {{"application/json", {{"schema", tool.input_schema}}}}}}},
        {"responses", responses}};
    paths["/api/v1/" + tool.route] = {{"get", get}, {"post", post}};
  }
  Json doc = {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "Coral colony API"},
        {"version", version_},
        {"description",
         "The read side of one Coral colony: the same answers as the CLI "
         "(-o json) and the MCP tools."}}},
      {"paths", paths},
      {"components", {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
      {"security", Json::array({{{"bearer", Json::array()}}})}};
  return JsonText(doc);
}

}  // namespace coral::analysis
