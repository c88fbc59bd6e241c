// coral-wireguard: a temporary standalone entry point until the `coral`
// binary carries `coral wireguard IFACE [--foreground]`.
//   coral-wireguard [-f|--foreground] [--log-level LEVEL] [--log-file PATH] IFACE

#include <cstdio>
#include <string>

#include "wireguard/standalone.h"

int main(int argc, char** argv) {
  coral::wireguard::StandaloneOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-f" || arg == "--foreground") {
      options.foreground = coral::wireguard::Foreground::kYes;
    } else if (arg == "--log-level" && i + 1 < argc) {
      auto level = coral::log::ParseLevel(argv[++i]);
      if (!level.ok()) {
        std::fprintf(stderr, "%s\n", level.status().ToString().c_str());
        return 2;
      }
      options.log_level = *level;
    } else if (arg == "--log-file" && i + 1 < argc) {
      options.log_file = argv[++i];
    } else if (!arg.empty() && arg[0] != '-' && options.interface_name.empty()) {
      options.interface_name = arg;
    } else {
      std::fprintf(stderr,
                   "usage: %s [-f|--foreground] [--log-level LEVEL] [--log-file PATH] IFACE\n",
                   argv[0]);
      return 2;
    }
  }
  if (options.interface_name.empty()) {
    std::fprintf(stderr, "usage: %s [-f|--foreground] IFACE\n", argv[0]);
    return 2;
  }
  return coral::wireguard::RunStandalone(options);
}
