// otlp_loadgen: sends OTLP trace requests of N spans to an OTLP receiver over
// gRPC or HTTP/protobuf for a fixed time and prints one line of JSON: offered
// and accepted spans/s, overload answers, errors, and (given --pid) the
// receiving process's CPU seconds and RSS over the run, from /proc.
//
//   otlp_loadgen --protocol grpc|http --endpoint 127.0.0.1:4317 [--seconds 20]
//                [--spans 512] [--connections 4] [--rate SPANS_PER_S]
//                [--outstanding 64] [--pid PID]
//
// Two modes:
//   closed loop (no --rate): each connection sends its next request when the
//     previous one is answered: the receiver sets the pace;
//   open loop (--rate): requests are issued on a fixed schedule whatever the
//     receiver does, by up to --outstanding senders at once over
//     --connections connections. When all senders are waiting for answers, a
//     scheduled request is not sent and counts as unsent: a receiver that
//     cannot keep up shows as unsent or overloaded requests, not as a slower
//     generator.
//
// Requests are built once per sender and re-sent with fresh ids, so the
// generator spends its CPU on the wire, not on building spans.
// Thread-safety: one thread per sender (plus the scheduler in open loop);
// counters are atomics.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
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
  double rate = 0;       // spans/s offered over all connections; 0: closed loop
  int outstanding = 64;  // open loop: senders, i.e. requests awaiting an answer at most
  int pid = 0;
};

struct Counters {
  std::atomic<int64_t> sent_spans{0};
  std::atomic<int64_t> accepted_spans{0};
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> overloaded{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> unsent{0};  // open loop: scheduled while every sender was busy
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

// One sender: a request of its own and a way to send it.
class Sender {
 public:
  Sender(const Args& args, int index, Counters& counters)
      : args_(args), counters_(counters), rng_(0x5eed + static_cast<uint64_t>(index)) {
    req_ = MakeRequest(args.spans, rng_);
  }
  // A channel per connection: senders with the same connection share it.
  void UseChannel(std::shared_ptr<grpc::Channel> channel) {
    stub_ = otlp::collector::trace::v1::TraceService::NewStub(std::move(channel));
  }

  void SendOne() {
    Refresh(req_, rng_);
    counters_.sent_spans += args_.spans;
    ++counters_.requests;
    if (stub_) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      otlp::collector::trace::v1::ExportTraceServiceResponse resp;
      grpc::Status s = stub_->Export(&ctx, req_, &resp);
      if (s.ok()) {
        counters_.accepted_spans += args_.spans - resp.partial_success().rejected_spans();
      } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++counters_.overloaded;
      } else {
        ++counters_.errors;
      }
      return;
    }
    req_.SerializeToString(&body_);
    coral::net::HttpClientRequest http;
    http.method = "POST";
    http.url = "http://" + args_.endpoint + "/v1/traces";
    http.headers = {{"Content-Type", "application/x-protobuf"}};
    http.body = body_;
    auto resp = coral::net::HttpFetch(http);
    if (resp.ok() && resp->status == 200) {
      otlp::collector::trace::v1::ExportTraceServiceResponse parsed;
      parsed.ParseFromString(resp->body);
      counters_.accepted_spans += args_.spans - parsed.partial_success().rejected_spans();
    } else if (resp.ok() && (resp->status == 429 || resp->status == 503)) {
      ++counters_.overloaded;
    } else {
      ++counters_.errors;
    }
  }

 private:
  const Args& args_;
  Counters& counters_;
  std::mt19937_64 rng_;
  otlp::collector::trace::v1::ExportTraceServiceRequest req_;
  std::unique_ptr<otlp::collector::trace::v1::TraceService::Stub> stub_;
  std::string body_;
};

std::shared_ptr<grpc::Channel> Channel(const Args& args, int connection) {
  grpc::ChannelArguments channel_args;
  channel_args.SetInt("coral.loadgen.connection", connection);  // one TCP connection each
  return grpc::CreateCustomChannel(args.endpoint, grpc::InsecureChannelCredentials(), channel_args);
}

// Closed loop: one sender per connection, back to back.
void RunClosedLoop(const Args& args, Clock::time_point end, Counters& counters) {
  std::vector<std::thread> threads;
  for (int i = 0; i < args.connections; ++i) {
    threads.emplace_back([&, i] {
      Sender sender(args, i, counters);
      if (args.protocol == "grpc") sender.UseChannel(Channel(args, i));
      while (Clock::now() < end) sender.SendOne();
    });
  }
  for (auto& t : threads) t.join();
}

