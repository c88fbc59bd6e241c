// coral init APP [--env ENV] [--force]
#include "cli/context.h"
#include "colony/colony_dir.h"
#include "config/colonies.h"

namespace coral::cli {

namespace {

struct InitFlags {
  std::string app;
  std::string env = "dev";
  bool force = false;
};

Status RunInit(Context& ctx, const InitFlags& flags) {
  auto colony = CORAL_TRY(colony::CreateColony(
      ctx.home, {.app = flags.app,
                 .env = flags.env,
                 .replace = flags.force ? colony::Replace::kYes : colony::Replace::kNo}));
  auto selected = config::SelectColony(ctx.home, "");
  bool is_default = selected.ok() && selected->id == colony.id;
  Json record = {
      {"id", colony.id},
      {"app", colony.app},
      {"env", colony.env},
      {"mesh_cidr", colony.mesh_cidr},
      {"mesh_ip", colony.mesh_ip},
      {"ca_fingerprint", colony.ca_fingerprint},
      {"wireguard_public_key", colony.wireguard_public_key},
      {"directory", ctx.home.colony_dir(colony.id).string()},
      {"default", is_default},
  };
  ctx.out.Object(record);
  return Status::Ok();
}

}  // namespace

void AddInitCommand(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<InitFlags>();
  CLI::App* cmd = app.add_subcommand("init", "Create a colony for an application and environment");
  cmd->footer(
      "Creates <home>/colonies/<app>-<env>-<6 hex>/ with the colony's config, WireGuard key\n"
      "pair, CA (ECDSA P-256), secret, and its mesh range: a /16 inside 100.64.0.0/10 picked\n"
      "from the id. The first colony becomes the current one.\n"
      "Example: coral init shop --env prod -o json");
  cmd->add_option("app", flags->app, "Application name (a-z, 0-9, '-')")->required();
  cmd->add_option("--env", flags->env, "Environment name, one word (default dev)");
  cmd->add_flag("--force", flags->force,
                "Replace an existing colony of the same app and env (deletes its keys and CA)");
  commands.Bind(cmd, [flags](Context& ctx) { return RunInit(ctx, *flags); });
}

}  // namespace coral::cli
