#include "otel_js.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/subprocess.h"

namespace coral::telemetry {

std::string MissingOtelJs() {
  auto node = RunCommand({"node", "--version"}, std::chrono::seconds(20));
  if (!node.ok() || !node->exit.ok()) return "node is not installed (scripts/setup.sh installs it)";
  std::filesystem::path sdk = std::filesystem::path(CORAL_OTEL_JS_DIR) / "node_modules" /
                              "@opentelemetry" / "exporter-trace-otlp-grpc";
  if (!std::filesystem::exists(sdk)) {
    return "OpenTelemetry JS SDK not found at " + sdk.string() + "; run scripts/setup.sh";
  }
  return "";
}

nlohmann::json SendWithOtelJs(const std::string& signal, const std::string& protocol,
                              const std::string& endpoint) {
  SubprocessOptions options;
  options.argv = {"node", CORAL_OTLP_SEND_JS, signal, protocol, endpoint};
  options.env = {{"NODE_PATH", std::string(CORAL_OTEL_JS_DIR) + "/node_modules"},
                 // The SDK must not pick up exporter settings from the environment.
                 {"OTEL_EXPORTER_OTLP_ENDPOINT", ""},
                 {"OTEL_RESOURCE_ATTRIBUTES", ""},
                 {"OTEL_SERVICE_NAME", ""}};
  auto child = Subprocess::Start(options);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return nlohmann::json();
  auto exit = child->Wait(std::chrono::seconds(60));
  EXPECT_TRUE(exit.ok()) << exit.status().ToString();
  if (!exit.ok()) return nlohmann::json();
  EXPECT_TRUE(exit->ok()) << "send.js " << signal << " " << protocol << ": " << exit->ToString()
                          << "\nstdout: " << child->stdout_data()
                          << "\nstderr: " << child->stderr_data();
  // The SDK may log warnings on stderr; the result is the last stdout line.
  std::string out = child->stdout_data();
  size_t start = out.rfind('{');
  size_t line = out.rfind('\n', start);
  auto sent =
      nlohmann::json::parse(out.substr(line == std::string::npos ? 0 : line + 1), nullptr, false);
  EXPECT_FALSE(sent.is_discarded()) << "send.js printed: " << out;
  return sent.is_discarded() ? nlohmann::json() : sent["sent"];
}

}  // namespace coral::telemetry
