#include "net/sse_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace coral::net {
namespace {

std::vector<SseEvent> ParseInPieces(std::string_view stream, size_t piece) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& e) {
    events.push_back(e);
    return true;
  });
  for (size_t i = 0; i < stream.size(); i += piece) {
    EXPECT_TRUE(parser.Feed(stream.substr(i, piece)));
  }
  return events;
}

TEST(SseParserTest, EventsComeOutWholeWhereverTheStreamIsSplit) {
  const std::string stream =
      "\xEF\xBB\xBF: a comment\r\n"
      "id: 0\r\n"
      "data:\r\n"
      "\r\n"  // a priming event with empty data: dropped
      "event: message_start\r\n"
      "data: {\"a\":1}\r\n"
      "\r\n"
      "id: 7\n"
      "retry: 3000\n"
      "data: line one\n"
      "data:line two\n"
      "\n"
      "data: cr only\r\r"
      "unknown: field\n"
      "data: tail without blank line\n";
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    auto events = ParseInPieces(stream, piece);
    ASSERT_EQ(events.size(), 3u) << "piece size " << piece;
    EXPECT_EQ(events[0].type, "message_start");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[0].id, "0");
    EXPECT_EQ(events[1].type, "");
    EXPECT_EQ(events[1].data, "line one\nline two");
    EXPECT_EQ(events[1].id, "7");
    EXPECT_EQ(events[1].retry_ms, 3000);
    EXPECT_EQ(events[2].data, "cr only");
  }
}

TEST(SseParserTest, StopsWhenAskedAndReportsAHalfReadEvent) {
  int seen = 0;
  SseParser parser([&](const SseEvent&) { return ++seen < 2; });
  EXPECT_FALSE(parser.Feed("data: 1\n\ndata: 2\n\ndata: 3\n\n"));
  EXPECT_EQ(seen, 2);
  EXPECT_FALSE(parser.Feed("data: 4\n\n"));
  EXPECT_EQ(seen, 2);

  SseParser half([](const SseEvent&) { return true; });
  EXPECT_TRUE(half.Feed("data: 1\n"));
  EXPECT_FALSE(half.Finish());
  EXPECT_TRUE(half.Feed("\n"));
  EXPECT_TRUE(half.Finish());
}

}  // namespace
}  // namespace coral::net
