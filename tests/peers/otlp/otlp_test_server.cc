// otlp_test_server: the OTLP receivers with a sink that prints every row it
// gets, one line each (ToDebugText), on stdout. For trying OTLP clients by
// hand (the README's curl example) until the agent serves OTLP itself.
//
//   otlp_test_server [--bind 127.0.0.1] [--grpc-port 4317] [--http-port 4318]
//
// Prints "ready grpc=PORT http=PORT" once both listen; runs until killed.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "telemetry/otlp_receiver.h"

namespace {

using coral::Result;
using namespace coral::telemetry;

class PrintingSink : public TelemetrySink {
 public:
  Result<SinkResponse> AcceptSpans(const SpanBatch& batch) override { return Print(batch); }
  Result<SinkResponse> AcceptMetrics(const MetricBatch& batch) override { return Print(batch); }
  Result<SinkResponse> AcceptLogs(const LogBatch& batch) override { return Print(batch); }

 private:
  template <typename Batch>
  Result<SinkResponse> Print(const Batch& batch) {
    std::string text = ToDebugText(batch);
    std::lock_guard lock(mu_);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return SinkResponse::Accepted();
  }
  std::mutex mu_;  // keeps batches from interleaving on stdout
};

}  // namespace

int main(int argc, char** argv) {
  OtlpReceiverOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--bind") {
      options.bind = argv[i + 1];
    } else if (flag == "--grpc-port") {
      options.grpc_port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    } else if (flag == "--http-port") {
      options.http_port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr,
                   "unknown flag %s\nusage: %s [--bind IP] [--grpc-port N] [--http-port N]\n",
                   argv[i], argv[0]);
      return 2;
    }
  }
  PrintingSink sink;
  auto receiver = OtlpReceiver::Start(options, &sink);
  if (!receiver.ok()) {
    std::fprintf(stderr, "otlp_test_server: %s\n", receiver.status().ToString().c_str());
    return 1;
  }
  std::printf("ready grpc=%u http=%u\n", (*receiver)->grpc_port(), (*receiver)->http_port());
  std::fflush(stdout);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
