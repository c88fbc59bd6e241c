// An incremental parser for Server-Sent Events (the WHATWG "event stream"
// format), as MCP's Streamable HTTP transport and the OpenAI and Anthropic
// streaming APIs send them. Bytes go in as they arrive, split anywhere
// (inside a line, between "\r" and "\n"); whole events come out.
//
// An event is a run of lines ended by a blank line: `data:` lines are joined
// with "\n", `event:` names the type, `id:` and `retry:` are kept; lines
// starting with ':' are comments. Events whose data is empty are dropped, as
// the standard says (servers send such events to prime a stream or keep it
// alive).
//
// Thread-safety: none; one parser per stream.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace coral::net {

struct SseEvent {
  std::string type;  // "" when the event named none ("message" by default)
  std::string data;
  std::string id;  // the last event id seen on the stream so far
  std::optional<int64_t> retry_ms;
};

class SseParser {
 public:
  // Called once per complete event; returning false stops parsing (Feed then
  // returns false too and ignores what is left).
  using EventFn = std::function<bool(const SseEvent&)>;
  explicit SseParser(EventFn on_event) : on_event_(std::move(on_event)) {}

  // Parses the next piece of the stream. False once on_event asked to stop.
  bool Feed(std::string_view bytes);
  // The stream ended: an event not yet ended by a blank line is dropped, as
  // the standard says. True when nothing was left half-read.
  bool Finish() const { return line_.empty() && data_.empty() && !has_data_; }

 private:
  bool Line(std::string_view line);
  bool Dispatch();

  EventFn on_event_;
  std::string line_;        // a line not yet ended
  bool skip_lf_ = false;    // the last byte was '\r': a following '\n' ends nothing new
  bool first_line_ = true;  // for the optional UTF-8 byte order mark
  bool stopped_ = false;
  std::string type_, data_, last_id_;
  bool has_data_ = false;
  std::optional<int64_t> retry_ms_;
};

}  // namespace coral::net
