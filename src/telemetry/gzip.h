// Gunzip with a ceiling on the output, for OTLP request bodies sent with
// Content-Encoding: gzip. The ceiling applies to the decompressed size, so a
// small "gzip bomb" cannot make the receiver allocate gigabytes.
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace coral::telemetry {

// Decompresses a gzip stream (one or more members) into *out (cleared first).
// kResourceExhausted when the output would exceed max_bytes; kInvalidArgument
// when the input is not gzip or is truncated.
Status Gunzip(std::string_view compressed, size_t max_bytes, std::string* out);

// Compresses into gzip format (for tests and clients).
Result<std::string> Gzip(std::string_view data);

}  // namespace coral::telemetry
