// The colony's pipeline end to end, on DuckDB and on ClickHouse: two real
// agents (`coral agent start --foreground`) take OTLP traces of two services
// calling each other; a pulling process (colony_poll_main: the colony's
// Poller and Summarizer) is killed with SIGKILL mid-poll again and again and
// one agent restarts in between; at the end every agent row is in the store
// exactly once, and the summaries agree with the raw spans.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <map>
#include <optional>
#include <thread>

#include "../../eventually.h"
#include "../../free_port.h"
#include "analysis/service_summary.h"
#include "analysis/summarizer.h"
#include "analysis/telemetry_schema.h"
#include "analysis/test_store.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"
#include "base/temp_dir.h"
#include "coral/v1/agent.grpc.pb.h"
#include "net/http_client.h"

namespace coral::colony {
namespace {

using analysis::kMinuteUs;
using analysis::Summarize;
using analysis::SummaryDialect;
using analysis::TelemetryTables;
using analysis::TestColonyStoreUrl;
using analysis::Topology;

using namespace std::chrono_literals;

constexpr int kCalls = 300;  // checkout -> payments

struct AgentProcess {
  std::filesystem::path home;
  int api_port = 0, otlp_http_port = 0, otlp_grpc_port = 0;
  std::optional<Subprocess> process;
  std::string id;

  std::string address() const { return "127.0.0.1:" + std::to_string(api_port); }
  std::string token() const {
    auto t = ReadFile(home / "agent" / "api.token");
    std::string s = t.ok() ? *t : "";
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
};

std::string Hex(int64_t v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

class ColonyPipelineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto url = TestColonyStoreUrl(GetParam(), dir_.path());
    if (!url.ok() && url.status().code() == StatusCode::kNotFound) {
      GTEST_SKIP() << url.status().message();
    }
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
    for (auto* a : {&checkout_, &payments_}) {
      a->home = dir_.path() / ("agent-" + RandomHex(4));
      ASSERT_TRUE(MakeDirs(a->home, FileMode::kPrivate).ok());
      a->api_port = FreePort();
      a->otlp_http_port = FreePort();
      a->otlp_grpc_port = FreePort();
      StartAgent(*a);
    }
    // Spans three minutes ago, spread over two minutes.
    int64_t now = ToUnixMicros(SystemClock::Get().Now());
    base_us_ = now - 3 * kMinuteUs;
  }
  void TearDown() override {
    for (auto* a : {&checkout_, &payments_}) {
      if (a->process) a->process->Kill(SIGKILL);
    }
  }

