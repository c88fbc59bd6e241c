// Appending JSON text to a string without building a DOM: how decoded
// attributes become the `{"key":value,...}` text Coral stores. Shared by the
// protobuf and the JSON decoders so both produce byte-identical text.
//
// Mapping of OTLP AnyValue: string -> string, bool -> bool, int -> number,
// double -> number (NaN and infinities, which JSON lacks, -> "NaN",
// "Infinity", "-Infinity"), bytes -> base64 string, array -> array,
// kvlist -> object, empty -> null.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coral::telemetry {

// A JSON string literal, quotes included. `text` must be valid UTF-8 (both
// decoders guarantee that: protobuf checks proto3 strings, the JSON parser
// checks its input).
void AppendJsonString(std::string& out, std::string_view text);
void AppendJsonInt(std::string& out, int64_t value);
void AppendJsonUint(std::string& out, uint64_t value);
void AppendJsonDouble(std::string& out, double value);
void AppendBase64(std::string& out, std::string_view bytes);
// Decodes standard base64 (with or without padding); false on bad input.
bool DecodeBase64(std::string_view text, std::string& out);

}  // namespace coral::telemetry
