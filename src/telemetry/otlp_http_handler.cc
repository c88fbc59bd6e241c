#include "telemetry/otlp_http_handler.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "telemetry/gzip.h"
#include "telemetry/json_text.h"
#include "telemetry/otlp_export.h"

namespace coral::telemetry {

namespace {

enum class Encoding { kProtobuf, kJson, kOther };

constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "application/json; charset=utf-8" -> kJson.
Encoding ParseContentType(std::string_view header) {
  std::string type = Lower(header.substr(0, header.find(';')));
  type.erase(std::remove_if(type.begin(), type.end(), [](char c) { return c == ' ' || c == '\t'; }),
             type.end());
  if (type == kProtobufType) return Encoding::kProtobuf;
  if (type == kJsonType) return Encoding::kJson;
  return Encoding::kOther;
}

// google.rpc.Status codes (the gRPC codes).
constexpr int kRpcInvalidArgument = 3;
constexpr int kRpcNotFound = 5;
constexpr int kRpcResourceExhausted = 8;
constexpr int kRpcUnimplemented = 12;
constexpr int kRpcInternal = 13;
constexpr int kRpcUnavailable = 14;

// An error answer: a google.rpc.Status in the request's encoding (plain text
// when the request's encoding is not one we speak).
net::HttpResponse ErrorResponse(int http_status, int rpc_code, const std::string& message,
                                Encoding encoding, std::chrono::seconds retry_after = {}) {
  net::HttpResponse resp;
  resp.status = http_status;
  if (encoding == Encoding::kProtobuf) {
    google::rpc::Status status;
    status.set_code(rpc_code);
    status.set_message(message);
    if (retry_after.count() > 0) {
      google::rpc::RetryInfo retry;
      retry.mutable_retry_delay()->set_seconds(retry_after.count());
      status.add_details()->PackFrom(retry);
    }
    resp.headers.emplace_back("Content-Type", std::string(kProtobufType));
    resp.body = status.SerializeAsString();
  } else if (encoding == Encoding::kJson) {
    resp.headers.emplace_back("Content-Type", std::string(kJsonType));
    resp.body = "{\"code\":" + std::to_string(rpc_code) + ",\"message\":";
    AppendJsonString(resp.body, message);
    resp.body += "}";
  } else {
    resp = net::HttpResponse::Text(http_status, message + "\n");
  }
  if (retry_after.count() > 0) {
    resp.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  }
  return resp;
}

template <Signal S>
net::HttpResponse SuccessResponse(const ExportResult& result, Encoding encoding) {
  using T = SignalTraits<S>;
  net::HttpResponse resp;
  resp.status = 200;
  if (encoding == Encoding::kProtobuf) {
    typename T::Response response;
    if (result.rejected > 0 || !result.message.empty()) {
      T::SetPartial(&response, result.rejected, result.message);
    }
    resp.headers.emplace_back("Content-Type", std::string(kProtobufType));
    resp.body = response.SerializeAsString();
  } else {
    resp.headers.emplace_back("Content-Type", std::string(kJsonType));
    if (result.rejected > 0 || !result.message.empty()) {
      // int64 as a decimal string, as the protobuf JSON mapping writes it.
      resp.body = "{\"partialSuccess\":{\"";
      resp.body += T::kRejectedField;
      resp.body += "\":\"" + std::to_string(result.rejected) + "\",\"errorMessage\":";
      AppendJsonString(resp.body, result.message);
      resp.body += "}}";
    } else {
      resp.body = "{}";
    }
  }
  return resp;
}

template <Signal S>
net::HttpResponse HandleSignal(TelemetrySink& sink, const OtlpHttpOptions& options,
                               Encoding encoding, std::string_view body) {
  auto& scratch = ExportScratch<S>::ForThisThread();
  Status parsed = Status::Ok();
  auto& request = scratch.FreshRequest();
  if (encoding == Encoding::kProtobuf) {
    if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      parsed = InvalidArgument("cannot parse " + request.GetTypeName() + " from " +
                               std::to_string(body.size()) +
                               " bytes of protobuf: truncated, not protobuf, or a string field "
                               "that is not valid UTF-8");
    }
  } else {
    parsed = ParseOtlpJson(body, options.limits, &request);
  }
  ExportResult result = parsed.ok()
                            ? Export<S>(sink, options.limits, request, &scratch.batch)
                            : ToExportResult(parsed, nullptr);
  scratch.batch.Clear();
  switch (result.answer) {
    case ExportAnswer::kOk:
      return SuccessResponse<S>(result, encoding);
    case ExportAnswer::kInvalid:
      return ErrorResponse(400, kRpcInvalidArgument, result.message, encoding);
    case ExportAnswer::kTooLarge:
      return ErrorResponse(413, kRpcResourceExhausted, result.message, encoding);
    case ExportAnswer::kOverloaded:
      return ErrorResponse(429, kRpcResourceExhausted, result.message, encoding,
                           result.retry_after);
    case ExportAnswer::kUnavailable:
      return ErrorResponse(503, kRpcUnavailable, result.message, encoding, result.retry_after);
    case ExportAnswer::kInternal:
      return ErrorResponse(500, kRpcInternal, result.message, encoding);
  }
  return ErrorResponse(500, kRpcInternal, "unhandled export answer", encoding);
}

}  // namespace

