// The mesh end to end, as users run it: a colony and three agents, each in its
// own network namespace. The colony and agents A and B share a LAN (a bridge);
// agent C sits behind a NAT router (MASQUERADE), unreachable from the colony
// except through the path it opens itself. Every process is the real `coral`
// binary, started the way the README says.
//
// Checks: enrollment with a join token; every agent healthy in
// `coral colony agents` with its API reached by the colony over the mesh; the
// colony's `wg show` listing every agent; the LAN carrying only WireGuard (and
// the HTTPS enrollment), counted by nftables; wrong-fingerprint, expired and
// used-up tokens refused with clear messages; MCP with a session and in its
// stateless revision; a job that only sends spans listed alike by the CLI,
// `coral status` and MCP; kill -9 and restart of the
// colony and an agent bringing everyone back healthy with the same addresses
// and no new token; a revoked agent refused, and told why. A partition of
// minutes between an agent and the rest: the colony says so meanwhile, and
// nothing the agent took is lost or doubled once it heals.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "../../eventually.h"
#include "base/clock.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"
#include "base/temp_dir.h"
#include "mesh/join_token.h"
#include "storage/store.h"

namespace coral {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

struct Node {
  std::string name;  // a, b, c, colony
  std::string ns;
  std::filesystem::path home;
};

class MeshE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and TUN devices";
    for (const char* tool : {"nft", "wg", "ip"}) {
      if (!RunCommand({"sh", "-c", std::string("command -v ") + tool}).value().exit.ok()) {
        GTEST_SKIP() << tool << " is not installed (scripts/setup.sh installs it)";
      }
    }
    SweepEarlierRuns();
    id_ = std::to_string(getpid() % 100000);
    sw_ = "cms" + id_;
    router_ = "cmr" + id_;
    colony_ = {"colony", "cmc" + id_, dir_ / "colony"};
    a_ = {"a", "cma" + id_, dir_ / "a"};
    b_ = {"b", "cmb" + id_, dir_ / "b"};
    c_ = {"c", "cmn" + id_, dir_ / "c"};
    for (const std::string& ns : {sw_, router_, colony_.ns, a_.ns, b_.ns, c_.ns}) {
      ASSERT_TRUE(Sh({"ip", "netns", "add", ns}));
      namespaces_.push_back(ns);
      ASSERT_TRUE(In(ns, {"ip", "link", "set", "lo", "up"}));
    }
    // The LAN: a bridge in the switch namespace, 10.123.0.0/24.
    ASSERT_TRUE(In(sw_, {"ip", "link", "add", "br0", "type", "bridge"}));
    ASSERT_TRUE(In(sw_, {"ip", "link", "set", "br0", "up"}));
    int port = 0;
    for (auto [ns, ip] :
         std::vector<std::pair<std::string, std::string>>{{colony_.ns, "10.123.0.1"},
                                                          {a_.ns, "10.123.0.2"},
                                                          {b_.ns, "10.123.0.3"},
                                                          {router_, "10.123.0.4"}}) {
      std::string outer = "cmp" + std::to_string(port) + "x" + id_;
      std::string inner = "lan" + std::to_string(port++);
      ASSERT_TRUE(Sh({"ip", "link", "add", outer, "netns", sw_, "type", "veth", "peer", "name",
                      inner, "netns", ns}));
      ASSERT_TRUE(In(sw_, {"ip", "link", "set", outer, "master", "br0", "up"}));
      ASSERT_TRUE(In(ns, {"ip", "addr", "add", ip + "/24", "dev", inner}));
      ASSERT_TRUE(In(ns, {"ip", "link", "set", inner, "up"}));
      lan_if_[ns] = inner;
    }
    // Behind the NAT: C on 10.124.0.0/24, routed and masqueraded by the router.
    ASSERT_TRUE(Sh({"ip", "link", "add", "wan0", "netns", c_.ns, "type", "veth", "peer", "name",
                    "inside0", "netns", router_}));
    ASSERT_TRUE(In(router_, {"ip", "addr", "add", "10.124.0.1/24", "dev", "inside0"}));
    ASSERT_TRUE(In(router_, {"ip", "link", "set", "inside0", "up"}));
    ASSERT_TRUE(In(c_.ns, {"ip", "addr", "add", "10.124.0.2/24", "dev", "wan0"}));
    ASSERT_TRUE(In(c_.ns, {"ip", "link", "set", "wan0", "up"}));
    ASSERT_TRUE(In(c_.ns, {"ip", "route", "add", "default", "via", "10.124.0.1"}));
    ASSERT_TRUE(In(router_, {"sysctl", "-qw", "net.ipv4.ip_forward=1"}));
    ASSERT_TRUE(In(router_, {"nft",
                             "add table ip nat; add chain ip nat post { type nat hook "
                             "postrouting priority 100; }; add rule ip nat post oifname "
                             "\"lan3\" masquerade"}));
    // Counters on the colony's LAN interface: TCP other than HTTPS enrollment
    // (would be plaintext or mTLS gRPC off the mesh), and WireGuard UDP.
    std::string lan = lan_if_[colony_.ns];
    ASSERT_TRUE(In(colony_.ns, {"nft",
                                "add table inet watch; "
                                "add chain inet watch in { type filter hook input priority 0; }; "
                                "add chain inet watch out { type filter hook output priority 0; }; "
                                "add rule inet watch in iifname \"" +
                                    lan +
                                    "\" tcp dport != 8443 counter comment \"tcp_in\"; "
                                    "add rule inet watch out oifname \"" +
                                    lan +
                                    "\" tcp sport != 8443 counter comment \"tcp_out\"; "
                                    "add rule inet watch in iifname \"" +
                                    lan + "\" udp dport 41580 counter comment \"wireguard_in\""}));
  }

  void TearDown() override {
    for (const Node* n : {&a_, &b_, &c_, &d_}) {
      if (!n->home.empty()) (void)RunCommand({CORAL_BINARY, "--home", n->home, "agent", "stop"});
    }
    (void)RunCommand({CORAL_BINARY, "--home", colony_.home, "colony", "stop"});
    for (const auto& ns : namespaces_) {
      KillEverythingIn(ns);  // anything still running (a test that failed half-way)
      (void)RunCommand({"ip", "netns", "del", ns});
    }
  }

  // A run that crashed (a sanitizer abort skips TearDown) leaves its coral
  // processes running inside namespaces nobody deletes; they would load the
  // machine and hold UDP ports. Kill those of runs whose test process is gone:
  // the ones whose folder is gone too, and everything in their namespaces.
  static void SweepEarlierRuns() {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::string pid = entry.path().filename().string();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      auto cmdline = ReadFile(entry.path() / "cmdline");
      if (!cmdline.ok() || cmdline->find("/coral-mesh-e2e-") == std::string::npos) continue;
      std::string home = cmdline->substr(cmdline->find("/tmp/coral-mesh-e2e-"));
      home = home.substr(0, home.find('\0'));
      if (!std::filesystem::exists(std::filesystem::path(home).parent_path())) {
        ::kill(std::atoi(pid.c_str()), SIGKILL);
      }
    }
    auto list = RunCommand({"ip", "netns", "list"});
    if (!list.ok()) return;
    std::istringstream in(list->out);
    for (std::string ns, rest; in >> ns && std::getline(in, rest);) {
      // cm?<pid of the test process that made it>
      if (ns.size() < 4 || ns.rfind("cm", 0) != 0) continue;
      std::string owner = ns.substr(3);
      if (owner.find_first_not_of("0123456789") != std::string::npos) continue;
      if (::kill(std::atoi(owner.c_str()), 0) == 0) continue;
      KillEverythingIn(ns);  // deleting a namespace leaves its processes running
      (void)RunCommand({"ip", "netns", "del", ns});
    }
  }

  static void KillEverythingIn(const std::string& ns) {
    if (auto pids = RunCommand({"ip", "netns", "pids", ns}); pids.ok()) {
      std::istringstream in(pids->out);
      for (pid_t pid; in >> pid;) ::kill(pid, SIGKILL);
    }
  }

  bool Sh(const std::vector<std::string>& argv) {
    auto r = RunCommand(argv);
    if (!r.ok() || !r->exit.ok()) {
      ADD_FAILURE() << "command failed: " << argv[0] << " " << (argv.size() > 1 ? argv[1] : "")
                    << ": " << (r.ok() ? r->err : r.status().ToString());
      return false;
    }
    return true;
  }
  bool In(const std::string& ns, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
    return Sh(argv);
  }

  // `coral --home HOME args...` inside the node's namespace.
  RunResult Coral(const Node& n, std::vector<std::string> args, const std::string& token = "") {
    std::vector<std::string> argv = {"ip", "netns", "exec", n.ns, "env"};
    if (!token.empty()) argv.push_back("CORAL_TOKEN=" + token);
    if (&n == &colony_) {
      argv.push_back("CORAL_COLONY_PUBLIC_ENDPOINTS=10.123.0.1:8443");
      argv.push_back("CORAL_COLONY_POLLER_INTERVAL=2s");
      argv.insert(argv.end(), colony_env_.begin(), colony_env_.end());
    }
    argv.insert(argv.end(), {CORAL_BINARY, "--home", n.home.string()});
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, 90s);
    if (!r.ok()) return {ExitInfo{}, "", r.status().ToString()};
    return *r;
  }
  Json CoralJson(const Node& n, std::vector<std::string> args) {
    args.insert(args.end(), {"-o", "json"});
    RunResult r = Coral(n, args);
    EXPECT_TRUE(r.exit.ok()) << args[0] << ": " << r.err;
    try {
      return Json::parse(r.out);
    } catch (const Json::exception&) {
      ADD_FAILURE() << "not JSON: " << r.out;
      return Json();
    }
  }

  std::map<std::string, Json> Agents() {
    std::map<std::string, Json> out;
    Json list = CoralJson(colony_, {"colony", "agents"});
    if (list.is_array()) {
      for (const auto& a : list) out[a["agent_id"]] = a;
    }
    return out;
  }
  std::string AgentId(const Node& n) {
    auto text = ReadFile(n.home / "agent" / "agent.yaml");
    if (!text.ok()) return "";
    auto pos = text->find("agent_id: ");
    if (pos == std::string::npos) return "";
    auto end = text->find('\n', pos);
    std::string id = text->substr(pos + 10, end - pos - 10);
    if (!id.empty() && id.front() == '"') id = id.substr(1, id.size() - 2);
    return id;
  }
  // Healthy, heard from after `since`, and its API reached over the mesh.
  bool AllHealthy(const std::vector<const Node*>& nodes, int64_t since_micros = 0) {
    auto agents = Agents();
    for (const Node* n : nodes) {
      auto it = agents.find(AgentId(*n));
      if (it == agents.end()) return false;
      const Json& a = it->second;
      if (a["state"] != "healthy" || !a["api_reachable"].get<bool>()) return false;
      if (since_micros > 0) {
        auto last_seen = a["last_seen"].get<std::string>();
        if (last_seen.empty() || last_seen <= since_text_) return false;
      }
    }
    return true;
  }
  // Packet counters of the colony's watch table, by rule comment.
  std::map<std::string, uint64_t> Counters() {
    auto r = RunCommand(
        {"ip", "netns", "exec", colony_.ns, "nft", "-j", "list", "table", "inet", "watch"});
    std::map<std::string, uint64_t> out;
    if (!r.ok() || !r->exit.ok()) return out;
    Json j = Json::parse(r->out);
    for (const auto& item : j["nftables"]) {
      if (!item.contains("rule")) continue;
      const Json& rule = item["rule"];
      for (const auto& e : rule["expr"]) {
        if (e.contains("counter")) out[rule.value("comment", "")] = e["counter"]["packets"];
      }
    }
    return out;
  }
  // `coral agent status` on the node once its colony state is `state`
  // (a failure when it is not within `wait`).
  Json AgentSeesColony(const Node& n, const std::string& state, std::chrono::seconds wait) {
    Json status;
    EXPECT_TRUE(Eventually(
        [&] {
          status = CoralJson(n, {"agent", "status"});
          return status["colony"]["state"] == state;
        },
        wait, 500ms))
        << status.dump(2);
    return status;
  }
  // A job on the node sends `requests` server spans, `errors` of them failed,
  // to the node's agent through the OpenTelemetry JS SDK, and exits.
  bool SendSpans(const Node& n, const std::string& service, int requests, int errors) {
    std::string js = CORAL_OTEL_JS_DIR;
    auto job = RunCommand({"ip", "netns", "exec", n.ns, "env", "NODE_PATH=" + js + "/node_modules",
                           "node", CORAL_OTLP_JOB_JS, service, std::to_string(requests),
                           std::to_string(errors), "http://127.0.0.1:4317"},
                          60s);
    if (job.ok() && job->exit.ok()) return true;
    ADD_FAILURE() << (job.ok() ? job->out + job->err : job.status().ToString());
    return false;
  }
  pid_t PidOf(const std::filesystem::path& pid_file) {
    auto text = ReadFile(pid_file);
    return text.ok() ? static_cast<pid_t>(std::atoi(text->c_str())) : 0;
  }

  TempDir dir_{"coral-mesh-e2e"};
  std::string id_, sw_, router_;
  Node colony_, a_, b_, c_, d_;
  std::vector<std::string> namespaces_;
  std::map<std::string, std::string> lan_if_;
  std::vector<std::string> colony_env_;  // NAME=value for every colony command
  std::string since_text_;
};