  void StartAgent(AgentProcess& a) {
    SubprocessOptions o;
    o.argv = {CORAL_BINARY, "agent", "start", "--foreground", "-o", "json"};
    o.env = {{"CORAL_HOME", a.home.string()},
             {"CORAL_AGENT_API_GRPC_PORT", std::to_string(a.api_port)},
             {"CORAL_AGENT_OTLP_GRPC_PORT", std::to_string(a.otlp_grpc_port)},
             {"CORAL_AGENT_OTLP_HTTP_PORT", std::to_string(a.otlp_http_port)},
             {"CORAL_AGENT_OTLP_SAMPLING_KEEP_PERCENT", "100"},
             // One pass at start, then quiet: a pull round can reach the end.
             {"CORAL_AGENT_DISCOVERY_INTERVAL", "10m"},
             {"CORAL_AGENT_HOST_METRICS_INTERVAL", "10m"},
             {"CORAL_AGENT_HEALTH_INTERVAL", "10m"}};
    auto p = Subprocess::Start(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_TRUE(p->WaitForOutput("\"agent_id\"", 60s)) << p->stderr_data();
    std::string out = p->stdout_data();
    size_t at = out.find("\"agent_id\"");
    size_t q1 = out.find('"', out.find(':', at) + 1);
    a.id = out.substr(q1 + 1, out.find('"', q1 + 1) - q1 - 1);
    a.process.emplace(std::move(*p));
  }

  // Call i: checkout's server span, its client span to payments, and
  // payments' server span, child of that client span. Every 25th fails.
  struct Call {
    int64_t start_us, checkout_ms, payments_ms;
    bool error;
  };
  Call CallAt(int i) const {
    return {base_us_ + i * 400'000, 30 + (i * 37) % 400, 20 + (i * 37) % 400, i % 25 == 0};
  }
  static std::string Span(const std::string& trace, const std::string& id,
                          const std::string& parent, const std::string& name, int kind,
                          int64_t start_us, int64_t ms, bool error, const std::string& message) {
    std::string s = "{\"traceId\":\"" + trace + "\",\"spanId\":\"" + id + "\",";
    if (!parent.empty()) s += "\"parentSpanId\":\"" + parent + "\",";
    s += "\"name\":\"" + name + "\",\"kind\":" + std::to_string(kind) +
         ",\"startTimeUnixNano\":\"" + std::to_string(start_us * 1000) +
         "\",\"endTimeUnixNano\":\"" + std::to_string((start_us + ms * 1000) * 1000) + "\"";
    if (error) s += ",\"status\":{\"code\":2,\"message\":\"" + message + "\"}";
    return s + "}";
  }
  void Send(const AgentProcess& a, const std::string& service,
            const std::vector<std::string>& spans) {
    std::string body =
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
        "\"service.name\",\"value\":{\"stringValue\":\"" +
        service + "\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"e2e\"},\"spans\":[";
    for (size_t i = 0; i < spans.size(); ++i) body += (i ? "," : "") + spans[i];
    body += "]}]}]}";
    auto r = net::HttpFetch(
        {.method = "POST",
         .url = "http://127.0.0.1:" + std::to_string(a.otlp_http_port) + "/v1/traces",
         .headers = {{"Content-Type", "application/json"}},
         .body = body});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // Calls [from, to): checkout's spans to its agent, payments' to the other.
  void SendCalls(int from, int to, bool checkout, bool payments) {
    for (int batch = from; batch < to; batch += 50) {
      std::vector<std::string> c, p;
      for (int i = batch; i < std::min(to, batch + 50); ++i) {
        Call call = CallAt(i);
        std::string trace = Hex(i + 1, 32), server = Hex(3 * i + 1, 16),
                    client = Hex(3 * i + 2, 16), callee = Hex(3 * i + 3, 16);
        c.push_back(Span(trace, server, "", "POST /order", 2, call.start_us, call.checkout_ms,
                         call.error, "payment failed"));
        c.push_back(Span(trace, client, server, "POST /pay", 3, call.start_us + 1000,
                         call.checkout_ms - 4, call.error, "payment failed"));
        p.push_back(Span(trace, callee, client, "POST /pay", 2, call.start_us + 2000,
                         call.payments_ms, call.error, "card declined"));
      }
      if (checkout) Send(checkout_, "checkout", c);
      if (payments) Send(payments_, "payments", p);
    }
  }

  std::vector<std::string> PollArgs() const {
    std::vector<std::string> argv = {POLL_BINARY, url_};
    for (const auto* a : {&checkout_, &payments_}) {
      argv.push_back(a->id + "=" + a->address() + "=" + (a->home / "agent" / "api.token").string());
    }
    return argv;
  }
  // The pulling process, killed after `after` (it may finish first).
  void PollAndKill(std::chrono::milliseconds after) {
    auto p = Subprocess::Start({.argv = PollArgs()});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    std::this_thread::sleep_for(after);
    if (p->Running()) ++kills_;
    p->Kill(SIGKILL);
    (void)p->Wait(30s);
  }
  void PollToTheEnd() {
    auto p = Subprocess::Start({.argv = PollArgs()});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    auto exit = p->Wait(300s);
    ASSERT_TRUE(exit.ok() && exit->ok()) << p->stderr_data();
    ASSERT_NE(p->stdout_data().find("caught up"), std::string::npos) << p->stderr_data();
  }

  // seqs of an agent's table up to (and including) `upto`, from its API.
  std::vector<int64_t> AgentSeqs(const AgentProcess& a, const std::string& table, int64_t upto) {
    auto stub = coral::v1::AgentService::NewStub(
        grpc::CreateChannel(a.address(), grpc::InsecureChannelCredentials()));
    std::vector<int64_t> seqs;
    int64_t after = 0;
    for (int page = 0; page < 10'000; ++page) {
      coral::v1::QueryTableRequest req;
      req.set_table(table);
      req.set_after_seq(after);
      req.set_limit(1000);
      coral::v1::QueryTableResponse resp;
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + a.token());
      auto s = stub->QueryTable(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      int seq_col = 0;
      for (int i = 0; i < resp.columns_size(); ++i) {
        if (resp.columns(i) == "seq") seq_col = i;
      }
      for (const auto& row : resp.rows()) {
        int64_t seq = row.values(seq_col).int_value();
        if (seq > upto) return seqs;
        seqs.push_back(seq);
      }
      if (!resp.more() || resp.rows_size() == 0) break;
      after = resp.next_seq();
    }
    return seqs;
  }

  TempDir dir_{"coral-colony-pipeline"};
  std::string url_;
  AgentProcess checkout_, payments_;
  int64_t base_us_ = 0;
  int kills_ = 0;  // PollAndKill calls that killed it before it finished
};

TEST_P(ColonyPipelineTest, KilledMidPollNothingIsLostOrTwiceAndSummariesMatchTheRawSpans) {
  SendCalls(0, kCalls, true, false);
  SendCalls(0, kCalls / 2, false, true);
  for (auto after : {150ms, 400ms, 700ms, 1100ms}) PollAndKill(after);
  // payments' agent restarts, and takes the rest of its spans after that.
  payments_.process->Kill(SIGTERM);
  ASSERT_TRUE(payments_.process->Wait(30s).ok());
  payments_.process.reset();
  StartAgent(payments_);
  SendCalls(kCalls / 2, kCalls, false, true);
  for (auto after : {300ms, 900ms}) PollAndKill(after);
  EXPECT_GE(kills_, 3) << "the pulling process finished before it could be killed mid-poll";
  PollToTheEnd();

  auto opened = storage::OpenStore(url_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  storage::Store& store = **opened;
  auto count = [&](const std::string& sql, const storage::Params& params = {}) -> int64_t {
    auto rows = store.Query(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() ? std::get<int64_t>(rows->rows.at(0).at(0)) : -1;
  };
  // Every agent row up to what was pulled is there, once.
  for (const auto* a : {&checkout_, &payments_}) {
    for (const auto& t : TelemetryTables()) {
      int64_t last =
          count("SELECT coalesce(max(seq), 0) FROM " + t.name + " WHERE agent_id = ?", {a->id});
      auto expected = AgentSeqs(*a, t.name, last);
      EXPECT_EQ(count("SELECT count(*) FROM " + t.name + " WHERE agent_id = ?", {a->id}),
                static_cast<int64_t>(expected.size()))
          << t.name;
      EXPECT_EQ(count("SELECT count(DISTINCT seq) FROM " + t.name + " WHERE agent_id = ?", {a->id}),
                static_cast<int64_t>(expected.size()))
          << t.name << ": a row stored twice";
    }
  }
  EXPECT_EQ(count("SELECT count(*) FROM spans WHERE service_name = 'checkout'"), 2 * kCalls);
  EXPECT_EQ(count("SELECT count(*) FROM spans WHERE service_name = 'payments'"), kCalls);

  // The summaries say what the raw spans say.
  auto summary = Summarize(store, {.since = std::chrono::hours(1)}, SystemClock::Get().Now());
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  std::map<std::string, coral::v1::ServiceSummary> by_name;
  for (const auto& s : summary->services()) by_name[s.service()] = s;
  ASSERT_EQ(by_name.size(), 2u) << summary->DebugString();
  for (const auto& [name, s] : by_name) {
    std::vector<int64_t> ms;
    int errors = 0;
    for (int i = 0; i < kCalls; ++i) {
      Call c = CallAt(i);
      ms.push_back(name == "checkout" ? c.checkout_ms : c.payments_ms);
      errors += c.error;
    }
    std::sort(ms.begin(), ms.end());
    EXPECT_EQ(s.requests(), kCalls) << name;
    EXPECT_EQ(s.errors(), errors) << name;
    EXPECT_DOUBLE_EQ(s.max_ms(), static_cast<double>(ms.back())) << name;
    double exact_p95 = static_cast<double>(ms[static_cast<size_t>(std::ceil(0.95 * kCalls)) - 1]);
    EXPECT_GE(s.p95_ms(), exact_p95) << name;
    EXPECT_LE(s.p95_ms(), exact_p95 * 1.0906) << name;
  }
  EXPECT_EQ(count("SELECT coalesce(sum(requests), 0) FROM " +
                  SummaryDialect(store.backend()).Read("service_minutes")),
            2 * kCalls);
  auto topology = Topology(store, std::chrono::hours(1), SystemClock::Get().Now());
  ASSERT_TRUE(topology.ok()) << topology.status().ToString();
  bool edge = false;
  for (const auto& row : topology->rows) {
    if (std::get<std::string>(row[0]) == "checkout" &&
        std::get<std::string>(row[1]) == "payments" && std::get<std::string>(row[2]) == "span") {
      edge = true;
      EXPECT_EQ(std::get<int64_t>(row[3]), kCalls);
      EXPECT_EQ(std::get<int64_t>(row[4]), kCalls / 25);
    }
  }
  EXPECT_TRUE(edge) << "no checkout -> payments edge";
}

INSTANTIATE_TEST_SUITE_P(Backends, ColonyPipelineTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::colony
