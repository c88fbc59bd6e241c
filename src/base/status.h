// Status and Result<T>: how Coral returns expected failures (bad input, I/O,
// network, permissions) as values. Programmer errors use CORAL_CHECK instead.
//
// Messages say what failed, on what, and what to do about it. Callers add
// context on the way up with Status::WithContext("enroll").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/check.h"

namespace coral {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kFailedPrecondition,
  kUnavailable,
  kDeadlineExceeded,
  kResourceExhausted,
  kCorruption,
  kIoError,
  kUnimplemented,
  kInternal,
  kUnauthenticated,  // no valid credentials (a permission problem is kPermissionDenied)
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    CORAL_CHECK(code != StatusCode::kOk, "a failed Status needs a non-ok code");
  }

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "context: message", keeping the code.
  Status WithContext(std::string_view context) const;
  // "not_found: message" (or "ok").
  std::string ToString() const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status AlreadyExists(std::string message);
Status PermissionDenied(std::string message);
Status FailedPrecondition(std::string message);
Status Unavailable(std::string message);
Status DeadlineExceeded(std::string message);
Status ResourceExhausted(std::string message);
Status Corruption(std::string message);
Status IoError(std::string message);
Status Unimplemented(std::string message);
Status Internal(std::string message);
Status Unauthenticated(std::string message);
// An IoError from errno: "what: strerror(err)" (NotFound, PermissionDenied,
// AlreadyExists, or ResourceExhausted for a full disk or quota, when errno
// says so).
Status ErrnoError(std::string_view what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    CORAL_CHECK(!std::get<Status>(data_).ok(), "Result built from an ok Status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const { return ok() ? OkStatus() : std::get<Status>(data_); }

  T& value() & {
    CheckOk();
    return std::get<T>(data_);
  }
  const T& value() const& {
    CheckOk();
    return std::get<T>(data_);
  }
  T&& value() && {
    CheckOk();
    return std::get<T>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  T value_or(T fallback) const& { return ok() ? std::get<T>(data_) : std::move(fallback); }

 private:
  static const Status& OkStatus() {
    static const Status kOk;
    return kOk;
  }
  void CheckOk() const {
    CORAL_CHECK(ok(), "value() on a failed Result: " + std::get<Status>(data_).ToString());
  }

  std::variant<T, Status> data_;
};

namespace internal {
inline Status ToStatus(Status&& s) { return std::move(s); }
template <typename T>
Status ToStatus(Result<T>&& r) {
  return r.status();
}
inline void Unwrap(Status&&) {}
template <typename T>
T Unwrap(Result<T>&& r) {
  return std::move(r).value();
}
}  // namespace internal

}  // namespace coral

// Evaluates expr (a Status or Result<T>); returns its Status from the calling
// function on failure; otherwise yields the Result's value (or nothing).
//   auto store = CORAL_TRY(DuckDbStore::Open(url));
//   CORAL_TRY(WriteFileAtomic(path, data, FileMode::kPrivate));
#define CORAL_TRY(expr)                                                 \
  ({                                                                    \
    auto&& coral_try_result_ = (expr);                                  \
    if (!coral_try_result_.ok()) {                                      \
      return ::coral::internal::ToStatus(std::move(coral_try_result_)); \
    }                                                                   \
    ::coral::internal::Unwrap(std::move(coral_try_result_));            \
  })
