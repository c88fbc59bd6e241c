#include "mcp/json_rpc.h"

#include <limits>
#include <utility>

#include "base/json_text.h"

namespace coral::mcp {
namespace {

// Reads an id that must be a string or an integer that fits int64.
std::optional<RequestId> ReadId(const Json& id) {
  if (id.is_string()) return RequestId(id.get<std::string>());
  if (id.is_number_unsigned()) {
    uint64_t v = id.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return RequestId(static_cast<int64_t>(v));
  }
  if (id.is_number_integer()) return RequestId(id.get<int64_t>());
  return std::nullopt;
}

ParseResult Invalid(std::optional<RequestId> id, std::string message) {
  return {.error = MakeError(std::move(id), error_code::kInvalidRequest, std::move(message))};
}

ParseResult Ok(Message m) { return {.message = std::move(m)}; }

ParseResult ParseResponse(const Json& v) {
  auto id_it = v.find("id");
  if (id_it == v.end()) {
    return Invalid(std::nullopt,
                   "invalid request: a message needs \"method\" (request or "
                   "notification) or \"id\" with \"result\"/\"error\" (response)");
  }
  std::optional<RequestId> id;
  if (!id_it->is_null()) {
    id = ReadId(*id_it);
    if (!id) return Invalid(std::nullopt, "invalid request: \"id\" must be a string or an integer");
  }
  bool has_result = v.contains("result");
  bool has_error = v.contains("error");
  if (has_result == has_error) {
    return Invalid(id, "invalid request: a response needs exactly one of \"result\" and \"error\"");
  }
  if (has_result) {
    if (!id) return Invalid(std::nullopt, "invalid request: a result response needs a non-null id");
    return Ok(Response{.id = *id, .result = v["result"]});
  }
  const Json& e = v["error"];
  if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer() ||
      !e.contains("message") || !e["message"].is_string()) {
    return Invalid(id,
                   "invalid request: \"error\" must be an object with an integer \"code\" "
                   "and a string \"message\"");
  }
  RpcError err{.code = e["code"].get<int>(), .message = e["message"].get<std::string>()};
  if (e.contains("data")) err.data = e["data"];
  return Ok(ErrorResponse{.id = id, .error = std::move(err)});
}

}  // namespace

Json IdToJson(const RequestId& id) {
  return std::visit([](const auto& v) { return Json(v); }, id);
}

std::string IdKey(const RequestId& id) {
  if (const auto* n = std::get_if<int64_t>(&id)) return "i:" + std::to_string(*n);
  return "s:" + std::get<std::string>(id);
}

ErrorResponse MakeError(std::optional<RequestId> id, int code, std::string message,
                        std::optional<Json> data) {
  return {.id = std::move(id),
          .error = {.code = code, .message = std::move(message), .data = std::move(data)}};
}

ParseResult ParseMessage(std::string_view text) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return {.error = MakeError(std::nullopt, error_code::kParseError,
                               "parse error: the message is not valid JSON")};
  }
  return MessageFromJson(value);
}

ParseResult MessageFromJson(const Json& v) {
  if (v.is_array()) {
    return Invalid(std::nullopt,
                   "invalid request: JSON-RPC batches are not supported (MCP removed them in "
                   "2025-06-18); send each message on its own");
  }
  if (!v.is_object()) return Invalid(std::nullopt, "invalid request: a message must be an object");

  // Read the id first so that later errors can answer the request they belong to.
  std::optional<RequestId> id;
  auto id_it = v.find("id");
  if (id_it != v.end() && !id_it->is_null()) id = ReadId(*id_it);

  auto version = v.find("jsonrpc");
  if (version == v.end() || *version != "2.0") {
    return Invalid(id, "invalid request: \"jsonrpc\" must be \"2.0\"");
  }
  auto method = v.find("method");
  if (method == v.end()) return ParseResponse(v);

  if (!method->is_string()) return Invalid(id, "invalid request: \"method\" must be a string");
  if (v.contains("result") || v.contains("error")) {
    return Invalid(id, "invalid request: a request cannot carry \"result\" or \"error\"");
  }
  std::optional<Json> params;
  if (auto p = v.find("params"); p != v.end()) {
    if (!p->is_object() && !p->is_array()) {
      return Invalid(id, "invalid request: \"params\" must be an object or an array");
    }
    params = *p;
  }
  std::string name = method->get<std::string>();
  if (id_it == v.end()) return Ok(Notification{.method = std::move(name), .params = params});
  if (id_it->is_null()) {
    return Invalid(std::nullopt, "invalid request: MCP requests need an id that is not null");
  }
  if (!id) return Invalid(std::nullopt, "invalid request: \"id\" must be a string or an integer");
  return Ok(Request{.id = *id, .method = std::move(name), .params = params});
}

Json ToJson(const Message& message) {
  Json out = {{"jsonrpc", "2.0"}};
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Request>) {
          out["id"] = IdToJson(m.id);
          out["method"] = m.method;
          if (m.params) out["params"] = *m.params;
        } else if constexpr (std::is_same_v<T, Notification>) {
          out["method"] = m.method;
          if (m.params) out["params"] = *m.params;
        } else if constexpr (std::is_same_v<T, Response>) {
          out["id"] = IdToJson(m.id);
          out["result"] = m.result;
        } else {
          out["id"] = m.id ? IdToJson(*m.id) : Json(nullptr);
          Json err = {{"code", m.error.code}, {"message", m.error.message}};
          if (m.error.data) err["data"] = *m.error.data;
          out["error"] = std::move(err);
        }
      },
      message);
  return out;
}

std::string Serialize(const Json& value) { return JsonText(value); }

std::string Serialize(const Message& message) { return Serialize(ToJson(message)); }

}  // namespace coral::mcp
