// Runs the curl command from README.md's OTLP section, exactly as written
// except for the port, against the receivers on a port the kernel picked,
// and checks the span it sends arrived.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/subprocess.h"
#include "telemetry/memory_sink.h"
#include "telemetry/otlp_receiver.h"

namespace coral::telemetry {
namespace {

// The first "curl ..." command in README.md with its continuation lines.
std::string ReadmeCurlCommand() {
  std::ifstream in(CORAL_README);
  std::string line;
  std::string command;
  while (std::getline(in, line)) {
    if (command.empty() && line.rfind("curl ", 0) != 0) continue;
    command += line + "\n";
    if (line.empty() || line.back() != '\\') break;
  }
  return command;
}

TEST(OtlpCurlTest, ReadmeExampleIsAccepted) {
  auto curl = RunCommand({"curl", "--version"}, std::chrono::seconds(20));
  if (!curl.ok() || !curl->exit.ok()) GTEST_SKIP() << "curl is not installed";

  std::string command = ReadmeCurlCommand();
  ASSERT_NE(command.find("127.0.0.1:4318/v1/traces"), std::string::npos)
      << "README.md has no OTLP curl example; found: " << command;

  MemorySink sink;
  OtlpReceiverOptions options;
  options.grpc = Transport::kDisabled;
  options.http_port = 0;
  auto receiver = OtlpReceiver::Start(options, &sink);
  ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();
  size_t at = command.find("127.0.0.1:4318");
  command.replace(at, 14, "127.0.0.1:" + std::to_string((*receiver)->http_port()));

  auto run = RunCommand({"bash", "-c", command}, std::chrono::seconds(30));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(run->exit.ok()) << run->exit.ToString() << "\n" << run->out << run->err;
  EXPECT_EQ(run->out, "{}");

  auto spans = sink.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace_id, "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(spans[0].span_id, "eee19b7ec3c1b174");
  EXPECT_EQ(spans[0].service_name, "checkout");
  EXPECT_EQ(spans[0].name, "GET /cart");
  EXPECT_EQ(spans[0].kind, SpanKind::kServer);
  EXPECT_EQ(spans[0].duration_nano, 250000000u);
  EXPECT_EQ(spans[0].attributes_json, R"({"http.status_code":200})");
}

}  // namespace
}  // namespace coral::telemetry
