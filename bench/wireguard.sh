#!/usr/bin/env bash
# WireGuard throughput: iperf3 TCP for 10 s through a tunnel between two network
# namespaces joined by a veth pair, for
#   (a) wireguard-go <-> wireguard-go
#   (b) Coral        <-> Coral
#   (c) Coral        <-> wireguard-go
# Prints Mbit/s for each, the ratio b/a, and the CPU seconds the two WireGuard
# processes spent per GB moved. Needs root, wireguard-go, wg, iperf3
# (scripts/setup.sh). Builds a Release coral unless CORAL_WG_BIN
# points at one.
#   bench/wireguard.sh [seconds]
set -euo pipefail

DURATION=${1:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ID=$$
NS_A=cwbencha$ID NS_B=cwbenchb$ID
CLK_TCK=$(getconf CLK_TCK)
PIDS=()
TMP=$(mktemp -d)

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -f /var/run/wireguard/cwb[ab]"$ID"*.sock
  rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "bench/wireguard.sh: needs root (network namespaces, TUN)"; exit 1; }
for tool in wireguard-go wg iperf3 ip; do
  command -v "$tool" >/dev/null || { echo "bench/wireguard.sh: $tool missing; run scripts/setup.sh"; exit 1; }
done

if [ -z "${CORAL_WG_BIN:-}" ]; then
  echo "building Release coral in build/release ..." >&2
  cmake -S "$ROOT" -B "$ROOT/build/release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCORAL_BUILD_TESTS=OFF >/dev/null
  ninja -C "$ROOT/build/release" coral >/dev/null
  CORAL_WG_BIN=$ROOT/build/release/coral
fi

ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add cwva$ID netns "$NS_A" type veth peer name cwvb$ID netns "$NS_B"
ip -n "$NS_A" addr add 10.241.0.1/24 dev cwva$ID
ip -n "$NS_B" addr add 10.241.0.2/24 dev cwvb$ID
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set cwva$ID up
ip -n "$NS_B" link set cwvb$ID up

(umask 077; wg genkey >"$TMP/a.key"; wg genkey >"$TMP/b.key")
PUB_A=$(wg pubkey <"$TMP/a.key"); PUB_B=$(wg pubkey <"$TMP/b.key")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# start_device NS IMPL IFACE -> pid in DEV_PID
start_device() {
  local ns=$1 impl=$2 iface=$3
  if [ "$impl" = coral ]; then
    ip netns exec "$ns" "$CORAL_WG_BIN" wireguard --foreground --log-level warn "$iface" &
  else
    LOG_LEVEL=error ip netns exec "$ns" wireguard-go -f "$iface" >/dev/null 2>&1 &
  fi
  DEV_PID=$!
  PIDS+=("$DEV_PID")
  for _ in $(seq 100); do [ -S /var/run/wireguard/$iface.sock ] && return 0; sleep 0.05; done
  echo "device $iface ($impl) did not start" >&2; exit 1
}

# run_case LABEL IMPL_A IMPL_B -> prints a row, sets MBPS
run_case() {
  local label=$1 impl_a=$2 impl_b=$3 n=$4
  local ia=cwba${ID}$n ib=cwbb${ID}$n
  start_device "$NS_A" "$impl_a" "$ia"; local pid_a=$DEV_PID
  start_device "$NS_B" "$impl_b" "$ib"; local pid_b=$DEV_PID
  ip netns exec "$NS_A" wg set "$ia" private-key "$TMP/a.key" listen-port 51820 \
    peer "$PUB_B" endpoint 10.241.0.2:51820 allowed-ips 10.242.0.2/32
  ip netns exec "$NS_B" wg set "$ib" private-key "$TMP/b.key" listen-port 51820 \
    peer "$PUB_A" endpoint 10.241.0.1:51820 allowed-ips 10.242.0.1/32
  ip -n "$NS_A" addr add 10.242.0.1/24 dev "$ia"; ip -n "$NS_A" link set "$ia" up
  ip -n "$NS_B" addr add 10.242.0.2/24 dev "$ib"; ip -n "$NS_B" link set "$ib" up
  ip netns exec "$NS_A" ping -c 2 -W 2 10.242.0.2 >/dev/null

  ip netns exec "$NS_B" iperf3 -s -1 -B 10.242.0.2 >/dev/null 2>&1 &
  local server=$!
  PIDS+=("$server")
  sleep 0.3
  local t0=$(( $(cpu_ticks "$pid_a") + $(cpu_ticks "$pid_b") ))
  local out
  out=$(ip netns exec "$NS_A" iperf3 -c 10.242.0.2 -t "$DURATION" -f m)
  local t1=$(( $(cpu_ticks "$pid_a") + $(cpu_ticks "$pid_b") ))
  wait "$server" 2>/dev/null || true
  local line mbps bytes_mb cpu
  line=$(echo "$out" | grep receiver | tail -1)
  mbps=$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($i=="Mbits/sec") print $(i-1)}')
  bytes_mb=$(echo "$line" | awk '{for (i=1;i<=NF;i++) if ($i=="MBytes") print $(i-1); else if ($i=="GBytes") print $(i-1)*1024}')
  cpu=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
  printf "%-36s %6s Mbit/s   %6s CPU s   %6.2f CPU s/GB\n" "$label" "$mbps" "$cpu" \
    "$(awk -v c="$cpu" -v mb="$bytes_mb" 'BEGIN {print (mb > 0) ? c / (mb / 1024) : 0}')"
  MBPS=$mbps

  kill "$pid_a" "$pid_b" 2>/dev/null || true
  wait "$pid_a" "$pid_b" 2>/dev/null || true
  rm -f /var/run/wireguard/$ia.sock /var/run/wireguard/$ib.sock
}

echo "WireGuard iperf3 TCP, ${DURATION} s, namespaces over veth, $(nproc) cores"
run_case "(a) wireguard-go <-> wireguard-go" go go 1; A=$MBPS
run_case "(b) Coral <-> Coral" coral coral 2; B=$MBPS
run_case "(c) Coral <-> wireguard-go" coral go 3; C=$MBPS
awk -v a="$A" -v b="$B" -v c="$C" 'BEGIN {printf "ratio b/a = %.2f   c/a = %.2f\n", b / a, c / a}'
