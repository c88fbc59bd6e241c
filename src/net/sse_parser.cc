#include "net/sse_parser.h"

#include <charconv>

namespace coral::net {

bool SseParser::Feed(std::string_view bytes) {
  if (stopped_) return false;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') {
        start = i + 1;
        continue;
      }
    }
    if (c != '\r' && c != '\n') continue;
    line_.append(bytes.substr(start, i - start));
    start = i + 1;
    skip_lf_ = c == '\r';
    std::string line = std::move(line_);
    line_.clear();
    if (!Line(line)) {
      stopped_ = true;
      return false;
    }
  }
  line_.append(bytes.substr(start));
  return true;
}

bool SseParser::Line(std::string_view line) {
  if (first_line_) {
    first_line_ = false;
    if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  }
  if (line.empty()) return Dispatch();
  if (line.front() == ':') return true;  // a comment
  std::string_view field = line, value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  } else if (field == "retry") {
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc() && end == value.data() + value.size() && !value.empty()) retry_ms_ = ms;
  }
  return true;  // other fields are ignored, as the standard says
}

bool SseParser::Dispatch() {
  bool keep_going = true;
  if (has_data_ && data_.size() > 1) {
    data_.pop_back();  // the '\n' after the last data line
    keep_going = on_event_(SseEvent{type_, std::move(data_), last_id_, retry_ms_});
  }
  type_.clear();
  data_.clear();
  has_data_ = false;
  return keep_going;
}

}  // namespace coral::net
