#include "mcp/json_rpc.h"

#include <gtest/gtest.h>

namespace coral::mcp {
namespace {

// Parses text that must fail and returns the error response, serialized.
std::string ErrorOf(std::string_view text) {
  ParseResult r = ParseMessage(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  return Serialize(Message(*r.error));
}

TEST(JsonRpcTest, ParsesRequestWithIntegerAndStringIds) {
  ParseResult r = ParseMessage(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r.message,
            Message(Request{.id = int64_t{7}, .method = "tools/list", .params = Json::object()}));

  r = ParseMessage(R"({"jsonrpc":"2.0","id":"a-1","method":"ping"})");
  ASSERT_TRUE(r.ok());
  const auto& req = std::get<Request>(*r.message);
  EXPECT_EQ(req.id, RequestId(std::string("a-1")));
  EXPECT_FALSE(req.params.has_value());
  EXPECT_NE(IdKey(RequestId(int64_t{7})), IdKey(RequestId(std::string("7"))));
}

TEST(JsonRpcTest, ParsesNotificationResponseAndError) {
  ParseResult n = ParseMessage(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n.message, Message(Notification{.method = "notifications/initialized"}));

  ParseResult resp = ParseMessage(R"({"jsonrpc":"2.0","id":3,"result":{"ok":true}})");
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(*resp.message, Message(Response{.id = int64_t{3}, .result = {{"ok", true}}}));

  ParseResult err =
      ParseMessage(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})");
  ASSERT_TRUE(err.ok());
  const auto& e = std::get<ErrorResponse>(*err.message);
  EXPECT_FALSE(e.id.has_value());
  EXPECT_EQ(e.error.code, -32700);
  EXPECT_EQ(e.error.message, "bad");
}

TEST(JsonRpcTest, NotJsonIsParseError) {
  EXPECT_EQ(ErrorOf("{\"jsonrpc\":"),
            R"({"error":{"code":-32700,"message":"parse error: the message is not valid JSON"},)"
            R"("id":null,"jsonrpc":"2.0"})");
  EXPECT_EQ(ParseMessage("").error->error.code, error_code::kParseError);
}

TEST(JsonRpcTest, BatchIsRefusedAsInvalidRequestSayingWhy) {
  ParseResult r = ParseMessage(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->error.code, error_code::kInvalidRequest);
  EXPECT_NE(r.error->error.message.find("batches are not supported"), std::string::npos);
  EXPECT_FALSE(r.error->id.has_value());
}

TEST(JsonRpcTest, InvalidRequestsGolden) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {R"(42)",
       R"({"error":{"code":-32600,"message":"invalid request: a message must be an object"},"id":null,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"1.0","id":5,"method":"ping"})",
       R"({"error":{"code":-32600,"message":"invalid request: \"jsonrpc\" must be \"2.0\""},"id":5,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0","id":"x","method":4})",
       R"({"error":{"code":-32600,"message":"invalid request: \"method\" must be a string"},"id":"x","jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
       R"({"error":{"code":-32600,"message":"invalid request: MCP requests need an id that is not null"},"id":null,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
       R"({"error":{"code":-32600,"message":"invalid request: \"id\" must be a string or an integer"},"id":null,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0","id":true,"method":"ping"})",
       R"({"error":{"code":-32600,"message":"invalid request: \"id\" must be a string or an integer"},"id":null,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0","id":2,"method":"ping","params":"x"})",
       R"({"error":{"code":-32600,"message":"invalid request: \"params\" must be an object or an array"},"id":2,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0","id":2,"result":1,"error":{"code":1,"message":"m"}})",
       R"({"error":{"code":-32600,"message":"invalid request: a response needs exactly one of \"result\" and \"error\""},"id":2,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0","id":2,"error":{"code":"x","message":"m"}})",
       R"({"error":{"code":-32600,"message":"invalid request: \"error\" must be an object with an integer \"code\" and a string \"message\""},"id":2,"jsonrpc":"2.0"})"},
      {R"({"jsonrpc":"2.0"})",
       R"j({"error":{"code":-32600,"message":"invalid request: a message needs \"method\" (request or notification) or \"id\" with \"result\"/\"error\" (response)"},"id":null,"jsonrpc":"2.0"})j"},
      {R"({"jsonrpc":"2.0","id":9223372036854775808,"method":"ping"})",
       R"({"error":{"code":-32600,"message":"invalid request: \"id\" must be a string or an integer"},"id":null,"jsonrpc":"2.0"})"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.in), c.out) << c.in;
}

TEST(JsonRpcTest, SerializesEveryKindOnOneLine) {
  EXPECT_EQ(Serialize(Message(Request{.id = int64_t{1}, .method = "ping"})),
            R"({"id":1,"jsonrpc":"2.0","method":"ping"})");
  EXPECT_EQ(Serialize(Message(
                Notification{.method = "notifications/progress", .params = Json{{"progress", 1}}})),
            R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})");
  EXPECT_EQ(Serialize(Message(Response{.id = std::string("r"), .result = Json::object()})),
            R"({"id":"r","jsonrpc":"2.0","result":{}})");
  // Every code the server sends, with data.
  for (int code :
       {error_code::kParseError, error_code::kInvalidRequest, error_code::kMethodNotFound,
        error_code::kInvalidParams, error_code::kInternalError}) {
    std::string s = Serialize(Message(MakeError(int64_t{4}, code, "m", Json{{"k", 1}})));
    EXPECT_EQ(s, R"({"error":{"code":)" + std::to_string(code) +
                     R"(,"data":{"k":1},"message":"m"},"id":4,"jsonrpc":"2.0"})");
  }
  // Newlines inside strings are escaped, and bad UTF-8 does not throw.
  std::string s = Serialize(Message(Response{.id = int64_t{1}, .result = "a\nb\xff"}));
  EXPECT_EQ(s.find('\n'), std::string::npos);
}

TEST(JsonRpcTest, RoundTrips) {
  const Message messages[] = {
      Request{.id = std::string("q"), .method = "tools/call", .params = Json{{"name", "x"}}},
      Notification{.method = "notifications/cancelled", .params = Json{{"requestId", 3}}},
      Response{.id = int64_t{-5}, .result = Json{{"tools", Json::array()}}},
      MakeError(std::nullopt, error_code::kParseError, "bad"),
  };
  for (const Message& m : messages) {
    ParseResult r = ParseMessage(Serialize(m));
    ASSERT_TRUE(r.ok()) << Serialize(m);
    EXPECT_EQ(*r.message, m);
  }
}

}  // namespace
}  // namespace coral::mcp