OtlpHttpHandler::OtlpHttpHandler(TelemetrySink* sink, OtlpHttpOptions options)
    : sink_(sink), options_(std::move(options)) {}

net::HttpResponse OtlpHttpHandler::Handle(const net::HttpRequest& request) const {
  Encoding encoding = ParseContentType(request.header("Content-Type"));
  Signal signal;
  if (request.path == SignalTraits<Signal::kTraces>::kPath) {
    signal = Signal::kTraces;
  } else if (request.path == SignalTraits<Signal::kMetrics>::kPath) {
    signal = Signal::kMetrics;
  } else if (request.path == SignalTraits<Signal::kLogs>::kPath) {
    signal = Signal::kLogs;
  } else {
    return ErrorResponse(
        404, kRpcNotFound,
        "no OTLP endpoint at " + request.path + "; use /v1/traces, /v1/metrics or /v1/logs",
        encoding);
  }
  if (request.method != "POST") {
    auto resp =
        ErrorResponse(405, kRpcUnimplemented,
                      request.method + " " + request.path + ": OTLP takes POST only", encoding);
    resp.headers.emplace_back("Allow", "POST");
    return resp;
  }
  if (encoding == Encoding::kOther) {
    return ErrorResponse(415, kRpcInvalidArgument,
                         "unsupported Content-Type \"" +
                             std::string(request.header("Content-Type")) +
                             "\"; use application/x-protobuf or application/json",
                         encoding);
  }
  if (request.body.size() > options_.max_request_bytes) {
    return ErrorResponse(413, kRpcResourceExhausted,
                         "request body of " + std::to_string(request.body.size()) +
                             " bytes exceeds the limit of " +
                             std::to_string(options_.max_request_bytes),
                         encoding);
  }

  std::string_view body = request.body;
  std::string content_encoding = Lower(request.header("Content-Encoding"));
  thread_local std::string inflated;
  if (content_encoding == "gzip") {
    Status s = Gunzip(request.body, options_.max_request_bytes, &inflated);
    if (s.code() == StatusCode::kResourceExhausted) {
      return ErrorResponse(413, kRpcResourceExhausted, s.message(), encoding);
    }
    if (!s.ok()) return ErrorResponse(400, kRpcInvalidArgument, s.message(), encoding);
    body = inflated;
  } else if (!content_encoding.empty() && content_encoding != "identity") {
    return ErrorResponse(
        415, kRpcInvalidArgument,
        "unsupported Content-Encoding \"" + content_encoding + "\"; use gzip or none", encoding);
  }

  net::HttpResponse resp;
  switch (signal) {
    case Signal::kTraces:
      resp = HandleSignal<Signal::kTraces>(*sink_, options_, encoding, body);
      break;
    case Signal::kMetrics:
      resp = HandleSignal<Signal::kMetrics>(*sink_, options_, encoding, body);
      break;
    case Signal::kLogs:
      resp = HandleSignal<Signal::kLogs>(*sink_, options_, encoding, body);
      break;
  }
  // Keep a burst of large gzip requests from pinning memory in every worker.
  if (inflated.capacity() > (1 << 20)) std::string().swap(inflated);
  return resp;
}

}  // namespace coral::telemetry
