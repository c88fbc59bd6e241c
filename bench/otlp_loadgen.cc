// otlp_loadgen: sends OTLP trace requests of N spans to an OTLP receiver over
// gRPC or HTTP/protobuf for a fixed time, from several connections, at an
// offered rate or as fast as answers come back, and prints one line of JSON:
// offered and accepted spans/s, overload answers, errors, and (given --pid)
// the receiving process's CPU seconds and RSS over the run, from /proc.
//
//   otlp_loadgen --protocol grpc|http --endpoint 127.0.0.1:4317 [--seconds 20]
//                [--spans 512] [--connections 4] [--rate SPANS_PER_S] [--pid PID]
//
// Requests are built once per connection and re-sent with fresh ids, so the
// generator spends its CPU on the wire, not on building spans.
// Thread-safety: one thread per connection; counters are atomics.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace {

namespace otlp = opentelemetry::proto;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string protocol = "grpc";
  std::string endpoint = "127.0.0.1:4317";
  int seconds = 20;
  int spans = 512;
  int connections = 4;
  double rate = 0;  // spans/s offered over all connections; 0: closed loop
  int pid = 0;
};

struct Counters {
  std::atomic<int64_t> sent_spans{0};
  std::atomic<int64_t> accepted_spans{0};
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> overloaded{0};
  std::atomic<int64_t> errors{0};
};

otlp::collector::trace::v1::ExportTraceServiceRequest MakeRequest(int spans, std::mt19937_64& rng) {
  static const char* kNames[] = {"GET /cart", "POST /checkout",    "SELECT carts",
                                 "redis GET", "GET /product/{id}", "publish order"};
  otlp::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("loadgen");
  attr = rs->mutable_resource()->add_attributes();
  attr->set_key("host.name");
  attr->mutable_value()->set_string_value("bench-host");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("otlp_loadgen");
  uint64_t t0 = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, '\0'));
    s->set_span_id(std::string(8, '\0'));
    if (i % 8 != 0) s->set_parent_span_id(std::string(8, '\x01'));
    s->set_name(kNames[i % 6]);
    s->set_kind(otlp::trace::v1::Span::SPAN_KIND_SERVER);
    uint64_t duration = 1'000'000 + rng() % 200'000'000;  // 1-201 ms
    s->set_start_time_unix_nano(t0);
    s->set_end_time_unix_nano(t0 + duration);
    auto add = [&](const char* key, const std::string& value) {
      auto* a = s->add_attributes();
      a->set_key(key);
      a->mutable_value()->set_string_value(value);
    };
    add("http.method", i % 2 ? "GET" : "POST");
    add("http.route", kNames[i % 6]);
    add("user.id", std::to_string(rng() % 100000));
    auto* code = s->add_attributes();
    code->set_key("http.status_code");
    code->mutable_value()->set_int_value(i % 50 == 0 ? 500 : 200);
    if (i % 50 == 0) s->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_ERROR);
  }
  return req;
}

// New random ids for every span, so each request is distinct.
void Refresh(otlp::collector::trace::v1::ExportTraceServiceRequest& req, std::mt19937_64& rng) {
  for (auto& s : *req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans()) {
    uint64_t a = rng(), b = rng(), c = rng();
    std::memcpy(s.mutable_trace_id()->data(), &a, 8);
    std::memcpy(s.mutable_trace_id()->data() + 8, &b, 8);
    std::memcpy(s.mutable_span_id()->data(), &c, 8);
  }
}

