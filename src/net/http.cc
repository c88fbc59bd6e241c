#include "net/http.h"

#include <strings.h>

namespace coral::net {

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return {};
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  return {status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  return {status, {{"Content-Type", "application/json"}}, std::move(body)};
}

bool ResponseStream::Write(std::string data) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_by_writer_ || abandoned_) return false;
    pending_ += data;
    wake = wake_;
  }
  if (wake) wake();
  return true;
}

void ResponseStream::Close() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_by_writer_) return;
    closed_by_writer_ = true;
    wake = wake_;
  }
  if (wake) wake();
}

bool ResponseStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_by_writer_ || abandoned_;
}

void ResponseStream::Attach(std::function<void()> wake) {
  {
    std::lock_guard lock(mu_);
    wake_ = wake;
  }
  wake();  // whatever was written before the server attached
}

bool ResponseStream::Take(std::string* out) {
  std::lock_guard lock(mu_);
  out->swap(pending_);
  pending_.clear();
  return closed_by_writer_;
}

void ResponseStream::Abandon() {
  std::lock_guard lock(mu_);
  abandoned_ = true;
  pending_.clear();
  wake_ = nullptr;
}

}  // namespace coral::net
