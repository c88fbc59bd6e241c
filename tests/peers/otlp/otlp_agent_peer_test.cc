// Peer test, end to end: the real OpenTelemetry JS SDK sends traces, metrics
// and logs through each of its OTLP exporters (grpc, http/protobuf,
// http/json) to a running `coral agent start --foreground`; the test reads
// the agent's spans, metric_points and log_records tables back over the
// agent API (QueryTable) and checks exactly what landed in its store. Each
// exporter's rows carry their own service.name (peer-grpc, peer-proto,
// peer-http), so one agent serves the whole suite.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <thread>

#include "../../free_port.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"
#include "coral/v1/agent.grpc.pb.h"
#include "otel_js.h"

namespace coral::telemetry {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A row of a QueryTable answer, by column name.
class Row {
 public:
  Row(const coral::v1::QueryTableResponse& page, int index) : page_(&page), index_(index) {}
  const coral::v1::Value& operator[](const std::string& column) const {
    for (int i = 0; i < page_->columns_size(); ++i) {
      if (page_->columns(i) == column) return page_->rows(index_).values(i);
    }
    ADD_FAILURE() << "no column " << column << " in " << page_->table();
    return coral::v1::Value::default_instance();
  }
  std::string str(const std::string& column) const { return (*this)[column].string_value(); }
  bool is_null(const std::string& column) const {
    return (*this)[column].kind_case() == coral::v1::Value::KIND_NOT_SET;
  }

 private:
  const coral::v1::QueryTableResponse* page_;
  int index_;
};

struct Agent {
  std::filesystem::path home;
  int api_port = 0, grpc_port = 0, http_port = 0;
  std::optional<Subprocess> process;
  std::unique_ptr<coral::v1::AgentService::Stub> stub;
  std::string token;
};

class OtlpAgentPeerTest : public testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    if (!MissingOtelJs().empty()) return;
    agent_ = new Agent;
    agent_->home = std::filesystem::temp_directory_path() / ("coral-otlp-agent-" + RandomHex(6));
    ASSERT_TRUE(MakeDirs(agent_->home, FileMode::kPrivate).ok());
    agent_->api_port = FreePort();
    agent_->grpc_port = FreePort();
    agent_->http_port = FreePort();
    SubprocessOptions o;
    o.argv = {CORAL_BINARY, "agent", "start", "--foreground", "-o", "json"};
    o.env = {{"CORAL_HOME", agent_->home.string()},
             {"CORAL_AGENT_API_GRPC_PORT", std::to_string(agent_->api_port)},
             {"CORAL_AGENT_OTLP_GRPC_PORT", std::to_string(agent_->grpc_port)},
             {"CORAL_AGENT_OTLP_HTTP_PORT", std::to_string(agent_->http_port)}};
    auto p = Subprocess::Start(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    agent_->process.emplace(std::move(*p));
    ASSERT_TRUE(agent_->process->WaitForOutput("\"agent_id\"", 60s))
        << agent_->process->stderr_data();
    agent_->stub = coral::v1::AgentService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(agent_->api_port), grpc::InsecureChannelCredentials()));
    auto token = ReadFile(agent_->home / "agent" / "api.token");
    ASSERT_TRUE(token.ok());
    agent_->token = token->substr(0, token->find('\n'));
  }
  static void TearDownTestSuite() {
    if (agent_ == nullptr) return;
    agent_->process.reset();  // kills and reaps the agent
    (void)RemoveAll(agent_->home);
    delete agent_;
    agent_ = nullptr;
  }
  void SetUp() override {
    if (std::string missing = MissingOtelJs(); !missing.empty()) GTEST_SKIP() << missing;
    ASSERT_NE(agent_, nullptr);
    ASSERT_TRUE(agent_->stub) << "the agent did not start";
  }

  std::string Package() const {
    return GetParam() == "grpc" ? "grpc" : GetParam() == "http/protobuf" ? "proto" : "http";
  }
  std::string ServiceName() const { return "peer-" + Package(); }

  json Send(const std::string& signal) {
    int port = GetParam() == "grpc" ? agent_->grpc_port : agent_->http_port;
    return SendWithOtelJs(signal, GetParam(), "http://127.0.0.1:" + std::to_string(port));
  }

  // The whole table; rows of this exporter's service only are picked by Rows().
  coral::v1::QueryTableResponse Query(const std::string& table) {
    coral::v1::QueryTableRequest req;
    req.set_table(table);
    req.set_limit(100000);
    coral::v1::QueryTableResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + agent_->token);
    grpc::Status s = agent_->stub->QueryTable(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  std::vector<Row> Rows(const coral::v1::QueryTableResponse& page) {
    std::vector<Row> out;
    for (int i = 0; i < page.rows_size(); ++i) {
      Row row(page, i);
      if (row.str("service_name") == ServiceName()) out.push_back(row);
    }
    return out;
  }

  static Agent* agent_;
};

