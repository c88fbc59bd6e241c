// JSON-RPC 2.0 messages as MCP uses them: one message per JSON text (MCP
// dropped batches in 2025-06-18), ids that are strings or integers, params
// that are objects or arrays. Parsing never throws: a malformed message yields
// the error response the receiver should send back, with the JSON-RPC code
// (-32700 parse error, -32600 invalid request) and the request id when one
// could be read.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace coral::mcp {

using Json = nlohmann::json;

// JSON-RPC 2.0 error codes, and the ones MCP adds in the server range.
namespace error_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kResourceNotFound = -32002;  // MCP before 2026-07-28, resources/read
// MCP 2026-07-28 (stateless requests).
inline constexpr int kHeaderMismatch = -32020;  // HTTP headers missing or disagreeing with the body
inline constexpr int kMissingClientCapability = -32021;     // data.requiredCapabilities
inline constexpr int kUnsupportedProtocolVersion = -32022;  // data.supported, data.requested
}  // namespace error_code

// A request id: a string or an integer. JSON-RPC allows null and fractions;
// MCP forbids null for requests, and fractions are refused here too.
using RequestId = std::variant<int64_t, std::string>;

Json IdToJson(const RequestId& id);
// A stable text form for logs and map keys: 7 and "7" stay distinct.
std::string IdKey(const RequestId& id);

struct RpcError {
  int code = error_code::kInternalError;
  std::string message;
  std::optional<Json> data;

  bool operator==(const RpcError&) const = default;
};

struct Request {
  RequestId id;
  std::string method;
  std::optional<Json> params;  // an object or an array when present

  bool operator==(const Request&) const = default;
};

struct Notification {
  std::string method;
  std::optional<Json> params;

  bool operator==(const Notification&) const = default;
};

struct Response {
  RequestId id;
  Json result;

  bool operator==(const Response&) const = default;
};

struct ErrorResponse {
  std::optional<RequestId> id;  // null when the request's id could not be read
  RpcError error;

  bool operator==(const ErrorResponse&) const = default;
};

using Message = std::variant<Request, Notification, Response, ErrorResponse>;

// What parsing one message gives: the message, or the error response to send.
struct ParseResult {
  std::optional<Message> message;
  std::optional<ErrorResponse> error;  // set exactly when message is not

  bool ok() const { return message.has_value(); }
};

ParseResult ParseMessage(std::string_view text);
// The same checks on an already parsed JSON value (never -32700).
ParseResult MessageFromJson(const Json& value);

Json ToJson(const Message& message);
// Compact JSON on one line: strings escape their newlines, so the output never
// contains a raw '\n' (what the stdio transport's framing needs). Invalid
// UTF-8 in strings is replaced rather than thrown on.
std::string Serialize(const Message& message);
std::string Serialize(const Json& value);

ErrorResponse MakeError(std::optional<RequestId> id, int code, std::string message,
                        std::optional<Json> data = std::nullopt);

}  // namespace coral::mcp
