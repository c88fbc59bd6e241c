// Runs send.js, the OpenTelemetry JS SDK sender, for the OTLP peer tests:
// whether node and the SDK are installed, and one send through one exporter.
//
// Thread-safety: plain functions; each call runs its own child process.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace coral::telemetry {

// Why the JS SDK cannot run here ("" when it can).
std::string MissingOtelJs();

// Runs `node send.js signal protocol endpoint` and returns what it printed
// about what it sent (its "sent" object), or a non-object after recording a
// gtest failure that says why.
nlohmann::json SendWithOtelJs(const std::string& signal, const std::string& protocol,
                              const std::string& endpoint);

}  // namespace coral::telemetry