void Connection(const Args& args, int index, Clock::time_point end, Counters& counters) {
  std::mt19937_64 rng(0x5eed + static_cast<uint64_t>(index));
  auto req = MakeRequest(args.spans, rng);
  std::unique_ptr<otlp::collector::trace::v1::TraceService::Stub> stub;
  if (args.protocol == "grpc") {
    grpc::ChannelArguments channel_args;
    channel_args.SetInt("coral.loadgen.connection", index);  // one TCP connection each
    stub = otlp::collector::trace::v1::TraceService::NewStub(
        grpc::CreateCustomChannel(args.endpoint, grpc::InsecureChannelCredentials(), channel_args));
  }
  // Open loop: this connection's share of the offered rate.
  double interval_s = args.rate > 0 ? args.spans * args.connections / args.rate : 0;
  auto next = Clock::now();
  std::string body;
  while (Clock::now() < end) {
    if (interval_s > 0) {
      std::this_thread::sleep_until(next);
      next +=
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_s));
      if (Clock::now() >= end) break;
    }
    Refresh(req, rng);
    counters.sent_spans += args.spans;
    ++counters.requests;
    if (stub) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      otlp::collector::trace::v1::ExportTraceServiceResponse resp;
      grpc::Status s = stub->Export(&ctx, req, &resp);
      if (s.ok()) {
        counters.accepted_spans += args.spans - resp.partial_success().rejected_spans();
      } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++counters.overloaded;
      } else {
        ++counters.errors;
      }
    } else {
      req.SerializeToString(&body);
      coral::net::HttpClientRequest http;
      http.method = "POST";
      http.url = "http://" + args.endpoint + "/v1/traces";
      http.headers = {{"Content-Type", "application/x-protobuf"}};
      http.body = body;
      auto resp = coral::net::HttpFetch(http);
      if (resp.ok() && resp->status == 200) {
        otlp::collector::trace::v1::ExportTraceServiceResponse parsed;
        parsed.ParseFromString(resp->body);
        counters.accepted_spans += args.spans - parsed.partial_success().rejected_spans();
      } else if (resp.ok() && (resp->status == 429 || resp->status == 503)) {
        ++counters.overloaded;
      } else {
        ++counters.errors;
      }
    }
  }
}

// utime + stime of a process, in seconds.
double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

int64_t StatusKb(int pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  }
  return 0;
}

bool Parse(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--protocol")
      args.protocol = v;
    else if (k == "--endpoint")
      args.endpoint = v;
    else if (k == "--seconds")
      args.seconds = std::stoi(v);
    else if (k == "--spans")
      args.spans = std::stoi(v);
    else if (k == "--connections")
      args.connections = std::stoi(v);
    else if (k == "--rate")
      args.rate = std::stod(v);
    else if (k == "--pid")
      args.pid = std::stoi(v);
    else
      return false;
  }
  return (argc % 2 == 1) && (args.protocol == "grpc" || args.protocol == "http") &&
         args.seconds > 0 && args.seconds <= 600 && args.spans > 0 && args.connections > 0 &&
         args.connections <= 64;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: otlp_loadgen --protocol grpc|http --endpoint HOST:PORT [--seconds 1-600] "
                 "[--spans N] [--connections 1-64] [--rate SPANS_PER_S] [--pid PID]\n");
    return 2;
  }
  Counters counters;
  double cpu0 = args.pid ? CpuSeconds(args.pid) : 0;
  auto start = Clock::now();
  auto end = start + std::chrono::seconds(args.seconds);
  std::vector<std::thread> threads;
  std::atomic<int64_t> peak_rss_kb{0};
  for (int i = 0; i < args.connections; ++i) {
    threads.emplace_back(Connection, std::cref(args), i, end, std::ref(counters));
  }
  // Samples the receiver's RSS while the load runs (VmHWM would include start-up).
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (args.pid) peak_rss_kb = std::max<int64_t>(peak_rss_kb, StatusKb(args.pid, "VmRSS"));
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = args.pid ? CpuSeconds(args.pid) - cpu0 : 0;
  double accepted = static_cast<double>(counters.accepted_spans.load());
  std::printf(
      "{\"protocol\":\"%s\",\"seconds\":%.1f,\"connections\":%d,\"spans_per_request\":%d,"
      "\"offered_spans_per_s\":%.0f,\"accepted_spans_per_s\":%.0f,\"requests\":%lld,"
      "\"overloaded_requests\":%lld,\"errors\":%lld,\"agent_cpu_s\":%.2f,"
      "\"accepted_spans_per_cpu_s\":%.0f,\"agent_rss_peak_mb\":%.1f,\"agent_rss_end_mb\":%.1f}\n",
      args.protocol.c_str(), elapsed, args.connections, args.spans,
      static_cast<double>(counters.sent_spans.load()) / elapsed, accepted / elapsed,
      static_cast<long long>(counters.requests.load()),
      static_cast<long long>(counters.overloaded.load()),
      static_cast<long long>(counters.errors.load()), cpu, cpu > 0 ? accepted / cpu : 0,
      static_cast<double>(peak_rss_kb.load()) / 1024,
      args.pid ? static_cast<double>(StatusKb(args.pid, "VmRSS")) / 1024 : 0.0);
  return counters.errors.load() > 0 && counters.accepted_spans.load() == 0 ? 1 : 0;
}
