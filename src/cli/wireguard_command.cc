// coral wireguard [--foreground] [--log-level L] [--log-file P] IFACE
#include "cli/context.h"
#include "wireguard/standalone.h"

namespace coral::cli {

namespace {

struct WireGuardFlags {
  std::string iface;
  bool foreground = false;
  std::string log_level = "info";
  std::string log_file;
};

}  // namespace

void AddWireGuardCommand(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<WireGuardFlags>();
  CLI::App* cmd = app.add_subcommand(
      "wireguard", "Run a userspace WireGuard device, managed with wg(8) and ip(8)");
  cmd->add_option("interface", flags->iface, "Interface name, at most 15 characters")->required();
  cmd->add_flag("-f,--foreground", flags->foreground, "Stay in the foreground");
  cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error or off");
  cmd->add_option("--log-file", flags->log_file, "Where the background device logs");
  cmd->footer(
      "Like wireguard-go IFACE: creates the TUN device IFACE and the UAPI socket\n"
      "/var/run/wireguard/IFACE.sock, then waits for configuration:\n"
      "  coral wireguard wg0\n"
      "  wg set wg0 private-key ./key listen-port 51820 peer PUBKEY allowed-ips 10.0.0.2/32\n"
      "  ip addr add 10.0.0.1/24 dev wg0 && ip link set wg0 up\n"
      "In the background the command returns once the device is up. The device stops on\n"
      "SIGTERM or when its socket file is removed. Needs root (or CAP_NET_ADMIN).");
  commands.BindExitCode(cmd, [flags](Context&) -> Result<int> {
    wireguard::StandaloneOptions options;
    options.interface_name = flags->iface;
    options.foreground =
        flags->foreground ? wireguard::Foreground::kYes : wireguard::Foreground::kNo;
    options.log_level = CORAL_TRY(log::ParseLevel(flags->log_level));
    options.log_file = flags->log_file;
    return wireguard::RunStandalone(options);
  });
}

}  // namespace coral::cli
