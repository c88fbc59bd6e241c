// JSON text for values that may hold bytes from outside (requests, stored
// telemetry, command lines): invalid UTF-8 is written as U+FFFD instead of
// making nlohmann::json throw, so a stray byte never turns an answer into a
// crash.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace coral {

// Any nlohmann::basic_json (json, ordered_json), keeping its key order.
template <typename JsonType>
std::string JsonText(const JsonType& value, int indent = -1) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, JsonType::error_handler_t::replace);
}

}  // namespace coral