// Open loop: a scheduler issues tickets at the offered rate; idle senders
// take them. A ticket no sender is free for is counted unsent, never queued,
// so the schedule does not bend to the receiver.
void RunOpenLoop(const Args& args, Clock::time_point end, Counters& counters) {
  std::mutex mutex;  // guards tickets, done
  std::condition_variable cv;
  int tickets = 0, idle = 0;
  bool done = false;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  if (args.protocol == "grpc") {
    for (int c = 0; c < args.connections; ++c) channels.push_back(Channel(args, c));
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < args.outstanding; ++i) {
    threads.emplace_back([&, i] {
      Sender sender(args, i, counters);
      if (!channels.empty()) sender.UseChannel(channels[static_cast<size_t>(i) % channels.size()]);
      while (true) {
        {
          std::unique_lock lock(mutex);
          ++idle;
          cv.wait(lock, [&] { return done || tickets > 0; });
          --idle;
          if (tickets == 0) return;  // done
          --tickets;
        }
        sender.SendOne();
      }
    });
  }
  auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(args.spans / args.rate));
  for (auto next = Clock::now(); next < end; next += interval) {
    std::this_thread::sleep_until(next);
    std::lock_guard lock(mutex);
    if (idle > tickets) {
      ++tickets;
      cv.notify_one();
    } else {
      ++counters.unsent;
    }
  }
  {
    std::lock_guard lock(mutex);
    done = true;
    tickets = 0;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
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
    else if (k == "--outstanding")
      args.outstanding = std::stoi(v);
    else if (k == "--pid")
      args.pid = std::stoi(v);
    else
      return false;
  }
  return (argc % 2 == 1) && (args.protocol == "grpc" || args.protocol == "http") &&
         args.seconds > 0 && args.seconds <= 600 && args.spans > 0 && args.connections > 0 &&
         args.connections <= 64 && args.outstanding > 0 && args.outstanding <= 512;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: otlp_loadgen --protocol grpc|http --endpoint HOST:PORT [--seconds 1-600] "
                 "[--spans N] [--connections 1-64] [--rate SPANS_PER_S] [--outstanding 1-512] "
                 "[--pid PID]\n");
    return 2;
  }
  Counters counters;
  double cpu0 = args.pid ? CpuSeconds(args.pid) : 0;
  auto start = Clock::now();
  auto end = start + std::chrono::seconds(args.seconds);
  std::atomic<int64_t> peak_rss_kb{0};
  std::thread load([&] {
    if (args.rate > 0) {
      RunOpenLoop(args, end, counters);
    } else {
      RunClosedLoop(args, end, counters);
    }
  });
  // Samples the receiver's RSS while the load runs (VmHWM would include start-up).
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (args.pid) peak_rss_kb = std::max<int64_t>(peak_rss_kb, StatusKb(args.pid, "VmRSS"));
  }
  load.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = args.pid ? CpuSeconds(args.pid) - cpu0 : 0;
  double accepted = static_cast<double>(counters.accepted_spans.load());
  std::printf(
      "{\"protocol\":\"%s\",\"seconds\":%.1f,\"connections\":%d,\"spans_per_request\":%d,"
      "\"offered_spans_per_s\":%.0f,\"sent_spans_per_s\":%.0f,\"accepted_spans_per_s\":%.0f,"
      "\"requests\":%lld,\"unsent_requests\":%lld,"
      "\"overloaded_requests\":%lld,\"errors\":%lld,\"agent_cpu_s\":%.2f,"
      "\"accepted_spans_per_cpu_s\":%.0f,\"agent_rss_peak_mb\":%.1f,\"agent_rss_end_mb\":%.1f}\n",
      args.protocol.c_str(), elapsed, args.connections, args.spans,
      static_cast<double>(counters.sent_spans.load() + counters.unsent.load() * args.spans) /
          elapsed,
      static_cast<double>(counters.sent_spans.load()) / elapsed, accepted / elapsed,
      static_cast<long long>(counters.requests.load()),
      static_cast<long long>(counters.unsent.load()),
      static_cast<long long>(counters.overloaded.load()),
      static_cast<long long>(counters.errors.load()), cpu, cpu > 0 ? accepted / cpu : 0,
      static_cast<double>(peak_rss_kb.load()) / 1024,
      args.pid ? static_cast<double>(StatusKb(args.pid, "VmRSS")) / 1024 : 0.0);
  return counters.errors.load() > 0 && counters.accepted_spans.load() == 0 ? 1 : 0;
}