Agent* OtlpAgentPeerTest::agent_ = nullptr;

TEST_P(OtlpAgentPeerTest, TracesLandInTheSpansTable) {
  json sent = Send("traces");
  ASSERT_TRUE(sent.is_object());
  // The exporter returns once the agent answered, and the agent answers after
  // the append committed: the rows are there now.
  auto page = Query("spans");
  auto spans = Rows(page);
  ASSERT_EQ(spans.size(), 2u);
  if (spans[0].str("name") != "SELECT carts") std::swap(spans[0], spans[1]);
  const Row& child = spans[0];
  const Row& parent = spans[1];

  EXPECT_EQ(parent.str("trace_id"), sent["parent"]["traceId"]);
  EXPECT_EQ(parent.str("span_id"), sent["parent"]["spanId"]);
  EXPECT_TRUE(parent.is_null("parent_span_id"));
  EXPECT_EQ(parent.str("name"), "GET /checkout");
  EXPECT_EQ(parent.str("kind"), "server");
  EXPECT_EQ(parent["start_time"].timestamp_micros(), 1700000000123456);
  EXPECT_EQ(parent["end_time"].timestamp_micros(), 1700000000373456);
  EXPECT_EQ(parent["duration_ns"].int_value(), 250000000);
  EXPECT_EQ(parent.str("status_code"), "unset");
  EXPECT_EQ(
      parent.str("attributes"),
      R"({"http.method":"GET","http.status_code":200,"ratio":0.5,"cached":false,"tags":["a","b"]})");
  EXPECT_EQ(parent.str("resource_attributes"),
            R"({"service.name":")" + ServiceName() + R"(","deployment.environment":"test"})");
  EXPECT_EQ(parent["event_count"].int_value(), 1);
  EXPECT_EQ(parent["link_count"].int_value(), 0);
  EXPECT_EQ(parent.str("scope_name"), "coral-peer-test");

  EXPECT_EQ(child.str("trace_id"), sent["child"]["traceId"]);
  EXPECT_EQ(child.str("span_id"), sent["child"]["spanId"]);
  EXPECT_EQ(child.str("parent_span_id"), parent.str("span_id"));
  EXPECT_EQ(child.str("kind"), "client");
  EXPECT_EQ(child["duration_ns"].int_value(), 100000001);
  EXPECT_EQ(child.str("status_code"), "error");
  EXPECT_EQ(child.str("status_message"), "connection reset");
  EXPECT_EQ(child.str("attributes"), R"({"db.system":"postgresql"})");
}

