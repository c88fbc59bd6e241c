#!/usr/bin/env bash
# Agent overhead on a host with at least 200 processes: CPU % of one core and
# RSS of `coral agent` over BENCH_SECONDS (default 60), beside Prometheus'
# node_exporter (a host agent of the same class) scraped every 15 s, measured
# in the same run. Targets for the Coral agent: < 1 % CPU, < 50 MB RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${BENCH_SECONDS:-60}

scripts/setup.sh >/dev/null
if ! command -v prometheus-node-exporter >/dev/null; then
  apt-get install -y -qq --no-install-recommends prometheus-node-exporter >/dev/null
  systemctl stop prometheus-node-exporter 2>/dev/null || true
fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORAL_BUILD_TESTS=OFF >/dev/null
ninja -C build/release coral >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# At least 200 processes on the host.
have=$(ls -d /proc/[0-9]* | wc -l)
for _ in $(seq $((have < 200 ? 200 - have + 10 : 10))); do sleep $((SECONDS_TO_RUN + 60)) & pids+=($!); done

port=$((20000 + RANDOM % 20000))
CORAL_HOME=$work/home CORAL_AGENT_API_GRPC_PORT=$port \
  CORAL_AGENT_OTLP_GRPC_PORT=$((port + 2)) CORAL_AGENT_OTLP_HTTP_PORT=$((port + 3)) \
  build/release/coral agent start --foreground >"$work/agent.out" 2>"$work/agent.log" &
agent=$!; pids+=($agent)
ne_port=$((port + 1))
prometheus-node-exporter --web.listen-address=127.0.0.1:$ne_port >/dev/null 2>&1 &
ne=$!; pids+=($ne)
for _ in $(seq 100); do grep -q agent_id "$work/agent.out" 2>/dev/null && break; sleep 0.1; done
if ! grep -q agent_id "$work/agent.out" 2>/dev/null || ! kill -0 "$agent" 2>/dev/null; then
  echo "agent_overhead: the agent did not start; its log:" >&2
  cat "$work/agent.log" >&2
  exit 1
fi
sleep 2  # past start-up

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^Anonymous/ {print $2}' "/proc/$1/smaps_rollup"; }
hz=$(getconf CLK_TCK)
a0=$(ticks $agent); n0=$(ticks $ne); t0=$(date +%s.%N)
max_a=0; max_n=0; max_anon_a=0; max_anon_n=0
end=$((SECONDS + SECONDS_TO_RUN)); next_scrape=0
while [ $SECONDS -lt $end ]; do
  if [ $SECONDS -ge $next_scrape ]; then
    curl -s "http://127.0.0.1:$ne_port/metrics" >/dev/null || true
    next_scrape=$((SECONDS + 15))
  fi
  r=$(rss_kb $agent); [ "$r" -gt "$max_a" ] && max_a=$r
  r=$(rss_kb $ne); [ "$r" -gt "$max_n" ] && max_n=$r
  r=$(anon_kb $agent); [ "$r" -gt "$max_anon_a" ] && max_anon_a=$r
  r=$(anon_kb $ne); [ "$r" -gt "$max_anon_n" ] && max_anon_n=$r
  sleep 1
done
a1=$(ticks $agent); n1=$(ticks $ne); t1=$(date +%s.%N)
procs=$(ls -d /proc/[0-9]* | wc -l)

awk -v a="$((a1 - a0))" -v n="$((n1 - n0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
    -v ra="$max_a" -v rn="$max_n" -v pa="$max_anon_a" -v pn="$max_anon_n" \
    -v procs="$procs" -v secs="$SECONDS_TO_RUN" 'BEGIN {
  el = t1 - t0
  printf "Agent overhead, %d s, %d processes on the host\n", secs, procs
  printf "%-42s %10s %12s %16s\n", "agent", "CPU %", "peak RSS MB", "private anon MB"
  printf "%-42s %10.2f %12.1f %16.1f\n", "coral agent (10s discovery, 15s metrics)", 100 * a / hz / el, ra / 1024, pa / 1024
  printf "%-42s %10.2f %12.1f %16.1f\n", "node_exporter (scraped every 15s)", 100 * n / hz / el, rn / 1024, pn / 1024
  printf "(CPU %% is of one core; RSS - private anon = shared, file-backed code pages)\n"
  printf "target for coral: < 1.00 %% CPU, < 50 MB RSS: %s\n", \
    (100 * a / hz / el < 1 && ra / 1024 < 50) ? "met" : "NOT met"
}'
