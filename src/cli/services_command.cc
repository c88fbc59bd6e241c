// coral services [--agent ADDR] | connect NAME:PORT[:HEALTH_PATH] | disconnect NAME
#include "agent/services_file.h"
#include "cli/agent_client.h"
#include "cli/context.h"

namespace coral::cli {

namespace {

Json ServiceRecord(const coral::v1::ServiceInfo& s) {
  return {{"name", s.name()},
          {"pid", s.pid()},
          {"port", s.port()},
          {"transport", s.transport()},
          {"protocol", s.protocol()},
          {"address", s.address()},
          {"source", s.source()},
          {"health", s.source() == "explicit" ? Json(s.health()) : Json()},
          {"health_reason", s.source() == "explicit" ? Json(s.health_reason()) : Json()},
          {"container_id", s.container_id().empty() ? Json() : Json(s.container_id())}};
}

Status RunServices(Context& ctx, const std::string& address) {
  auto client = CORAL_TRY(AgentClient::Open(ctx.home, address));
  auto resp = CORAL_TRY(client.ListServices());
  Json records = Json::array();
  for (const auto& s : resp.services()) records.push_back(ServiceRecord(s));
  ctx.out.List({"name", "pid", "port", "transport", "protocol", "address", "source", "health"},
               records, "No services found yet.");
  return Status::Ok();
}

Status RunConnect(Context& ctx, const std::string& spec, const std::string& address) {
  auto service = CORAL_TRY(agent::ParseServiceSpec(spec));
  auto client = CORAL_TRY(AgentClient::Open(ctx.home, address));
  auto info = CORAL_TRY(client.Connect(service.name, service.port, service.health_path));
  ctx.out.Object(ServiceRecord(info));
  return Status::Ok();
}

Status RunDisconnect(Context& ctx, const std::string& name, const std::string& address) {
  auto client = CORAL_TRY(AgentClient::Open(ctx.home, address));
  CORAL_TRY(client.Disconnect(name));
  ctx.out.Object({{"disconnected", name}});
  return Status::Ok();
}

}  // namespace

void AddServiceCommands(CLI::App& app, Commands& commands) {
  auto address = std::make_shared<std::string>();
  const char* kAgentHelp = "Agent API address host:port (default: this host's agent)";

  CLI::App* services = app.add_subcommand("services", "List the services the local agent sees");
  services->add_option("--agent", *address, kAgentHelp);
  services->footer("Every service of the colony, across agents: coral query services");
  commands.Bind(services, [address](Context& ctx) { return RunServices(ctx, *address); });

  auto spec = std::make_shared<std::string>();
  CLI::App* connect =
      app.add_subcommand("connect", "Tell the agent about a service: NAME:PORT[:HEALTH_PATH]");
  connect->add_option("service", *spec, "e.g. checkout:8080:/healthz (no path: TCP check)")
      ->required();
  connect->add_option("--agent", *address, kAgentHelp);
  connect->footer(
      "A connected service keeps its name even when discovery would name it otherwise, is\n"
      "health-checked (HTTP GET of the path, or a TCP connect), and is remembered across\n"
      "agent restarts.");
  commands.Bind(connect,
                [spec, address](Context& ctx) { return RunConnect(ctx, *spec, *address); });

  auto name = std::make_shared<std::string>();
  CLI::App* disconnect = app.add_subcommand("disconnect", "Forget a connected service");
  disconnect->add_option("name", *name, "Service name")->required();
  disconnect->add_option("--agent", *address, kAgentHelp);
  commands.Bind(disconnect,
                [name, address](Context& ctx) { return RunDisconnect(ctx, *name, *address); });
}

}  // namespace coral::cli