TEST_F(MeshE2eTest, AgentsEnrollStayHealthySurviveRestartsAndRevocationWorks) {
  // A colony, running; a token for three agents.
  Json init = CoralJson(colony_, {"init", "shop", "--env", "e2e"});
  ASSERT_TRUE(init.contains("id")) << init.dump();
  std::string colony_id = init["id"];
  Json started = CoralJson(colony_, {"colony", "start"});
  ASSERT_EQ(started["colony_id"], colony_id) << started.dump();
  Json status = CoralJson(colony_, {"colony", "status"});
  ASSERT_EQ(status["running"], true) << status.dump();
  std::string iface = status["wireguard_interface"];
  EXPECT_LE(iface.size(), 15u);
  EXPECT_EQ(status["mesh_ip"], init["mesh_ip"]);
  Json token = CoralJson(colony_, {"colony", "token", "create", "--uses", "3", "--name", "e2e"});
  std::string join = token["token"];
  ASSERT_EQ(join.rfind("coraljoin1_", 0), 0u) << token.dump();

  // Three agents join: A and B on the LAN, C behind the NAT.
  for (Node* n : {&a_, &b_, &c_}) {
    RunResult r = Coral(*n, {"agent", "start", "--join", join, "-o", "json"});
    ASSERT_TRUE(r.exit.ok()) << n->name << ": " << r.err;
  }
  ASSERT_TRUE(Eventually(
      [&] {
        return AllHealthy({&a_, &b_, &c_});
      },
      90s, 500ms))
      << CoralJson(colony_, {"colony", "agents"}).dump(2);
  auto agents = Agents();
  std::map<std::string, std::string> address;  // agent id -> mesh ip
  std::set<std::string> keys;
  for (const Node* n : {&a_, &b_, &c_}) {
    const Json& a = agents[AgentId(*n)];
    address[AgentId(*n)] = a["mesh_ip"];
    keys.insert(a["wireguard_public_key"].get<std::string>());
    EXPECT_FALSE(a["runtime"]["os"].get<std::string>().empty()) << a.dump();
  }
  EXPECT_EQ(
      std::set<std::string>({address[AgentId(a_)], address[AgentId(b_)], address[AgentId(c_)]})
          .size(),
      3u);
  // C is seen through its NAT router, which shows C opened the path itself.
  EXPECT_EQ(agents[AgentId(c_)]["wireguard_endpoint"].get<std::string>().rfind("10.123.0.4:", 0),
            0u)
      << agents[AgentId(c_)].dump();
  // The colony pulls each agent's tables over the mesh.
  EXPECT_TRUE(Eventually(
      [&] {
        auto now = Agents();
        for (const Node* n : {&a_, &b_, &c_}) {
          if (now[AgentId(*n)]["rows_pulled"].get<int64_t>() == 0) return false;
        }
        return true;
      },
      60s, 500ms))
      << CoralJson(colony_, {"colony", "agents"}).dump(2);
  // An API token with the viewer role reads, is refused what needs an
  // operator, and the audit log shows both.
  Json viewer =
      CoralJson(colony_, {"colony", "token", "create", "--role", "viewer", "--name", "e2e-viewer"});
  std::string viewer_token = viewer["token"];
  ASSERT_EQ(viewer_token.rfind("coralapi1_", 0), 0u) << viewer.dump();
  RunResult read = Coral(colony_, {"query", "summary", "-o", "json"}, viewer_token);
  EXPECT_TRUE(read.exit.ok()) << read.err;
  // Every service of the colony: the agents' own listeners, pulled over the
  // mesh, each with the host it runs on.
  RunResult services = Coral(colony_, {"query", "services", "-o", "json"}, viewer_token);
  ASSERT_TRUE(services.exit.ok()) << services.err;
  Json service_rows = Json::parse(services.out, nullptr, false);
  ASSERT_TRUE(service_rows.is_array()) << services.out;
  bool listening_somewhere = false;
  for (const auto& row : service_rows) {
    listening_somewhere |= row["hosts"].is_string() && row["ports"].is_string();
  }
  EXPECT_TRUE(listening_somewhere) << service_rows.dump(2);
  RunResult refused = Coral(colony_, {"colony", "token", "create"}, viewer_token);
  EXPECT_FALSE(refused.exit.ok());
  EXPECT_NE(refused.err.find("needs operator"), std::string::npos) << refused.err;
  RunResult bad_token = Coral(colony_, {"query", "summary"}, viewer_token + "0");
  EXPECT_FALSE(bad_token.exit.ok());
  EXPECT_NE(bad_token.err.find("unknown API token"), std::string::npos) << bad_token.err;
  bool denial_audited = false, read_audited = false;
  for (const auto& r : CoralJson(colony_, {"colony", "audit", "--limit", "50"})) {
    if (r["who"].get<std::string>().find("e2e-viewer") == std::string::npos) continue;
    denial_audited |= r["action"] == "rpc:CreateJoinToken" && !r["allowed"].get<bool>();
    read_audited |= r["action"] == "rpc:GetSummary" && r["allowed"].get<bool>();
  }
  EXPECT_TRUE(denial_audited && read_audited)
      << CoralJson(colony_, {"colony", "audit", "--limit", "50"}).dump(2);

  // The MCP endpoint on the public HTTPS port: no token is 401; a viewer
  // initializes, calls a read-only tool, and is refused a tool only admins
  // may call (anything the policy does not name), which the audit log shows.
  std::string ca = (colony_.home / "colonies" / colony_id / "ca.crt").string();
  auto mcp = [&](const std::string& token, const std::string& session, const Json& body) {
    std::vector<std::string> argv = {"ip",
                                     "netns",
                                     "exec",
                                     colony_.ns,
                                     "curl",
                                     "-sS",
                                     "-D",
                                     "-",
                                     "--cacert",
                                     ca,
                                     "-H",
                                     "Content-Type: application/json",
                                     "-H",
                                     "Accept: application/json, text/event-stream",
                                     "--data-binary",
                                     body.dump(),
                                     "https://10.123.0.1:8443/mcp"};
    if (!token.empty()) argv.insert(argv.end() - 1, {"-H", "Authorization: Bearer " + token});
    if (!session.empty()) {
      argv.insert(argv.end() - 1,
                  {"-H", "Mcp-Session-Id: " + session, "-H", "MCP-Protocol-Version: 2025-11-25"});
    }
    auto r = RunCommand(argv, 30s);
    return r.ok() ? r->out + r->err : r.status().ToString();
  };
  Json mcp_init = {{"jsonrpc", "2.0"},
                   {"id", 1},
                   {"method", "initialize"},
                   {"params",
                    {{"protocolVersion", "2025-11-25"},
                     {"capabilities", Json::object()},
                     {"clientInfo", {{"name", "e2e"}, {"version", "1"}}}}}};
  EXPECT_NE(mcp("", "", mcp_init).find(" 401"), std::string::npos);
  std::string initialized = mcp(viewer_token, "", mcp_init);
  ASSERT_NE(initialized.find("\"protocolVersion\":\"2025-11-25\""), std::string::npos)
      << "[" << initialized << "] "
      << ReadFile(colony_.home / "colonies" / colony_id / "colony.log").value_or("");
  std::string session;
  for (std::istringstream lines(initialized); std::getline(lines, session);) {
    if (session.rfind("mcp-session-id: ", 0) == 0 || session.rfind("Mcp-Session-Id: ", 0) == 0) {
      session = session.substr(16);
      while (!session.empty() && (session.back() == '\r' || session.back() == ' ')) {
        session.pop_back();
      }
      break;
    }
    session.clear();
  }
  ASSERT_FALSE(session.empty()) << initialized;
  auto call = [&](const std::string& tool) {
    return Json{{"jsonrpc", "2.0"},
                {"id", 2},
                {"method", "tools/call"},
                {"params", {{"name", tool}, {"arguments", Json::object()}}}};
  };
  std::string colony_status = mcp(viewer_token, session, call("coral_status"));
  EXPECT_NE(colony_status.find("Colony " + colony_id), std::string::npos) << colony_status;
  std::string denied = mcp(viewer_token, session, call("coral_exec"));
  EXPECT_NE(denied.find("permission denied"), std::string::npos) << denied;
  // coral_audit_log is a tool the colony serves, to admins only.
  std::string audit_denied = mcp(viewer_token, session, call("coral_audit_log"));
  EXPECT_NE(audit_denied.find("permission denied"), std::string::npos) << audit_denied;
  EXPECT_NE(audit_denied.find("needs admin"), std::string::npos) << audit_denied;
  bool tool_denial_audited = false, audit_tool_denial_audited = false;
  for (const auto& r : CoralJson(colony_, {"colony", "audit", "--limit", "50"})) {
    bool viewer_denied = !r["allowed"].get<bool>() &&
                         r["who"].get<std::string>().find("e2e-viewer") != std::string::npos;
    tool_denial_audited |= viewer_denied && r["action"] == "tool:coral_exec";
    audit_tool_denial_audited |= viewer_denied && r["action"] == "tool:coral_audit_log";
  }
  EXPECT_TRUE(tool_denial_audited);
  EXPECT_TRUE(audit_tool_denial_audited);

  // MCP's stateless revision (2026-07-28) on the same endpoint, as a client
  // behind a load balancer speaks it: discover, then a tool call with no
  // initialize and no session.
  auto stateless = [&](const std::string& method, const std::string& name, Json params) {
    params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                       {"io.modelcontextprotocol/clientCapabilities", Json::object()}};
    Json body = {{"jsonrpc", "2.0"}, {"id", 9}, {"method", method}, {"params", params}};
    std::vector<std::string> argv = {"ip",
                                     "netns",
                                     "exec",
                                     colony_.ns,
                                     "curl",
                                     "-sS",
                                     "--cacert",
                                     ca,
                                     "-H",
                                     "Content-Type: application/json",
                                     "-H",
                                     "Accept: application/json, text/event-stream",
                                     "-H",
                                     "Authorization: Bearer " + viewer_token,
                                     "-H",
                                     "MCP-Protocol-Version: 2026-07-28",
                                     "-H",
                                     "Mcp-Method: " + method,
                                     "--data-binary",
                                     body.dump(),
                                     "https://10.123.0.1:8443/mcp"};
    if (!name.empty()) argv.insert(argv.end() - 1, {"-H", "Mcp-Name: " + name});
    auto r = RunCommand(argv, 30s);
    return r.ok() ? Json::parse(r->out, nullptr, false) : Json();
  };
  Json discovered = stateless("server/discover", "", Json::object());
  EXPECT_NE(discovered["result"]["supportedVersions"].dump().find("2026-07-28"), std::string::npos)
      << discovered.dump();
  Json stateless_status = stateless("tools/call", "coral_status",
                                    {{"name", "coral_status"}, {"arguments", Json::object()}});
  EXPECT_NE(stateless_status.dump().find("Colony " + colony_id), std::string::npos)
      << stateless_status.dump();
  EXPECT_EQ(stateless_status["result"]["resultType"], "complete") << stateless_status.dump();

  // A job that only sends spans (the OpenTelemetry JS SDK over OTLP/gRPC to
  // agent A, then it exits; it never listens): one service with its rate and
  // errors, the same in `coral query services`, `coral status` and the MCP
  // tool coral_list_services.
  {
    ASSERT_TRUE(SendSpans(a_, "nightly-report", 40, 4));
    // Every span summarized: `coral status` counts all 40 requests.
    Json in_status;
    ASSERT_TRUE(Eventually(
        [&] {
          Json now = CoralJson(colony_, {"status"});
          for (const auto& s : now["services"]) {
            if (s["service"] == "nightly-report") in_status = s;
          }
          return in_status.is_object() && in_status.value("requests", 0) == 40;
        },
        120s, 1s))
        << in_status.dump() << CoralJson(colony_, {"status"}).dump(2);
    EXPECT_EQ(in_status["errors"], 4) << in_status.dump();
    Json row;
    RunResult services_now = Coral(colony_, {"query", "services", "-o", "json"}, viewer_token);
    for (const auto& s : Json::parse(services_now.out, nullptr, false)) {
      if (s.value("service", "") == "nightly-report") row = s;
    }
    ASSERT_TRUE(row.is_object()) << services_now.out << services_now.err;
    EXPECT_EQ(row["source"], "spans") << row.dump();
    EXPECT_TRUE(row["hosts"].is_null()) << row.dump();  // no agent saw it listen
    EXPECT_GT(row["requests_per_s"].get<double>(), 0) << row.dump();
    EXPECT_DOUBLE_EQ(row["error_pct"].get<double>(), 10.0) << row.dump();
    std::string listed = mcp(viewer_token, session, call("coral_list_services"));
    size_t body = listed.find("{\"");
    ASSERT_NE(body, std::string::npos) << listed;
    Json answer = Json::parse(listed.substr(body), nullptr, false);
    Json in_tool;
    for (const auto& s : answer["result"]["structuredContent"]["rows"]) {
      if (s["service"] == "nightly-report") in_tool = s;
    }
    // The rate is over a window that ends now: asked a moment apart, it moves.
    EXPECT_NEAR(in_tool["requests_per_s"].get<double>(), row["requests_per_s"].get<double>(),
                0.05 * row["requests_per_s"].get<double>())
        << listed;
    EXPECT_EQ(in_tool["error_pct"], row["error_pct"]) << listed;
    EXPECT_EQ(in_tool["source"], "spans") << listed;
  }

  // Claude-Desktop-style use: `coral mcp proxy` with the viewer's token on the
  // colony's host (its endpoint and CA from the colony folder), JSON-RPC lines
  // in, only JSON-RPC lines out; the admin-only tool is refused.
  {
    Json audit_call = call("coral_audit_log");
    audit_call["id"] = 3;
    std::string in;
    for (const Json& m :
         {mcp_init, Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
          call("coral_status"), audit_call}) {
      in += m.dump() + "\n";
    }
    SubprocessOptions o{.argv = {"sh", "-c",
                                 "printf '%s' \"$IN\" | ip netns exec " + colony_.ns + " env " +
                                     "CORAL_TOKEN=" + viewer_token + " " + CORAL_BINARY +
                                     " --home " + colony_.home.string() + " mcp proxy"},
                        .env = {{"IN", in}}};
    auto proxy = Subprocess::Start(o);
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    auto exit = proxy->Wait(60s);
    ASSERT_TRUE(exit.ok() && exit->ok()) << proxy->stderr_data();
    std::map<int, Json> answers;
    std::istringstream lines(proxy->stdout_data());
    for (std::string line; std::getline(lines, line);) {
      Json j = Json::parse(line, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "not JSON-RPC on stdout: " << line;
      if (j.contains("id") && j["id"].is_number()) answers[j["id"].get<int>()] = j;
    }
    ASSERT_EQ(answers.size(), 3u) << proxy->stdout_data() << proxy->stderr_data();
    EXPECT_EQ(answers[1]["result"]["protocolVersion"], "2025-11-25");
    EXPECT_NE(answers[2].dump().find("Colony " + colony_id), std::string::npos) << answers[2];
    EXPECT_NE(answers[3].dump().find("permission denied"), std::string::npos) << answers[3];
  }

  // The official MCP conformance suite's protocol scenarios against the real
  // colony endpoint, from inside the colony's namespace on loopback. The suite
  // has no option for authentication: a preload adds the viewer's token to
  // its every request and trusts the colony's CA. dns-rebinding-protection is
  // for servers without HTTPS, by its own scope: here TLS refuses a rebound
  // name (it is not on the colony's certificate) before a request is sent,
  // and the Host allowlist behind it is unit-tested in src/mcp.
  for (const char* scenario : {"server-initialize", "ping", "tools-list", "resources-list",
                               "prompts-list", "logging-set-level"}) {
    std::string js = CORAL_MCP_JS_DIR;
    auto run = RunCommand({"ip", "netns", "exec", colony_.ns, "env", "CORAL_TOKEN=" + viewer_token,
                           "CORAL_CA_FILE=" + ca, "NODE_PATH=" + js + "/node_modules",
                           js + "/node/bin/node", "--require", CORAL_MCP_BEARER_PRELOAD,
                           js + "/node_modules/@modelcontextprotocol/conformance/dist/index.js",
                           "server", "--url", "https://127.0.0.1:8443/mcp", "--scenario", scenario},
                          120s);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    std::string all = run->out + run->err;
    EXPECT_TRUE(run->exit.ok()) << scenario << ": " << all;
    EXPECT_NE(all.find(" 0 failed"), std::string::npos) << scenario << ": " << all;
    EXPECT_EQ(all.find("Total: 0 passed"), std::string::npos) << scenario << ": " << all;
  }

  Json a_status = CoralJson(a_, {"agent", "status"});
  EXPECT_EQ(a_status["colony"]["state"], "registered") << a_status.dump();
  EXPECT_EQ(a_status["colony"]["mesh_ip"], address[AgentId(a_)]);

  // wg(8) on the colony's interface lists exactly the three agents.
  auto wg = RunCommand({"ip", "netns", "exec", colony_.ns, "wg", "show", iface, "peers"});
  ASSERT_TRUE(wg.ok() && wg->exit.ok()) << (wg.ok() ? wg->err : "");
  std::set<std::string> wg_peers;
  std::istringstream peers(wg->out);
  for (std::string line; std::getline(peers, line);) {
    if (!line.empty()) wg_peers.insert(line);
  }
  EXPECT_EQ(wg_peers, keys);

  // The LAN carried WireGuard, and no TCP but HTTPS enrollment.
  auto counters = Counters();
  ASSERT_EQ(counters.size(), 3u);
  EXPECT_EQ(counters["tcp_in"], 0u) << "TCP packets into the colony off the mesh";
  EXPECT_EQ(counters["tcp_out"], 0u) << "TCP packets out of the colony off the mesh";
  EXPECT_GT(counters["wireguard_in"], 0u) << "no WireGuard packets reached the colony";

  // Bad tokens, each refused with a message that says why.
  d_ = {"d", a_.ns, dir_ / "d"};
  RunResult used_up = Coral(d_, {"agent", "start", "--join", join});
  EXPECT_FALSE(used_up.exit.ok());
  EXPECT_NE(used_up.err.find("used up (3 of 3 uses)"), std::string::npos) << used_up.err;
  Json short_lived = CoralJson(colony_, {"colony", "token", "create", "--ttl", "1s"});
  std::this_thread::sleep_for(1500ms);
  RunResult expired = Coral(d_, {"agent", "start", "--join", short_lived["token"]});
  EXPECT_FALSE(expired.exit.ok());
  EXPECT_NE(expired.err.find("expired at"), std::string::npos) << expired.err;
  Json fresh = CoralJson(colony_, {"colony", "token", "create"});
  auto forged = mesh::ParseJoinToken(fresh["token"].get<std::string>());
  ASSERT_TRUE(forged.ok());
  std::string real_fingerprint = forged->ca_fingerprint;
  forged->ca_fingerprint = "sha256:" + std::string(64, '0');
  RunResult wrong_ca = Coral(d_, {"agent", "start", "--join", mesh::EncodeJoinToken(*forged)});
  EXPECT_FALSE(wrong_ca.exit.ok());
  EXPECT_NE(wrong_ca.err.find(real_fingerprint), std::string::npos) << wrong_ca.err;
  EXPECT_NE(wrong_ca.err.find(forged->ca_fingerprint), std::string::npos) << wrong_ca.err;
  EXPECT_EQ(Agents().size(), 3u);
  size_t tokens_before = CoralJson(colony_, {"colony", "token", "list"}).size();

  // kill -9 the colony and agent A; restart both with no token.
  pid_t colony_pid = PidOf(colony_.home / "colonies" / colony_id / "colony.pid");
  ASSERT_GT(colony_pid, 0);
  ::kill(colony_pid, SIGKILL);
  ASSERT_TRUE(Eventually([&] { return ::kill(colony_pid, 0) != 0; }, 10s));
  pid_t a_pid = PidOf(a_.home / "agent" / "agent.pid");
  ASSERT_GT(a_pid, 0);
  ::kill(a_pid, SIGKILL);
  ASSERT_TRUE(Eventually([&] { return ::kill(a_pid, 0) != 0; }, 10s));
  std::this_thread::sleep_for(1s);  // last_seen before the restart is now in the past
  Json restarted = CoralJson(colony_, {"colony", "start"});
  ASSERT_EQ(restarted["colony_id"], colony_id) << restarted.dump();
  since_text_ = CoralJson(colony_, {"colony", "status"})["started_at"];
  RunResult a_again = Coral(a_, {"agent", "start", "-o", "json"});
  ASSERT_TRUE(a_again.exit.ok()) << a_again.err;
  ASSERT_TRUE(Eventually(
      [&] {
        return AllHealthy({&a_, &b_, &c_}, 1);
      },
      120s, 500ms))
      << CoralJson(colony_, {"colony", "agents"}).dump(2);
  for (const auto& [id, a] : Agents()) EXPECT_EQ(a["mesh_ip"], address[id]) << id;
  EXPECT_EQ(CoralJson(colony_, {"colony", "token", "list"}).size(), tokens_before);

  // Revoke B: its peer goes, its certificate is refused, and it is told so.
  std::string b_id = AgentId(b_);
  Json revoked = CoralJson(colony_, {"colony", "agent", "revoke", b_id});
  EXPECT_EQ(revoked["state"], "revoked") << revoked.dump();
  auto wg_after = RunCommand({"ip", "netns", "exec", colony_.ns, "wg", "show", iface, "peers"});
  ASSERT_TRUE(wg_after.ok());
  EXPECT_EQ(wg_after->out.find(revoked["wireguard_public_key"].get<std::string>()),
            std::string::npos);
  Json b_status = AgentSeesColony(b_, "refused", 60s);
  EXPECT_NE(b_status["colony"]["last_error"].get<std::string>().find("was revoked"),
            std::string::npos)
      << b_status.dump();
  ASSERT_TRUE(Coral(b_, {"agent", "stop"}).exit.ok());
  Json another = CoralJson(colony_, {"colony", "token", "create"});
  RunResult rejoin = Coral(b_, {"agent", "start", "--join", another["token"]});
  EXPECT_FALSE(rejoin.exit.ok());
  EXPECT_NE(rejoin.err.find("cannot enroll again"), std::string::npos) << rejoin.err;
  EXPECT_TRUE(AllHealthy({&a_, &c_}));

  // What the poller stored survived the kill -9 with no row twice.
  ASSERT_TRUE(Coral(colony_, {"colony", "stop"}).exit.ok());
  auto store = storage::OpenStore(
      "duckdb://" + (colony_.home / "colonies" / colony_id / "colony.duckdb").string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const char* table : {"processes", "services", "host_metrics"}) {
    auto rows = (*store)->Query(std::string("SELECT count(*), count(DISTINCT (agent_id, seq)), "
                                            "count(DISTINCT agent_id) FROM ") +
                                table);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_GT(std::get<int64_t>(rows->rows[0][0]), 0) << table;
    EXPECT_EQ(rows->rows[0][0], rows->rows[0][1]) << table << ": a row stored twice";
    EXPECT_EQ(std::get<int64_t>(rows->rows[0][2]), 3) << table;
  }
}

