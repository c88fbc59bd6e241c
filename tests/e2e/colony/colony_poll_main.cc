// The colony's pulling half on its own, for crash tests: pulls every agent
// named on the command line into a store, summarizing after each round, until
// a round pulls nothing; then prints "caught up" and exits 0. Tests kill it
// (SIGKILL) at any point and start it again.
//
//   colony_poll_main STORE_URL AGENT_ID=HOST:PORT=TOKEN_FILE...
//
// Agents are reached on their local API with their bearer token (the colony
// itself uses the mesh and mTLS; what is pulled and stored is the same).
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "analysis/summarizer.h"
#include "analysis/telemetry_schema.h"
#include "base/files.h"
#include "colony/poller.h"
#include "net/grpc_server.h"

namespace coral::colony {

using analysis::Summarizer;
using analysis::TelemetryMigrations;
using analysis::TelemetryStoreUrl;
namespace {

class TokenAgentSource final : public AgentSource {
 public:
  void Add(const std::string& address, std::string token) {
    stubs_[address] = {coral::v1::AgentService::NewStub(
                           grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
                       std::move(token)};
  }
  Result<coral::v1::QueryTableResponse> Pull(const PollTarget& target, const std::string& table,
                                             int64_t after_seq, int limit) override {
    auto& [stub, token] = stubs_.at(target.address);
    return QueryAgentTable(*stub, target, table, after_seq, limit, std::chrono::seconds(10), token);
  }

 private:
  std::map<std::string, std::pair<std::unique_ptr<coral::v1::AgentService::Stub>, std::string>>
      stubs_;
};

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STORE_URL AGENT_ID=HOST:PORT=TOKEN_FILE...\n", argv[0]);
    return 2;
  }
  auto store = storage::OpenStore(TelemetryStoreUrl(argv[1]));  // as the colony opens it
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  if (auto s = (*store)->Migrate(TelemetryMigrations()); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  TokenAgentSource source;
  std::vector<PollTarget> targets;
  for (int i = 2; i < argc; ++i) {
    std::string spec = argv[i];
    size_t a = spec.find('='), b = spec.rfind('=');
    auto token = ReadFile(spec.substr(b + 1));
    if (a == b || !token.ok()) {
      std::fprintf(stderr, "bad agent %s\n", argv[i]);
      return 2;
    }
    while (!token->empty() && token->back() == '\n') token->pop_back();
    targets.push_back({spec.substr(0, a), spec.substr(a + 1, b - a - 1)});
    source.Add(targets.back().address, *token);
  }
  Summarizer summarizer(**store, {});
  // Small batches: many writes per round, so a kill lands mid-poll.
  Poller poller(**store, source, {.batch_rows = 40, .max_batches_per_table = 4}, &summarizer);
  for (int round = 0; round < 100'000; ++round) {
    auto before = poller.Stats();
    bool all_ok = true;
    for (const auto& t : targets) {
      if (auto s = poller.PollAgent(t); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        all_ok = false;
      }
    }
    if (auto s = summarizer.Run(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      all_ok = false;
    }
    bool none = true;
    for (const auto& [id, s] : poller.Stats()) none &= s.rows_pulled == before[id].rows_pulled;
    if (all_ok && none) {
      std::printf("caught up\n");
      return 0;
    }
  }
  return 1;
}

}  // namespace
}  // namespace coral::colony

int main(int argc, char** argv) { return coral::colony::Main(argc, argv); }