TEST_P(OtlpAgentPeerTest, MetricsLandInTheMetricPointsTable) {
  json sent = Send("metrics");
  ASSERT_TRUE(sent.is_object());
  auto page = Query("metric_points");
  std::map<std::string, Row> by_name;
  auto rows = Rows(page);
  for (const Row& r : rows) by_name.emplace(r.str("metric_name"), r);
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_EQ(by_name.size(), 4u);
  for (const Row& r : rows) {
    EXPECT_EQ(r.str("temporality"), "cumulative") << r.str("metric_name");
    EXPECT_GT(r["time"].timestamp_micros(), 0);
    EXPECT_EQ(r.str("scope_name"), "coral-peer-test");
  }
  const Row& requests = by_name.at("requests");
  EXPECT_EQ(requests.str("type"), "sum");
  EXPECT_TRUE(requests["is_monotonic"].bool_value());
  EXPECT_EQ(requests.str("unit"), "1");
  EXPECT_EQ(requests["value"].double_value(), 7);
  EXPECT_EQ(requests.str("attributes"), R"({"route":"/a"})");

  const Row& queue = by_name.at("queue.depth");
  EXPECT_EQ(queue.str("type"), "sum");
  EXPECT_FALSE(queue["is_monotonic"].bool_value());
  EXPECT_EQ(queue["value"].double_value(), 7);

  const Row& latency = by_name.at("latency");
  EXPECT_EQ(latency.str("type"), "histogram");
  EXPECT_EQ(latency.str("unit"), "ms");
  EXPECT_TRUE(latency.is_null("value"));
  EXPECT_EQ(latency["count"].int_value(), 3);
  EXPECT_EQ(latency["sum"].double_value(), 555);
  EXPECT_EQ(latency["min"].double_value(), 5);
  EXPECT_EQ(latency["max"].double_value(), 500);
  EXPECT_EQ(latency.str("bucket_bounds"), "[10,100]");
  EXPECT_EQ(latency.str("bucket_counts"), "[1,1,1]");

  const Row& size = by_name.at("payload.size");
  EXPECT_EQ(size.str("type"), "exponential_histogram");
  EXPECT_EQ(size["count"].int_value(), 3);
  EXPECT_EQ(size["sum"].double_value(), 7);
  EXPECT_EQ(size["exp_zero_count"].int_value(), 0);
  EXPECT_EQ(size.str("exp_negative_counts"), "[]");
  // 1, 2 and 4: three filled buckets, 2^scale apart.
  json counts = json::parse(size.str("exp_positive_counts"));
  std::vector<int64_t> filled;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    EXPECT_EQ(counts[i], 1);
    filled.push_back(size["exp_positive_offset"].int_value() + static_cast<int64_t>(i));
  }
  ASSERT_EQ(filled.size(), 3u);
  int64_t step = int64_t{1} << size["exp_scale"].int_value();
  EXPECT_EQ(filled[1] - filled[0], step);
  EXPECT_EQ(filled[2] - filled[1], step);
}

TEST_P(OtlpAgentPeerTest, LogsLandInTheLogRecordsTable) {
  json sent = Send("logs");
  ASSERT_TRUE(sent.is_object());
  auto page = Query("log_records");
  auto logs = Rows(page);
  ASSERT_EQ(logs.size(), 2u);
  if (logs[0]["severity_number"].int_value() != 13) std::swap(logs[0], logs[1]);
  const Row& warn = logs[0];
  EXPECT_EQ(warn.str("severity_text"), "WARN");
  EXPECT_EQ(warn.str("body"), "disk almost full");
  EXPECT_EQ(warn["time"].timestamp_micros(), 1700000000000000);  // + 5 ns
  EXPECT_EQ(warn["observed_time"].timestamp_micros(), 1700000000000000);
  EXPECT_EQ(warn.str("trace_id"), sent["traceId"]);
  EXPECT_EQ(warn.str("span_id"), sent["spanId"]);
  EXPECT_EQ(warn.str("attributes"), R"({"disk.free_bytes":1024,"mount":"/var"})");
  EXPECT_EQ(warn.str("scope_name"), "coral-peer-test");

  const Row& info = logs[1];
  EXPECT_EQ(info["severity_number"].int_value(), 9);
  EXPECT_EQ(info.str("body"), R"({"event":"login","user":"ada"})");
  EXPECT_TRUE(info.is_null("trace_id"));
}

INSTANTIATE_TEST_SUITE_P(Exporters, OtlpAgentPeerTest,
                         testing::Values("grpc", "http/protobuf", "http/json"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param == "grpc"            ? std::string("grpc")
                                  : info.param == "http/protobuf" ? std::string("proto")
                                                                  : std::string("http");
                         });

}  // namespace
}  // namespace coral::telemetry