// Agent A (joined to a colony whose API is not on the default port) has its
// cable cut for three minutes, longer than a WireGuard session
// lives (180 s) and than the colony waits before calling an agent unhealthy.
// Meanwhile the colony says the agent cannot be reached (its pulls fail, it
// degrades then turns unhealthy, its API unreachable, `coral status` has a
// finding) and the agent says the colony cannot be reached, while it keeps
// taking spans and metrics. Once the cable is back, everything it took
// reaches the colony, once.
TEST_F(MeshE2eTest, APartitionOfMinutesLosesNothingAndIsShownWhileItLasts) {
  // Not the default API port: agents learn the colony's at enrollment.
  colony_env_ = {"CORAL_COLONY_API_GRPC_PORT=9107"};
  Json init = CoralJson(colony_, {"init", "shop", "--env", "e2e"});
  std::string colony_id = init["id"];
  ASSERT_EQ(CoralJson(colony_, {"colony", "start"})["colony_id"], colony_id);
  Json token = CoralJson(colony_, {"colony", "token", "create", "--name", "partition"});
  RunResult joined = Coral(a_, {"agent", "start", "--join", token["token"], "-o", "json"});
  ASSERT_TRUE(joined.exit.ok()) << joined.err;
  std::string a_id = AgentId(a_);
  auto agent = [&] { return Agents()[a_id]; };
  ASSERT_TRUE(Eventually(
      [&] { return AllHealthy({&a_}) && agent()["rows_pulled"].get<int64_t>() > 0; }, 90s, 500ms))
      << agent().dump(2);
  ASSERT_TRUE(SendSpans(a_, "before-partition", 30, 3));

  // The cut: nothing in or out of A's LAN interface.
  std::string lan = lan_if_[a_.ns];
  ASSERT_TRUE(In(a_.ns, {"nft",
                         "add table inet cut; "
                         "add chain inet cut in { type filter hook input priority -10; }; "
                         "add chain inet cut out { type filter hook output priority -10; }; "
                         "add rule inet cut in iifname \"" +
                             lan + "\" drop; add rule inet cut out oifname \"" + lan + "\" drop"}));
  auto cut_at = std::chrono::steady_clock::now();
  int64_t cut_us = ToUnixMicros(SystemClock::Get().Now());
  ASSERT_TRUE(SendSpans(a_, "during-partition", 120, 6));
  Json seen;
  EXPECT_TRUE(Eventually(
      [&] {
        seen = agent();
        return seen["state"] == "degraded" && !seen["api_reachable"].get<bool>() &&
               !seen["pull_error"].get<std::string>().empty();
      },
      90s, 1s))
      << seen.dump(2);
  Json status = CoralJson(colony_, {"status"});
  bool finding = false;
  for (const auto& f : status["findings"]) {
    finding |= f["kind"] == "agent_pull_failing" && f["subject"] == a_id;
  }
  EXPECT_TRUE(finding) << status.dump(2);
  AgentSeesColony(a_, "unreachable", 90s);
  // Late in the cut, more spans; then the colony has given up on A.
  std::this_thread::sleep_until(cut_at + 150s);
  ASSERT_TRUE(SendSpans(a_, "late-in-partition", 50, 0));
  EXPECT_TRUE(Eventually([&] { return agent()["state"] == "unhealthy"; }, 60s, 1s))
      << agent().dump(2);
  std::this_thread::sleep_until(cut_at + 180s);
  int64_t heal_us = ToUnixMicros(SystemClock::Get().Now());
  ASSERT_TRUE(In(a_.ns, {"nft", "delete table inet cut"}));

  // Healed: A is healthy and pulled again, and the colony has it all.
  EXPECT_TRUE(Eventually(
      [&] {
        seen = agent();
        return seen["state"] == "healthy" && seen["api_reachable"].get<bool>() &&
               seen["pull_error"].get<std::string>().empty();
      },
      120s, 1s))
      << seen.dump(2);
  std::map<std::string, int64_t> want = {
      {"before-partition", 30}, {"during-partition", 120}, {"late-in-partition", 50}};
  std::map<std::string, int64_t> requests;
  EXPECT_TRUE(Eventually(
      [&] {
        status = CoralJson(colony_, {"status"});
        for (const auto& s : status["services"]) {
          if (want.count(s["service"])) requests[s["service"]] = s.value("requests", 0);
        }
        return requests == want;
      },
      120s, 1s))
      << Json(requests).dump();
  ASSERT_TRUE(Coral(colony_, {"colony", "stop"}).exit.ok());
  auto store = storage::OpenStore(
      "duckdb://" + (colony_.home / "colonies" / colony_id / "colony.duckdb").string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto count = [&](const std::string& sql) {
    auto rows = (*store)->Query(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() ? std::get<int64_t>(rows->rows[0][0]) : -1;
  };
  for (const auto& [service, n] : want) {
    EXPECT_EQ(count("SELECT count(*) FROM spans WHERE service_name = '" + service + "'"), n)
        << service;
    EXPECT_EQ(
        count("SELECT count(DISTINCT span_id) FROM spans WHERE service_name = '" + service + "'"),
        n)
        << service;
  }
  // The host metrics A sampled while cut off arrived too, each row once.
  EXPECT_GT(count("SELECT count(*) FROM host_metrics WHERE ts_us BETWEEN " +
                  std::to_string(cut_us + 10'000'000) + " AND " + std::to_string(heal_us)),
            0);
  for (const char* table : {"spans", "host_metrics", "processes"}) {
    EXPECT_EQ(count(std::string("SELECT count(*) - count(DISTINCT (agent_id, seq)) FROM ") + table),
              0)
        << table << ": a row stored twice";
  }
}

}  // namespace
}  // namespace coral
