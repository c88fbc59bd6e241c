#include "net/http.h"

#include <strings.h>

namespace coral::net {

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      int hi = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return InvalidArgument("bad %-escape in the query string");
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return InvalidArgument("a NUL byte in the query string");
      out += decoded;
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = CORAL_TRY(PercentDecode(part.substr(0, eq)));
    std::string value;
    if (eq != std::string_view::npos) value = CORAL_TRY(PercentDecode(part.substr(eq + 1)));
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  return {status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  return {status, {{"Content-Type", "application/json"}}, std::move(body)};
}

bool ResponseStream::Write(std::string data) {
  {
    std::lock_guard lock(mu_);
    if (closed_by_writer_ || abandoned_) return false;
    pending_ += data;
  }
  Wake();
  return true;
}

void ResponseStream::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_by_writer_) return;
    closed_by_writer_ = true;
  }
  Wake();
}

void ResponseStream::Wake() {
  // Under the lock, so Abandon returns only once no wake is running: the
  // server may then tear down what `wake_` points into.
  std::lock_guard lock(wake_mu_);
  if (wake_) wake_();
}

bool ResponseStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_by_writer_ || abandoned_;
}

void ResponseStream::Attach(std::function<void()> wake) {
  {
    std::lock_guard lock(wake_mu_);
    wake_ = std::move(wake);
  }
  Wake();  // whatever was written before the server attached
}

bool ResponseStream::Take(std::string* out) {
  std::lock_guard lock(mu_);
  out->swap(pending_);
  pending_.clear();
  return closed_by_writer_;
}

void ResponseStream::Abandon() {
  {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    pending_.clear();
  }
  std::lock_guard lock(wake_mu_);
  wake_ = nullptr;
}

}  // namespace coral::net
